package dev.descent.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.schedule.CyclicLr.Mode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Values at the steps where schedules change course: milestones, restarts, phase ends, the ends of
 * ramps; the end of a one-cycle schedule; momentum through compositions; and purity.
 */
class BoundaryTest {

    private static final double BASE = 0.1;

    /** One ulp of slack: {@code eta + (base - eta)} need not round back to {@code base}. */
    private static void assertNear(double expected, double actual, String message) {
        assertEquals(expected, actual, 2 * Math.ulp(expected), message);
    }

    @Test
    void stepLrDecaysExactlyAtMultiplesOfStepSize() {
        final StepLr s = StepLr.builder(BASE, 30).gamma(0.5).build();
        assertEquals(BASE, s.lr(0));
        assertEquals(BASE, s.lr(29));
        assertEquals(BASE * 0.5, s.lr(30));
        assertEquals(BASE * 0.5, s.lr(59));
        assertEquals(BASE * 0.25, s.lr(60));
    }

    @Test
    void multiStepLrRepeatedAndZeroMilestones() {
        final MultiStepLr s = MultiStepLr.builder(BASE, 0, 5, 5, 9).gamma(0.5).build();
        assertEquals(BASE * 0.5, s.lr(0), "milestone 0 applies at construction, as in PyTorch");
        assertEquals(BASE * 0.5, s.lr(4));
        assertEquals(BASE * 0.125, s.lr(5), "a milestone given twice decays twice");
        assertEquals(BASE * 0.125, s.lr(8));
        assertEquals(BASE * 0.0625, s.lr(9));
        assertEquals(BASE * 0.0625, s.lr(Long.MAX_VALUE));
    }

    @Test
    void constantAndLinearEndAtTotalIters() {
        final ConstantLr c = ConstantLr.builder(BASE).factor(0.25).totalIters(4).build();
        assertEquals(BASE * 0.25, c.lr(3));
        assertEquals(BASE, c.lr(4));
        final LinearLr l = LinearLr.builder(BASE).startFactor(0.5).endFactor(0.25).totalIters(4)
                .build();
        assertEquals(BASE * 0.5, l.lr(0));
        assertEquals(BASE * 0.25, l.lr(4));
        assertEquals(BASE * 0.25, l.lr(1_000_000));
    }

    @Test
    void polynomialIsZeroFromTotalIters() {
        final PolynomialLr p = PolynomialLr.builder(BASE).totalIters(10).power(0.5).build();
        assertTrue(p.lr(9) > 0);
        assertEquals(0.0, p.lr(10));
        assertEquals(0.0, p.lr(11));
        assertEquals(BASE, PolynomialLr.builder(BASE).totalIters(10).power(0).build().lr(10),
                "power 0: 0^0 = 1, as Python's 0.0 ** 0");
    }

    @Test
    void cosineAnnealingReachesEtaMinAtTMaxAndRisesAfter() {
        final CosineAnnealingLr s = CosineAnnealingLr.builder(BASE, 10).etaMin(0.01).build();
        assertEquals(BASE, s.lr(0));
        assertEquals(0.01, s.lr(10));
        assertTrue(s.lr(11) > s.lr(10), "PyTorch keeps following the cosine past T_max");
        assertEquals(s.lr(9), s.lr(11), 1e-16);
        assertNear(BASE, s.lr(20), "a full period after the start");
    }

    @Test
    void warmRestartsAtGrowingPeriods() {
        final CosineAnnealingWarmRestarts s = CosineAnnealingWarmRestarts.builder(BASE, 3).tMult(2)
                .etaMin(0.001).build();
        for (long restart : new long[] {0, 3, 9, 21, 45, 93, 189}) {
            assertNear(BASE, s.lr(restart), "restart at " + restart);
            if (restart > 0) {
                assertTrue(s.lr(restart - 1) < s.lr(restart - 2), "decreasing before " + restart);
                assertTrue(s.lr(restart - 1) > 0.001, "eta_min is never reached, before " + restart);
            }
            assertTrue(s.lr(restart + 1) < s.lr(restart), "decreasing after " + restart);
        }
        final CosineAnnealingWarmRestarts fixed = CosineAnnealingWarmRestarts.builder(BASE, 5).build();
        for (long k = 0; k < 20; k++) {
            assertEquals(BASE, fixed.lr(5 * k));
            assertEquals(fixed.lr(3), fixed.lr(5 * k + 3));
        }
    }

