package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * A named float32 tensor that an optimizer updates: its values and its gradient, two segments of
 * the same length, in native byte order.
 *
 * <p>The trainer writes gradients into {@link #grad()}; {@link Optimizer#step()} reads them and
 * updates {@link #values()} in place. The memory may live in an {@link Arena} ({@link #allocate}),
 * with all of a model's parameters in one block ({@link #allocateBlock}), belong to the caller
 * ({@link #wrap}), or be a pair of heap arrays ({@link #ofArrays}). Lengths are {@code long}: a
 * parameter may hold more than 2<sup>31</sup> elements.
 *
 * <p>A parameter is a view and does not own its memory; it is as thread-safe as its segments.
 * Once that memory is freed (its arena closed), the element accessors ({@link #valueAt},
 * {@link #setGradAt}, {@link #zeroGrad}, ...) throw the JDK's {@link IllegalStateException}, as the
 * segments do ({@code values().scope().isAlive()} says so beforehand); an optimizer's step
 * refuses it with a message naming the parameter.
 */
public final class Parameter {

    /** Alignment, in bytes, of the segments {@link #allocate} makes: one cache line. */
    public static final long ALLOCATION_ALIGNMENT = 64;

    /** Elements per {@link #ALLOCATION_ALIGNMENT}: block slices start on multiples of it. */
    static final long ALIGNMENT_FLOATS = ALLOCATION_ALIGNMENT / Float.BYTES;

    /** The page size that large tensors' starts are staggered within: 4 KiB on x86 and most. */
    static final long PAGE_BYTES = 4096;

    /**
     * The longest parameter {@link #allocate} and {@link #allocateBlock} accept (and the most
     * elements of a block): its bytes, padded to a cache line and placed within a page, still
     * count in a {@code long}. Memory runs out long before.
     */
    public static final long MAX_LENGTH = (Long.MAX_VALUE - PAGE_BYTES) / Float.BYTES
            / ALIGNMENT_FLOATS * ALIGNMENT_FLOATS;
    /** Large streams' values start a page; their gradients this many bytes into one. */
    private static final long GRAD_STAGGER_BYTES = 8 * ALLOCATION_ALIGNMENT;
    /**
     * Streams of at least this many elements start at chosen offsets in their pages (at most 2%
     * more memory for values and gradients); shorter ones just on a cache line, where a page of padding would cost more
     * than the stagger saves. The optimizer's state follows the same rule.
     */
    static final long STAGGER_MIN_LENGTH = 1L << 16;

    /** The longest parameter {@link #allocate} packs into a chunk with its neighbours. */
    public static final long POOLED_MAX_LENGTH = 1L << 18;
    /** Elements in the first chunk of values (and of gradients) {@link #allocate} takes. */
    static final long FIRST_CHUNK_LENGTH = 1L << 8;
    /** Elements in the largest chunk: each new chunk doubles the last, up to this. */
    static final long MAX_CHUNK_LENGTH = 1L << 20;
    /** The current chunk of every arena {@link #allocate} has packed parameters in. */
    private static final Map<Arena, Chunk> CHUNKS = new WeakHashMap<>();

    private final String name;
    private final MemorySegment values;
    private final MemorySegment grad;
    private final long length;
    /** For a parameter of {@link #allocateBlock}: the whole blocks it is a slice of; else null. */
    private final MemorySegment valuesBlock;
    private final MemorySegment gradBlock;
    /** Where this parameter starts in its blocks, in elements. */
    private final long blockOffset;

    private Parameter(String name, MemorySegment values, MemorySegment grad) {
        this(name, values, grad, null, null, 0);
    }

    private Parameter(String name, MemorySegment values, MemorySegment grad,
                      MemorySegment valuesBlock, MemorySegment gradBlock, long blockOffset) {
        this.name = name;
        this.values = values;
        this.grad = grad;
        this.length = values.byteSize() / Float.BYTES;
        this.valuesBlock = valuesBlock;
        this.gradBlock = gradBlock;
        this.blockOffset = blockOffset;
    }

    /**
     * Allocates zeroed values and gradient, each 64-byte aligned, in {@code arena}; they live as
     * long as the arena does.
     *
     * <p>Parameters of up to {@value #POOLED_MAX_LENGTH} elements allocated one after the other
     * in the same arena are packed like the parameters of an {@link #allocateBlock block}: each
     * right after the previous one, padded to the alignment, in chunks that this method takes from
     * the arena. An optimizer then updates a run of them in one pass, as one tensor, instead of
     * paying a kernel call and a restart of the CPU's prefetching per tensor, which costs as much
     * as updating a few hundred elements. The chunks grow with the arena's use, from 256 to
     * 1,048,576 elements (4 MiB) each for the values and the gradients, so the memory held beyond
     * the parameters is at most about as much again as the small parameters allocated so far: the
     * rest of the current chunk, never more than one largest chunk, and the end of each earlier
     * chunk that the parameter after it did not fit in, shorter than that parameter (less than a
     * quarter of a largest chunk each). Larger parameters get memory of their own. The
     * limit, 262,144 floats (1 MiB), is half a huge page (below): a parameter that small would
     * not get one on its own, while the chunks it shares do once they have grown past 2 MiB. Any
     * allocation of 65,536 elements or more, a parameter's or a chunk's, has its values at the
     * start of a page and its gradient 512 bytes into one, since streams that start at the same
     * offset in their pages slow a step down (the optimizer staggers the state the same way).
     * On Linux, when the JVM grants this library native access
     * ({@code --enable-native-access=ALL-UNNAMED}, or the module's name), allocations that span a
     * 2 MiB huge page are mapped by the library in transparent huge pages, which spares a step
     * over tensors beyond the caches a page walk every 4 KiB of each stream; the optimizer's state
     * too. The memory still lives exactly as long as the arena. Arenas that are not the JDK's own
     * always allocate, and so do automatic ones ({@link Arena#ofAuto}), whose memory the GC frees
     * when the JDK runs short of direct memory, which mapped memory would not count in.
     *
     * @param arena the arena the memory lives in; the parameter is usable until it is closed,
     *     and from the threads the arena allows
     * @param name the parameter's name, not blank
     * @param length the number of float elements, from 0 to {@link #MAX_LENGTH}
     * @return a parameter over zeroed values and gradient
     * @throws IllegalArgumentException if {@code name} is null or blank, {@code length} is
     *     negative or above {@link #MAX_LENGTH}, or {@code arena}, not one of the JDK's, returns
     *     memory that breaks {@link Arena#allocate(long, long)}'s contract
     * @throws IllegalStateException if {@code arena} is closed
     * @throws WrongThreadException if {@code arena} is confined to another thread
     * @throws OutOfMemoryError if the memory cannot be had, naming the parameter and its size
     * @throws NullPointerException if {@code arena} is null
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
        try {
            if (length == 0 || paddedLength(length) > POOLED_MAX_LENGTH) {
                return new Parameter(name, allocateValues(arena, length),
                        allocateGrad(arena, length));
            }
            synchronized (CHUNKS) {
                return packed(arena, name, length);
            }
        } catch (OutOfMemoryError e) {
            throw outOfMemory("parameter '" + name + "'", length, e);
        }
    }

    /** {@code e}, which the allocation for {@code what} of {@code length} floats met, said plainly. */
    private static OutOfMemoryError outOfMemory(String what, long length, OutOfMemoryError e) {
        final OutOfMemoryError named = new OutOfMemoryError("cannot allocate " + what + ": "
                + length + " floats of values and as many of gradient, 2 x " + length * Float.BYTES
                + " bytes (" + e.getMessage() + ")");
        named.initCause(e);
        return named;
    }

    /** Zeroed memory for {@code length} values (or a block of them): see {@link #allocateGrad}. */
    private static MemorySegment allocateValues(Arena arena, long length) {
        return allocateStream(arena, length, 0);
    }

    /**
     * Zeroed memory for the gradient of {@code length} values. A long one starts elsewhere in its
     * page than the values, as the optimizer places the state (see its stagger of a large run's
     * state tensors): large allocations all start at the same offset in their pages, and streams
     * that do compete for the same L1 sets and trip the store-to-load checks.
     */
    private static MemorySegment allocateGrad(Arena arena, long length) {
        return allocateStream(arena, length, GRAD_STAGGER_BYTES);
    }

    private static MemorySegment allocateStream(Arena arena, long length, long pageOffset) {
        final long bytes = length * Float.BYTES;
        return length < STAGGER_MIN_LENGTH ? allocateChecked(arena, bytes, ALLOCATION_ALIGNMENT)
                : allocateAtPageOffset(arena, bytes, pageOffset);
    }

    /**
     * {@code arena.allocate(bytes, alignment)}, checked and zeroed: an arena that is not the
     * JDK's own can return memory that breaks that method's contract (misaligned, too small, on
     * the heap, read-only), which a step would otherwise meet only partway through an update,
     * and that contract does not promise zeroed memory (only the JDK's arenas do), so such an
     * arena's memory is cleared here.
     */
    private static MemorySegment allocateChecked(Arena arena, long bytes, long alignment) {
        final MemorySegment segment = arena.allocate(bytes, alignment);
        if (segment.byteSize() != bytes || !segment.isNative() || segment.isReadOnly()
                || segment.address() % alignment != 0) {
            throw new IllegalArgumentException("arena " + arena.getClass().getName()
                    + " returned " + segment + " for allocate(" + bytes + ", " + alignment
                    + "), which breaks Arena.allocate's contract: expected " + bytes
                    + " writable bytes of native memory aligned to " + alignment);
        }
        return HugePageMemory.fromTheJdk(arena) ? segment : segment.fill((byte) 0);
    }

    /**
     * {@code bytes} of zeroed memory that live as long as {@code arena} and start
     * {@code pageOffset} bytes (less than a page, a multiple of the alignment) into a page: in
     * huge pages where {@link HugePageMemory} can map them, else from the arena.
     */
    static MemorySegment allocateAtPageOffset(Arena arena, long bytes, long pageOffset) {
        final MemorySegment hugePages = HugePageMemory.allocate(arena, bytes + pageOffset);
        final MemorySegment memory = hugePages != null ? hugePages
                : allocateChecked(arena, bytes + pageOffset, PAGE_BYTES);
        return memory.asSlice(pageOffset, bytes);
    }

    /**
     * {@return what the large tensors that {@link #allocate}, {@link #allocateBlock} and the
     * optimizers allocate live in, in this JVM} For example "transparent huge pages of 2048 KiB
     * for tensors that span one", or the arena's memory and why (such as the JVM option that
     * would grant the library native access). For logs and benchmark reports.
     */
    public static String largeTensorMemory() {
        return HugePageMemory.describe();
    }

    /**
     * A parameter sliced from {@code arena}'s current chunk if it has room, else from a new one,
     * which becomes current. A chunk whose parameters are all gone is forgotten, and the next one
     * starts small again.
     */
    private static Parameter packed(Arena arena, String name, long length) {
        final long padded = paddedLength(length);
        Chunk chunk = CHUNKS.get(arena);
        // Strong references for as long as this method slices them: a chunk is only weakly held.
        MemorySegment values = chunk == null ? null : chunk.values.get();
        MemorySegment grad = chunk == null ? null : chunk.grad.get();
        if (values != null && grad != null && chunk.length - chunk.used >= padded) {
            if (!values.isAccessibleBy(Thread.currentThread())) {
                // Taking memory from a confined arena's chunk must fail as the arena itself would.
                throw new WrongThreadException("the arena for parameter '" + name
                        + "' is confined to another thread than " + Thread.currentThread());
            }
        } else {
            final long chunkLength = Math.max(padded, values == null || grad == null
                    ? FIRST_CHUNK_LENGTH : Math.min(MAX_CHUNK_LENGTH, 2 * chunk.length));
            values = allocateValues(arena, chunkLength);
            grad = allocateGrad(arena, chunkLength);
            chunk = new Chunk(values, grad, chunkLength);
            CHUNKS.put(arena, chunk);
        }
        final long offset = chunk.used;
        chunk.used += padded;
        final long bytes = length * Float.BYTES;
        return new Parameter(name, values.asSlice(offset * Float.BYTES, bytes),
                grad.asSlice(offset * Float.BYTES, bytes), values, grad, offset);
    }

    /**
     * A values chunk and a gradient chunk of the same length that {@link #allocate} hands out in
     * order. Held weakly: the parameters sliced from it keep it alive, the arena alone does not,
     * and it never keeps the arena (a weak key of {@link #CHUNKS}) alive.
     */
    private static final class Chunk {
        final WeakReference<MemorySegment> values;
        final WeakReference<MemorySegment> grad;
        final long length;
        long used;

        Chunk(MemorySegment values, MemorySegment grad, long length) {
            this.values = new WeakReference<>(values);
            this.grad = new WeakReference<>(grad);
            this.length = length;
        }
    }

    /**
     * Allocates a list of parameters, a model's for example, in one block of values and one of
     * gradients in {@code arena}, zeroed. Each parameter starts 64-byte aligned, right after the
     * previous one (padded to the alignment), so the whole model is two contiguous streams. A
     * block of 65,536 elements or more starts its values at the start of a page and its gradients
     * 512 bytes into one, as {@link #allocate} places a large parameter.
     *
     * <p>That is what a step over many small tensors runs fastest on: an optimizer updates
     * consecutive parameters of one block that are in the same group with one pass over all of
     * them, as over a single tensor, instead of one pass per tensor (each of which costs about as
     * much as updating a few hundred elements, and restarts the CPU's prefetching). The padding
     * between parameters is zero and stays zero; it is never visible through a parameter.
     *
     * @param arena the arena the blocks live in; the parameters are usable until it is closed,
     *     and from the threads the arena allows
     * @param names one non-blank name per parameter, all different
     * @param lengths one length per name, each {@code >= 0}
     * @return the parameters, in the order of {@code names}
     * @throws IllegalArgumentException if a name is null, blank or repeated, the counts differ, a
     *     length is negative, the block would be longer than {@link #MAX_LENGTH}, or
     *     {@code arena}, not one of the JDK's, returns memory that breaks
     *     {@link Arena#allocate(long, long)}'s contract
     * @throws IllegalStateException if {@code arena} is closed
     * @throws WrongThreadException if {@code arena} is confined to another thread
     * @throws OutOfMemoryError if the memory cannot be had, naming the block's size
     * @throws NullPointerException if an argument is null
     */
    public static List<Parameter> allocateBlock(Arena arena, List<String> names, long... lengths) {
        Checks.notNull("arena", arena);
        Checks.notNull("names", names);
        Checks.notNull("lengths", lengths);
        if (names.size() != lengths.length) {
            throw new IllegalArgumentException("names and lengths must have one entry per"
                    + " parameter, got " + names.size() + " names and " + lengths.length
                    + " lengths");
        }
        final Set<String> seen = new HashSet<>();
        long total = 0;
        for (int i = 0; i < lengths.length; i++) {
            final String name = names.get(i);
            checkName(name);
            if (!seen.add(name)) {
                throw new IllegalArgumentException("parameter name '" + name + "' appears twice"
                        + " in names (indexes " + names.indexOf(name) + " and " + i
                        + "); names must be unique");
            }
            if (lengths[i] < 0 || lengths[i] > MAX_LENGTH) {
                throw new IllegalArgumentException("lengths[" + i + "] (parameter '" + name
                        + "') must be in [0, " + MAX_LENGTH + "], got " + lengths[i]);
            }
            total += paddedLength(lengths[i]);
            if (total > MAX_LENGTH || total < 0) {
                throw new IllegalArgumentException("the block for " + (i + 1) + " parameters"
                        + " would exceed " + MAX_LENGTH + " floats");
            }
        }
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("arena for the block of " + names.size()
                    + " parameters is already closed");
        }
        final MemorySegment valuesBlock;
        final MemorySegment gradBlock;
        try {
            valuesBlock = allocateValues(arena, total);
            gradBlock = allocateGrad(arena, total);
        } catch (OutOfMemoryError e) {
            throw outOfMemory("a block of " + names.size() + " parameters", total, e);
        }
        final List<Parameter> parameters = new ArrayList<>(lengths.length);
        long offset = 0;
        for (int i = 0; i < lengths.length; i++) {
            final long at = offset * Float.BYTES;
            final long bytes = lengths[i] * Float.BYTES;
            parameters.add(new Parameter(names.get(i), valuesBlock.asSlice(at, bytes),
                    gradBlock.asSlice(at, bytes), valuesBlock, gradBlock, offset));
            offset += paddedLength(lengths[i]);
        }
        return List.copyOf(parameters);
    }

    /**
     * Wraps caller-owned memory. Both segments must be writable, alive, of equal size, a whole
     * number of floats long, 4-byte aligned and disjoint. Their contents are used as they are.
     * A heap segment must be over a {@code float[]}, {@code int[]}, {@code long[]} or
     * {@code double[]}, whose elements keep floats aligned; a step copies it off-heap a chunk at
     * a time, as {@link #ofArrays} describes. The parameter is usable while both segments are:
     * their arenas open, and from the threads those allow.
     *
     * @param name the parameter's name, not blank
     * @param values the values, which the optimizer updates in place
     * @param grad the gradient, which the trainer writes and a step reads (clipping by value
     *     rewrites it in place)
     * @return a parameter over the two segments, not a copy of them
     * @throws IllegalArgumentException naming the segment and what is wrong with it, or if
     *     {@code name} is null or blank
     * @throws NullPointerException if {@code values} or {@code grad} is null
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
     * reads {@code grads}. A step copies them off-heap a chunk at a time, which costs some speed
     * (the vector kernels run on native memory only, see {@code Optimizer}); {@link #allocate}
     * avoids the copies.
     *
     * @param name the parameter's name, not blank
     * @param values the values, which the optimizer updates in place
     * @param grads the gradient, which the trainer writes and a step reads (clipping by value
     *     rewrites it in place)
     * @return a parameter over the two arrays, not a copy of them
     * @throws IllegalArgumentException if the lengths differ, both are the same non-empty
     *     array, or {@code name} is null or blank
     * @throws NullPointerException if {@code values} or {@code grads} is null
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

    /**
     * {@return the name} An optimizer needs its parameters' names to be unique; messages and
     * checkpoints use them.
     */
    public String name() {
        return name;
    }

    /** {@return the number of float elements} */
    public long length() {
        return length;
    }

    /** {@return the values the optimizer updates: the segment itself, not a copy} */
    public MemorySegment values() {
        return values;
    }

    /**
     * {@return the gradient the trainer writes before each step: the segment itself, not a
     * copy}
     */
    public MemorySegment grad() {
        return grad;
    }

    /**
     * Reads one value.
     *
     * @param index the element, from 0 to {@code length() - 1}
     * @return the value at {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is outside the parameter
     */
    public float valueAt(long index) {
        return values.getAtIndex(JAVA_FLOAT, checkIndex(index));
    }

    /**
     * Writes one value.
     *
     * @param index the element, from 0 to {@code length() - 1}
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code index} is outside the parameter
     */
    public void setValueAt(long index, float value) {
        values.setAtIndex(JAVA_FLOAT, checkIndex(index), value);
    }

    /**
     * Reads one gradient element.
     *
     * @param index the element, from 0 to {@code length() - 1}
     * @return the gradient at {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is outside the parameter
     */
    public float gradAt(long index) {
        return grad.getAtIndex(JAVA_FLOAT, checkIndex(index));
    }

    /**
     * Writes one gradient element.
     *
     * @param index the element, from 0 to {@code length() - 1}
     * @param gradient the new gradient element
     * @throws IndexOutOfBoundsException if {@code index} is outside the parameter
     */
    public void setGradAt(long index, float gradient) {
        grad.setAtIndex(JAVA_FLOAT, checkIndex(index), gradient);
    }

    /** Sets every gradient element to zero. */
    public void zeroGrad() {
        grad.fill((byte) 0);
    }

    /** The values block this parameter is a slice of ({@link #allocateBlock}), or null. */
    MemorySegment valuesBlock() {
        return valuesBlock;
    }

    /** The gradient block this parameter is a slice of, or null. */
    MemorySegment gradBlock() {
        return gradBlock;
    }

    /** Where this parameter starts in its blocks, in elements; 0 outside a block. */
    long blockOffset() {
        return blockOffset;
    }

    /** {@code length} rounded up to whole {@link #ALLOCATION_ALIGNMENT}s. */
    static long paddedLength(long length) {
        return (length + ALIGNMENT_FLOATS - 1) / ALIGNMENT_FLOATS * ALIGNMENT_FLOATS;
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
        final Object array = segment.heapBase().orElse(null);
        if (array != null && !(array instanceof float[] || array instanceof int[]
                || array instanceof long[] || array instanceof double[])) {
            // A heap segment's address is its offset in the array, and only arrays of 4-byte or
            // wider elements guarantee float alignment: aligned float access to a byte[] fails.
            throw new IllegalArgumentException(what + "is backed by a "
                    + array.getClass().getComponentType() + "[] array, which does not guarantee"
                    + " 4-byte alignment; floats need a float[], int[], long[] or double[] array,"
                    + " or native memory");
        }
        if (segment.address() % Float.BYTES != 0) {
            throw new IllegalArgumentException(what + "is not 4-byte aligned (address "
                    + segment.address() + "); floats must be aligned to 4 bytes");
        }
    }
}
