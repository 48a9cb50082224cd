package dev.descent.schedule;

import static dev.descent.schedule.Curves.assertCurve;
import static dev.descent.schedule.Curves.assertSameBits;

import dev.descent.schedule.CyclicLr.Mode;
import dev.descent.schedule.OneCycleLr.AnnealStrategy;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongToDoubleFunction;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole curves of randomly configured schedules against closed forms written here from PyTorch's
 * documentation, formulated independently where possible (counting instead of dividing, integer
 * positions instead of floating-point ones, restarts by stepping a counter). Each seed is one
 * configuration; curves run over several periods, past every boundary.
 */
class ClosedFormTest {

    /** The formulas here and in the library may round differently by an ulp or two. */
    private static final double REL = 1e-14;

    static LongStream seeds() {
        return LongStream.range(0, 24);
    }

    private static double lr(SplittableRandom r) {
        return StrictMath.pow(10, r.nextDouble(-5, 0));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void fixedAndInverseTimeDecay(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final double k = r.nextDouble(0, 0.1);
        assertSameBits("FixedLr", 1000, t -> lr, FixedLr.of(lr)::lr);
        assertCurve("InverseTimeDecay", 5000, t -> lr / (1 + k * t),
                InverseTimeDecay.of(lr, k)::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void exponential(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final double gamma = r.nextDouble(0.9, 1.0);
        assertCurve("ExponentialLr", 2000, t -> lr * Math.pow(gamma, t),
                ExponentialLr.of(lr, gamma)::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void lambdaScalesTheBaseLrByTheTrainersFactor(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final long warmup = r.nextLong(1, 100);
        // The Transformer's schedule: linear warm-up, then 1/sqrt(step).
        final LongToDoubleFunction noam =
                t -> Math.min((t + 1) / (double) warmup, Math.sqrt(warmup / (t + 1.0)));
        assertSameBits("LambdaLr", 2000, t -> lr * noam.applyAsDouble(t),
                LambdaLr.of(lr, noam)::lr);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void stepDecaysOncePerPeriod(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final long stepSize = r.nextLong(1, 50);
        final double gamma = r.nextDouble(0.1, 0.95);
        final StepLr s = StepLr.builder(lr, stepSize).gamma(gamma).build();
        assertCurve("StepLr", 20 * stepSize + 3, t -> {
            int decays = 0;
            for (long m = stepSize; m <= t; m += stepSize) {
                decays++;
            }
            return lr * Math.pow(gamma, decays);
        }, s::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void multiStepCountsEveryMilestonePassed(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final long[] milestones = new long[r.nextInt(1, 7)];
        for (int i = 0; i < milestones.length; i++) {
            // Small range, so that repeated milestones and milestone 0 occur.
            milestones[i] = r.nextLong(0, 40);
        }
        Arrays.sort(milestones);
        final double gamma = r.nextDouble(0.1, 0.95);
        final MultiStepLr s = MultiStepLr.builder(lr, milestones).gamma(gamma).build();
        assertCurve("MultiStepLr " + Arrays.toString(milestones), 60, t -> {
            int passed = 0;
            for (long m : milestones) {
                if (m <= t) {
                    passed++;
                }
            }
            return lr * Math.pow(gamma, passed);
        }, s::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void constantFactorUntilTotalIters(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final double factor = r.nextDouble();
        final long total = r.nextLong(1, 30);
        final ConstantLr s = ConstantLr.builder(lr).factor(factor).totalIters(total).build();
        assertCurve("ConstantLr", 2 * total + 5, t -> t < total ? lr * factor : lr, s::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void linearRampThenFlat(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final double start = r.nextDouble(0.01, 1.0);
        final double end = r.nextDouble();
        final long total = r.nextLong(1, 100);
        final LinearLr s = LinearLr.builder(lr).startFactor(start).endFactor(end).totalIters(total)
                .build();
        // Interpolation written the other way round: weights on both ends.
        assertCurve("LinearLr", 2 * total + 5, t -> {
            final double w = Math.min(t, total) / (double) total;
            return lr * ((1 - w) * start + w * end);
        }, s::lr, 1e-13, 1e-16 * lr);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void polynomialReachesZero(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final long total = r.nextLong(1, 200);
        final double power = r.nextDouble(0, 4);
        final PolynomialLr s = PolynomialLr.builder(lr).totalIters(total).power(power).build();
        assertCurve("PolynomialLr", 2 * total + 5,
                t -> t >= total ? 0.0 : lr * Math.pow((total - t) / (double) total, power),
                s::lr, 1e-12, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void cosineAnnealingKeepsFollowingTheCosine(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final double etaMin = lr * r.nextDouble(0, 0.5);
        final long tMax = r.nextLong(1, 300);
        final CosineAnnealingLr s = CosineAnnealingLr.builder(lr, tMax).etaMin(etaMin).build();
        // Written as the mean of the two ends plus half the range times the cosine.
        assertCurve("CosineAnnealingLr", 5 * tMax + 3,
                t -> (lr + etaMin) / 2 + (lr - etaMin) / 2 * Math.cos(Math.PI * t / tMax),
                s::lr, 0, 1e-15 * lr);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void warmRestartsByCountingThePeriod(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final double etaMin = lr * r.nextDouble(0, 0.5);
        final long t0 = r.nextLong(1, 20);
        final long tMult = r.nextLong(1, 4);
        final CosineAnnealingWarmRestarts s = CosineAnnealingWarmRestarts.builder(lr, t0)
                .tMult(tMult).etaMin(etaMin).build();
        // PyTorch's scheduler.step(): T_cur counts up and wraps at T_i, which then grows.
        final long steps = t0 * (tMult == 1 ? 12 : tMult * tMult * tMult * 4) + 3;
        final double[] expected = new double[(int) steps];
        long tCur = 0;
        long tI = t0;
        for (int t = 0; t < steps; t++) {
            if (t > 0 && ++tCur >= tI) {
                tCur -= tI;
                tI *= tMult;
            }
            expected[t] = (lr + etaMin) / 2 + (lr - etaMin) / 2 * Math.cos(Math.PI * tCur / tI);
        }
        assertCurve("CosineAnnealingWarmRestarts t0=" + t0 + " tMult=" + tMult, expected, s::lr,
                0, 1e-15 * lr);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void cyclicTriangleFromIntegerPositions(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final double max = base * r.nextDouble(1, 10);
        final long up = r.nextLong(1, 30);
        final long down = r.nextLong(1, 30);
        final Mode mode = Mode.values()[r.nextInt(Mode.values().length)];
        final double gamma = r.nextDouble(0.95, 1.0);
        final double baseMomentum = r.nextDouble(0.5, 0.85);
        final double maxMomentum = r.nextDouble(0.85, 0.99);
        final CyclicLr s = CyclicLr.builder(base, max).stepSizeUp(up).stepSizeDown(down).mode(mode)
                .gamma(gamma).baseMomentum(baseMomentum).maxMomentum(maxMomentum).build();
        final long period = up + down;
        final long steps = 6 * period + 1;
        final double[] height = new double[(int) steps];
        for (int t = 0; t < steps; t++) {
            final long cycle = t / period + 1;
            final long pos = t % period;
            final double tri = pos <= up ? pos / (double) up : (period - pos) / (double) down;
            final double scale = switch (mode) {
                case TRIANGULAR -> 1;
                case TRIANGULAR2 -> Math.scalb(1.0, (int) -(cycle - 1));
                case EXP_RANGE -> Math.pow(gamma, t);
            };
            height[t] = tri * scale;
        }
        final String what = "CyclicLr " + mode + " up=" + up + " down=" + down;
        assertCurve(what + " lr", steps, t -> base + (max - base) * height[(int) t], s::lr,
                0, 1e-13 * max);
        assertCurve(what + " momentum", steps,
                t -> maxMomentum - (maxMomentum - baseMomentum) * height[(int) t], s::momentum,
                0, 1e-13);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void oneCyclePhases(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double maxLr = lr(r);
        final long total = r.nextLong(20, 2000);
        final double pct = r.nextDouble(0.05, 0.45);
        final double div = r.nextDouble(5, 50);
        final double finalDiv = r.nextDouble(10, 1e5);
        final boolean threePhase = r.nextBoolean();
        final AnnealStrategy strategy = r.nextBoolean() ? AnnealStrategy.COS : AnnealStrategy.LINEAR;
        final OneCycleLr s = OneCycleLr.builder(maxLr).totalSteps(total).pctStart(pct)
                .divFactor(div).finalDivFactor(finalDiv).threePhase(threePhase)
                .annealStrategy(strategy).build();
        final double initial = maxLr / div;
        final double min = initial / finalDiv;
        final double up = pct * total - 1;
        final double[] ends = threePhase ? new double[] {up, 2 * up, total - 1}
                : new double[] {up, total - 1};
        final double[] lrs = threePhase ? new double[] {initial, maxLr, initial, min}
                : new double[] {initial, maxLr, min};
        final double[] moms = threePhase ? new double[] {0.95, 0.85, 0.95, 0.95}
                : new double[] {0.95, 0.85, 0.95};
        final LongToDouble lrCurve = (t, values) -> {
            int p = 0;
            while (p < ends.length - 1 && t > ends[p]) {
                p++;
            }
            final double from = p == 0 ? 0 : ends[p - 1];
            final double w = (t - from) / (ends[p] - from);
            final double shape = strategy == AnnealStrategy.COS ? (1 - Math.cos(Math.PI * w)) / 2 : w;
            return values[p] + (values[p + 1] - values[p]) * shape;
        };
        final String what = "OneCycleLr total=" + total + " pct=" + pct + " " + strategy
                + (threePhase ? " three-phase" : "");
        assertCurve(what + " lr", total, t -> lrCurve.at(t, lrs), s::lr, 0, 1e-13 * maxLr);
        assertCurve(what + " momentum", total, t -> lrCurve.at(t, moms), s::momentum, 0, 1e-13);
    }

    private interface LongToDouble {
        double at(long t, double[] values);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void sequentialShiftsEachScheduleToItsMilestone(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final List<LearningRateSchedule> parts = List.of(
                LinearLr.builder(lr).startFactor(r.nextDouble(0.01, 1)).totalIters(r.nextLong(1, 20))
                        .build(),
                CosineAnnealingWarmRestarts.builder(lr, r.nextLong(1, 20)).tMult(2).build(),
                ExponentialLr.of(lr, r.nextDouble(0.8, 1)),
                StepLr.builder(lr, r.nextLong(1, 10)).build());
        final long[] milestones = new long[parts.size() - 1];
        long m = 0;
        for (int i = 0; i < milestones.length; i++) {
            m += r.nextLong(1, 40);
            milestones[i] = m;
        }
        final SequentialLr s = SequentialLr.of(parts, milestones);
        assertSameBits("SequentialLr " + Arrays.toString(milestones), m + 50, t -> {
            int i = 0;
            while (i < milestones.length && t >= milestones[i]) {
                i++;
            }
            return parts.get(i).lr(i == 0 ? t : t - milestones[i - 1]);
        }, s::lr);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void linearWarmupIsSequentialWithLinearLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final long warmup = r.nextLong(1, 100);
        final double startFactor = r.nextDouble(0.001, 1);
        final LearningRateSchedule after = CosineAnnealingLr.builder(lr, r.nextLong(1, 500)).build();
        final SequentialLr sequential = SequentialLr.of(List.of(
                LinearLr.builder(lr).startFactor(startFactor).totalIters(warmup).build(), after),
                warmup);
        assertSameBits("LinearWarmup", warmup + 600, sequential::lr,
                LinearWarmup.of(after, warmup, startFactor)::lr);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void chainedMultipliesFactors(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double lr = lr(r);
        final LearningRateSchedule a = ExponentialLr.of(lr, r.nextDouble(0.9, 1));
        final LearningRateSchedule b = MultiStepLr.builder(lr, r.nextLong(0, 50), 60).gamma(0.5)
                .build();
        final LearningRateSchedule c = ConstantLr.builder(lr).factor(r.nextDouble()).totalIters(7)
                .build();
        final ChainedSchedule s = ChainedSchedule.of(a, b, c);
        assertCurve("ChainedSchedule", 200, t -> a.lr(t) * (b.lr(t) / lr) * (c.lr(t) / lr), s::lr,
                0, 0);
        // Written as base times each factor in closed form.
        assertCurve("ChainedSchedule as factors", 200,
                t -> lr * (a.lr(t) / lr) * (b.lr(t) / lr) * (c.lr(t) / lr), s::lr, 1e-14, 0);
    }
}
