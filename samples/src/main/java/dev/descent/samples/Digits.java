package dev.descent.samples;

import java.util.Arrays;
import java.util.Random;

/**
 * Handwritten digits (UCI Optical Recognition of Handwritten Digits, test set): 1797 images of
 * 8x8 pixels with values 0..16, each labelled 0..9. Attribution in {@code data/README.md}.
 *
 * @param images one row of {@link #PIXELS} values per image, scaled to 0..1
 * @param labels the digit shown, 0..9, one per image
 */
public record Digits(float[][] images, int[] labels) {

    /** Pixels per image, 8 x 8. */
    public static final int PIXELS = 64;
    /** Number of classes, the digits 0..9. */
    public static final int CLASSES = 10;

    private static final String RESOURCE = "/data/digits.csv.gz";
    /** The brightest pixel value in the file. */
    private static final float MAX_PIXEL = 16f;

    /** Loads the file from the classpath; pixels are divided by 16 so that inputs lie in 0..1. */
    public static Digits load() {
        final double[][] rows = DataFiles.readRows(RESOURCE, DataFiles.COMMA);
        final float[][] images = new float[rows.length][PIXELS];
        final int[] labels = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != PIXELS + 1) {
                throw new IllegalStateException(RESOURCE + " row " + i + " has " + rows[i].length
                        + " columns; expected " + (PIXELS + 1));
            }
            for (int p = 0; p < PIXELS; p++) {
                images[i][p] = (float) rows[i][p] / MAX_PIXEL;
            }
            labels[i] = (int) rows[i][PIXELS];
            if (labels[i] < 0 || labels[i] >= CLASSES) {
                throw new IllegalStateException(RESOURCE + " row " + i + " has label " + labels[i]);
            }
        }
        return new Digits(images, labels);
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /** The images at {@code rows}, in that order. */
    public Digits select(int[] rows) {
        final float[][] x = new float[rows.length][];
        final int[] y = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            x[i] = images[rows[i]];
            y[i] = labels[rows[i]];
        }
        return new Digits(x, y);
    }

    /**
     * A random split into a training and a test set. The seed fixes which images are held out, so
     * every run (and every optimizer) is judged on the same test images.
     *
     * @param testFraction the share of images held out, e.g. 0.2
     */
    public Split split(double testFraction, long seed) {
        final int[] order = Shuffle.permutation(size(), new Random(seed));
        final int test = (int) Math.round(size() * testFraction);
        return new Split(select(Arrays.copyOfRange(order, test, size())),
                select(Arrays.copyOfRange(order, 0, test)));
    }

    /** Images to learn from, and images kept aside to measure accuracy on. */
    public record Split(Digits train, Digits test) {
    }
}
