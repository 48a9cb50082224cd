package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OneNeuronTest {

    @Test
    void hundredEpochsLowerTheLossFromAbout19ToBelowATenth() {
        final OneNeuron.Fit fit = OneNeuron.train(OneNeuron.EPOCHS);
        assertEquals(56.0 / 3, fit.losses()[0], 1e-9); // (4 + 16 + 36) / 3 at w = b = 0
        for (int e = 1; e < fit.losses().length; e++) {
            assertTrue(fit.losses()[e] < fit.losses()[e - 1], "loss rose at epoch " + e);
        }
        assertTrue(fit.finalLoss() < 0.1, "final loss " + fit.finalLoss());
        assertEquals(1.745, fit.weight(), 0.01);
        assertEquals(0.579, fit.bias(), 0.01);
    }

    /** The sample says more epochs reach the exact fit: they do. */
    @Test
    void moreEpochsReachTheExactFit() {
        final OneNeuron.Fit fit = OneNeuron.train(5000);
        assertEquals(2, fit.weight(), 1e-3);
        assertEquals(0, fit.bias(), 2e-3);
    }
}
