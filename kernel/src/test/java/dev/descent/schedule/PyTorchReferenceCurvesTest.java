package dev.descent.schedule;

import static dev.descent.schedule.Curves.assertCurve;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.descent.schedule.CyclicLr.Mode;
import dev.descent.schedule.OneCycleLr.AnnealStrategy;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Whole curves of specific PyTorch configurations, computed independently of this library.
 *
 * <p>The arrays were printed by {@code pytorch_reference_curves.py}, next to this file: PyTorch was
 * not installed here, so that script re-implements with Python's {@code math} module alone the
 * code of {@code torch.optim.lr_scheduler} (2.x) that decides the values: the constructor's initial
 * step, {@code step()}, and each scheduler's default <em>chainable</em> (recursive) form, plus
 * {@code SequentialLR}'s switching, {@code ChainedScheduler} and {@code ReduceLROnPlateau}. Entry
 * {@code k} is the group's learning rate (or momentum) after construction and {@code k} calls of
 * {@code scheduler.step()}, i.e. Descent's {@code lr(k)}. The recursive form accumulates rounding,
 * hence a relative tolerance of {@value #REL}; the plateau scheduler has no such rounding and is
 * compared exactly.
 *
 * <p>That port was then checked against real torch, Debian's {@code python3-torch} 1.13.1:
 * {@code /usr/bin/python3 pytorch_reference_curves.py --against-torch} builds every configuration
 * with torch's own schedulers (on SGD, or Adam where beta1 is cycled) and exits non-zero, naming
 * the curve, if any value differs from the port's by more than 1e-12 relative. Every value of all
 * 29 curves is bit-identical. The arrays stay the port's, which follows 2.x where 1.13 differs, in
 * two places that change none of these values: 1.13's {@code CyclicLR} refuses Adam (beta1 is
 * cycled since PyTorch pull request #113548), so the check reads beta1 from the momentum of the
 * same {@code CyclicLR} on SGD, the expression 2.x uses; and 1.13's {@code get_lr()} tests
 * {@code last_epoch == 0} where 2.x tests whether the constructor is stepping (pull request
 * #149312), which coincide in every call these configurations make.
 */
class PyTorchReferenceCurvesTest {

    private static final double REL = 1e-13;
    private static final double ABS = 1e-18;

    private static final double[] STEP_LR = {
            0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625, 0.00625,
            0.00625, 0.003125
    };
    private static final double[] MULTI_STEP_LR = {
            0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002,
            0.00010000000000000005, 0.00010000000000000005, 0.00010000000000000005,
            0.00010000000000000005, 1.0000000000000006e-05, 1.0000000000000006e-05,
            1.0000000000000006e-05, 1.0000000000000006e-05
    };
    private static final double[] CONSTANT_LR_DEFAULTS = {
            0.016666666666666666, 0.016666666666666666, 0.016666666666666666, 0.016666666666666666,
            0.016666666666666666, 0.05, 0.05, 0.05, 0.05
    };
    private static final double[] LINEAR_LR_DEFAULTS = {
            0.016666666666666666, 0.023333333333333334, 0.030000000000000002, 0.036666666666666674,
            0.04333333333333334, 0.05, 0.05, 0.05, 0.05
    };
    private static final double[] LINEAR_LR_DECAY = {
            0.1, 0.07750000000000001, 0.055000000000000014, 0.03250000000000001, 0.01, 0.01, 0.01,
            0.01
    };
    private static final double[] EXPONENTIAL_LR = {
            0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002,
            0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024,
            0.03874204890000002, 0.03486784401000002
    };
    private static final double[] POLYNOMIAL_LR_DEFAULTS = {
            0.05, 0.04000000000000001, 0.030000000000000002, 0.020000000000000004, 0.01, 0.0, 0.0,
            0.0
    };
    private static final double[] POLYNOMIAL_LR_SQUARE = {
            0.05, 0.03472222222222223, 0.022222222222222233, 0.012500000000000004,
            0.005555555555555558, 0.0013888888888888887, 0.0, 0.0, 0.0
    };
    private static final double[] COSINE_ANNEALING_LR = {
            0.1, 0.09140576474687263, 0.06890576474687263, 0.04109423525312736,
            0.018594235253127367, 0.01, 0.018594235253127367, 0.04109423525312739,
            0.06890576474687267, 0.09140576474687269, 0.10000000000000006, 0.09140576474687272,
            0.06890576474687268, 0.0410942352531274, 0.01859423525312738, 0.01, 0.018594235253127367
    };
    private static final double[] WARM_RESTARTS_T0_3_TMULT_2 = {
            0.1, 0.07525000000000001, 0.025750000000000012, 0.1, 0.09336825748732973,
            0.07525000000000001, 0.0505, 0.025750000000000012, 0.007631742512670284, 0.1,
            0.09831332840130888, 0.09336825748732973, 0.0855017856687341, 0.07525000000000001,
            0.06331154273257478, 0.0505, 0.03768845726742523, 0.025750000000000012,
            0.0154982143312659, 0.007631742512670284, 0.0026866715986911243, 0.1,
            0.09957652063800362, 0.09831332840130888, 0.0962320368593087, 0.09336825748732973
    };
    private static final double[] WARM_RESTARTS_T0_4 = {
            0.1, 0.08535533905932738, 0.05, 0.014644660940672627, 0.1, 0.08535533905932738, 0.05,
            0.014644660940672627, 0.1, 0.08535533905932738, 0.05
    };
    private static final double[] CYCLIC_TRIANGULAR2_LR = {
            0.01, 0.032500000000000015, 0.055, 0.0775, 0.09999999999999999, 0.054999999999999966,
            0.01, 0.021250000000000022, 0.03249999999999998, 0.043750000000000004,
            0.054999999999999966, 0.032500000000000036, 0.01, 0.015624999999999997,
            0.021250000000000005, 0.026875000000000003, 0.0325, 0.02124999999999999, 0.01,
            0.01281249999999999, 0.01562500000000001
    };
    private static final double[] CYCLIC_TRIANGULAR2_MOMENTUM = {
            0.9, 0.875, 0.8500000000000001, 0.8250000000000001, 0.8, 0.8500000000000001, 0.9,
            0.8875, 0.875, 0.8625, 0.8500000000000001, 0.875, 0.9, 0.89375, 0.8875000000000001,
            0.88125, 0.875, 0.8875000000000001, 0.9, 0.8968750000000001, 0.89375
    };
    private static final double[] CYCLIC_EXP_RANGE_LR = {
            0.001, 0.0025000000000000005, 0.0036999999999999997, 0.004645000000000001,
            0.003187000000000001, 0.0019841499999999996, 0.001, 0.0017971615000000017,
            0.0024348906999999993, 0.0029371024450000004, 0.0021622614669999994,
            0.001523017660150001, 0.001, 0.0014236443047214997, 0.0017625597484987007
    };
    private static final double[] CYCLIC_EXP_RANGE_BETA1 = {
            0.9, 0.87, 0.8460000000000001, 0.8271000000000001, 0.85626, 0.880317, 0.9,
            0.8840567699999999, 0.8713021860000001, 0.8612579511, 0.8767547706600001,
            0.889539646797, 0.9, 0.89152711390557, 0.8847488050300261
    };
    private static final double[] CYCLIC_CUSTOM_ITERATIONS_LR = {
            0.02, 0.07454545454545455, 0.12000000000000001, 0.15846153846153846,
            0.12285714285714287, 0.09200000000000001, 0.065, 0.041176470588235294, 0.02,
            0.05157894736842106, 0.08, 0.10571428571428572, 0.08545454545454546,
            0.06695652173913044, 0.05, 0.0344, 0.02
    };
    private static final double[] ONE_CYCLE_DEFAULTS_LR = {
            0.0040000000000000036, 0.052000000000000005, 0.1, 0.09504846320134738,
            0.0811745653949763, 0.06112620219362893, 0.03887419780637107, 0.0188258346050237,
            0.004951936798652629, 4e-07, 0.004951936798652624
    };
    private static final double[] ONE_CYCLE_DEFAULTS_MOMENTUM = {
            0.95, 0.8999999999999999, 0.85, 0.854951556604879, 0.8688255099070633,
            0.8888739533021842, 0.9111260466978157, 0.9311744900929366, 0.945048443395121, 0.95,
            0.945048443395121
    };
    private static final double[] ONE_CYCLE_THREE_PHASE_LINEAR_LR = {
            0.1, 0.55, 1.0, 0.55, 0.09999999999999998, 0.08585714285714287, 0.07171428571428572,
            0.05757142857142858, 0.043428571428571434, 0.02928571428571429, 0.015142857142857152,
            0.0010000000000000009, -0.013142857142857137
    };
    private static final double[] ONE_CYCLE_THREE_PHASE_LINEAR_BETA1 = {
            0.95, 0.8999999999999999, 0.85, 0.8999999999999999, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95,
            0.95, 0.95, 0.95
    };
    private static final double[] ONE_CYCLE_7_STEPS_LR = {
            0.01200000000000001, 0.2941669882004876, 0.27571331288091316, 0.20180515094416354,
            0.10732163272189713, 0.029789037567979678, 1.2e-06, 0.029789037567979612
    };
    private static final double[] SEQUENTIAL_WARMUP_COSINE = {
            0.010000000000000002, 0.04, 0.07, 0.1, 0.09330127018922195, 0.07500000000000001, 0.05,
            0.025000000000000012, 0.006698729810778065, 0.0, 0.006698729810778065, 0.025,
            0.05000000000000004
    };
    private static final double[] SEQUENTIAL_CONSTANT_EXPONENTIAL = {
            0.005000000000000001, 0.005000000000000001, 0.05, 0.045000000000000005,
            0.04050000000000001, 0.03645000000000001, 0.03280500000000001, 0.02952450000000001,
            0.02657205000000001
    };
    private static final double[] SEQUENTIAL_THREE = {
            0.05, 0.07500000000000001, 0.1, 0.07500000000000001, 0.025000000000000012, 0.1,
            0.07500000000000001, 0.025000000000000012, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125
    };
    private static final double[] CHAINED_CONSTANT_EXPONENTIAL = {
            0.005000000000000001, 0.004500000000000001, 0.0040500000000000015, 0.03645000000000002,
            0.032805000000000015, 0.029524500000000013, 0.02657205000000001, 0.02391484500000001,
            0.021523360500000012
    };
    private static final double[] CHAINED_COSINE_MULTI_STEP = {
            0.1, 0.09330127018922195, 0.07500000000000001, 0.025, 0.012500000000000006,
            0.0016746824526945162, 0.0
    };
    private static final double[] PLATEAU_METRICS = {
            1.0, 0.95, 0.94, 0.96, 0.93, 0.92, 0.85, 0.86, 0.87, 0.88, 0.8, 0.81, 0.82, 0.83, 0.84,
            0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.78, 0.79
    };
    private static final double[] PLATEAU_MIN_REL_LR = {
            1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125,
            0.125, 0.125, 0.125, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1
    };
    private static final long[] PLATEAU_MIN_REL_BAD_EPOCHS = {
            0, 1, 2, 0, 0, 1, 0, 1, 2, 0, 0, 1, 2, 0, 0, 0, 1, 2, 0, 0, 1, 2, 0, 0, 1
    };
    private static final double[] PLATEAU_ACCURACY = {
            0.5, 0.6, 0.9, 1.2, 1.3, 1.1, 1.6, 1.7, 1.65, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0, 1.9
    };
    private static final double[] PLATEAU_MAX_ABS_LR = {
            0.02, 0.002, 0.002, 0.002, 0.0002, 0.0002, 0.0002, 2e-05, 2e-05, 2e-05, 2e-05, 2e-05,
            2e-05, 2e-05, 2e-05, 2e-05
    };

    @Test
    void stepLr() {
        assertCurve("StepLR(0.05, 3, 0.5)", STEP_LR,
                StepLr.builder(0.05, 3).gamma(0.5).build()::lr, REL, ABS);
    }

    @Test
    void multiStepLrCountsRepeatedMilestones() {
        assertCurve("MultiStepLR(0.1, [2, 5, 5, 9])", MULTI_STEP_LR,
                MultiStepLr.builder(0.1, 2, 5, 5, 9).gamma(0.1).build()::lr, REL, ABS);
    }

    @Test
    void constantLrDefaults() {
        assertCurve("ConstantLR(0.05)", CONSTANT_LR_DEFAULTS, ConstantLr.builder(0.05).build()::lr,
                REL, ABS);
    }

    @Test
    void linearLrDefaults() {
        assertCurve("LinearLR(0.05)", LINEAR_LR_DEFAULTS, LinearLr.builder(0.05).build()::lr,
                REL, ABS);
    }

    @Test
    void linearLrDecay() {
        assertCurve("LinearLR(0.1, 1.0, 0.1, 4)", LINEAR_LR_DECAY, LinearLr.builder(0.1)
                .startFactor(1.0).endFactor(0.1).totalIters(4).build()::lr, REL, ABS);
    }

    @Test
    void exponentialLr() {
        assertCurve("ExponentialLR(0.1, 0.9)", EXPONENTIAL_LR, ExponentialLr.of(0.1, 0.9)::lr,
                REL, ABS);
    }

    @Test
    void polynomialLr() {
        assertCurve("PolynomialLR(0.05)", POLYNOMIAL_LR_DEFAULTS,
                PolynomialLr.builder(0.05).build()::lr, REL, ABS);
        assertCurve("PolynomialLR(0.05, 6, 2.0)", POLYNOMIAL_LR_SQUARE,
                PolynomialLr.builder(0.05).totalIters(6).power(2.0).build()::lr, REL, ABS);
    }

    @Test
    void cosineAnnealingLrPastTMax() {
        assertCurve("CosineAnnealingLR(0.1, 5, 0.01)", COSINE_ANNEALING_LR,
                CosineAnnealingLr.builder(0.1, 5).etaMin(0.01).build()::lr, REL, ABS);
    }

    @Test
    void cosineAnnealingWarmRestarts() {
        assertCurve("CosineAnnealingWarmRestarts(0.1, 3, 2, 0.001)", WARM_RESTARTS_T0_3_TMULT_2,
                CosineAnnealingWarmRestarts.builder(0.1, 3).tMult(2).etaMin(0.001).build()::lr,
                REL, ABS);
        assertCurve("CosineAnnealingWarmRestarts(0.1, 4)", WARM_RESTARTS_T0_4,
                CosineAnnealingWarmRestarts.builder(0.1, 4).build()::lr, REL, ABS);
    }

    @Test
    void cyclicTriangular2WithMomentum() {
        final CyclicLr s = CyclicLr.builder(0.01, 0.1).stepSizeUp(4).stepSizeDown(2)
                .mode(Mode.TRIANGULAR2).build();
        assertCurve("CyclicLR triangular2 lr", CYCLIC_TRIANGULAR2_LR, s::lr, REL, ABS);
        assertCurve("CyclicLR triangular2 momentum", CYCLIC_TRIANGULAR2_MOMENTUM, s::momentum,
                REL, ABS);
    }

    @Test
    void cyclicExpRangeWithBeta1() {
        final CyclicLr s = CyclicLr.builder(0.001, 0.006).stepSizeUp(3).mode(Mode.EXP_RANGE)
                .gamma(0.9).build();
        assertCurve("CyclicLR exp_range lr", CYCLIC_EXP_RANGE_LR, s::lr, REL, ABS);
        assertCurve("CyclicLR exp_range beta1", CYCLIC_EXP_RANGE_BETA1, s::momentum, REL, ABS);
    }

    @Test
    void cyclicCustomScaleFnOnIterations() {
        final CyclicLr s = CyclicLr.builder(0.02, 0.2).stepSizeUp(3).stepSizeDown(5)
                .scaleFn(x -> 1.0 / (1.0 + 0.1 * x)).scaleMode(CyclicLr.ScaleMode.ITERATIONS)
                .cycleMomentum(false).build();
        assertCurve("CyclicLR custom scale_fn", CYCLIC_CUSTOM_ITERATIONS_LR, s::lr, REL, ABS);
    }

    @Test
    void oneCycleDefaultsUpToTotalSteps() {
        final OneCycleLr s = OneCycleLr.builder(0.1).totalSteps(10).build();
        assertCurve("OneCycleLR(0.1, 10) lr", ONE_CYCLE_DEFAULTS_LR, s::lr, REL, ABS);
        assertCurve("OneCycleLR(0.1, 10) momentum", ONE_CYCLE_DEFAULTS_MOMENTUM, s::momentum,
                REL, ABS);
        assertThrows(IllegalArgumentException.class, () -> s.lr(11)); // PyTorch raises there too
    }

    @Test
    void oneCycleThreePhaseLinear() {
        final OneCycleLr s = OneCycleLr.builder(1.0).totalSteps(12).pctStart(0.25)
                .annealStrategy(AnnealStrategy.LINEAR).divFactor(10).finalDivFactor(100)
                .threePhase(true).build();
        // The last entry, one step past the schedule, is negative in PyTorch as here.
        assertCurve("OneCycleLR three-phase linear lr", ONE_CYCLE_THREE_PHASE_LINEAR_LR, s::lr,
                REL, ABS);
        assertCurve("OneCycleLR three-phase linear beta1", ONE_CYCLE_THREE_PHASE_LINEAR_BETA1,
                s::momentum, REL, ABS);
    }

    @Test
    void oneCycleWithFractionalPhaseEnd() {
        // pct_start * total_steps - 1 = 1.1: the peak falls between two steps.
        assertCurve("OneCycleLR(0.3, 7)", ONE_CYCLE_7_STEPS_LR,
                OneCycleLr.builder(0.3).totalSteps(7).build()::lr, REL, ABS);
    }

    @Test
    void sequentialWarmupThenCosine() {
        final SequentialLr s = SequentialLr.of(List.of(
                LinearLr.builder(0.1).startFactor(0.1).totalIters(3).build(),
                CosineAnnealingLr.builder(0.1, 6).build()), 3);
        assertCurve("SequentialLR([LinearLR, CosineAnnealingLR], [3])", SEQUENTIAL_WARMUP_COSINE,
                s::lr, REL, ABS);
        assertCurve("LinearWarmup(CosineAnnealingLR, 3, 0.1)", SEQUENTIAL_WARMUP_COSINE,
                LinearWarmup.of(CosineAnnealingLr.builder(0.1, 6).build(), 3, 0.1)::lr, REL, ABS);
    }

    @Test
    void sequentialConstantThenExponential() {
        final SequentialLr s = SequentialLr.of(List.of(
                ConstantLr.builder(0.05).factor(0.1).totalIters(2).build(),
                ExponentialLr.of(0.05, 0.9)), 2);
        assertCurve("SequentialLR([ConstantLR, ExponentialLR], [2])",
                SEQUENTIAL_CONSTANT_EXPONENTIAL, s::lr, REL, ABS);
    }

    @Test
    void sequentialOfThree() {
        final SequentialLr s = SequentialLr.of(List.of(
                LinearLr.builder(0.1).startFactor(0.5).totalIters(2).build(),
                CosineAnnealingWarmRestarts.builder(0.1, 3).build(),
                StepLr.builder(0.1, 2).gamma(0.5).build()), 2, 8);
        assertCurve("SequentialLR of three", SEQUENTIAL_THREE, s::lr, REL, ABS);
    }

    @Test
    void chainedConstantAndExponential() {
        final ChainedSchedule s = ChainedSchedule.of(
                ConstantLr.builder(0.05).factor(0.1).totalIters(3).build(),
                ExponentialLr.of(0.05, 0.9));
        assertCurve("ChainedScheduler([ConstantLR, ExponentialLR])", CHAINED_CONSTANT_EXPONENTIAL,
                s::lr, REL, ABS);
    }

    @Test
    void chainedCosineAndMultiStepUpToTMax() {
        final ChainedSchedule s = ChainedSchedule.of(
                CosineAnnealingLr.builder(0.1, 6).build(),
                MultiStepLr.builder(0.1, 3, 5).gamma(0.5).build());
        assertCurve("ChainedScheduler([CosineAnnealingLR, MultiStepLR])", CHAINED_COSINE_MULTI_STEP,
                s::lr, REL, ABS);
    }

    @Test
    void plateauMinRelWithCooldownAndMinLr() {
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(1.0).factor(0.5).patience(2)
                .threshold(0.1).cooldown(1).minLr(0.1).build();
        for (int i = 0; i < PLATEAU_METRICS.length; i++) {
            assertEquals(PLATEAU_MIN_REL_LR[i], p.step(PLATEAU_METRICS[i]), "lr after report " + i);
            assertEquals(PLATEAU_MIN_REL_BAD_EPOCHS[i], p.numBadEpochs(),
                    "bad epochs after report " + i);
        }
    }

    @Test
    void plateauMaxAbsIgnoresReductionsBelowEps() {
        final ReduceLrOnPlateau p = ReduceLrOnPlateau.builder(0.02).mode(ReduceLrOnPlateau.Mode.MAX)
                .factor(0.1).patience(0).threshold(0.5)
                .thresholdMode(ReduceLrOnPlateau.ThresholdMode.ABS).cooldown(2).eps(1e-4).build();
        for (int i = 0; i < PLATEAU_ACCURACY.length; i++) {
            assertEquals(PLATEAU_MAX_ABS_LR[i], p.step(PLATEAU_ACCURACY[i]), "lr after report " + i);
        }
    }
}
