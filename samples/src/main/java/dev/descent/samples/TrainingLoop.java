package dev.descent.samples;

import dev.descent.Adam;
import dev.descent.AdamW;
import dev.descent.GradientClipping;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.io.Checkpoints;
import dev.descent.schedule.CosineAnnealingLr;
import dev.descent.schedule.LinearWarmup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Sample 9: what a trainer does around the optimizer, on the digits network of sample 7. AdamW
 * with two parameter groups (weight decay on the weights, none on the biases), a learning rate
 * that warms up for one epoch and then follows a cosine, gradient clipping by the global norm,
 * a checkpoint halfway, and then a crash: a new process (here, a new network and optimizer over
 * fresh memory) loads the checkpoint and finishes the run, and its weights come out identical,
 * bit for bit, to those of the run that never stopped. Last, the checkpoint's weights alone are
 * loaded into a third network for evaluation, with no optimizer at all.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.TrainingLoop}
 */
public final class TrainingLoop {

    static final int EPOCHS = 12;
    /** The checkpoint is written after this epoch; the resumed run starts with the next one. */
    static final int CHECKPOINT_EPOCH = 6;
    static final double LR = 5e-3;
    static final double WEIGHT_DECAY = 1e-2;
    /**
     * Global L2 norm the gradients are clipped to. The first steps' gradients are well below it
     * (about 0.45); a few mini-batches from epoch 2 on go just above it (by up to 12 %), and only
     * those are scaled: clipping trims the odd outlier, as it usually does in a healthy run.
     */
    static final double MAX_NORM = 1.0;
    static final long SEED = 7;
    /** The resumed network starts from other weights, which the checkpoint replaces. */
    static final long OTHER_SEED = 8;

    /** The test set's loss and accuracy after each epoch, and how many steps clipping scaled. */
    record Run(List<Double> testLoss, List<Double> testAccuracy, int clippedSteps, int steps,
               List<Integer> finalWeightBits) {
    }

    /**
     * AdamW over the network's parameters: the weights with weight decay, the biases without (the
     * usual split, as PyTorch's param_groups make it), one epoch of linear warm-up from zero, then
     * a cosine to zero by the end, and the gradients clipped to a global norm of
     * {@link #MAX_NORM}. A resumed run builds it the same way, then loads the checkpoint into it.
     */
    static Optimizer<?> optimizer(Mlp model, int stepsPerEpoch) {
        final List<Parameter> all = model.parameters();
        final List<Parameter> weights = List.of(all.get(0), all.get(2));
        final List<Parameter> biases = List.of(all.get(1), all.get(3));
        final Adam adamw = AdamW.builder().lr(LR).weightDecay(WEIGHT_DECAY)
                .group(weights)
                .group(biases, g -> g.weightDecay(0))
                .build();
        final LinearWarmup schedule = LinearWarmup.of(CosineAnnealingLr.builder(LR,
                (EPOCHS - 1) * stepsPerEpoch).build(), stepsPerEpoch, 0);
        for (var group : adamw.groups()) {
            group.setSchedule(schedule); // schedules are immutable: one serves both groups
        }
        adamw.setGradientClipping(GradientClipping.byNorm(MAX_NORM));
        return adamw;
    }

    /**
     * Trains epochs {@code from + 1 .. to} (counted from 1). Each epoch's batch order comes from
     * its own seeded generator, so a resumed run needs nothing but the epoch number to see the
     * same batches: the trainer's own state, beside the optimizer's that the checkpoint holds.
     */
    static void train(Mlp model, Optimizer<?> optimizer, Digits.Split split, int from, int to,
                      List<Double> testLoss, List<Double> testAccuracy, int[] clipped) {
        final Digits train = split.train();
        for (int epoch = from + 1; epoch <= to; epoch++) {
            final int[] order = Shuffle.permutation(train.size(), new Random(SEED * 1000 + epoch));
            for (int start = 0; start < train.size(); start += DigitsClassifier.BATCH_SIZE) {
                optimizer.zeroGrad();
                model.backward(train, order, start,
                        Math.min(start + DigitsClassifier.BATCH_SIZE, train.size()));
                optimizer.step();
                if (optimizer.lastGradNorm() > MAX_NORM) {
                    clipped[0]++;
                }
            }
            testLoss.add(model.loss(split.test()));
            testAccuracy.add(model.accuracy(split.test()));
        }
    }

