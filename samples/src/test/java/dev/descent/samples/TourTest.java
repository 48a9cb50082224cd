package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The tour's results, checked by calling its code rather than reading its output. */
class TourTest {

    /**
     * Mean squared error of the ordinary least-squares fit (with intercept) on the full diabetes
     * data, as computed independently by NumPy's {@code lstsq}.
     */
    private static final double DIABETES_LEAST_SQUARES_MSE = 2859.6963475867506;

    private static Diabetes data;

    @BeforeAll
    static void load() {
        data = Diabetes.load();
    }

    @Test
    void sgdFindsTheMinimumOfTheQuadratic() {
        assertEquals(Tour.QUADRATIC_MINIMUM, Tour.minimizeQuadratic(), Tour.QUADRATIC_TOLERANCE);
    }

    @Test
    void diabetesLoadsAndIsStandardized() {
        assertEquals(442, data.rows());
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

    /** The bar every optimizer is held to is only as good as this reference. */
    @Test
    void leastSquaresMatchesAnIndependentSolver() {
        assertEquals(DIABETES_LEAST_SQUARES_MSE, LinearRegression.leastSquaresMse(data), 1e-6);
    }

    @TestFactory
    Stream<DynamicTest> everyOptimizerGetsWithinTheBarOfLeastSquares() {
        final double best = LinearRegression.leastSquaresMse(data);
        return Tour.runs().stream().map(run -> DynamicTest.dynamicTest(run.label(), () -> {
            final Tour.Result result = Tour.train(data, run);
            assertTrue(result.mse() <= Tour.MSE_BAR * best, () -> run.label() + " reached MSE "
                    + result.mse() + " after " + run.epochs() + " epochs; the bar is "
                    + Tour.MSE_BAR + " x " + best);
        }));
    }
}