    @Test
    void warmRestartsFindTheRestartWherePyTorchsLogMissesIt() {
        // T_0 = 1, T_mult = 10: restarts at 1, 11, 111, 1111. PyTorch's step(epoch) computes the
        // period as int(log(111 * 9 + 1, 10)) = int(2.9999999999999996) = 2, and so gives eta_min
        // at 111; its step() path (and this class) restart there.
        final CosineAnnealingWarmRestarts s = CosineAnnealingWarmRestarts.builder(BASE, 1).tMult(10)
                .build();
        assertEquals(BASE, s.lr(111));
        assertEquals(BASE, s.lr(1111));
        assertEquals(BASE * (1 + Math.cos(Math.PI * 99 / 100)) / 2, s.lr(110), 1e-17);
    }

    @Test
    void warmRestartsStayFiniteAtTheLargestSteps() {
        for (long tMult = 1; tMult <= 5; tMult++) {
            final CosineAnnealingWarmRestarts s = CosineAnnealingWarmRestarts.builder(BASE, 7)
                    .tMult(tMult).build();
            for (long step : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 1, 1L << 62, 1L << 61}) {
                final double lr = s.lr(step);
                assertTrue(lr >= 0 && lr <= BASE, "tMult " + tMult + " step " + step + ": " + lr);
            }
        }
    }

    @Test
    void cyclicStartsEachCycleAtBaseAndPeaksAtMax() {
        final CyclicLr s = CyclicLr.builder(0.01, 0.1).stepSizeUp(4).stepSizeDown(6)
                .mode(Mode.TRIANGULAR2).build();
        for (int cycle = 1; cycle <= 5; cycle++) {
            final long start = (cycle - 1) * 10L;
            assertEquals(0.01, s.lr(start), "cycle " + cycle + " starts at base_lr");
            assertEquals(0.9, s.momentum(start), "and at max_momentum");
            final double scale = 1.0 / (1 << (cycle - 1));
            assertEquals(0.01 + 0.09 * scale, s.lr(start + 4), 1e-16, "peak of cycle " + cycle);
            assertEquals(0.9 - 0.1 * scale, s.momentum(start + 4), 1e-15, "momentum at the peak");
        }
        assertEquals(CyclicLr.ScaleMode.CYCLE, s.scaleMode());
        assertEquals(CyclicLr.ScaleMode.ITERATIONS, CyclicLr.builder(0.01, 0.1).mode(Mode.EXP_RANGE)
                .build().scaleMode());
        assertEquals(2000, CyclicLr.builder(0.01, 0.1).build().stepSizeDown(), "defaults to up");
    }

    @Test
    void oneCyclePhaseEnds() {
        // total 100, pct 0.3: the peak at step 29 exactly, min_lr at 99.
        final OneCycleLr s = OneCycleLr.builder(0.1).totalSteps(100).build();
        // max + (initial - max): exact to an ulp of max_lr, not of initial_lr, in PyTorch too.
        assertEquals(0.1 / 25, s.lr(0), Math.ulp(0.1), "initial_lr = max_lr / div_factor");
        assertEquals(0.1 / 25, s.baseLr());
        assertEquals(0.1, s.lr(29));
        assertEquals(0.85, s.momentum(29));
        assertTrue(s.lr(28) < s.lr(29) && s.lr(30) < s.lr(29));
        assertEquals(0.1 / 25 / 1e4, s.lr(99), "min_lr = initial_lr / final_div_factor");
        assertEquals(s.minLr(), s.lr(99));
        assertEquals(0.95, s.momentum(99));
        assertEquals(0.95, s.momentum(0), 1e-15, "momentum starts at max_momentum");
    }

    @Test
    void oneCycleThreePhaseEnds() {
        // total 100, pct 0.25: up to 24, back to initial_lr at 48, min_lr at 99.
        final OneCycleLr s = OneCycleLr.builder(1.0).totalSteps(100).pctStart(0.25).threePhase(true)
                .build();
        assertEquals(1.0, s.lr(24));
        assertEquals(1.0 / 25, s.lr(48));
        assertEquals(0.95, s.momentum(48));
        assertEquals(0.95, s.momentum(70), "the third phase holds max_momentum");
        assertEquals(1.0 / 25 / 1e4, s.lr(99));
    }

    @Test
    void oneCycleAllWarmUpCoversEveryPlannedStep() {
        // pct_start 1 with two phases: PyTorch warms up over all ten steps and divides by zero
        // only at step 10, one past the plan.
        final OneCycleLr s = OneCycleLr.builder(0.1).totalSteps(10).pctStart(1.0).build();
        assertEquals(0.1 / 25, s.lr(0), Math.ulp(0.1));
        for (int step = 1; step < 10; step++) {
            assertTrue(s.lr(step) > s.lr(step - 1), "rising at " + step);
            assertTrue(s.momentum(step) < s.momentum(step - 1), "falling at " + step);
        }
        assertEquals(0.1, s.lr(9));
        assertEquals(0.85, s.momentum(9));
        // The empty last phase is where minLr would be: no planned step reaches it.
        assertEquals(0.1 / 25 / 1e4, s.minLr(), 1e-20);
        assertTrue(s.lr(s.totalSteps() - 1) > 1000 * s.minLr(), "lr(totalSteps - 1) is maxLr");
        assertThrows(IllegalArgumentException.class, () -> s.lr(10));
        assertThrows(IllegalArgumentException.class, () -> s.momentum(10));
    }

    @Test
    void oneCycleEndsAfterTotalSteps() {
        final OneCycleLr s = OneCycleLr.builder(0.1).totalSteps(100).build();
        final double past = s.lr(100); // defined, as PyTorch lets the scheduler step total_steps times
        assertTrue(past > s.lr(99));
        assertEquals(s.lr(98), past, 1e-16, "the cosine continued: symmetric about min_lr");
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> s.lr(101));
        assertEquals("step must be <= totalSteps (100), got 101: the one-cycle schedule has ended",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.momentum(101));
        final OneCycleLr byEpochs = OneCycleLr.builder(0.1).epochs(10).stepsPerEpoch(10).build();
        assertEquals(100, byEpochs.totalSteps());
        for (long t = 0; t <= 100; t++) {
            assertEquals(s.lr(t), byEpochs.lr(t));
        }
    }

    @Test
    void sequentialSwitchesAtMilestones() {
        final LearningRateSchedule a = LinearLr.builder(BASE).startFactor(0.1).totalIters(10).build();
        final LearningRateSchedule b = ExponentialLr.of(BASE, 0.5);
        final LearningRateSchedule c = StepLr.builder(0.2, 3).build();
        final SequentialLr s = SequentialLr.of(List.of(a, b, c), 5, 8);
        assertEquals(a.lr(4), s.lr(4));
        assertEquals(b.lr(0), s.lr(5), "the next schedule starts from its step 0");
        assertEquals(b.lr(2), s.lr(7));
        assertEquals(c.lr(0), s.lr(8));
        assertEquals(c.lr(3), s.lr(11));
        assertEquals(BASE, s.baseLr());
    }

    @Test
    void sequentialMomentumIsTheLastOneSet() {
        final CyclicLr cyclic = CyclicLr.builder(0.01, 0.1).stepSizeUp(3).build();
        final SequentialLr s = SequentialLr.of(List.of(ExponentialLr.of(0.05, 0.9), cyclic,
                StepLr.builder(0.05, 4).build()), 10, 30);
        assertTrue(s.cyclesMomentum());
        for (long t = 0; t < 10; t++) {
            assertEquals(cyclic.momentum(0), s.momentum(t), "before the cyclic schedule runs");
        }
        for (long t = 10; t < 30; t++) {
            assertEquals(cyclic.momentum(t - 10), s.momentum(t));
        }
        for (long t = 30; t < 40; t++) {
            assertEquals(cyclic.momentum(19), s.momentum(t), "the value it last set");
        }
        // Two cycling schedules: before either runs, PyTorch has the momentum the one constructed
        // last set, the later one in the list.
        final CyclicLr early = CyclicLr.builder(0.01, 0.1).maxMomentum(0.9).build();
        final CyclicLr late = CyclicLr.builder(0.01, 0.1).maxMomentum(0.95).build();
        final SequentialLr two = SequentialLr.of(List.of(ConstantLr.builder(0.1).build(), early,
                late), 3, 6);
        assertEquals(0.95, two.momentum(0));
        assertEquals(0.95, two.momentum(2));
        assertEquals(early.momentum(0), two.momentum(3));
        final SequentialLr plain = SequentialLr.of(List.of(FixedLr.of(1), FixedLr.of(2)), 3);
        assertFalse(plain.cyclesMomentum());
        assertThrows(UnsupportedOperationException.class, () -> plain.momentum(0));
    }

    @Test
    void warmupAndChainedMomentum() {
        final OneCycleLr oneCycle = OneCycleLr.builder(0.1).totalSteps(50).build();
        final LinearWarmup w = LinearWarmup.of(oneCycle, 5, 0.0);
        assertEquals(0.0, w.lr(0), "startFactor 0: the first step uses lr 0");
        assertEquals(oneCycle.baseLr() * 0.2, w.lr(1), 1e-18);
        assertEquals(oneCycle.lr(0), w.lr(5));
        assertTrue(w.cyclesMomentum());
        assertEquals(oneCycle.momentum(0), w.momentum(2));
        assertEquals(oneCycle.momentum(7), w.momentum(12));

        final CyclicLr first = CyclicLr.builder(0.01, 0.1).stepSizeUp(5).build();
        final CyclicLr last = CyclicLr.builder(0.01, 0.1).stepSizeUp(7).baseMomentum(0.5).build();
        final ChainedSchedule chained = ChainedSchedule.of(first, ExponentialLr.of(1, 0.9), last);
        assertTrue(chained.cyclesMomentum());
        for (long t = 0; t < 30; t++) {
            assertEquals(last.momentum(t), chained.momentum(t), "the last schedule that sets it wins");
        }
        assertFalse(ChainedSchedule.of(ExponentialLr.of(1, 0.9)).cyclesMomentum());
    }

    @Test
    void schedulesThatDoNotCycleMomentumSaySo() {
        for (LearningRateSchedule s : List.of(FixedLr.of(BASE), ExponentialLr.of(BASE, 0.9),
                CyclicLr.builder(0.01, 0.1).cycleMomentum(false).build(),
                OneCycleLr.builder(0.1).totalSteps(10).cycleMomentum(false).build())) {
            assertFalse(s.cyclesMomentum(), s.toString());
            final UnsupportedOperationException e =
                    assertThrows(UnsupportedOperationException.class, () -> s.momentum(0));
            assertTrue(e.getMessage().endsWith("does not cycle momentum: check cyclesMomentum() first"),
                    e.getMessage());
        }
    }

    static Stream<Named<LearningRateSchedule>> everyKind() {
        final List<LearningRateSchedule> all = List.of(
                FixedLr.of(BASE),
                InverseTimeDecay.of(BASE, 0.01),
                ConstantLr.builder(BASE).build(),
                LinearLr.builder(BASE).build(),
                ExponentialLr.of(BASE, 0.99),
                StepLr.builder(BASE, 7).build(),
                MultiStepLr.builder(BASE, 10, 20, 20).build(),
                PolynomialLr.builder(BASE).totalIters(50).power(2).build(),
                CosineAnnealingLr.builder(BASE, 40).etaMin(0.001).build(),
                CosineAnnealingWarmRestarts.builder(BASE, 4).tMult(3).etaMin(0.001).build(),
                CyclicLr.builder(0.01, BASE).stepSizeUp(5).stepSizeDown(9).mode(Mode.EXP_RANGE)
                        .gamma(0.99).build(),
                OneCycleLr.builder(BASE).totalSteps(200).build(),
                SequentialLr.of(List.of(LinearLr.builder(BASE).build(),
                        CosineAnnealingLr.builder(BASE, 30).build()), 5),
                ChainedSchedule.of(ExponentialLr.of(BASE, 0.99), StepLr.builder(BASE, 9).build()),
                LinearWarmup.of(CosineAnnealingWarmRestarts.builder(BASE, 6).build(), 8, 0.1));
        return all.stream().map(s -> Named.of(s.getClass().getSimpleName(), s));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyKind")
    void valuesDoNotDependOnTheOrderOfQuestions(LearningRateSchedule s) {
        final int n = 200;
        final double[] inOrder = new double[n];
        for (int t = 0; t < n; t++) {
            inOrder[t] = s.lr(t);
            assertTrue(Double.isFinite(inOrder[t]) && inOrder[t] >= 0, "step " + t + ": " + inOrder[t]);
        }
        final List<Integer> shuffled = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            shuffled.add(t);
        }
        Collections.shuffle(shuffled, new Random(7));
        for (int t : shuffled) {
            assertEquals(inOrder[t], s.lr(t), "step " + t);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyKind")
    void negativeStepsAreRefused(LearningRateSchedule s) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.lr(-1));
        assertEquals("step must be >= 0, got -1", e.getMessage());
        if (s.cyclesMomentum()) {
            assertThrows(IllegalArgumentException.class, () -> s.momentum(-1));
        }
        assertTrue(s.toString().startsWith(s.getClass().getSimpleName()), s.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyKind")
    void stepZeroIsTheBaseLrExceptWhereThePyTorchSchedulerStartsElsewhere(LearningRateSchedule s) {
        final double expected = switch (s) {
            case ConstantLr c -> c.baseLr() * c.factor();
            case LinearLr l -> l.baseLr() * l.startFactor();
            case SequentialLr q -> q.schedules().get(0).lr(0);
            case LinearWarmup w -> w.baseLr() * w.startFactor();
            default -> s.baseLr();
        };
        assertEquals(expected, s.lr(0), 1e-16, s.toString());
    }
}
