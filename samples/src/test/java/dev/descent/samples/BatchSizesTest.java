package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatchSizesTest {

    @Test
    void miniBatchesGetClosestInTheSameEpochs() {
        final Dataset data = Diabetes.load();
        final double best = LinearRegression.leastSquaresMse(data);
        final List<BatchSizes.Method> methods = BatchSizes.methods(data.rows());
        final BatchSizes.Run batch = BatchSizes.train(data, methods.get(0), BatchSizes.EPOCHS);
        final BatchSizes.Run mini = BatchSizes.train(data, methods.get(1), BatchSizes.EPOCHS);
        final BatchSizes.Run stochastic = BatchSizes.train(data, methods.get(2), BatchSizes.EPOCHS);

        assertEquals(1, batch.updatesPerEpoch());
        assertEquals(14, mini.updatesPerEpoch()); // ceil(442 / 32)
        assertEquals(442, stochastic.updatesPerEpoch());
        assertTrue(mini.finalMse() < 1.05 * best, "mini-batch " + mini.finalMse() / best);
        assertTrue(stochastic.finalMse() < 1.5 * best, "stochastic " + stochastic.finalMse() / best);
        assertTrue(batch.finalMse() > 2 * best, "batch " + batch.finalMse() / best);
    }

    @Test
    void theSeedFixesTheCurves() {
        final Dataset data = Diabetes.load();
        final BatchSizes.Method stochastic = BatchSizes.methods(data.rows()).get(2);
        assertEquals(BatchSizes.train(data, stochastic, 3).finalMse(),
                BatchSizes.train(data, stochastic, 3).finalMse());
    }
}
