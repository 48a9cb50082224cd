package dev.descent.samples;

import dev.descent.Optimizer;
import dev.descent.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Sample 4: fit y = w1·x² + w2·x + w3 to 100 points of y = 4x² + 5x + 6, one point per update.
 * A polynomial is a linear model in the features x² and x (w3 is the bias), so this is
 * {@link LinearRegression} again; what is new is how slowly plain SGD separates w1 from w2.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.PolynomialFit}
 */
public final class PolynomialFit {

    static final int POINTS = 100;
    static final double[] TRUE_WEIGHTS = {4, 5, 6};
    static final double[] START = {1, 0, 1};
    static final double LR = 0.001;
    static final int BATCH_SIZE = 1;
    static final double TARGET_LOSS = 1e-5;
    static final int MAX_EPOCHS = 1000;
    static final double MOMENTUM = 0.9;

    /**
     * Where a run stopped.
     *
     * @param weights w1, w2, w3
     * @param losses the epoch loss of every epoch run
     */
    record Fit(double[] weights, double[] losses) {
        int epochs() {
            return losses.length;
        }

        double finalLoss() {
            return losses[losses.length - 1];
        }

        boolean reachedTarget() {
            return finalLoss() < TARGET_LOSS;
        }
    }

    /** x = 0.00, 0.01, ..., 0.99 as features (x², x), and y = 4x² + 5x + 6. */
    static Dataset data() {
        final double[][] features = new double[POINTS][];
        final double[] y = new double[POINTS];
        for (int i = 0; i < POINTS; i++) {
            final double x = i / 100.0;
            features[i] = new double[] {x * x, x};
            y[i] = TRUE_WEIGHTS[0] * x * x + TRUE_WEIGHTS[1] * x + TRUE_WEIGHTS[2];
        }
        return new Dataset(features, y);
    }

    /**
     * SGD with batch size 1 over the points in order, from (1, 0, 1), until the epoch loss (the
     * mean of the 100 per-point losses seen during the epoch) is below 1e-5, or {@code maxEpochs}.
     */
    static Fit train(double momentum, int maxEpochs) {
        final Dataset data = data();
        try (LinearRegression model = new LinearRegression(2);
             Optimizer<?> sgd = Sgd.builder().lr(LR).momentum(momentum).build(model.parameters())) {
            model.weight().setValueAt(0, (float) START[0]);
            model.weight().setValueAt(1, (float) START[1]);
            model.bias().setValueAt(0, (float) START[2]);
            final double[] losses = new double[maxEpochs];
            int epoch = 0;
            // The points in order, as the classic loop has it; shuffling changes little here.
            do {
                losses[epoch] = model.trainEpoch(data, sgd, BATCH_SIZE, null);
            } while (losses[epoch++] >= TARGET_LOSS && epoch < maxEpochs);
            return new Fit(new double[] {model.weight().valueAt(0), model.weight().valueAt(1),
                    model.bias().valueAt(0)}, Arrays.copyOf(losses, epoch));
        }
    }

