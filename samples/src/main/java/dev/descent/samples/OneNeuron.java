package dev.descent.samples;

import dev.descent.Optimizer;
import dev.descent.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sample 2: linear regression with one neuron, y = w·x + b, on three points that lie on y = 2x,
 * trained by SGD on the mean squared error. The smallest model there is, so the loss per epoch
 * can be read number by number.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.OneNeuron}
 */
public final class OneNeuron {

    /** x = 1, 2, 3 and y = 2, 4, 6: the exact fit is w = 2, b = 0. */
    static final Dataset DATA = new Dataset(new double[][] {{1}, {2}, {3}}, new double[] {2, 4, 6});
    static final double LR = 0.01;
    static final int EPOCHS = 100;

    /**
     * Where training ended.
     *
     * @param losses the MSE at the start of each epoch, as a training loop prints it
     * @param finalLoss the MSE after the last step
     */
    record Fit(double weight, double bias, double[] losses, double finalLoss) {
    }

    /** Trains from w = b = 0, one full-batch SGD step per epoch. */
    static Fit train(int epochs) {
        try (LinearRegression model = new LinearRegression(1);
             Optimizer<?> sgd = Sgd.builder().lr(LR).build(model.parameters())) {
            final double[] losses = new double[epochs];
            for (int epoch = 0; epoch < epochs; epoch++) {
                losses[epoch] = model.backward(DATA); // forward, loss and gradients by hand
                sgd.step();
            }
            return new Fit(model.weight().valueAt(0), model.bias().valueAt(0), losses, model.mse(DATA));
        }
    }

    public static Outcome run(Path plots) {
        System.out.println("== 2. Linear regression with one neuron ==");
        System.out.printf("   y = w*x + b on x = 1, 2, 3 -> y = 2, 4, 6; MSE, SGD lr %s, %d epochs from w = b = 0%n",
                LR, EPOCHS);
        final Fit fit = train(EPOCHS);
        System.out.println("   loss (MSE) per epoch:");
        for (int row = 0; row < EPOCHS; row += 10) {
            final StringBuilder line = new StringBuilder(String.format("   %3d-%3d ", row + 1, row + 10));
            for (int e = row; e < Math.min(row + 10, EPOCHS); e++) {
                line.append(String.format(" %7.4f", fit.losses()[e]));
            }
            System.out.println(line);
        }
        System.out.printf("   final: w = %.4f, b = %.4f, loss %.4f (exact fit: w = 2, b = 0, loss 0)%n",
                fit.weight(), fit.bias(), fit.finalLoss());
        // Why not w = 2 yet: the loss is a long narrow valley along which w and b trade off
        // (2w + b, the prediction at the mean x = 2, stays near 4); its curvature along the valley
        // is about 46 times smaller than across it.
        System.out.println("   the loss falls fast at first, then slowly: along the valley where a larger b"
                + " makes up for a smaller w,\n   the slope is small and lr 0.01 takes small steps;"
                + " more epochs reach w = 2, b = 0.");

        final List<String> problems = new ArrayList<>();
        if (!(fit.finalLoss() < 0.1 && fit.finalLoss() < fit.losses()[0] / 100)) {
            problems.add("loss " + fit.losses()[0] + " -> " + fit.finalLoss()
                    + ", expected below 0.1 and 100 times lower");
        }
        if (!(Math.abs(fit.weight() - 2) < 0.5)) {
            problems.add("w = " + fit.weight() + ", expected near 2");
        }
        return new Outcome("one neuron", String.format("w = %.4f, b = %.4f after %d epochs (exact 2, 0),"
                + " loss %.2f -> %.4f", fit.weight(), fit.bias(), EPOCHS, fit.losses()[0], fit.finalLoss()),
                problems);
    }

    public static void main(String[] args) {
        Sample.runAlone(OneNeuron::run);
    }

    private OneNeuron() {
    }
}
