package dev.descent.samples;

import dev.descent.Optimizer;
import dev.descent.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Sample 3: batch, stochastic and mini-batch gradient descent on the diabetes regression. Same
 * model, same learning rate, same number of epochs (passes over the data); only the number of
 * rows behind each gradient differs, and with it the number of updates per epoch.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.BatchSizes}
 */
public final class BatchSizes {

    static final double LR = 0.01;
    static final int EPOCHS = 30;
    static final int MINI_BATCH = 32;
    /** Fixes the row order of every epoch, so the curves are the same on every run. */
    static final long SEED = 42;
    private static final int WARM_UP_ROUNDS = 3;

    /** One way of cutting an epoch into updates. */
    record Method(String name, int batchSize) {
    }

    /**
     * What a method reached.
     *
     * @param mse the full-data MSE after each epoch
     * @param nanos training time, without the per-epoch evaluation
     */
    record Run(Method method, int updatesPerEpoch, double[] mse, long nanos) {
        double finalMse() {
            return mse[mse.length - 1];
        }
    }

    /** Batch: every row in each gradient. Stochastic: one row. Mini-batch: in between. */
    static List<Method> methods(int rows) {
        return List.of(new Method("batch", rows), new Method("mini-batch " + MINI_BATCH, MINI_BATCH),
                new Method("stochastic", 1));
    }

    /** Trains a fresh model from zero with plain SGD, shuffling the rows every epoch. */
    static Run train(Dataset data, Method method, int epochs) {
        final Random shuffle = new Random(SEED);
        try (LinearRegression model = new LinearRegression(data.columns());
             Optimizer<?> sgd = Sgd.builder().lr(LR).build(model.parameters())) {
            final double[] mse = new double[epochs];
            long nanos = 0;
            for (int epoch = 0; epoch < epochs; epoch++) {
                final long start = System.nanoTime();
                model.trainEpoch(data, sgd, method.batchSize(), shuffle);
                nanos += System.nanoTime() - start;
                mse[epoch] = model.mse(data);
            }
            return new Run(method, (int) (sgd.stepCount() / epochs), mse, nanos);
        }
    }

    public static Outcome run(Path plots) {
        final Dataset data = Diabetes.load();
        final double best = LinearRegression.leastSquaresMse(data);
        System.out.println("== 3. Batch vs stochastic vs mini-batch gradient descent ==");
        System.out.printf("   diabetes (%d patients, %d standardized features), linear model, SGD lr %s, %d epochs%n",
                data.rows(), data.columns(), LR, EPOCHS);
        // Untimed rounds first, until the JIT has compiled the loops: then the times compare the
        // methods, not the compiler's progress.
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            methods(data.rows()).forEach(m -> train(data, m, EPOCHS));
        }
        final List<Run> runs = new ArrayList<>();
        for (Method method : methods(data.rows())) {
            runs.add(train(data, method, EPOCHS));
        }
        System.out.printf("   %-14s %10s %13s %14s %11s%n", "method", "batch size", "updates/epoch",
                "MSE / least sq.", "wall time");
        for (Run r : runs) {
            System.out.printf("   %-14s %10d %13d %14.4f %8.1f ms%n", r.method().name(),
                    r.method().batchSize(), r.updatesPerEpoch(), r.finalMse() / best, r.nanos() / 1e6);
        }
        System.out.printf("   batch: one smooth step per epoch, still far off; stochastic: %d noisy steps per"
                + " epoch,%n   near the best at once but jittering; mini-batch: most of both.%n", data.rows());
        final Path file = plot(runs, best, plots);
        System.out.println("   plot: " + file.getFileName());

        final Run batch = runs.get(0);
        final Run mini = runs.get(1);
        final Run stochastic = runs.get(2);
        final List<String> problems = new ArrayList<>();
        if (!(mini.finalMse() <= 1.05 * best)) {
            problems.add("mini-batch MSE " + mini.finalMse() + " is above 1.05 x least squares " + best);
        }
        if (!(stochastic.finalMse() <= 1.5 * best)) {
            problems.add("stochastic MSE " + stochastic.finalMse() + " is above 1.5 x least squares " + best);
        }
        if (!(batch.finalMse() > mini.finalMse())) {
            problems.add("batch GD (1 update per epoch) should still be behind mini-batch after "
                    + EPOCHS + " epochs");
        }
        return new Outcome("batch sizes", String.format("MSE / least squares after %d epochs: batch %.3f,"
                + " mini-batch %.3f, stochastic %.3f", EPOCHS, batch.finalMse() / best, mini.finalMse() / best,
                stochastic.finalMse() / best), problems);
    }

    private static Path plot(List<Run> runs, double best, Path dir) {
        final XYChart chart = Plots.chart("Diabetes, SGD lr " + LR + ": distance to the least-squares fit",
                "epoch", "MSE / least squares − 1 (log scale)");
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
        for (Run r : runs) {
            Plots.path(chart, String.format("%s: %d update%s per epoch, %.1f ms", r.method().name(),
                    r.updatesPerEpoch(), r.updatesPerEpoch() == 1 ? "" : "s", r.nanos() / 1e6),
                    Plots.epochs(EPOCHS), Plots.excess(r.mse(), best));
        }
        return Plots.save(chart, dir, "3-batch-sizes");
    }

    public static void main(String[] args) {
        Sample.runAlone(BatchSizes::run);
    }

    private BatchSizes() {
    }
}
