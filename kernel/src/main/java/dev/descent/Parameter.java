package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A named float32 tensor that an optimizer updates: its values and its gradient, two segments of
 * the same length, in native byte order.
 *
 * <p>The trainer writes gradients into {@link #grad()}; {@link Optimizer#step()} reads them and
 * updates {@link #values()} in place. The memory may live in an {@link Arena} ({@link #allocate}),
 * belong to the caller ({@link #wrap}), or be a pair of heap arrays ({@link #ofArrays}). Lengths
 * are {@code long}: a parameter may hold more than 2<sup>31</sup> elements.
 *
 * <p>A parameter is a view and does not own its memory; it is as thread-safe as its segments.
 */
public final class Parameter {

    /** Alignment, in bytes, of the segments {@link #allocate} makes: one cache line. */
    public static final long ALLOCATION_ALIGNMENT = 64;

    /** The largest length whose byte size fits in a {@code long}. */
    public static final long MAX_LENGTH = Long.MAX_VALUE / Float.BYTES;

    private final String name;
    private final MemorySegment values;
    private final MemorySegment grad;
    private final long length;

    private Parameter(String name, MemorySegment values, MemorySegment grad) {
        this.name = name;
        this.values = values;
        this.grad = grad;
        this.length = values.byteSize() / Float.BYTES;
    }

    /**
     * Allocates zeroed values and gradient, each 64-byte aligned, in {@code arena}; they live as
     * long as the arena does.
     *
     * @throws IllegalArgumentException if {@code name} is blank or {@code length} is negative or
     *     too large
     * @throws IllegalStateException if {@code arena} is closed
     */
    public static Parameter allocate(Arena arena, String name, long length) {
        checkName(name);
        Checks.notNull("arena", arena);
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("length of parameter '" + name
                    + "' must be in [0, " + MAX_LENGTH + "], got " + length);
        }
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("arena for parameter '" + name + "' is already closed");
        }
        final long bytes = length * Float.BYTES;
        return new Parameter(name, arena.allocate(bytes, ALLOCATION_ALIGNMENT),
                arena.allocate(bytes, ALLOCATION_ALIGNMENT));
    }

    /**
     * Wraps caller-owned memory. Both segments must be writable, alive, of equal size, a whole
     * number of floats long, 4-byte aligned and disjoint. Their contents are used as they are.
     *
     * @throws IllegalArgumentException naming the segment and what is wrong with it
     */
    public static Parameter wrap(String name, MemorySegment values, MemorySegment grad) {
        checkName(name);
        checkSegment(name, "values", values);
        checkSegment(name, "grad", grad);
        if (values.byteSize() != grad.byteSize()) {
            throw new IllegalArgumentException("parameter '" + name + "': values has "
                    + values.byteSize() / Float.BYTES + " floats but grad has "
                    + grad.byteSize() / Float.BYTES + "; they must have the same length");
        }
        if (values.asOverlappingSlice(grad).isPresent()) {
            throw new IllegalArgumentException("parameter '" + name
                    + "': values and grad overlap; they must be separate memory");
        }
        return new Parameter(name, values, grad);
    }

    /**
     * Wraps two heap arrays of equal length; the optimizer updates {@code values} in place and
     * reads {@code grads}.
     *
     * @throws IllegalArgumentException if the lengths differ or both are the same array
     */
    public static Parameter ofArrays(String name, float[] values, float[] grads) {
        checkName(name);
        Checks.notNull("values", values);
        Checks.notNull("grads", grads);
        if (values.length != grads.length) {
            throw new IllegalArgumentException("parameter '" + name + "': values has "
                    + values.length + " floats but grads has " + grads.length
                    + "; they must have the same length");
        }
        if (values == grads && values.length > 0) {
            throw new IllegalArgumentException("parameter '" + name
                    + "': values and grads are the same array; they must be separate memory");
        }
        return new Parameter(name, MemorySegment.ofArray(values), MemorySegment.ofArray(grads));
    }

    /** The name, unique within an optimizer, used in messages and checkpoints. */
    public String name() {
        return name;
    }

    /** The number of float elements. */
    public long length() {
        return length;
    }

    /** The values the optimizer updates. */
    public MemorySegment values() {
        return values;
    }

    /** The gradient the trainer writes before each step. */
    public MemorySegment grad() {
        return grad;
    }

    /** Value at {@code index}. */
    public float valueAt(long index) {
        return values.getAtIndex(JAVA_FLOAT, checkIndex(index));
    }

    /** Sets the value at {@code index}. */
    public void setValueAt(long index, float value) {
        values.setAtIndex(JAVA_FLOAT, checkIndex(index), value);
    }

    /** Gradient at {@code index}. */
    public float gradAt(long index) {
        return grad.getAtIndex(JAVA_FLOAT, checkIndex(index));
    }

    /** Sets the gradient at {@code index}. */
    public void setGradAt(long index, float gradient) {
        grad.setAtIndex(JAVA_FLOAT, checkIndex(index), gradient);
    }

    /** Sets every gradient element to zero. */
    public void zeroGrad() {
        grad.fill((byte) 0);
    }

    /** Whether both segments can still be accessed from the calling thread. */
    boolean isAccessible() {
        return values.scope().isAlive() && grad.scope().isAlive()
                && values.isAccessibleBy(Thread.currentThread())
                && grad.isAccessibleBy(Thread.currentThread());
    }

    @Override
    public String toString() {
        return "Parameter[" + name + ", length=" + length + "]";
    }

    private long checkIndex(long index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("index " + index + " out of bounds for parameter '"
                    + name + "' of length " + length);
        }
        return index;
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("parameter name must be a non-blank string, got "
                    + (name == null ? "null" : "'" + name + "'"));
        }
    }

    private static void checkSegment(String name, String role, MemorySegment segment) {
        if (segment == null) {
            throw new NullPointerException("parameter '" + name + "': " + role + " must not be null");
        }
        final String what = "parameter '" + name + "': " + role + " segment ";
        if (!segment.scope().isAlive()) {
            throw new IllegalArgumentException(what + "belongs to a closed arena");
        }
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException(what + "is read-only; it must be writable");
        }
        if (segment.byteSize() % Float.BYTES != 0) {
            throw new IllegalArgumentException(what + "has " + segment.byteSize()
                    + " bytes, which is not a whole number of floats (4 bytes each)");
        }
        if (!isFloatAligned(segment)) {
            throw new IllegalArgumentException(what + "is not 4-byte aligned (address "
                    + segment.address() + "); floats must be aligned to 4 bytes");
        }
    }

    private static boolean isFloatAligned(MemorySegment segment) {
        // A heap segment's address is its offset in the array, and only arrays of 4-byte or wider
        // elements guarantee float alignment: aligned float access to a byte[] always fails.
        final boolean alignedBase = segment.isNative() || segment.heapBase()
                .map(base -> base instanceof float[] || base instanceof int[]
                        || base instanceof long[] || base instanceof double[])
                .orElse(false);
        return alignedBase && segment.address() % Float.BYTES == 0;
    }
}
