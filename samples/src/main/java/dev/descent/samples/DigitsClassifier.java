package dev.descent.samples;

import dev.descent.Adam;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.lines.SeriesLines;

/**
 * Sample 7: a real classifier. A small multilayer perceptron ({@link Mlp}, 64-32-10) learns to
 * read handwritten digits, trained by mini-batch SGD with momentum and, from the same starting
 * weights, by Adam; accuracy is measured on images held out from training.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.DigitsClassifier}
 */
public final class DigitsClassifier {

    static final int HIDDEN = 32;
    static final int BATCH_SIZE = 32;
    static final int EPOCHS = 20;
    static final double TEST_FRACTION = 0.2;
    /** Fixes the split, the initial weights and the batch order: every run gives the same numbers. */
    static final long SEED = 7;
    /** The tour fails below this; this setup ends at 0.95 (Adam) to 0.96 (SGD momentum). */
    static final double ACCURACY_BAR = 0.9;

    /** An optimizer to compare, built over the network's parameters. */
    record Trainer(String name, Function<List<Parameter>, Optimizer<?>> optimizer) {
    }

    static final List<Trainer> TRAINERS = List.of(
            new Trainer("SGD momentum 0.9, lr 0.05",
                    p -> Sgd.builder().lr(0.05).momentum(0.9).build(p)),
            new Trainer("Adam, lr 0.005", p -> Adam.builder().lr(5e-3).build(p)));

    /** The state after one epoch: mean training loss during it, then loss and accuracy on the test set. */
    record Epoch(double trainLoss, double testLoss, double testAccuracy) {
    }

    /** One optimizer's run. */
    record Training(Trainer trainer, List<Epoch> epochs, String kernel, long nanos) {
        double finalAccuracy() {
            return epochs.getLast().testAccuracy();
        }
    }

    /** Trains a fresh network (same seed, same start for every trainer) for {@code epochs}. */
    static Training train(Digits.Split split, Trainer trainer, int epochs) {
        final long start = System.nanoTime();
        final Random shuffle = new Random(SEED);
        final Digits train = split.train();
        try (Mlp model = new Mlp(Digits.PIXELS, HIDDEN, Digits.CLASSES, SEED);
             Optimizer<?> optimizer = trainer.optimizer().apply(model.parameters())) {
            final List<Epoch> history = new ArrayList<>();
            for (int epoch = 0; epoch < epochs; epoch++) {
                final int[] order = Shuffle.permutation(train.size(), shuffle);
                double lossSum = 0;
                int batches = 0;
                for (int from = 0; from < train.size(); from += BATCH_SIZE) {
                    optimizer.zeroGrad(); // backward adds to the gradients, as in PyTorch
                    lossSum += model.backward(train, order, from, Math.min(from + BATCH_SIZE, train.size()));
                    optimizer.step();
                    batches++;
                }
                history.add(new Epoch(lossSum / batches, model.loss(split.test()),
                        model.accuracy(split.test())));
            }
            return new Training(trainer, history, optimizer.kernelName(), System.nanoTime() - start);
        }
    }

    public static Outcome run(Path plots) {
        final Digits.Split split = Digits.load().split(TEST_FRACTION, SEED);
        System.out.println("== 7. A real classifier: handwritten digits ==");
        System.out.printf("   MLP 64-%d-10 (ReLU, softmax), %d training and %d test images, mini-batches of %d,"
                + " %d epochs%n", HIDDEN, split.train().size(), split.test().size(), BATCH_SIZE, EPOCHS);
        final List<Training> runs = new ArrayList<>();
        for (Trainer trainer : TRAINERS) {
            runs.add(train(split, trainer, EPOCHS));
        }
        final StringBuilder header = new StringBuilder(String.format("   %5s", "epoch"));
        for (Training r : runs) {
            header.append(String.format("   %-34s", r.trainer().name()));
        }
        System.out.println(header);
        System.out.printf("   %5s%s%n", "", "   train loss  test loss  test acc.   ".repeat(runs.size()));
        for (int e = 0; e < EPOCHS; e++) {
            final StringBuilder line = new StringBuilder(String.format("   %5d", e + 1));
            for (Training r : runs) {
                final Epoch epoch = r.epochs().get(e);
                line.append(String.format("   %10.4f %10.4f %9.4f   ", epoch.trainLoss(), epoch.testLoss(),
                        epoch.testAccuracy()));
            }
            System.out.println(line.toString().stripTrailing());
        }
        for (Training r : runs) {
            System.out.printf("   %-26s test accuracy %.4f, %.2f s (%s kernel)%n", r.trainer().name(),
                    r.finalAccuracy(), r.nanos() / 1e9, r.kernel());
        }
        final Path file = plot(runs, plots);
        System.out.println("   plot: " + file.getFileName());

        final List<String> problems = new ArrayList<>();
        for (Training r : runs) {
            if (!(r.finalAccuracy() >= ACCURACY_BAR)) {
                problems.add(r.trainer().name() + ": test accuracy " + r.finalAccuracy() + " is below "
                        + ACCURACY_BAR);
            }
        }
        return new Outcome("digits MLP", String.format("test accuracy after %d epochs: SGD momentum %.4f,"
                + " Adam %.4f (%d images)", EPOCHS, runs.get(0).finalAccuracy(),
                runs.get(1).finalAccuracy(), split.test().size()), problems);
    }

    private static Path plot(List<Training> runs, Path dir) {
        final XYChart chart = Plots.chart("Digits, MLP 64-" + HIDDEN + "-10: cross-entropy per epoch",
                "epoch", "cross-entropy (log scale)");
        chart.getStyler().setYAxisLogarithmic(true);
        final double[] epochs = Plots.epochs(EPOCHS);
        for (int k = 0; k < runs.size(); k++) {
            final Training r = runs.get(k);
            final double[] train = r.epochs().stream().mapToDouble(Epoch::trainLoss).toArray();
            final double[] test = r.epochs().stream().mapToDouble(Epoch::testLoss).toArray();
            final var trainSeries = Plots.path(chart, r.trainer().name() + ", training", epochs, train);
            final var testSeries = Plots.path(chart, r.trainer().name() + ", test", epochs, test);
            // One colour per optimizer; dashed for the held-out images.
            for (var series : List.of(trainSeries, testSeries)) {
                series.setLineColor(Plots.color(k));
                series.setMarkerColor(Plots.color(k));
            }
            testSeries.setLineStyle(SeriesLines.DASH_DASH);
        }
        return Plots.save(chart, dir, "7-digits-loss");
    }

    public static void main(String[] args) {
        Sample.runAlone(DigitsClassifier::run);
    }

    private DigitsClassifier() {
    }
}
