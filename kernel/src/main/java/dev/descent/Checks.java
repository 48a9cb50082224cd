package dev.descent;

/** Argument checks whose messages name the argument, its value and what was expected. */
final class Checks {

    private Checks() {
    }

    /** Kernels compute in float: a hyperparameter must stay finite once rounded to float. */
    private static final String FLOAT_RANGE = " and within float range (|x| <= " + Float.MAX_VALUE + ")";

    static double finiteAtLeast(String name, double value, double min) {
        if (!isFiniteAsFloat(value) || value < min) {
            throw new IllegalArgumentException(
                    name + " must be a finite number >= " + min + FLOAT_RANGE + ", got " + value);
        }
        return value;
    }

    /** A positive value that stays positive in float, as an epsilon must (0/0 otherwise). */
    static double positiveFinite(String name, double value) {
        if (!isFiniteAsFloat(value) || !((float) value > 0)) {
            throw new IllegalArgumentException(name + " must be a finite number > 0" + FLOAT_RANGE
                    + " and not below the smallest float (" + Float.MIN_VALUE + "), got " + value);
        }
        return value;
    }

    static double finite(String name, double value) {
        if (!isFiniteAsFloat(value)) {
            throw new IllegalArgumentException(name + " must be finite" + FLOAT_RANGE + ", got " + value);
        }
        return value;
    }

    /** A value in [0, 1) that also stays below 1 in float, as Adam's betas must. */
    static double unitHalfOpen(String name, double value) {
        if (!(value >= 0 && (float) value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1) and below 1 when rounded"
                    + " to float (at most " + Math.nextDown(1f) + "), got " + value);
        }
        return value;
    }

    private static boolean isFiniteAsFloat(double value) {
        return Double.isFinite(value) && Float.isFinite((float) value);
    }

    /** A value in [0, 1]. */
    static double unitClosed(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + value);
        }
        return value;
    }

    /**
     * System property {@code name} as a whole number of at least {@code min}, or
     * {@code defaultValue} where it is not set.
     */
    static long longProperty(String name, long defaultValue, long min) {
        final String text = System.getProperty(name);
        if (text == null) {
            return defaultValue;
        }
        try {
            final long value = Long.parseLong(text.strip());
            if (value >= min) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below, with the value as it was given
        }
        throw new IllegalArgumentException("system property " + name + " must be a whole number >= "
                + min + ", got '" + text + "'");
    }

    static <T> T notNull(String name, T value) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }
}
