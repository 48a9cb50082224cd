package dev.descent.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The memory ceiling of a kernel: one pass that reads the gradient and reads and writes the value
 * and every state tensor, like the optimizer, with a single subtraction per element in place of
 * the update. It runs over an optimizer's own memory ({@link DescentFixture#memoryOf}), at the
 * widest vectors this CPU has, on the same number of threads.
 */
final class Roofline implements Stepper {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final DescentFixture memory;
    private final long size;
    private final WorkerPool.RangeTask pass;
    private final WorkerPool pool;

    /**
     * @param kernel the kernel whose memory traffic to match
     * @param size elements per tensor
     * @param threads threads that share the pass
     */
    Roofline(Kernel kernel, long size, int threads) {
        this.size = size;
        memory = DescentFixture.memoryOf(kernel, size);
        try {
            final MemorySegment grad = memory.parameter().grad();
            final List<MemorySegment> state = memory.writableState();
            final MemorySegment[] updated = new MemorySegment[1 + state.size()];
            updated[0] = memory.parameter().values();
            for (int k = 1; k < updated.length; k++) {
                // The state starts as the optimizer starts it, often zero: fill it like the rest.
                updated[k] = state.get(k - 1);
                TestData.fill(updated[k], k + 1);
            }
            // One loop per tensor count: a loop over an array of segments inside the element loop
            // would not unroll into straight vector code.
            pass = switch (updated.length) {
                case 1 -> (from, to) -> pass1(grad, updated[0], from, to);
                case 2 -> (from, to) -> pass2(grad, updated[0], updated[1], from, to);
                case 3 -> (from, to) -> pass3(grad, updated[0], updated[1], updated[2], from, to);
                case 4 -> (from, to) -> pass4(grad, updated[0], updated[1], updated[2], updated[3],
                        from, to);
                default -> throw new IllegalArgumentException("no roofline loop for "
                        + state.size() + " state tensors");
            };
            pool = new WorkerPool("roofline", threads);
        } catch (RuntimeException | Error e) {
            memory.close(); // whatever failed after the memory was taken
            throw e;
        }
    }

    /** The memory the pass runs over; for tests. */
    DescentFixture memory() {
        return memory;
    }

    /** One pass over every element. */
    @Override
    public void step() {
        pool.run(pass, size);
    }

    @Override
    public void close() {
        pool.close();
        memory.close();
    }

    // x = g - x keeps every value bounded and away from subnormals however many passes run.

    private static void pass1(MemorySegment g, MemorySegment a, long from, long to) {
        long i = from;
        for (final long bound = from + SPECIES.loopBound(to - from); i < bound; i += LANES) {
            final long at = i * Float.BYTES;
            final FloatVector vg = load(g, at);
            vg.sub(load(a, at)).intoMemorySegment(a, at, ORDER);
        }
        for (; i < to; i++) {
            final float gi = g.getAtIndex(JAVA_FLOAT, i);
            flip(a, i, gi);
        }
    }

    private static void pass2(MemorySegment g, MemorySegment a, MemorySegment b, long from,
                              long to) {
        long i = from;
        for (final long bound = from + SPECIES.loopBound(to - from); i < bound; i += LANES) {
            final long at = i * Float.BYTES;
            final FloatVector vg = load(g, at);
            vg.sub(load(a, at)).intoMemorySegment(a, at, ORDER);
            vg.sub(load(b, at)).intoMemorySegment(b, at, ORDER);
        }
        for (; i < to; i++) {
            final float gi = g.getAtIndex(JAVA_FLOAT, i);
            flip(a, i, gi);
            flip(b, i, gi);
        }
    }

    private static void pass3(MemorySegment g, MemorySegment a, MemorySegment b, MemorySegment c,
                              long from, long to) {
        long i = from;
        for (final long bound = from + SPECIES.loopBound(to - from); i < bound; i += LANES) {
            final long at = i * Float.BYTES;
            final FloatVector vg = load(g, at);
            vg.sub(load(a, at)).intoMemorySegment(a, at, ORDER);
            vg.sub(load(b, at)).intoMemorySegment(b, at, ORDER);
            vg.sub(load(c, at)).intoMemorySegment(c, at, ORDER);
        }
        for (; i < to; i++) {
            final float gi = g.getAtIndex(JAVA_FLOAT, i);
            flip(a, i, gi);
            flip(b, i, gi);
            flip(c, i, gi);
        }
    }

    private static void pass4(MemorySegment g, MemorySegment a, MemorySegment b, MemorySegment c,
                              MemorySegment d, long from, long to) {
        long i = from;
        for (final long bound = from + SPECIES.loopBound(to - from); i < bound; i += LANES) {
            final long at = i * Float.BYTES;
            final FloatVector vg = load(g, at);
            vg.sub(load(a, at)).intoMemorySegment(a, at, ORDER);
            vg.sub(load(b, at)).intoMemorySegment(b, at, ORDER);
            vg.sub(load(c, at)).intoMemorySegment(c, at, ORDER);
            vg.sub(load(d, at)).intoMemorySegment(d, at, ORDER);
        }
        for (; i < to; i++) {
            final float gi = g.getAtIndex(JAVA_FLOAT, i);
            flip(a, i, gi);
            flip(b, i, gi);
            flip(c, i, gi);
            flip(d, i, gi);
        }
    }

    private static FloatVector load(MemorySegment segment, long byteOffset) {
        return FloatVector.fromMemorySegment(SPECIES, segment, byteOffset, ORDER);
    }

    private static void flip(MemorySegment segment, long index, float g) {
        segment.setAtIndex(JAVA_FLOAT, index,
                g - segment.getAtIndex(JAVA_FLOAT, index));
    }
}
