package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shipped data sets load as documented in data/README.md. */
class DataTest {

    /**
     * Mean squared error of the ordinary least-squares fit (with intercept) on the full diabetes
     * data, as computed independently by NumPy's {@code lstsq}.
     */
    private static final double DIABETES_LEAST_SQUARES_MSE = 2859.6963475867506;

    @Test
    void diabetesLoadsAndIsStandardized() {
        final Dataset data = Diabetes.load();
        assertEquals(442, data.rows());
        assertEquals(Diabetes.FEATURES, data.columns());
        for (int j = 0; j < Diabetes.FEATURES; j++) {
            double sum = 0;
            double squares = 0;
            for (double[] row : data.features()) {
                sum += row[j];
                squares += row[j] * row[j];
            }
            assertEquals(0, sum / data.rows(), 1e-12, "mean of feature " + j);
            assertEquals(1, squares / data.rows(), 1e-12, "variance of feature " + j);
        }
    }

    /** The bar the diabetes samples are held to is only as good as this reference. */
    @Test
    void leastSquaresMatchesAnIndependentSolver() {
        assertEquals(DIABETES_LEAST_SQUARES_MSE, LinearRegression.leastSquaresMse(Diabetes.load()), 1e-6);
    }

    @Test
    void digitsLoadWithPixelsScaledAndEveryDigitPresent() {
        final Digits digits = Digits.load();
        assertEquals(1797, digits.size());
        final int[] perDigit = new int[Digits.CLASSES];
        for (int i = 0; i < digits.size(); i++) {
            assertEquals(Digits.PIXELS, digits.images()[i].length);
            for (float p : digits.images()[i]) {
                assertTrue(p >= 0 && p <= 1, "pixel " + p + " of image " + i);
            }
            perDigit[digits.labels()[i]]++;
        }
        for (int d = 0; d < Digits.CLASSES; d++) {
            assertTrue(perDigit[d] > 170, "digit " + d + " appears " + perDigit[d] + " times");
        }
    }

    @Test
    void splitIsDisjointCompleteAndFixedBySeed() {
        final Digits digits = Digits.load();
        final Digits.Split split = digits.split(0.2, 7);
        assertEquals(359, split.test().size());
        assertEquals(digits.size(), split.train().size() + split.test().size());
        // Images are shared by reference, so identity tells train and test apart.
        final Set<float[]> train = Collections.newSetFromMap(new IdentityHashMap<>());
        for (float[] image : split.train().images()) {
            train.add(image);
        }
        for (float[] image : split.test().images()) {
            assertFalse(train.contains(image), "a test image is also in the training set");
        }
        assertArrayEquals(split.test().labels(), digits.split(0.2, 7).test().labels());
    }
}
