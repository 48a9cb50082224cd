package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PolynomialFitTest {

    @Test
    void momentumReachesTheTargetLossAndTheTrueWeights() {
        final PolynomialFit.Fit fit = PolynomialFit.train(PolynomialFit.MOMENTUM, PolynomialFit.MAX_EPOCHS);
        assertTrue(fit.reachedTarget(), "loss " + fit.finalLoss() + " after " + fit.epochs());
        for (int k = 0; k < 3; k++) {
            assertEquals(PolynomialFit.TRUE_WEIGHTS[k], fit.weights()[k], 0.1, "w" + (k + 1));
        }
    }

    /** What the sample reports about plain SGD: close, but not at 1e-5 within 1000 epochs. */
    @Test
    void plainSgdStopsAtTheEpochLimit() {
        final PolynomialFit.Fit fit = PolynomialFit.train(0, PolynomialFit.MAX_EPOCHS);
        assertFalse(fit.reachedTarget());
        assertEquals(PolynomialFit.MAX_EPOCHS, fit.epochs());
        assertTrue(fit.finalLoss() < 1e-3, "loss " + fit.finalLoss());
        assertEquals(6, fit.weights()[2], 0.1, "w3");
    }
}