    static int stepsPerEpoch(Digits.Split split) {
        return Math.ceilDiv(split.train().size(), DigitsClassifier.BATCH_SIZE);
    }

    /** Every bit of every parameter, in order: what "identical" is checked on. */
    static List<Integer> bits(Mlp model) {
        final List<Integer> bits = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            for (long i = 0; i < p.length(); i++) {
                bits.add(Float.floatToRawIntBits(p.valueAt(i)));
            }
        }
        return bits;
    }

    /**
     * Without {@code resume}, the run that never stops: it trains every epoch and writes
     * {@code checkpoint} after {@link #CHECKPOINT_EPOCH}. With it, the run after the crash: a
     * network of other weights and a new optimizer load {@code checkpoint} (weights, AdamW's
     * moments, the step count) and train the epochs after it.
     */
    static Run run(Digits.Split split, Path checkpoint, boolean resume) throws IOException {
        final List<Double> loss = new ArrayList<>();
        final List<Double> accuracy = new ArrayList<>();
        final int[] clipped = new int[1];
        try (Mlp model = new Mlp(Digits.PIXELS, DigitsClassifier.HIDDEN, Digits.CLASSES,
                resume ? OTHER_SEED : SEED);
             Optimizer<?> optimizer = optimizer(model, stepsPerEpoch(split))) {
            if (resume) {
                Checkpoints.load(optimizer, checkpoint);
            } else {
                train(model, optimizer, split, 0, CHECKPOINT_EPOCH, loss, accuracy, clipped);
                Checkpoints.save(optimizer, checkpoint);
            }
            train(model, optimizer, split, CHECKPOINT_EPOCH, EPOCHS, loss, accuracy, clipped);
            return new Run(loss, accuracy, clipped[0], (int) optimizer.stepCount(), bits(model));
        }
    }

    /** A third network gets the checkpoint's weights alone, to be evaluated: its test accuracy. */
    static double evaluateWeightsOnly(Digits.Split split, Path checkpoint) throws IOException {
        try (Mlp model = new Mlp(Digits.PIXELS, DigitsClassifier.HIDDEN, Digits.CLASSES, OTHER_SEED)) {
            Checkpoints.load(model.parameters(), checkpoint); // the optimizer's state is skipped
            return model.accuracy(split.test());
        }
    }

    public static Outcome run(Path plots) {
        final Digits.Split split = Digits.load().split(DigitsClassifier.TEST_FRACTION, SEED);
        System.out.println("== 9. Around the optimizer: groups, schedule, clipping, checkpoints ==");
        System.out.printf("   AdamW lr %s (weight decay %s on weights, none on biases), one epoch of"
                + " warm-up then cosine, gradients clipped to norm %s; %d epochs of %d steps%n",
                LR, WEIGHT_DECAY, MAX_NORM, EPOCHS, stepsPerEpoch(split));
        final Run whole;
        final Run second;
        final double weightsOnly;
        Path dir = null;
        try {
            dir = Files.createTempDirectory("descent-training-loop");
            final Path checkpoint = dir.resolve("epoch-" + CHECKPOINT_EPOCH + ".safetensors");
            whole = run(split, checkpoint, false);
            System.out.printf("   checkpoint after epoch %d: %,d bytes (weights, AdamW's two moments,"
                    + " the step count and learning rates)%n", CHECKPOINT_EPOCH, Files.size(checkpoint));
            second = run(split, checkpoint, true);
            weightsOnly = evaluateWeightsOnly(split, checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(dir);
        }
        System.out.printf("   %5s   %-24s   %s%n", "epoch", "uninterrupted", "resumed from the checkpoint");
        System.out.printf("   %5s   %-24s   %s%n", "", "test loss   test acc.", "test loss   test acc.");
        for (int e = 0; e < EPOCHS; e++) {
            final String resumedColumns = e < CHECKPOINT_EPOCH ? ""
                    : String.format("%9.4f %11.4f", second.testLoss().get(e - CHECKPOINT_EPOCH),
                            second.testAccuracy().get(e - CHECKPOINT_EPOCH));
            System.out.println(String.format("   %5d   %9.4f %11.4f      %s", e + 1,
                    whole.testLoss().get(e), whole.testAccuracy().get(e), resumedColumns).stripTrailing());
        }
        final boolean identical = whole.finalWeightBits().equals(second.finalWeightBits());
        final double atCheckpoint = whole.testAccuracy().get(CHECKPOINT_EPOCH - 1);
        System.out.printf("   final weights of the resumed run: %s those of the uninterrupted run%n",
                identical ? "identical, bit for bit, to" : "DIFFERENT from");
        System.out.printf("   the checkpoint's weights alone, in a new network: test accuracy %.4f"
                + " (the run had %.4f after epoch %d)%n", weightsOnly, atCheckpoint, CHECKPOINT_EPOCH);
        System.out.printf("   clipping scaled %d of %d steps%n", whole.clippedSteps(), whole.steps());
        System.out.println("   plot: " + plot(whole, second, plots).getFileName());

        final List<String> problems = new ArrayList<>();
        if (!identical) {
            problems.add("the resumed run's final weights differ from the uninterrupted run's");
        }
        if (weightsOnly != atCheckpoint) {
            problems.add("the weights loaded alone score " + weightsOnly + ", the run " + atCheckpoint
                    + " at the checkpoint");
        }
        final double finalAccuracy = whole.testAccuracy().getLast();
        if (!(finalAccuracy >= DigitsClassifier.ACCURACY_BAR)) {
            problems.add("test accuracy " + finalAccuracy + " is below " + DigitsClassifier.ACCURACY_BAR);
        }
        if (whole.clippedSteps() == 0) {
            problems.add("no step was clipped: the example shows nothing of clipping");
        }
        return new Outcome("training loop", String.format("resumed at epoch %d: final weights %s;"
                + " test accuracy %.4f; %d of %d steps clipped", CHECKPOINT_EPOCH,
                identical ? "bit-identical" : "DIFFERENT", finalAccuracy, whole.clippedSteps(),
                whole.steps()), problems);
    }

    private static Path plot(Run whole, Run second, Path dir) {
        final XYChart chart = Plots.chart("Digits, AdamW with warm-up, cosine and clipping:"
                + " stopped after epoch " + CHECKPOINT_EPOCH + " and resumed", "epoch",
                "test cross-entropy");
        chart.getStyler().setMarkerSize(9); // the resumed run's marks stand out around the line
        final double[] epochs = Plots.epochs(EPOCHS);
        final double[] later = Arrays.copyOfRange(epochs, CHECKPOINT_EPOCH, EPOCHS);
        Plots.path(chart, "uninterrupted", epochs,
                whole.testLoss().stream().mapToDouble(Double::doubleValue).toArray());
        Plots.points(chart, "resumed from the checkpoint", later,
                second.testLoss().stream().mapToDouble(Double::doubleValue).toArray())
                .setMarker(SeriesMarkers.DIAMOND);
        return Plots.save(chart, dir, "9-training-loop");
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.out.println("   could not delete " + dir + ": " + e.getMessage());
        }
    }

    public static void main(String[] args) {
        Sample.runAlone(TrainingLoop::run);
    }

    private TrainingLoop() {
    }
}
