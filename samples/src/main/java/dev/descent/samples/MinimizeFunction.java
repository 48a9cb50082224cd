package dev.descent.samples;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Sample 1, the classic first example: minimize f(w) = w² + 3w − 5 with plain gradient descent
 * from w = 10, and watch what the learning rate does.
 *
 * <p>f'(w) = 2w + 3, so one SGD step maps w to w − lr·(2w + 3), and the distance to the minimum
 * −1.5 is multiplied by exactly 1 − 2·lr each step. Everything follows from that factor: below
 * 1 in size the iteration converges (oscillating when it is negative), at −1 it oscillates for
 * ever, beyond −1 it diverges.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.MinimizeFunction}
 */
public final class MinimizeFunction {

    /** Where f has its minimum: f'(w) = 2w + 3 = 0. */
    static final double MINIMUM = -1.5;
    static final float START = 10f;
    static final int STEPS = 1000;
    /** The textbook rate first, then faster ones up to and past the edge of stability (lr = 1). */
    static final double[] LEARNING_RATES = {0.01, 0.1, 0.9, 1.0, 1.1};
    /** How close lr 0.01 must land: float32 stalls a few 1e-6 away, see {@link #stallDistance}. */
    static final double TOLERANCE = 1e-4;
    /** A |w| beyond which we call the iteration diverged. */
    static final double DIVERGED = 1e6;
    /** Steps shown in the plot: enough to see every behaviour, few enough to see each step. */
    private static final int PLOTTED_STEPS = 50;
    /** The plot's w range: wide enough for the oscillation between 10 and -13. */
    private static final double PLOTTED_W = 25;

    static double f(double w) {
        return w * w + 3 * w - 5;
    }

    /** f'(w), written by hand: this is the whole "backward pass". */
    static double slope(double w) {
        return 2 * w + 3;
    }

    /**
     * Plain SGD on f from w = 10 with Descent; returns w before the first step and after each
     * step ({@code steps + 1} values).
     */
    static float[] descend(double lr, int steps) {
        // A one-variable problem needs no off-heap memory: two one-element heap arrays will do.
        final float[] w = {START};
        final float[] grad = new float[1];
        final float[] path = new float[steps + 1];
        path[0] = w[0];
        try (Optimizer<?> sgd = Sgd.builder().lr(lr).build(List.of(Parameter.ofArrays("w", w, grad)))) {
            for (int t = 1; t <= steps; t++) {
                grad[0] = (float) slope(w[0]);
                sgd.step();
                path[t] = w[0];
            }
        }
        return path;
    }

    /** The same iteration in double arithmetic: what the method does without float32 rounding. */
    static double descendInDouble(double lr, int steps) {
        double w = START;
        for (int t = 0; t < steps; t++) {
            w -= lr * slope(w);
        }
        return w;
    }

    /**
     * Where SGD stops in float32: once lr·f'(w) = 2·lr·|w + 1.5| is below half the spacing of
     * floats near 1.5, {@code w − lr·f'(w)} rounds back to w. Solving for |w + 1.5| gives this.
     */
    static double stallDistance(double lr) {
        return Math.ulp(1.5f) / 2 / (2 * lr);
    }

    /** What the factor 1 − 2·lr means for the iteration. */
    static String behaviour(double lr) {
        final double factor = 1 - 2 * lr;
        if (Math.abs(factor) < 1) {
            return factor >= 0 ? "converges" : "converges, oscillating";
        }
        return Math.abs(factor) == 1 ? "oscillates for ever" : "diverges";
    }

    /** The first step at which |w| exceeds {@code bound} (or is not a number), or -1. */
    static int firstStepBeyond(float[] path, double bound) {
        for (int t = 0; t < path.length; t++) {
            if (!(Math.abs(path[t]) <= bound)) {
                return t;
            }
        }
        return -1;
    }

