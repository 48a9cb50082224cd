package dev.descent.schedule;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.LongToDoubleFunction;

/** Comparisons of whole curves, reporting the first step that differs. */
final class Curves {

    private Curves() {
    }

    /**
     * Asserts {@code |actual(t) - expected(t)| <= relTol * |expected(t)| + absTol} for every step
     * in {@code [0, steps)}.
     */
    static void assertCurve(String what, long steps, LongToDoubleFunction expected,
                            LongToDoubleFunction actual, double relTol, double absTol) {
        for (long t = 0; t < steps; t++) {
            final double e = expected.applyAsDouble(t);
            final double a = actual.applyAsDouble(t);
            if (!close(e, a, relTol, absTol)) {
                fail(what + ": at step " + t + " expected " + e + " but was " + a + " (difference "
                        + (a - e) + ")");
            }
        }
    }

    /** Asserts {@code actual(t)} against {@code expected[t]} for every index of {@code expected}. */
    static void assertCurve(String what, double[] expected, LongToDoubleFunction actual,
                            double relTol, double absTol) {
        assertCurve(what, expected.length, t -> expected[(int) t], actual, relTol, absTol);
    }

    /** Asserts the same bits at every step in {@code [0, steps)}. */
    static void assertSameBits(String what, long steps, LongToDoubleFunction expected,
                               LongToDoubleFunction actual) {
        assertCurve(what, steps, expected, actual, 0, 0);
        for (long t = 0; t < steps; t++) {
            if (Double.doubleToRawLongBits(expected.applyAsDouble(t))
                    != Double.doubleToRawLongBits(actual.applyAsDouble(t))) {
                fail(what + ": at step " + t + " the bits differ");
            }
        }
    }

    static boolean close(double expected, double actual, double relTol, double absTol) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) {
            return false;
        }
        return Math.abs(actual - expected) <= relTol * Math.abs(expected) + absTol;
    }
}
