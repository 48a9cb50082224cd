package dev.descent.samples;

import dev.descent.AdaGrad;
import dev.descent.Adam;
import dev.descent.AdamW;
import dev.descent.Optimizer;
import dev.descent.RmsProp;
import dev.descent.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Every optimizer in the library trains the same linear regression on the diabetes data, each
 * checked against the exact least-squares answer: the library's optimizers side by side, on real
 * data, with a known best result to be measured against.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.OptimizerComparison}
 */
public final class OptimizerComparison {

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

    /**
     * What a run reached.
     *
     * @param losses the MSE at the start of each epoch
     */
    record Result(String label, int epochs, double mse, String kernel, double[] losses) {
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

    /** Trains a fresh model on {@code data} with the optimizer of {@code run}. */
    static Result train(Dataset data, Run run) {
        // Closed in reverse order: the optimizer's state first, then the weights it updates.
        try (LinearRegression model = new LinearRegression(data.columns());
             Optimizer<?> optimizer = run.optimizer().apply(model)) {
            final double[] losses = new double[run.epochs()];
            for (int epoch = 0; epoch < run.epochs(); epoch++) {
                losses[epoch] = model.backward(data); // gradients of the whole data set
                optimizer.step();                     // one fused update of every parameter
            }
            return new Result(run.label(), run.epochs(), model.mse(data), optimizer.kernelName(), losses);
        }
    }

    public static Outcome run(Path plots) {
        final Dataset data = Diabetes.load();
        final double best = LinearRegression.leastSquaresMse(data);
        System.out.println("== 8. Every optimizer against the exact answer ==");
        System.out.printf("   diabetes (%d patients, %d standardized features), linear model, full batch, %d epochs%n",
                data.rows(), data.columns(), EPOCHS);
        System.out.printf("   %-14s %12s %12s %7s  %s%n", "optimizer", "final MSE", "least sq.", "ratio",
                "kernel");
        final List<String> problems = new ArrayList<>();
        final List<Result> results = new ArrayList<>();
        double worst = 0;
        for (Run run : runs()) {
            final Result r = train(data, run);
            results.add(r);
            final double ratio = r.mse() / best;
            final boolean ok = ratio <= MSE_BAR; // also false for NaN
            worst = Math.max(worst, ratio);
            System.out.printf("   %-14s %12.2f %12.2f %7.4f  %s%s%n", r.label(), r.mse(), best, ratio,
                    r.kernel(), ok ? "" : "  <-- above the bar");
            if (!ok) {
                problems.add(r.label() + ": MSE " + r.mse() + " is more than " + MSE_BAR
                        + " x the least-squares " + best);
            }
        }
        final Path file = plot(results, best, plots);
        System.out.println("   plot: " + file.getFileName());
        return new Outcome("every optimizer", String.format("%d optimizers within %.4f x the least-squares"
                + " MSE %.2f in %d epochs (%s)", results.size(), worst, best, EPOCHS,
                results.getFirst().kernel()), problems);
    }

    private static Path plot(List<Result> results, double best, Path dir) {
        final XYChart chart = Plots.chart("Diabetes linear regression, full batch: every optimizer",
                "epoch (log scale)", "MSE / least squares − 1 (log scale)");
        // Log-log: the first epochs, where the optimizers differ most, get as much room as the rest.
        chart.getStyler().setYAxisLogarithmic(true).setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
        for (Result r : results) {
            Plots.line(chart, r.label(), Plots.epochs(r.epochs()), Plots.excess(r.losses(), best));
        }
        return Plots.save(chart, dir, "8-every-optimizer");
    }

    public static void main(String[] args) {
        Sample.runAlone(OptimizerComparison::run);
    }

    private OptimizerComparison() {
    }
}
