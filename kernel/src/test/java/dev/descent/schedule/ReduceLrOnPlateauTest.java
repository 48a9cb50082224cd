package dev.descent.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.schedule.ReduceLrOnPlateau.Mode;
import dev.descent.schedule.ReduceLrOnPlateau.ThresholdMode;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** PyTorch's {@code ReduceLROnPlateau} rules, one at a time (whole runs: the reference curves). */
class ReduceLrOnPlateauTest {

    @Test
    void defaultsArePyTorchs() {
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(1).build();
        assertEquals(Double.POSITIVE_INFINITY, p.best());
        p.step(1.0);
        for (int i = 0; i < 10; i++) {
            assertEquals(1.0, p.step(1.0), "patience 10: ten bad epochs are tolerated");
        }
        assertEquals(0.1, p.step(1.0), "the eleventh reduces by factor 0.1");
        assertEquals(0, p.numBadEpochs());
        assertEquals(12, p.lastEpoch());
        // threshold 1e-4, relative: 0.99991 is within 1e-4 of 1.0, so not better.
        assertFalse(better(ReduceLrOnPlateau.builder(1).patience(0).build(), 1.0, 0.99991));
        assertTrue(better(ReduceLrOnPlateau.builder(1).patience(0).build(), 1.0, 0.99989));
    }

    /** Whether {@code next} improves on {@code first}: a fresh one with patience 0 keeps its lr. */
    private static boolean better(ReduceLrOnPlateau p, double first, double next) {
        p.step(first);
        final double before = p.lr();
        return p.step(next) == before;
    }

    @Test
    void thresholdModes() {
        // min, rel: a < best * (1 - threshold)
        assertFalse(better(plateau(Mode.MIN, ThresholdMode.REL, 0.1), 1.0, 0.91));
        assertTrue(better(plateau(Mode.MIN, ThresholdMode.REL, 0.1), 1.0, 0.89));
        // PyTorch's rule as written: with a negative best, "relative" moves the bar the other way.
        assertTrue(better(plateau(Mode.MIN, ThresholdMode.REL, 0.1), -1.0, -0.95));
        // min, abs: a < best - threshold
        assertFalse(better(plateau(Mode.MIN, ThresholdMode.ABS, 0.5), 10.0, 9.6));
        assertTrue(better(plateau(Mode.MIN, ThresholdMode.ABS, 0.5), 10.0, 9.4));
        // max, rel: a > best * (1 + threshold)
        assertFalse(better(plateau(Mode.MAX, ThresholdMode.REL, 0.1), 1.0, 1.09));
        assertTrue(better(plateau(Mode.MAX, ThresholdMode.REL, 0.1), 1.0, 1.11));
        // max, abs: a > best + threshold
        assertFalse(better(plateau(Mode.MAX, ThresholdMode.ABS, 0.5), 10.0, 10.4));
        assertTrue(better(plateau(Mode.MAX, ThresholdMode.ABS, 0.5), 10.0, 10.6));
        // Equal is never better, even with threshold 0.
        assertFalse(better(plateau(Mode.MIN, ThresholdMode.ABS, 0), 1.0, 1.0));
        assertFalse(better(plateau(Mode.MAX, ThresholdMode.REL, 0), 1.0, 1.0));
    }

    private static ReduceLrOnPlateau plateau(Mode mode, ThresholdMode thresholdMode, double threshold) {
        return ReduceLrOnPlateau.builder(1).mode(mode).thresholdMode(thresholdMode)
                .threshold(threshold).patience(0).build();
    }

    @Test
    void firstMetricAlwaysImproves() {
        final ReduceLrOnPlateau min = ReduceLrOnPlateau.builder(1).patience(0).build();
        assertEquals(1.0, min.step(1e300));
        assertEquals(1e300, min.best());
        final ReduceLrOnPlateau max = ReduceLrOnPlateau.builder(1).mode(Mode.MAX).patience(0).build();
        assertEquals(1.0, max.step(-1e300));
        assertEquals(-1e300, max.best());
    }

    @Test
    void cooldownIgnoresBadEpochs() {
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(1).factor(0.5).patience(0)
                .cooldown(2).build();
        p.step(1.0);
        assertEquals(0.5, p.step(2.0), "first bad epoch: reduce, start cooldown");
        assertTrue(p.inCooldown());
        assertEquals(2, p.cooldownCounter());
        assertEquals(0.5, p.step(2.0), "ignored in cooldown");
        assertEquals(0.5, p.step(2.0), "ignored in cooldown");
        assertFalse(p.inCooldown());
        assertEquals(0.25, p.step(2.0), "counts again");
    }

