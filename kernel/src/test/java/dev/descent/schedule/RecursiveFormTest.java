package dev.descent.schedule;

import static dev.descent.schedule.Curves.assertCurve;

import java.util.SplittableRandom;
import java.util.function.LongToDoubleFunction;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The closed forms against PyTorch's default <em>chainable</em> forms (each scheduler's
 * {@code get_lr()}, which multiplies the group's previous learning rate by a ratio, or adds to it),
 * ported here line by line and run over long curves of random configurations. They agree to
 * rounding error, which the recursion accumulates: hence the tolerances.
 */
class RecursiveFormTest {

    private static final double REL = 1e-11;

    static LongStream seeds() {
        return LongStream.range(0, 16);
    }

    private static double lr(SplittableRandom r) {
        return StrictMath.pow(10, r.nextDouble(-5, 0));
    }

    /** Runs {@code next(t, previous)} from {@code first} and returns the curve. */
    private static LongToDoubleFunction recurse(int steps, double first, Recurrence next) {
        final double[] values = new double[steps];
        values[0] = first;
        for (int t = 1; t < steps; t++) {
            values[t] = next.apply(t, values[t - 1]);
        }
        return t -> values[(int) t];
    }

    private interface Recurrence {
        double apply(long t, double previous);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void stepLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final long stepSize = r.nextLong(1, 100);
        final double gamma = r.nextDouble(0.5, 1);
        final int steps = (int) (stepSize * 30);
        assertCurve("StepLR", steps,
                recurse(steps, base, (t, lr) -> t % stepSize != 0 ? lr : lr * gamma),
                StepLr.builder(base, stepSize).gamma(gamma).build()::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void multiStepLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final long[] milestones = r.longs(r.nextInt(1, 10), 0, 300).sorted().toArray();
        final double gamma = r.nextDouble(0.1, 1);
        final LongToDoubleFunction count = t -> LongStream.of(milestones).filter(m -> m == t).count();
        assertCurve("MultiStepLR", 400,
                recurse(400, base * Math.pow(gamma, count.applyAsDouble(0)),
                        (t, lr) -> lr * Math.pow(gamma, count.applyAsDouble(t))),
                MultiStepLr.builder(base, milestones).gamma(gamma).build()::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void constantLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final double factor = r.nextDouble(0.01, 1);
        final long total = r.nextLong(1, 100);
        assertCurve("ConstantLR", 300,
                recurse(300, base * factor, (t, lr) -> t != total ? lr : lr * (1.0 / factor)),
                ConstantLr.builder(base).factor(factor).totalIters(total).build()::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void linearLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final double start = r.nextDouble(0.01, 1);
        final double end = r.nextDouble(0.01, 1);
        final long total = r.nextLong(1, 1000);
        assertCurve("LinearLR", 2000, recurse(2000, base * start, (t, lr) -> t > total ? lr
                        : lr * (1.0 + (end - start) / (total * start + (t - 1) * (end - start)))),
                LinearLr.builder(base).startFactor(start).endFactor(end).totalIters(total).build()::lr,
                REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void exponentialLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final double gamma = r.nextDouble(0.99, 1);
        assertCurve("ExponentialLR", 5000, recurse(5000, base, (t, lr) -> lr * gamma),
                ExponentialLr.of(base, gamma)::lr, REL, 0);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void polynomialLr(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final long total = r.nextLong(1, 1000);
        final double power = r.nextDouble(0.1, 3);
        // Near the end the ratio divides two small numbers: compare absolutely, against baseLr.
        assertCurve("PolynomialLR", 1200, recurse(1200, base, (t, lr) -> t > total ? lr
                        : lr * Math.pow((1.0 - (double) t / total) / (1.0 - (t - 1.0) / total), power)),
                PolynomialLr.builder(base).totalIters(total).power(power).build()::lr,
                0, REL * base);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void cosineAnnealingLrOverSeveralPeriods(long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final double base = lr(r);
        final double etaMin = seed % 2 == 0 ? 0 : base * r.nextDouble(0, 0.5);
        final long tMax = r.nextLong(2, 1000);
        final int steps = (int) (4 * tMax + 5);
        assertCurve("CosineAnnealingLR", steps, recurse(steps, base, (t, lr) -> {
            if (Math.floorMod(t - 1 - tMax, 2 * tMax) == 0) {
                return lr + (base - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
            }
            return (1 + Math.cos(Math.PI * t / tMax)) / (1 + Math.cos(Math.PI * (t - 1) / tMax))
                    * (lr - etaMin) + etaMin;
        }), CosineAnnealingLr.builder(base, tMax).etaMin(etaMin).build()::lr, 0, REL * base);
    }
}
