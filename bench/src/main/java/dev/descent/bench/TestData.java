package dev.descent.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Deterministic inputs: every variant of a benchmark starts from the same numbers. */
final class TestData {

    /** The largest {@code float[]} HotSpot allocates; plainJava cannot go beyond it. */
    static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private static final long VALUES_SEED = 42;
    private static final long GRADS_SEED = 4242;

    private TestData() {
    }

    /** How a list of parameters is laid out in memory. */
    enum Allocation {
        /**
         * Each tensor's values and gradient in memory of their own, wrapped
         * ({@link Parameter#wrap}): tensors a trainer allocates itself.
         */
        SEPARATE,
        /** {@link Parameter#allocate} one by one, which packs small tensors back to back. */
        ONE_BY_ONE,
        /** {@link Parameter#allocateBlock}: all in one block. */
        BLOCK,
        /** Java arrays ({@link Parameter#ofArrays}): tensors a trainer keeps on the heap. */
        ARRAYS,
        /**
         * The memory of {@link #BLOCK}, each tensor's slices wrapped ({@link Parameter#wrap}) on
         * their own: one pass per tensor, as {@link #SEPARATE}, over memory laid out as one
         * block. Against {@code SEPARATE} it tells the cost of a pass per tensor from the cost of
         * memory scattered by the trainer's allocations.
         */
        SLICES
    }

    /** Parameters of the given lengths, allocated as {@code allocation} says, filled. */
    static List<Parameter> parameters(Arena arena, long[] lengths, Allocation allocation) {
        final List<String> names = IntStream.range(0, lengths.length).mapToObj(i -> "t" + i)
                .toList();
        final List<Parameter> parameters = new ArrayList<>(lengths.length);
        if (allocation == Allocation.BLOCK) {
            parameters.addAll(Parameter.allocateBlock(arena, names, lengths));
        } else if (allocation == Allocation.SLICES) {
            for (Parameter p : Parameter.allocateBlock(arena, names, lengths)) {
                parameters.add(Parameter.wrap(p.name(), p.values(), p.grad()));
            }
        } else {
            for (int i = 0; i < lengths.length; i++) {
                final long bytes = lengths[i] * Float.BYTES;
                parameters.add(switch (allocation) {
                    case SEPARATE -> Parameter.wrap(names.get(i),
                            arena.allocate(bytes, Parameter.ALLOCATION_ALIGNMENT),
                            arena.allocate(bytes, Parameter.ALLOCATION_ALIGNMENT));
                    case ARRAYS -> Parameter.ofArrays(names.get(i),
                            new float[Math.toIntExact(lengths[i])],
                            new float[Math.toIntExact(lengths[i])]);
                    default -> Parameter.allocate(arena, names.get(i), lengths[i]);
                });
            }
        }
        for (int i = 0; i < lengths.length; i++) {
            fill(parameters.get(i).values(), VALUES_SEED + i);
            fill(parameters.get(i).grad(), GRADS_SEED + i);
        }
        return parameters;
    }

    /** The values of a single parameter, as heap floats. */
    static float[] values(long length) {
        return floats(length, VALUES_SEED);
    }

    /** The gradient of a single parameter, as heap floats. */
    static float[] grads(long length) {
        return floats(length, GRADS_SEED);
    }

    /**
     * Fills with uniform values in [-1, 1): cheap to draw for a gigabyte, and after millions of
     * steps they stay far from overflow and from subnormals, which would slow some CPUs down.
     */
    static void fill(MemorySegment segment, long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0, n = segment.byteSize() / Float.BYTES; i < n; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, 2 * random.nextFloat() - 1);
        }
    }

    private static float[] floats(long length, long seed) {
        if (length > MAX_ARRAY_LENGTH) {
            throw new UnsupportedOperationException("plainJava cannot run at size " + length
                    + ": a Java array holds at most " + MAX_ARRAY_LENGTH + " floats;"
                    + " only the off-heap variants (descent, scalar, roofline) go beyond");
        }
        final float[] floats = new float[(int) length];
        fill(MemorySegment.ofArray(floats), seed);
        return floats;
    }
}
