package dev.descent.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The diabetes data set (Efron et al., 2004): 442 patients, 10 baseline measurements each, and a
 * measure of disease progression one year later. Attribution in {@code data/README.md}.
 *
 * @param features one row per patient, each column standardized to mean 0 and variance 1
 * @param target disease progression, in its original units (about 25 to 346)
 */
public record Diabetes(double[][] features, double[] target) {

    /** Number of features per patient: age, sex, bmi, bp, s1..s6. */
    public static final int FEATURES = 10;

    private static final String FEATURES_RESOURCE = "/data/diabetes_data_raw.csv.gz";
    private static final String TARGET_RESOURCE = "/data/diabetes_target.csv.gz";

    /** Loads both files from the classpath and standardizes the features. */
    public static Diabetes load() {
        final double[][] raw = readRows(FEATURES_RESOURCE);
        final double[][] target = readRows(TARGET_RESOURCE);
        if (raw.length != target.length) {
            throw new IllegalStateException(FEATURES_RESOURCE + " has " + raw.length + " rows but "
                    + TARGET_RESOURCE + " has " + target.length);
        }
        final double[] y = new double[target.length];
        for (int i = 0; i < y.length; i++) {
            if (raw[i].length != FEATURES || target[i].length != 1) {
                throw new IllegalStateException("row " + i + " has " + raw[i].length + " features and "
                        + target[i].length + " targets; expected " + FEATURES + " and 1");
            }
            y[i] = target[i][0];
        }
        return new Diabetes(standardize(raw), y);
    }

    /** Number of patients. */
    public int rows() {
        return target.length;
    }

    /**
     * Raw features range from 0..1 (sex) to about 300 (s1): with such scales one learning rate
     * cannot suit every weight. Mean 0, variance 1 per column puts them on an equal footing.
     */
    private static double[][] standardize(double[][] raw) {
        final int n = raw.length;
        final double[][] z = new double[n][FEATURES];
        for (int j = 0; j < FEATURES; j++) {
            double mean = 0;
            for (double[] row : raw) {
                mean += row[j];
            }
            mean /= n;
            double variance = 0;
            for (double[] row : raw) {
                variance += (row[j] - mean) * (row[j] - mean);
            }
            final double std = Math.sqrt(variance / n);
            for (int i = 0; i < n; i++) {
                z[i][j] = (raw[i][j] - mean) / std;
            }
        }
        return z;
    }

    /** Reads a gzipped file of whitespace-separated numbers, one row per line. */
    private static double[][] readRows(String resource) {
        final InputStream in = Diabetes.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("resource " + resource + " is not on the classpath");
        }
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(in), StandardCharsets.US_ASCII))) {
            final List<double[]> rows = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    final String[] fields = line.trim().split("\\s+");
                    final double[] row = new double[fields.length];
                    for (int j = 0; j < fields.length; j++) {
                        row[j] = Double.parseDouble(fields[j]);
                    }
                    rows.add(row);
                }
            }
            return rows.toArray(double[][]::new);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
