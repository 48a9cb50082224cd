package dev.descent.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The layouts a benchmark compares differ in memory only, never in the numbers stepped. */
class TestDataTest {

    /** A short model: tensors below and above a vector's length, and odd ones. */
    private static final long[] LENGTHS = {4096, 32, 32, 3 * 1024, 96, 1, 77, 4 * 1024};

    @ParameterizedTest
    @EnumSource(TestData.Allocation.class)
    void everyLayoutHoldsTheSameNumbersAndStepsToTheSameBits(TestData.Allocation allocation) {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> expected = TestData.parameters(arena, LENGTHS,
                    TestData.Allocation.ONE_BY_ONE);
            final List<Parameter> actual = TestData.parameters(arena, LENGTHS, allocation);
            assertEquals(LENGTHS.length, actual.size());
            try (Optimizer<?> a = Kernel.ADAM.newOptimizer(expected, 1);
                 Optimizer<?> b = Kernel.ADAM.newOptimizer(actual, 1)) {
                for (int i = 0; i < LENGTHS.length; i++) {
                    assertArrayEquals(floats(expected.get(i).grad()), floats(actual.get(i).grad()),
                            allocation + ", gradient of tensor " + i);
                }
                a.step();
                b.step();
            }
            for (int i = 0; i < LENGTHS.length; i++) {
                assertArrayEquals(bits(expected.get(i)), bits(actual.get(i)),
                        allocation + ", values of tensor " + i + " after a step");
            }
        }
    }

    @Test
    void slicesLieInMemoryAsTheBlockDoes() {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> block = TestData.parameters(arena, LENGTHS,
                    TestData.Allocation.BLOCK);
            final List<Parameter> slices = TestData.parameters(arena, LENGTHS,
                    TestData.Allocation.SLICES);
            for (int i = 0; i < LENGTHS.length; i++) {
                assertEquals(offset(block, i, Parameter::values), offset(slices, i, Parameter::values),
                        "values of tensor " + i + ", from the first tensor's");
                assertEquals(offset(block, i, Parameter::grad), offset(slices, i, Parameter::grad),
                        "gradient of tensor " + i + ", from the first tensor's");
            }
        }
    }

    private static long offset(List<Parameter> parameters, int i,
                               Function<Parameter, MemorySegment> tensor) {
        return tensor.apply(parameters.get(i)).address() - tensor.apply(parameters.getFirst()).address();
    }

    private static float[] floats(MemorySegment segment) {
        return segment.toArray(JAVA_FLOAT);
    }

    private static int[] bits(Parameter parameter) {
        final float[] values = floats(parameter.values());
        final int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }
}