    public static Outcome run(Path plots) {
        System.out.println("== 4. Polynomial fit ==");
        System.out.printf("   y = w1*x^2 + w2*x + w3 to %d points of y = 4x^2 + 5x + 6, x = 0.00..0.99, from (1, 0, 1),"
                + "%n   batch size %d, lr %s, until the epoch loss is below %.0e or %d epochs%n", POINTS,
                BATCH_SIZE, LR, TARGET_LOSS, MAX_EPOCHS);
        final Fit plain = train(0, MAX_EPOCHS);
        final Fit momentum = train(MOMENTUM, MAX_EPOCHS);
        report("SGD", plain);
        report("SGD momentum " + MOMENTUM, momentum);
        // x² and x are nearly parallel on [0, 1): a larger w1 and a smaller w2 fit almost as well,
        // so the gradient along that trade-off is tiny and plain SGD at lr 0.001 crawls along it.
        System.out.println("   x^2 and x look alike on [0, 1), so plain SGD crawls along the direction that"
                + " trades w1 for w2;\n   momentum builds up speed along it and gets there.");
        final Path fitFile = plotFit(plain, momentum, plots);
        final Path lossFile = plotLoss(plain, momentum, plots);
        System.out.println("   plots: " + fitFile.getFileName() + ", " + lossFile.getFileName());

        final List<String> problems = new ArrayList<>();
        if (!momentum.reachedTarget()) {
            problems.add("momentum run: epoch loss " + momentum.finalLoss() + " after " + momentum.epochs()
                    + " epochs, expected below " + TARGET_LOSS);
        }
        for (int k = 0; k < 3; k++) {
            if (!(Math.abs(momentum.weights()[k] - TRUE_WEIGHTS[k]) < 0.1)) {
                problems.add("momentum run: w" + (k + 1) + " = " + momentum.weights()[k] + ", expected "
                        + TRUE_WEIGHTS[k] + " within 0.1");
            }
        }
        if (plain.reachedTarget()) {
            problems.add("plain SGD reached the target loss at epoch " + plain.epochs()
                    + "; the sample expects it to crawl");
        }
        if (!(plain.finalLoss() < 1e-3)) {
            problems.add("plain SGD: epoch loss " + plain.finalLoss() + ", expected below 1e-3");
        }
        return new Outcome("polynomial fit", String.format("momentum %s, loss < 1e-5 at epoch %d; plain SGD"
                + " %s at %d (true 4, 5, 6)", format(momentum.weights()), momentum.epochs(),
                format(plain.weights()), plain.epochs()), problems);
    }

    private static void report(String name, Fit fit) {
        System.out.printf("   %-18s w1 = %.4f, w2 = %.4f, w3 = %.4f; epoch loss %.2e %s %d%n", name,
                fit.weights()[0], fit.weights()[1], fit.weights()[2], fit.finalLoss(),
                fit.reachedTarget() ? "< 1e-5 at epoch" : "at the epoch limit,", fit.epochs());
    }

    private static String format(double[] w) {
        return String.format("(%.2f, %.2f, %.2f)", w[0], w[1], w[2]);
    }

    private static Path plotFit(Fit plain, Fit momentum, Path dir) {
        final XYChart chart = Plots.chart("y = 4x² + 5x + 6: true points and the fitted polynomials",
                "x", "y");
        chart.getStyler().setLegendPosition(LegendPosition.InsideNW);
        final Dataset data = data();
        final double[] x = new double[POINTS];
        for (int i = 0; i < POINTS; i++) {
            x[i] = data.features()[i][1];
        }
        Plots.points(chart, "true y", x, data.target());
        Plots.line(chart, "SGD, " + plain.epochs() + " epochs " + format(plain.weights()), x,
                predict(plain.weights(), x));
        Plots.line(chart, "momentum, " + momentum.epochs() + " epochs " + format(momentum.weights()), x,
                predict(momentum.weights(), x));
        return Plots.save(chart, dir, "4-polynomial-fit");
    }

    private static Path plotLoss(Fit plain, Fit momentum, Path dir) {
        final XYChart chart = Plots.chart("Polynomial fit, batch size 1, lr " + LR + ": epoch loss",
                "epoch (log scale)", "mean squared error (log scale)");
        // Log-log: the fast first epochs and the long crawl after them both get room.
        chart.getStyler().setYAxisLogarithmic(true).setXAxisLogarithmic(true);
        Plots.line(chart, "SGD", Plots.epochs(plain.epochs()), plain.losses());
        Plots.line(chart, "SGD momentum " + MOMENTUM, Plots.epochs(momentum.epochs()), momentum.losses());
        Plots.reference(chart, "target 1e-5", 1, MAX_EPOCHS, TARGET_LOSS);
        return Plots.save(chart, dir, "4-polynomial-loss");
    }

    private static double[] predict(double[] w, double[] x) {
        final double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = w[0] * x[i] * x[i] + w[1] * x[i] + w[2];
        }
        return y;
    }

    public static void main(String[] args) {
        Sample.runAlone(PolynomialFit::run);
    }

    private PolynomialFit() {
    }
}
