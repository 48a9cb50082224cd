package dev.descent.samples;

import dev.descent.AdaGrad;
import dev.descent.Adam;
import dev.descent.AdamW;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.RmsProp;
import dev.descent.Sgd;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A first tour of Descent: the one-variable classic, then every optimizer training the same
 * linear regression on real data, each checked against the exact least-squares answer.
 *
 * <p>Run it from the repository root with
 * {@code mvn -q -pl samples -am -DskipTests package exec:exec}. It exits
 * with status 1 if any result is off, so it doubles as a smoke test.
 */
public final class Tour {

    /** Where f(w) = w² + 3w − 5 has its minimum: f'(w) = 2w + 3 = 0. */
    static final double QUADRATIC_MINIMUM = -1.5;
    /**
     * How close SGD must land. Not 1e-7: float32 spacing near 1.5 is 1.2e-7, and SGD stalls a
     * few 1e-6 away, once lr × f'(w) is too small to change w.
     */
    static final double QUADRATIC_TOLERANCE = 1e-4;
    /** An optimizer passes if its final MSE is at most this factor above least squares. */
    static final double MSE_BAR = 1.10;
    /** Full passes over the data per optimizer: a few milliseconds each. */
    static final int EPOCHS = 500;

    /**
     * One training run: a label, a number of full-batch epochs, and how to build the optimizer
     * over a fresh model. Learning rates differ by family because their steps scale differently:
     * SGD moves a weight by lr × gradient (and gradients here start in the hundreds), while
     * AdaGrad, RMSProp and Adam divide by a running gradient size, so their lr is roughly how far
     * a weight moves per step, and the weights here are in the tens (the bias about 150).
     */
    record Run(String label, int epochs, Function<LinearRegression, Optimizer<?>> optimizer) {
    }

    /** What a run reached. */
    record Result(String label, int epochs, double mse, String kernel) {
    }

    /** Every optimizer in the library, with settings that converge in the same 500 epochs. */
    static List<Run> runs() {
        return List.of(
                // Stable while lr < 2 / (largest curvature of the MSE), about 0.25 here.
                new Run("SGD", EPOCHS, m -> Sgd.builder().lr(0.1).build(m.parameters())),
                new Run("SGD momentum", EPOCHS,
                        m -> Sgd.builder().lr(0.05).momentum(0.9).build(m.parameters())),
                new Run("SGD Nesterov", EPOCHS,
                        m -> Sgd.builder().lr(0.05).momentum(0.9).nesterov(true).build(m.parameters())),
                // AdaGrad's steps shrink as squared gradients pile up, so it starts big.
                new Run("AdaGrad", EPOCHS, m -> AdaGrad.builder().lr(10).build(m.parameters())),
                new Run("RMSProp", EPOCHS, m -> RmsProp.builder().lr(1).build(m.parameters())),
                new Run("Adam", EPOCHS, m -> Adam.builder().lr(1).build(m.parameters())),
                // AdamW shrinks every weight by lr × weightDecay per step. On a bias of 150 that
                // fights the fit, so, as is usual in practice, the bias gets its own group
                // without decay; the weights keep PyTorch's default 1e-2.
                new Run("AdamW", EPOCHS, m -> AdamW.builder().lr(1)
                        .group(List.of(m.weight()))
                        .group(List.of(m.bias()), g -> g.weightDecay(0))
                        .build()),
                new Run("Adam amsgrad", EPOCHS,
                        m -> Adam.builder().lr(1).amsgrad(true).build(m.parameters())));
    }

    /**
     * Minimizes f(w) = w² + 3w − 5 from w = 10 with plain SGD, lr 0.01, 1000 steps, and returns
     * the final w. Each step shrinks the distance to −1.5 by a factor 1 − 2·lr = 0.98.
     */
    static float minimizeQuadratic() {
        // Two one-element heap arrays are enough for a one-variable problem.
        final Parameter w = Parameter.ofArrays("w", new float[] {10f}, new float[1]);
        try (Optimizer<?> sgd = Sgd.builder().lr(0.01).build(List.of(w))) {
            for (int i = 0; i < 1000; i++) {
                w.setGradAt(0, 2 * w.valueAt(0) + 3); // f'(w), written by hand
                sgd.step();
            }
        }
        return w.valueAt(0);
    }

    /** Trains a fresh model on {@code data} with the optimizer of {@code run}. */
    static Result train(Diabetes data, Run run) {
        // Closed in reverse order: the optimizer's state first, then the weights it updates.
        try (LinearRegression model = new LinearRegression(Diabetes.FEATURES);
             Optimizer<?> optimizer = run.optimizer().apply(model)) {
            for (int epoch = 0; epoch < run.epochs(); epoch++) {
                model.backward(data); // gradients of the whole data set
                optimizer.step();     // one fused update of every parameter
            }
            return new Result(run.label(), run.epochs(), model.mse(data), optimizer.kernelName());
        }
    }

    public static void main(String[] args) {
        final long start = System.nanoTime();
        System.out.println("Descent tour on Java " + Runtime.version() + " ("
                + System.getProperty("java.home") + ")");
        final List<String> failures = new ArrayList<>();

        System.out.println();
        final float w = minimizeQuadratic();
        System.out.printf("minimize f(w) = w^2 + 3w - 5 from w = 10, SGD lr 0.01, 1000 steps:"
                + " w = %.7f (exact -1.5)%n", w);
        if (!(Math.abs(w - QUADRATIC_MINIMUM) <= QUADRATIC_TOLERANCE)) {
            failures.add("quadratic: w = " + w + ", expected -1.5 within " + QUADRATIC_TOLERANCE);
        }

        final Diabetes data = Diabetes.load();
        final double best = LinearRegression.leastSquaresMse(data);
        System.out.println();
        System.out.printf("linear regression on diabetes (%d patients, %d standardized features),"
                + " full batch, MSE%n", data.rows(), Diabetes.FEATURES);
        System.out.printf("%-14s %6s %12s %12s %7s  %s%n",
                "optimizer", "epochs", "final MSE", "least sq.", "ratio", "kernel");
        for (Run run : runs()) {
            final Result r = train(data, run);
            final double ratio = r.mse() / best;
            final boolean ok = ratio <= MSE_BAR; // also false for NaN
            System.out.printf("%-14s %6d %12.2f %12.2f %7.4f  %s%s%n", r.label(), r.epochs(),
                    r.mse(), best, ratio, r.kernel(), ok ? "" : "  <-- above the bar");
            if (!ok) {
                failures.add(r.label() + ": MSE " + r.mse() + " is more than " + MSE_BAR
                        + " x the least-squares " + best);
            }
        }

        System.out.println();
        System.out.printf("%s in %d ms%n", failures.isEmpty() ? "all results as expected" : "FAILED",
                (System.nanoTime() - start) / 1_000_000);
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.out.println("  " + f));
            System.exit(1);
        }
    }

    private Tour() {
    }
}
