package dev.descent.schedule;

import java.util.Arrays;

/** Argument checks whose messages name the argument, its value and what was expected. */
final class Args {

    private Args() {
    }

    /** Called first by every {@code lr(step)}: cheap, and a negative step is always a caller's bug. */
    static void checkStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
    }

    static double finiteAtLeast(String name, double value, double min) {
        if (!Double.isFinite(value) || value < min) {
            throw new IllegalArgumentException(
                    name + " must be a finite number >= " + min + ", got " + value);
        }
        return value;
    }

    static double positiveFinite(String name, double value) {
        if (!Double.isFinite(value) || value <= 0) {
            throw new IllegalArgumentException(name + " must be a finite number > 0, got " + value);
        }
        return value;
    }

    /** A value in [0, 1), as a momentum or Adam's beta1 must be. */
    static double unitHalfOpen(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
        return value;
    }

    /** A value in [0, 1]. */
    static double unitClosed(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + value);
        }
        return value;
    }

    static long atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    static <T> T notNull(String name, T value) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    /** A copy of {@code values}, checked to be non-empty, {@code >= min} and ordered. */
    static long[] ordered(String name, long[] values, long min, boolean strictly) {
        notNull(name, values);
        final long[] copy = values.clone(); // the caller keeps its array; we keep ours unchanged
        if (copy.length == 0) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] < min) {
                throw new IllegalArgumentException(name + "[" + i + "] must be >= " + min
                        + ", got " + copy[i] + " in " + Arrays.toString(copy));
            }
            if (i > 0 && (strictly ? copy[i] <= copy[i - 1] : copy[i] < copy[i - 1])) {
                throw new IllegalArgumentException(name + " must be "
                        + (strictly ? "strictly increasing" : "non-decreasing") + ", got "
                        + Arrays.toString(copy));
            }
        }
        return copy;
    }

    /** How many of the sorted {@code values} are {@code <= key}: Python's {@code bisect_right}. */
    static int countAtMost(long[] values, long key) {
        int lo = 0;
        int hi = values.length;
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (values[mid] <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