    @Test
    void improvementsDuringCooldownStillUpdateBest() {
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(1).factor(0.5).patience(0)
                .cooldown(1).build();
        p.step(1.0);
        p.step(2.0);
        p.step(0.5);
        assertEquals(0.5, p.best());
        assertEquals(0.5, p.lr());
    }

    @Test
    void minLrFloorsAndEpsIgnoresTinyReductions() {
        final ReduceLrOnPlateau floored = ReduceLrOnPlateau.builder(1).factor(0.1).patience(0)
                .minLr(0.05).build();
        floored.step(1);
        assertEquals(0.1, floored.step(2));
        assertEquals(0.05, floored.step(2), "max(lr * factor, min_lr)");
        assertEquals(0.05, floored.step(2));

        final ReduceLrOnPlateau tiny = ReduceLrOnPlateau.builder(1.5e-8).factor(0.1).patience(0)
                .build();
        tiny.step(1);
        assertEquals(1.5e-9, tiny.step(2), 1e-24, "1.35e-8 > eps 1e-8: applied");
        assertEquals(1.5e-9, tiny.step(2), 1e-24, "1.35e-9 <= eps: ignored");
        assertEquals(0, tiny.numBadEpochs(), "the counters reset all the same");
    }

    @Test
    void nanMetricsCountAsBad() {
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(1).patience(1).build();
        p.step(1.0);
        p.step(Double.NaN);
        assertEquals(1, p.numBadEpochs());
        assertEquals(0.1, p.step(Double.NaN), 1e-17);
        assertEquals(1.0, p.best());
    }

    static LongStream seeds() {
        return LongStream.range(0, 8);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void learningRateNeverRisesAndNeverFallsBelowMinLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double minLr = r.nextDouble(0, 1e-3);
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(r.nextDouble(1e-3, 1))
                .mode(r.nextBoolean() ? Mode.MIN : Mode.MAX)
                .thresholdMode(r.nextBoolean() ? ThresholdMode.REL : ThresholdMode.ABS)
                .factor(r.nextDouble(0, 0.99)).patience(r.nextLong(0, 5)).cooldown(r.nextLong(0, 5))
                .threshold(r.nextDouble(0, 0.01)).minLr(minLr).build();
        double previous = p.lr();
        for (int i = 0; i < 500; i++) {
            final double lr = p.step(r.nextDouble(-1, 1));
            assertTrue(lr <= previous && (lr >= minLr || lr == previous), "report " + i + ": " + lr);
            assertTrue(p.numBadEpochs() >= 0 && p.cooldownCounter() >= 0);
            previous = lr;
        }
        assertEquals(500, p.lastEpoch());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aRestoredRunReducesWhereTheUninterruptedOneDoes(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final ReduceLrOnPlateau.Builder settings = ReduceLrOnPlateau.builder(0.1).patience(3)
                .cooldown(2).factor(0.5);
        final ReduceLrOnPlateau whole = settings.build();
        final double[] metrics = r.doubles(60, 0, 1).map(x -> Math.floor(x * 4)).toArray();
        for (int i = 0; i < 30; i++) {
            whole.step(metrics[i]);
        }
        final ReduceLrOnPlateau resumed = settings.build();
        resumed.restore(whole.lr(), whole.best(), whole.numBadEpochs(), whole.cooldownCounter(),
                whole.lastEpoch());
        for (int i = 30; i < 60; i++) {
            assertEquals(whole.step(metrics[i]), resumed.step(metrics[i]), "report " + i);
            assertEquals(whole.toString(), resumed.toString());
        }
        assertEquals(whole.lastEpoch(), resumed.lastEpoch());
    }

    @Test
    void restoreRefusesStateTheSettingsCannotReachAndKeepsItsOwn() {
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(0.1).patience(3).cooldown(2).build();
        p.step(1.0);
        final String before = p.toString();
        assertRefused(() -> p.restore(-1, 1, 0, 0, 1), "lr must be a finite number >= 0");
        assertRefused(() -> p.restore(0.1, Double.NaN, 0, 0, 1), "best must not be NaN");
        assertRefused(() -> p.restore(0.1, 1, 4, 0, 1),
                "numBadEpochs must be in [0, patience = 3] (more would have reduced the learning"
                        + " rate), got 4");
        assertRefused(() -> p.restore(0.1, 1, 0, 3, 1), "cooldownCounter must be in [0, cooldown = 2], got 3");
        assertRefused(() -> p.restore(0.1, 1, 0, 0, -1), "lastEpoch must be >= 0, got -1");
        assertEquals(before, p.toString());
    }

    private static void assertRefused(Executable call, String message) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
