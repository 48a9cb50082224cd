package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The cached bias correction gives the bits of {@code 1 - Math.pow(beta, step)}, in any order. */
final class BiasCorrectionTest {

    private static void assertSameBits(double beta, long step, BiasCorrection correction) {
        final double expected = 1 - Math.pow(beta, step);
        assertEquals(Double.doubleToRawLongBits(expected),
                Double.doubleToRawLongBits(correction.at(beta, step)),
                () -> "beta " + beta + ", step " + step + ": expected " + expected);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 0x1p-60, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999})
    void everyStepInOrderPastTheSettlingPoint(double beta) {
        final BiasCorrection correction = new BiasCorrection();
        final long settled = beta == 0 ? 1 : (long) Math.ceil(-54 * Math.log(2) / Math.log(beta));
        for (long step = 1; step <= 2 * settled + 1000; step++) {
            assertSameBits(beta, step, correction);
        }
    }

    @Test
    void stepsGoingBackAsARestoreDoesAndBetasChangingAsASchedulesDo() {
        final BiasCorrection correction = new BiasCorrection();
        final SplittableRandom random = new SplittableRandom(42);
        final double[] betas = {0.85, 0.9, 0.95, 0.999};
        for (int k = 0; k < 200_000; k++) {
            final double beta = betas[random.nextInt(betas.length)];
            assertSameBits(beta, 1 + random.nextLong(60_000), correction);
        }
    }

    @Test
    void theLastStepsBeforeSettlingStillCallPow() {
        // With beta 0.9 the correction first rounds to exactly 1 at one step; the step before
        // must keep its value below 1, even right after a later step has settled the cache.
        final double beta = 0.9;
        long first = 1;
        while (1 - Math.pow(beta, first) != 1) {
            first++;
        }
        final BiasCorrection correction = new BiasCorrection();
        assertEquals(1.0, correction.at(beta, first + 5));
        assertSameBits(beta, first - 1, correction);
        assertTrue(correction.at(beta, first - 1) < 1);
        assertSameBits(beta, first, correction);
    }
}
