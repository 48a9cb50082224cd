package dev.descent.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The C ceiling does the same work as the other sides of a comparison: same update, same
 * hyperparameters, same starting numbers, so it is a fair ceiling and not a faster, different
 * loop. Needs a C compiler; without one these tests are skipped.
 */
class NativeLoopTest {

    /** Not a multiple of any vector length, so the C loop's own tail runs too. */
    private static final int SIZE = 1_003;
    private static final int STEPS = 3;

    @ParameterizedTest
    @EnumSource(Kernel.class)
    void stepsLikeThePlainJavaLoop(Kernel kernel) {
        assumeTrue(NativeLoop.compilerAvailable(), "no C compiler");
        try (NativeLoop c = new NativeLoop(kernel, SIZE, 1);
             PlainJavaOptimizer java = kernel.plainJava(TestData.values(SIZE),
                     TestData.grads(SIZE), 1)) {
            final float[] start = TestData.values(SIZE);
            double largestMove = 0;
            for (int k = 0; k < STEPS; k++) {
                c.step();
                java.step();
            }
            for (int i = 0; i < SIZE; i++) {
                final float expected = java.p[i];
                final float actual = c.values().getAtIndex(JAVA_FLOAT, i);
                // gcc fuses multiply-adds that Java rounds twice: a few float roundings apart,
                // where other hyperparameters would differ by 1e-4 or more.
                assertEquals(expected, actual, 1e-6f, kernel.label() + " value " + i);
                largestMove = Math.max(largestMove, Math.abs(actual - start[i]));
            }
            // Every step of these kernels moves the values by about lr: the loops did run.
            assertTrue(largestMove > 1e-4, kernel.label() + " moved the values by at most "
                    + largestMove);
        }
    }

    @Test
    void runsOnOneThreadOnly() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NativeLoop(Kernel.ADAM, SIZE, 2));
        assertTrue(e.getMessage().contains("threads=2"), e.getMessage());
    }
}
