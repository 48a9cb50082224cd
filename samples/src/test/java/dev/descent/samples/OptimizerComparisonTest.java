package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

class OptimizerComparisonTest {

    @TestFactory
    Stream<DynamicTest> everyOptimizerGetsWithinTheBarOfLeastSquares() {
        final Dataset data = Diabetes.load();
        final double best = LinearRegression.leastSquaresMse(data);
        return OptimizerComparison.runs().stream().map(run -> DynamicTest.dynamicTest(run.label(), () -> {
            final OptimizerComparison.Result result = OptimizerComparison.train(data, run);
            assertTrue(result.mse() <= OptimizerComparison.MSE_BAR * best, () -> run.label()
                    + " reached MSE " + result.mse() + " after " + run.epochs() + " epochs; the bar is "
                    + OptimizerComparison.MSE_BAR + " x " + best);
        }));
    }
}