    public static Outcome run(Path plots) {
        System.out.println("== 1. Minimizing a function ==");
        System.out.printf("   f(w) = w^2 + 3w - 5 from w = %.0f, plain SGD, %d steps; the minimum is at w = %.1f,"
                + "%n   and each step multiplies the distance to it by 1 - 2*lr%n", START, STEPS, MINIMUM);
        System.out.printf("   %-5s %7s  %-16s %12s  %s%n", "lr", "factor", "w after " + STEPS, "|w + 1.5|",
                "behaviour");
        // Each rate's path, w before the first step and after each one, in the order of LEARNING_RATES.
        final Map<Double, float[]> paths = new LinkedHashMap<>();
        for (double lr : LEARNING_RATES) {
            final float[] path = descend(lr, STEPS);
            paths.put(lr, path);
            final float w = path[STEPS];
            String note = "";
            if (behaviour(lr).equals("diverges")) {
                note = String.format(": |w| > 1e6 at step %d, infinite or NaN from step %d",
                        firstStepBeyond(path, DIVERGED), firstStepBeyond(path, Float.MAX_VALUE));
            } else if (1 - 2 * lr < 0) {
                note = String.format(": %.2f, %.2f, %.2f, %.2f, ...", path[0], path[1], path[2], path[3]);
            }
            System.out.printf("   %-5s %7.2f  %-16.7f %12.1e  %s%s%n", lr, 1 - 2 * lr, w,
                    Math.abs(w - MINIMUM), behaviour(lr), note);
        }

        final double lr = 0.01;
        final float w = paths.get(lr)[STEPS];
        System.out.printf("   float32: at lr %s SGD stops %.1e short of -1.5 (predicted %.1e): there lr*f'(w) is"
                + "%n   below half a float spacing (%.1e), so w - lr*f'(w) rounds back to w. In double the"
                + " same%n   1000 steps end %.1e from -1.5.%n", lr, Math.abs(w - MINIMUM), stallDistance(lr),
                Math.ulp(1.5f) / 2, Math.abs(descendInDouble(lr, STEPS) - MINIMUM));

        final Path file = plot(paths, plots);
        System.out.println("   plot: " + file.getFileName());

        final List<String> problems = new ArrayList<>();
        // The behaviour column comes from the factor 1 - 2*lr; every converging rate must show it.
        for (double rate : LEARNING_RATES) {
            final float[] path = paths.get(rate);
            if (behaviour(rate).startsWith("converges") && !(Math.abs(path[STEPS] - MINIMUM) <= TOLERANCE)) {
                problems.add("lr " + rate + ": w = " + path[STEPS] + ", expected -1.5 within " + TOLERANCE);
            }
            if (behaviour(rate).equals("converges, oscillating") && !((path[1] - MINIMUM) * (path[2] - MINIMUM) < 0)) {
                problems.add("lr " + rate + ": w = " + path[1] + ", " + path[2]
                        + " after steps 1 and 2, expected them on either side of -1.5");
            }
        }
        final float[] oscillating = paths.get(1.0);
        if (oscillating[STEPS] != START || oscillating[STEPS - 1] != -13f) {
            problems.add("lr 1.0: expected w to alternate between 10 and -13, ends "
                    + oscillating[STEPS - 1] + ", " + oscillating[STEPS]);
        }
        if (firstStepBeyond(paths.get(1.1), DIVERGED) < 0) {
            problems.add("lr 1.1: expected divergence, w stayed within " + DIVERGED);
        }
        return new Outcome("minimize f(w)", String.format("lr %s: w = %.7f (exact -1.5, float32 stops %.0e"
                + " short); lr 1 oscillates, 1.1 diverges", lr, w, Math.abs(w - MINIMUM)), problems);
    }

    private static Path plot(Map<Double, float[]> paths, Path dir) {
        final XYChart chart = Plots.chart("f(w) = w² + 3w − 5: SGD from w = 10 at five learning rates",
                "step", "w");
        // Divergence leaves any scale: fix the range so that the converging runs stay readable.
        chart.getStyler().setYAxisMin(-PLOTTED_W).setYAxisMax(PLOTTED_W).setXAxisMax((double) PLOTTED_STEPS);
        chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
        final double[] steps = Plots.indices(PLOTTED_STEPS + 1);
        paths.forEach((lr, path) -> {
            final double[] w = new double[PLOTTED_STEPS + 1];
            boolean left = false;
            for (int t = 0; t <= PLOTTED_STEPS; t++) {
                // Once a path has left the plot, stop drawing it (NaN lifts the pen).
                w[t] = left ? Double.NaN : path[t];
                left |= !(Math.abs(w[t]) <= PLOTTED_W);
            }
            Plots.path(chart, "lr " + lr + " (" + behaviour(lr) + ")", steps, w);
        });
        Plots.reference(chart, "minimum -1.5", 0, PLOTTED_STEPS, MINIMUM);
        return Plots.save(chart, dir, "1-minimize-function");
    }

    public static void main(String[] args) {
        Sample.runAlone(MinimizeFunction::run);
    }

    private MinimizeFunction() {
    }
}
