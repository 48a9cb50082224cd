package dev.descent.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every argument is checked where it is given, and the message names the argument, its value and
 * what was expected.
 */
class BadArgumentTest {

    private static Arguments bad(String expectedMessage, Executable call) {
        return Arguments.of(expectedMessage, call);
    }

    static Stream<Arguments> illegalArguments() {
        final LearningRateSchedule ok = FixedLr.of(0.1);
        return Stream.of(
                bad("lr must be a finite number >= 0.0, got -1.0", () -> FixedLr.of(-1)),
                bad("lr must be a finite number >= 0.0, got NaN", () -> FixedLr.of(Double.NaN)),
                bad("lr must be a finite number >= 0.0, got Infinity",
                        () -> InverseTimeDecay.of(Double.POSITIVE_INFINITY, 0.1)),
                bad("lrDecay must be a finite number >= 0.0, got -0.5",
                        () -> InverseTimeDecay.of(0.1, -0.5)),
                bad("gamma must be a finite number > 0, got -1.0", () -> ExponentialLr.of(0.1, -1)),
                bad("gamma must be a finite number > 0, got 0.0", () -> ExponentialLr.of(0.1, 0)),
                bad("baseLr must be a finite number >= 0.0, got -0.1",
                        () -> ExponentialLr.of(-0.1, 0.9)),
                bad("baseLr must be a finite number >= 0.0, got -0.1",
                        () -> LambdaLr.of(-0.1, t -> 1)),
                bad("stepSize must be >= 1, got 0", () -> StepLr.builder(0.1, 0)),
                bad("gamma must be a finite number > 0, got NaN",
                        () -> StepLr.builder(0.1, 1).gamma(Double.NaN)),
                bad("baseLr must be a finite number >= 0.0, got -1.0", () -> StepLr.builder(-1, 1)),
                bad("milestones must not be empty", () -> MultiStepLr.builder(0.1)),
                bad("milestones must be non-decreasing, got [5, 3]",
                        () -> MultiStepLr.builder(0.1, 5, 3)),
                bad("milestones[1] must be >= 0, got -1 in [2, -1]",
                        () -> MultiStepLr.builder(0.1, 2, -1)),
                bad("gamma must be a finite number > 0, got -2.0",
                        () -> MultiStepLr.builder(0.1, 2).gamma(-2)),
                bad("factor must be in [0, 1], got 1.5", () -> ConstantLr.builder(0.1).factor(1.5)),
                bad("totalIters must be >= 1, got 0", () -> ConstantLr.builder(0.1).totalIters(0)),
                bad("startFactor must be in (0, 1], got 0.0",
                        () -> LinearLr.builder(0.1).startFactor(0)),
                bad("startFactor must be in (0, 1], got 1.1",
                        () -> LinearLr.builder(0.1).startFactor(1.1)),
                bad("endFactor must be in [0, 1], got -0.1",
                        () -> LinearLr.builder(0.1).endFactor(-0.1)),
                bad("totalIters must be >= 1, got -3", () -> LinearLr.builder(0.1).totalIters(-3)),
                bad("power must be a finite number >= 0.0, got -1.0",
                        () -> PolynomialLr.builder(0.1).power(-1)),
                bad("totalIters must be >= 1, got 0", () -> PolynomialLr.builder(0.1).totalIters(0)),
                bad("tMax must be >= 1, got 0", () -> CosineAnnealingLr.builder(0.1, 0)),
                bad("etaMin must be a finite number >= 0.0, got -1.0",
                        () -> CosineAnnealingLr.builder(0.1, 10).etaMin(-1)),
                bad("t0 must be >= 1, got 0", () -> CosineAnnealingWarmRestarts.builder(0.1, 0)),
                bad("tMult must be >= 1, got 0",
                        () -> CosineAnnealingWarmRestarts.builder(0.1, 5).tMult(0)),
                bad("etaMin must be a finite number >= 0.0, got NaN",
                        () -> CosineAnnealingWarmRestarts.builder(0.1, 5).etaMin(Double.NaN)),
                bad("baseLr must be a finite number >= 0.0, got -1.0", () -> CyclicLr.builder(-1, 0.1)),
                bad("maxLr must be a finite number >= 0.0, got Infinity",
                        () -> CyclicLr.builder(0.1, Double.POSITIVE_INFINITY)),
                bad("stepSizeUp must be >= 1, got 0", () -> CyclicLr.builder(0.01, 0.1).stepSizeUp(0)),
                bad("stepSizeDown must be >= 1, got 0",
                        () -> CyclicLr.builder(0.01, 0.1).stepSizeDown(0)),
                bad("gamma must be a finite number > 0, got 0.0",
                        () -> CyclicLr.builder(0.01, 0.1).gamma(0)),
                bad("baseMomentum must be in [0, 1), got 1.0",
                        () -> CyclicLr.builder(0.01, 0.1).baseMomentum(1.0)),
                bad("maxMomentum must be in [0, 1), got -0.1",
                        () -> CyclicLr.builder(0.01, 0.1).maxMomentum(-0.1)),
                bad("scaleMode ITERATIONS applies only with a custom scaleFn; mode TRIANGULAR implies"
                        + " CYCLE", () -> CyclicLr.builder(0.01, 0.1)
                                .scaleMode(CyclicLr.ScaleMode.ITERATIONS).build()),
                bad("maxLr must be a finite number >= 0.0, got -1.0", () -> OneCycleLr.builder(-1)),
                bad("totalSteps must be >= 1, got 0", () -> OneCycleLr.builder(0.1).totalSteps(0)),
                bad("epochs must be >= 1, got 0", () -> OneCycleLr.builder(0.1).epochs(0)),
                bad("stepsPerEpoch must be >= 1, got -1",
                        () -> OneCycleLr.builder(0.1).stepsPerEpoch(-1)),
                bad("pctStart must be in [0, 1], got 1.5", () -> OneCycleLr.builder(0.1).pctStart(1.5)),
                bad("divFactor must be a finite number > 0, got 0.0",
                        () -> OneCycleLr.builder(0.1).divFactor(0)),
                bad("finalDivFactor must be a finite number > 0, got -1.0",
                        () -> OneCycleLr.builder(0.1).finalDivFactor(-1)),
                bad("baseMomentum must be in [0, 1), got 1.5",
                        () -> OneCycleLr.builder(0.1).baseMomentum(1.5)),
                bad("totalSteps, or epochs and stepsPerEpoch, must be given: got epochs 0,"
                        + " stepsPerEpoch 0",
                        () -> OneCycleLr.builder(0.1).build()),
                bad("totalSteps, or epochs and stepsPerEpoch, must be given: got epochs 3,"
                        + " stepsPerEpoch 0",
                        () -> OneCycleLr.builder(0.1).epochs(3).build()),
                bad("give totalSteps, or epochs and stepsPerEpoch, not both: got totalSteps 10,"
                        + " epochs 2, stepsPerEpoch 5",
                        () -> OneCycleLr.builder(0.1).totalSteps(10).epochs(2).stepsPerEpoch(5)
                                .build()),
                bad("epochs * stepsPerEpoch must fit in a long, got 9223372036854775807 * 2",
                        () -> OneCycleLr.builder(0.1).epochs(Long.MAX_VALUE).stepsPerEpoch(2).build()),
                bad("pctStart * totalSteps must not be exactly 1, got 0.1 * 10: the first phase would"
                        + " have zero length",
                        () -> OneCycleLr.builder(0.1).totalSteps(10).pctStart(0.1).build()),
                bad("step must be < totalSteps (10) where the last phase is shorter than one step"
                        + " (0.0 steps; pctStart 1.0), got 10: PyTorch divides by zero there, or"
                        + " extrapolates the phase far past its values",
                        () -> OneCycleLr.builder(0.1).totalSteps(10).pctStart(1.0).build().lr(10)),
                // The middle phase ends at 2 * (27/52) * 26 - 2, a rounding above 25, the last
                // phase's end: PyTorch's lr at step 26 is 1.1e12.
                bad("step must be < totalSteps (26) where the last phase is shorter than one step"
                        + " (-3.552713678800501E-15 steps; pctStart 0.5192307692307693, three"
                        + " phases), got 26: PyTorch divides by zero there, or extrapolates the phase"
                        + " far past its values",
                        () -> OneCycleLr.builder(0.1).totalSteps(26).pctStart(27.0 / 52)
                                .threePhase(true).annealStrategy(OneCycleLr.AnnealStrategy.LINEAR)
                                .build().momentum(26)),
                bad("schedules must not be empty", () -> SequentialLr.of(List.of())),
                bad("milestones must number one fewer than schedules (2), got 0: []",
                        () -> SequentialLr.of(List.of(ok, ok))),
                bad("milestones[0] must be >= 1, got 0 in [0]",
                        () -> SequentialLr.of(List.of(ok, ok), 0)),
                bad("milestones must be strictly increasing, got [5, 5]",
                        () -> SequentialLr.of(List.of(ok, ok, ok), 5, 5)),
                bad("schedules must not be empty", () -> ChainedSchedule.of()),
                bad("schedules[1].baseLr() must be a finite number > 0, got 0.0",
                        () -> ChainedSchedule.of(ok, FixedLr.of(0))),
                bad("warmupSteps must be >= 1, got 0", () -> LinearWarmup.of(ok, 0, 0.5)),
                bad("startFactor must be in [0, 1], got 1.5", () -> LinearWarmup.of(ok, 10, 1.5)),
                bad("lr must be a finite number >= 0.0, got -1.0", () -> ReduceLrOnPlateau.builder(-1)),
                bad("factor must be in [0, 1), got 1.0",
                        () -> ReduceLrOnPlateau.builder(0.1).factor(1.0)),
                bad("patience must be >= 0, got -1", () -> ReduceLrOnPlateau.builder(0.1).patience(-1)),
                bad("threshold must be a finite number >= 0.0, got -1.0E-4",
                        () -> ReduceLrOnPlateau.builder(0.1).threshold(-1e-4)),
                bad("cooldown must be >= 0, got -2", () -> ReduceLrOnPlateau.builder(0.1).cooldown(-2)),
                bad("minLr must be a finite number >= 0.0, got NaN",
                        () -> ReduceLrOnPlateau.builder(0.1).minLr(Double.NaN)),
                bad("eps must be a finite number >= 0.0, got -1.0",
                        () -> ReduceLrOnPlateau.builder(0.1).eps(-1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("illegalArguments")
    void illegalArgumentsAreRefusedWithAMessageNamingThem(String expectedMessage, Executable call) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expectedMessage, e.getMessage());
    }

    static Stream<Arguments> nullArguments() {
        return Stream.of(
                bad("milestones must not be null", () -> MultiStepLr.builder(0.1, (long[]) null)),
                bad("mode must not be null", () -> CyclicLr.builder(0.01, 0.1).mode(null)),
                bad("scaleFn must not be null", () -> CyclicLr.builder(0.01, 0.1).scaleFn(null)),
                bad("annealStrategy must not be null",
                        () -> OneCycleLr.builder(0.1).annealStrategy(null)),
                bad("schedules must not be null", () -> SequentialLr.of(null, 1)),
                bad("schedules[1] must not be null",
                        () -> SequentialLr.of(Arrays.asList(FixedLr.of(1), null), 1)),
                bad("schedules[0] must not be null",
                        () -> ChainedSchedule.of((LearningRateSchedule) null)),
                bad("after must not be null", () -> LinearWarmup.of(null, 5, 0.5)),
                bad("factor must not be null", () -> LambdaLr.of(0.1, null)),
                bad("thresholdMode must not be null",
                        () -> ReduceLrOnPlateau.builder(0.1).thresholdMode(null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nullArguments")
    void nullArgumentsAreRefusedByName(String expectedMessage, Executable call) {
        final NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(expectedMessage, e.getMessage());
    }

    @Test
    void callersArraysAreCopied() {
        final long[] milestones = {3, 6};
        final MultiStepLr s = MultiStepLr.builder(1, milestones).gamma(0.5).build();
        milestones[0] = 0;
        assertEquals(1.0, s.lr(0));
        s.milestones()[1] = 0;
        assertEquals(0.25, s.lr(6));
    }
}
