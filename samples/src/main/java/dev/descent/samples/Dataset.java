package dev.descent.samples;

/**
 * A regression data set: one row of features and one target per example.
 *
 * @param features one row per example, all of the same length
 * @param target the value to predict, one per example
 */
public record Dataset(double[][] features, double[] target) {

    /** Checks that every row has a target and the same number of features. */
    public Dataset {
        if (features.length != target.length) {
            throw new IllegalArgumentException(features.length + " feature rows but "
                    + target.length + " targets");
        }
        for (int i = 1; i < features.length; i++) {
            if (features[i].length != features[0].length) {
                throw new IllegalArgumentException("row " + i + " has " + features[i].length
                        + " features, row 0 has " + features[0].length);
            }
        }
    }

    /** Number of examples. */
    public int rows() {
        return target.length;
    }

    /** Number of features per example. */
    public int columns() {
        return features.length == 0 ? 0 : features[0].length;
    }
}
