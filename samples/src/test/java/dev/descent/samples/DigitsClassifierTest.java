package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Parameter;
import org.junit.jupiter.api.Test;

class DigitsClassifierTest {

    /** A shorter run than the tour's 20 epochs: both optimizers are past 0.9 after 5. */
    @Test
    void bothOptimizersLearnToReadDigitsInFiveEpochs() {
        final Digits.Split split = Digits.load().split(DigitsClassifier.TEST_FRACTION, DigitsClassifier.SEED);
        for (DigitsClassifier.Trainer trainer : DigitsClassifier.TRAINERS) {
            final DigitsClassifier.Training run = DigitsClassifier.train(split, trainer, 5);
            assertTrue(run.finalAccuracy() >= DigitsClassifier.ACCURACY_BAR,
                    trainer.name() + ": test accuracy " + run.finalAccuracy());
            assertTrue(run.epochs().getLast().trainLoss() < run.epochs().getFirst().trainLoss() / 2,
                    trainer.name() + ": training loss " + run.epochs());
        }
    }

    /**
     * The backpropagation written out in {@link Mlp} agrees with central finite differences of
     * the loss, for every weight and bias of both layers.
     */
    @Test
    void backpropagationMatchesFiniteDifferences() {
        final Digits batch = Digits.load().select(new int[] {0, 1, 2, 3, 4, 5, 6, 7});
        final int[] order = {0, 1, 2, 3, 4, 5, 6, 7};
        try (Mlp model = new Mlp(Digits.PIXELS, 16, Digits.CLASSES, 3)) {
            model.parameters().forEach(Parameter::zeroGrad);
            final double loss = model.backward(batch, order, 0, order.length);
            assertEquals(model.loss(batch), loss, 1e-6);
            // Small enough that no ReLU in the batch flips, large enough for float32 round-off.
            final float eps = 3e-3f;
            for (Parameter p : model.parameters()) {
                for (long i = 0; i < p.length(); i++) {
                    final float value = p.valueAt(i);
                    p.setValueAt(i, value + eps);
                    final double up = model.loss(batch);
                    p.setValueAt(i, value - eps);
                    final double down = model.loss(batch);
                    p.setValueAt(i, value);
                    assertEquals((up - down) / (2 * eps), p.gradAt(i), 1e-4, p.name() + "[" + i + "]");
                }
            }
        }
    }
}
