package dev.descent.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The peer is only a peer if it computes what Descent computes. */
class PlainJavaOptimizerTest {

    /** Enough for two threads (Threads.forElements), with a ragged end. */
    private static final int LENGTH = 70_003;
    private static final int STEPS = 5;

    @ParameterizedTest
    @EnumSource(Kernel.class)
    void sameUpdateAsDescentOnOneAndSeveralThreads(Kernel kernel) {
        for (int threads : new int[] {1, 3}) {
            final float[] expected = descentAfterSteps(kernel);
            final float[] values = TestData.values(LENGTH);
            try (PlainJavaOptimizer plain = kernel.plainJava(values, TestData.grads(LENGTH),
                    threads)) {
                for (int s = 0; s < STEPS; s++) {
                    plain.step();
                }
            }
            for (int i = 0; i < LENGTH; i++) {
                // Descent fuses multiply-adds that the plain loop rounds twice.
                assertEquals(expected[i], values[i], 1e-5f * Math.max(1, Math.abs(expected[i])),
                        kernel + " on " + threads + " threads, element " + i);
            }
        }
    }

    private static float[] descentAfterSteps(Kernel kernel) {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> parameters = TestData.parameters(arena, new long[] {LENGTH},
                    TestData.Allocation.ONE_BY_ONE);
            try (Optimizer<?> optimizer = kernel.newOptimizer(parameters, 1)) {
                for (int s = 0; s < STEPS; s++) {
                    optimizer.step();
                }
            }
            return parameters.getFirst().values().toArray(JAVA_FLOAT);
        }
    }
}
