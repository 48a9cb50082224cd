package dev.descent.samples;

/**
 * The diabetes data set (Efron et al., 2004): 442 patients, 10 baseline measurements each, and a
 * measure of disease progression one year later. Attribution in {@code data/README.md}.
 */
public final class Diabetes {

    /** Number of features per patient: age, sex, bmi, bp, s1..s6. */
    public static final int FEATURES = 10;

    private static final String FEATURES_RESOURCE = "/data/diabetes_data_raw.csv.gz";
    private static final String TARGET_RESOURCE = "/data/diabetes_target.csv.gz";

    /**
     * Loads both files from the classpath: features standardized to mean 0 and variance 1 per
     * column, target (about 25 to 346) in its original units.
     */
    public static Dataset load() {
        final double[][] raw = DataFiles.readRows(FEATURES_RESOURCE, DataFiles.WHITESPACE);
        final double[][] target = DataFiles.readRows(TARGET_RESOURCE, DataFiles.WHITESPACE);
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
        return new Dataset(standardize(raw), y);
    }

    /**
     * Raw features lie on very different scales, from 1 or 2 (sex) and 3 to 6 (s5) to about 300
     * (s1): with such scales one learning rate cannot suit every weight. Mean 0, variance 1 per
     * column puts them on an equal footing.
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

    private Diabetes() {
    }
}
