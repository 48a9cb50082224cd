package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MinimizeFunctionTest {

    @Test
    void sgdAtLr001FindsTheMinimumUpToFloat32() {
        final float w = MinimizeFunction.descend(0.01, 1000)[1000];
        assertEquals(MinimizeFunction.MINIMUM, w, MinimizeFunction.TOLERANCE);
        // It stalls where the sample says it does, and the double iteration does not.
        assertEquals(MinimizeFunction.stallDistance(0.01), Math.abs(w + 1.5), 1e-6);
        assertEquals(MinimizeFunction.MINIMUM, MinimizeFunction.descendInDouble(0.01, 1000), 1e-7);
    }

    @Test
    void everyStepMultipliesTheDistanceByOneMinusTwoLr() {
        final float[] path = MinimizeFunction.descend(0.1, 20);
        for (int t = 0; t <= 20; t++) {
            assertEquals(11.5 * Math.pow(0.8, t), path[t] + 1.5, 1e-5, "step " + t);
        }
    }

    @Test
    void lrOneOscillatesBetweenTenAndMinusThirteenForEver() {
        final float[] path = MinimizeFunction.descend(1.0, 1000);
        for (int t = 0; t <= 1000; t++) {
            assertEquals(t % 2 == 0 ? 10f : -13f, path[t], "step " + t);
        }
    }

    @Test
    void lrAboveOneDiverges() {
        final float[] path = MinimizeFunction.descend(1.1, 1000);
        assertTrue(MinimizeFunction.firstStepBeyond(path, MinimizeFunction.DIVERGED) > 0);
        assertEquals("diverges", MinimizeFunction.behaviour(1.1));
        assertEquals("converges, oscillating", MinimizeFunction.behaviour(0.9));
    }
}
