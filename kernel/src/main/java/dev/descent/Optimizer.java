package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.descent.kernel.Kernels;
import dev.descent.kernel.UpdateKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * An optimizer over groups of {@link Parameter}s: {@link #step()} applies one fused update to every
 * parameter in place, reading each gradient, value and state element once and writing it once,
 * and, from the second step on, allocates nothing (the first starts the worker threads it needs
 * and picks the vector width).
 *
 * <p>Optimizer state (momentum buffers, moment estimates) lives off-heap in an arena the optimizer
 * owns, 64-byte aligned, zeroed or set to its initial value; {@link #close()} frees it.
 * Consecutive parameters that lie back to back in memory, as those of one
 * {@link Parameter#allocateBlock block} do and small ones {@link Parameter#allocate allocated} one
 * after the other in one arena do, are updated as one run when they are in the same group: in
 * one pass, as one tensor would be, with their state laid out the same way.
 * An optimizer is not thread-safe: one thread steps it at a time.
 *
 * @param <C> the hyperparameter record of this optimizer kind
 */
public abstract sealed class Optimizer<C extends OptimizerConfig> implements AutoCloseable
        permits Sgd, Adam, AdaGrad, RmsProp {

    /** Alignment, in bytes, of every state segment. */
    public static final long STATE_ALIGNMENT = 64;
    /** How far apart in their pages the starts of a large run's tensors are: 17 cache lines. */
    static final long STAGGER_BYTES = 17 * 64;

    /**
     * System property: the fewest elements worth handing to another thread; a step over fewer
     * than twice this runs on the caller's thread alone, where a hand-off would cost more than it
     * saves.
     */
    public static final String MIN_ELEMENTS_PER_THREAD_PROP_NAME = "descent.step.minElementsPerThread";
    /** Default of {@link #MIN_ELEMENTS_PER_THREAD_PROP_NAME}. */
    public static final long MIN_ELEMENTS_PER_THREAD_DEFAULT = 1 << 15;
    /**
     * System property: how long, in microseconds, a worker thread keeps polling for the next step
     * after finishing one, before it yields and parks. Waking a parked worker takes the operating
     * system tens to hundreds of microseconds, during which the caller does the worker's shares
     * itself; a trainer whose steps come less than this apart finds its workers ready, and pays
     * with a core kept busy for that long after every step. 0 skips the polling: a worker
     * yields a few times, then parks.
     */
    public static final String WORKER_SPIN_MICROS_PROP_NAME = "descent.step.workerSpinMicros";
    /**
     * Default of {@link #WORKER_SPIN_MICROS_PROP_NAME}: enough for steps that come back to back,
     * short enough that an optimizer between a trainer's steps leaves the cores to the trainer.
     */
    public static final long WORKER_SPIN_MICROS_DEFAULT = 50;
    /**
     * Share boundaries fall on multiples of this many elements from the start of a run: one cache
     * line of floats, so no two threads write one line.
     */
    private static final long SHARE_GRANULE = 16;
    /**
     * Shares per thread in a parallel pass; a thread that finishes its own run of shares takes
     * the others' still unclaimed ({@link StepWorkers}). Model-shaped parameter lists put their
     * many small tensors, each with a fixed cost, in one part of the range; with one equal share
     * per thread the thread that drew them finished last (2 threads, a 24-layer decoder at width
     * 32: SGD 0.74, Adam 0.93 of one flat tensor's speed; with 4 shares per thread 0.81 and 0.99,
     * PairedBenchmark.model).
     */
    private static final int SHARES_PER_THREAD = 4;
    /**
     * Elements of a Java array copied off-heap at a time (16 KiB a tensor, which the L1 and L2
     * caches keep): the length of a reduction block, so a block's copy fits.
     */
    private static final long STAGING_CHUNK = UpdateKernels.REDUCTION_BLOCK;

    /**
     * The kernels the updates run on: the provider's until the first step picks the vector width
     * for this optimizer's size and thread count ({@link Kernels#forWorkingSet}); every width
     * gives the same bits.
     */
    UpdateKernels kernels = Kernels.provider();
    private final List<ParameterGroup<C>> groups;
    private final Parameter[] parameters;
    /** Each parameter's index in {@link #parameters}: a checkpoint looks up every one of them. */
    private final Map<Parameter, Integer> indexOf;
    private final int[] groupOfParameter;
    private final List<List<String>> stateNamesByGroup;
    private final MemorySegment[][] state;
    private final Arena stateArena = Arena.ofShared();
    /**
     * One value or gradient segment per distinct memory scope among the parameters: whether a
     * parameter's memory is alive and accessible is a property of its scope, so checking these
     * checks them all, without a walk over hundreds of tensors every step.
     */
    private final MemorySegment[] scopeSamples;
    /**
     * What the update passes go over: runs of consecutive parameters that are adjacent in memory
     * (value, gradient and every state tensor) and share a group, each updated as one tensor.
     * Wrapped and large parameters are runs of their own.
     */
    private final int[] runGroup;
    private final MemorySegment[] runValues;
    private final MemorySegment[] runGrad;
    private final MemorySegment[][] runState;
    /**
     * Per run whose values or gradient are Java arrays, its state cut into chunks of
     * {@link #STAGING_CHUNK} elements; null for runs in native memory. See {@link #runShare}.
     */
    private final MemorySegment[][][] runChunkState;
    /** Per share, off-heap copies of a chunk of values and of gradients; null without arrays. */
    private MemorySegment[] stagedValues;
    private MemorySegment[] stagedGrad;
    /** Where each run starts in the concatenation of all of them; the last entry is the total. */
    private final long[] runStarts;
    private final int threads;
    /** {@link #minElementsPerThread()} and {@link #workerSpinNanos()} when this was built. */
    private final long minElementsPerThread;
    private final long workerSpinNanos;
    /** Where each parameter's first reduction block is in the list of all blocks; last: total. */
    private final long[] blockStarts;
    private StepWorkers workers;
    /** Shares of every pass: 0 until the first step decides, 1 for the caller's thread alone. */
    private int shares;
    /** Where share {@code k} of a parallel pass starts; the last entry is the total. */
    private long[] shareStarts;
    private Phase phase = Phase.UPDATE;
    /** The sum of squares of every reduction block, filled by the pre-pass; made on first use. */
    private double[] blockSums;
    /** What multiplies every gradient in this step's update: 1/lossScale times the clip factor. */
    private float gradFactor = 1f;
    /** The gradient scale the pre-pass reads gradients with: 1/lossScale. */
    private float prePassScale = 1f;
    private GradientClipping clipping;
    private LossScaler lossScaler;
    private double lastGradNorm = Double.NaN;
    private boolean lastStepSkipped;
    private long stepCount;
    private boolean closed;

    /** What the shares of a parallel pass do. */
    private enum Phase { UPDATE, REDUCE, CLAMP }

    Optimizer(List<ParameterGroup<C>> groups, int threads) {
        this.minElementsPerThread = minElementsPerThread();
        this.workerSpinNanos = workerSpinNanos();
        this.groups = List.copyOf(groups);
        this.threads = threads;
        final List<Parameter> flat = new ArrayList<>();
        final List<Integer> owner = new ArrayList<>();
        final List<List<String>> names = new ArrayList<>();
        for (int g = 0; g < this.groups.size(); g++) {
            names.add(List.copyOf(stateNames(this.groups.get(g).config())));
            for (Parameter p : this.groups.get(g).parameters()) {
                flat.add(p);
                owner.add(g);
            }
        }
        this.parameters = flat.toArray(Parameter[]::new);
        this.indexOf = new IdentityHashMap<>(parameters.length);
        for (int i = 0; i < parameters.length; i++) {
            indexOf.put(parameters[i], i);
        }
        this.groupOfParameter = owner.stream().mapToInt(Integer::intValue).toArray();
        this.stateNamesByGroup = List.copyOf(names);
        this.blockStarts = new long[parameters.length + 1];
        for (int i = 0; i < parameters.length; i++) {
            blockStarts[i + 1] = blockStarts[i] + ceilDiv(parameters[i].length(),
                    UpdateKernels.REDUCTION_BLOCK);
        }
        this.state = new MemorySegment[parameters.length][];
        final List<Integer> runFirsts = new ArrayList<>();
        for (int first = 0; first < parameters.length; ) {
            runFirsts.add(first);
            do {
                first++;
            } while (first < parameters.length && continues(first - 1, first));
        }
        runFirsts.add(parameters.length);
        final List<Run> runs = new ArrayList<>();
        try {
            final StateBlocks stateBlocks = new StateBlocks(runFirsts);
            for (int r = 0; r + 1 < runFirsts.size(); r++) {
                runs.add(run(runFirsts.get(r), runFirsts.get(r + 1) - 1, stateBlocks, r));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            stateArena.close();
            throw e;
        }
        this.runGroup = runs.stream().mapToInt(Run::group).toArray();
        this.runValues = runs.stream().map(Run::values).toArray(MemorySegment[]::new);
        this.runGrad = runs.stream().map(Run::grad).toArray(MemorySegment[]::new);
        this.runState = runs.stream().map(Run::state).toArray(MemorySegment[][]::new);
        this.runStarts = new long[runs.size() + 1];
        this.runChunkState = new MemorySegment[runs.size()][][];
        for (int r = 0; r < runs.size(); r++) {
            final long elements = runs.get(r).values().byteSize() / Float.BYTES;
            runStarts[r + 1] = runStarts[r] + elements;
            if (onHeap(runValues[r], runGrad[r])) {
                runChunkState[r] = chunks(runState[r], elements);
            }
        }
        final Map<MemorySegment.Scope, MemorySegment> samples = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            samples.putIfAbsent(p.values().scope(), p.values());
            samples.putIfAbsent(p.grad().scope(), p.grad());
        }
        this.scopeSamples = samples.values().toArray(MemorySegment[]::new);
    }

    /** A stretch of memory the update passes treat as one tensor. */
    private record Run(int group, MemorySegment values, MemorySegment grad, MemorySegment[] state) {
    }

    /**
     * Run {@code r}, of parameters {@code first .. last}, each adjacent to the one before in the
     * same value and gradient blocks ({@link #continues}), with its state: one segment per
     * state name for the whole run, laid out like the value block, each parameter's state tensor
     * a slice of it. The padding inside a run starts zero in the value and gradient blocks and
     * zero (AdaGrad: the initial sum) in the state, and an update of a zero gradient and value
     * leaves all of it so: the padding never changes and is never visible through a parameter.
     */
    private Run run(int first, int last, StateBlocks stateBlocks, int r) {
        final Parameter head = parameters[first];
        final int g = groupOfParameter[first];
        final long elements = runLength(first, last);
        final List<String> names = stateNamesByGroup.get(g);
        final MemorySegment[] runState = new MemorySegment[names.size()];
        for (int i = first; i <= last; i++) {
            state[i] = new MemorySegment[names.size()];
        }
        for (int k = 0; k < names.size(); k++) {
            runState[k] = stateBlocks.slice(r, k, elements);
            final float initial = initialState(groups.get(g).config(), names.get(k));
            if (initial != 0f) {
                for (long e = 0; e < elements; e++) {
                    runState[k].setAtIndex(JAVA_FLOAT, e, initial);
                }
            }
            for (int i = first; i <= last; i++) {
                state[i][k] = runState[k].asSlice(
                        (parameters[i].blockOffset() - head.blockOffset()) * Float.BYTES,
                        parameters[i].length() * Float.BYTES);
            }
        }
        if (first == last) {
            return new Run(g, head.values(), head.grad(), runState);
        }
        return new Run(g, head.valuesBlock().asSlice(head.blockOffset() * Float.BYTES,
                elements * Float.BYTES), head.gradBlock().asSlice(
                head.blockOffset() * Float.BYTES, elements * Float.BYTES), runState);
    }

    /** The elements a run of parameters {@code first .. last} spans, padding included. */
    private long runLength(int first, int last) {
        return first == last ? parameters[first].length() : parameters[last].blockOffset()
                + parameters[last].length() - parameters[first].blockOffset();
    }

    /**
     * The state of every run, back to back in run order: state tensor {@code k} of every run is a
     * slice of one block of kind {@code k}, each slice starting on a cache line. A step then reads
     * and writes each kind of state as one stream, as it does a block's values, instead of a
     * stream per run, and the state of many tensors costs one allocation per kind instead of one
     * per run. One block also gets huge pages as a whole: allocated run by run, the state of a
     * run that ends partway into a huge page kept that part in 4 KiB pages, and on the Intel Xeon
     * a 24-layer decoder at width 256 allocated one tensor at a time (runs of 789,760 elements,
     * 37% of each in 4 KiB pages) stepped at 0.92-0.94 of one flat tensor's speed with RMSProp
     * and AdamW on one thread, against 0.99-1.00 for the same model in one block.
     *
     * <p>The slice of a run of {@link Parameter#STAGGER_MIN_LENGTH} elements or more starts
     * {@code k + 1} times {@value #STAGGER_BYTES} bytes further into its page than the run's
     * values, padded up to a page to get there: large allocations all start at the same offset in
     * their pages, and streams that do so compete for the same L1 sets and trip the store-to-load
     * checks, which compare only the low 12 address bits. Staggered, AMSGrad over 575,296
     * elements ran 1.5 times as fast and Adam 10% faster. A block starts {@code k + 1} times
     * {@value #STAGGER_BYTES} bytes into a page, so the small runs' state, packed without regard
     * to their values, is staggered between kinds too.
     */
    private final class StateBlocks {
        private final MemorySegment[] blocks;
        /** Per run and kind, where the run's slice starts in the kind's block, in bytes. */
        private final long[][] starts;

        /** Lays out and allocates the blocks for the runs starting at {@code runFirsts}. */
        StateBlocks(List<Integer> runFirsts) {
            final int kinds = stateNamesByGroup.stream().mapToInt(List::size).max().orElse(0);
            final long[] used = new long[kinds];
            starts = new long[runFirsts.size() - 1][];
            for (int r = 0; r < starts.length; r++) {
                final int first = runFirsts.get(r);
                final long elements = runLength(first, runFirsts.get(r + 1) - 1);
                starts[r] = new long[stateNamesByGroup.get(groupOfParameter[first]).size()];
                for (int k = 0; k < starts[r].length; k++) {
                    if (elements >= Parameter.STAGGER_MIN_LENGTH) {
                        final long wanted = Math.floorMod(parameters[first].values().address()
                                + (k + 1) * STAGGER_BYTES, Parameter.PAGE_BYTES)
                                / STATE_ALIGNMENT * STATE_ALIGNMENT;
                        used[k] += Math.floorMod(wanted - blockPageOffset(k) - used[k],
                                Parameter.PAGE_BYTES);
                    }
                    starts[r][k] = used[k];
                    used[k] += Parameter.paddedLength(elements) * Float.BYTES;
                }
            }
            blocks = new MemorySegment[kinds];
            for (int k = 0; k < kinds; k++) {
                // Below a large run's worth no run needs its page offset: no page to stagger in.
                blocks[k] = used[k] < Parameter.STAGGER_MIN_LENGTH * Float.BYTES
                        ? stateArena.allocate(used[k], STATE_ALIGNMENT)
                        : Parameter.allocateAtPageOffset(stateArena, used[k], blockPageOffset(k));
            }
        }

        private static long blockPageOffset(int k) {
            return (k + 1) * STAGGER_BYTES % Parameter.PAGE_BYTES;
        }

        /** State tensor {@code k} of run {@code r}, of {@code elements}. */
        MemorySegment slice(int r, int k, long elements) {
            return blocks[k].asSlice(starts[r][k], elements * Float.BYTES);
        }
    }

    /** Whether parameter {@code next} is adjacent to {@code previous} in every tensor. */
    private boolean continues(int previous, int next) {
        final Parameter a = parameters[previous];
        final Parameter b = parameters[next];
        return groupOfParameter[previous] == groupOfParameter[next] && a.valuesBlock() != null
                && a.valuesBlock() == b.valuesBlock() && a.gradBlock() == b.gradBlock()
                && b.blockOffset() == a.blockOffset() + Parameter.paddedLength(a.length());
    }

    /**
     * Whether the update divides and takes square roots, which bounds it in cache, rather than
     * only multiplying and adding; see {@link Kernels#forWorkingSet}.
     */
    abstract boolean divideBound();

    /** The names of the state tensors a parameter of a group with {@code config} carries. */
    abstract List<String> stateNames(C config);

    /** The value state tensor {@code name} starts with. */
    float initialState(C config, String name) {
        return 0f;
    }

    /** Computes the per-step scalars of group {@code groupIndex} for step {@code step} (from 1). */
    abstract void beginStep(int groupIndex, ParameterGroup<C> group, long step);

    /**
     * Updates elements {@code [offset, offset+count)} of one run of parameters (one parameter,
     * or several adjacent ones) with its group's scalars.
     */
    abstract void update(int groupIndex, MemorySegment values, MemorySegment grad,
                         MemorySegment[] state, long offset, long count);

    /**
     * Applies one update to every parameter, using the gradients in their {@code grad()}
     * segments, and counts the step.
     *
     * <p>Groups with a schedule first take its learning rate (and momentum) for this step.
     *
     * @throws IllegalStateException if the optimizer is closed or a parameter's memory is no
     *     longer accessible (arena closed, or confined to another thread); nothing is changed then
     * @throws IllegalArgumentException if a schedule gives an invalid value for this step (e.g. a
     *     one-cycle schedule run past its end); nothing is changed then
     * @throws IllegalStateException also if the step count is already {@code Long.MAX_VALUE}
     *     (a restored count can be); nothing is changed then
     * @throws ArithmeticException if gradient clipping set to
     *     {@link GradientClipping.NonFinite#THROW} finds an inf or NaN gradient and no loss
     *     scaler is attached (with one, the step is skipped and the scale backs off); nothing is
     *     changed then
     */
    public final void step() {
        checkUsable();
        if (stepCount == Long.MAX_VALUE) {
            throw new IllegalStateException("the step count is " + stepCount + ", the largest a"
                    + " long holds, so no step can follow it; nothing was updated");
        }
        final long next = stepCount + 1;
        for (int g = 0; g < groups.size(); g++) { // indexed: an iterator would allocate
            groups.get(g).checkSchedule(next);
        }
        if (shares == 0) {
            planShares();
        }
        gradFactor = 1f;
        if (clipping != null || lossScaler != null) {
            if (!gradientPrePass()) { // sets lastGradNorm, unless it throws
                lastStepSkipped = true;
                return;
            }
        } else {
            lastGradNorm = Double.NaN;
        }
        lastStepSkipped = false;
        for (int g = 0; g < groups.size(); g++) {
            groups.get(g).applySchedule(next);
            beginStep(g, groups.get(g), next);
        }
        runPhase(Phase.UPDATE);
        stepCount = next;
        if (lossScaler != null) {
            lossScaler.update(false);
        }
    }

    /**
     * Unscales, checks and measures the gradients before an update: false if the step must be
     * skipped. Writes nothing but {@link #lastGradNorm} and, when clipping by value, the clamped
     * gradients; throwing, not even the norm.
     */
    private boolean gradientPrePass() {
        prePassScale = lossScaler == null ? 1f : lossScaler.inverseScale();
        final int blocks = (int) blockStarts[parameters.length];
        if (blockSums == null) {
            blockSums = new double[blocks];
        }
        runPhase(Phase.REDUCE);
        double sum = 0;
        for (int b = 0; b < blocks; b++) {
            sum += blockSums[b];
        }
        final double norm = Math.sqrt(sum);
        if (!Double.isFinite(norm) && lossScaler == null
                && clipping.onNonFinite() == GradientClipping.NonFinite.THROW) {
            throw new ArithmeticException(nonFiniteGradient(norm));
        }
        lastGradNorm = norm;
        if (!Double.isFinite(norm)) {
            if (lossScaler != null) {
                lossScaler.update(true);
            }
            return false;
        }
        if (clipping != null && !clipping.byNorm()) {
            runPhase(Phase.CLAMP);
            return true; // the gradients are unscaled and clamped in place now
        }
        final double coefficient = clipping == null ? 1 : clipping.coefficient(lastGradNorm);
        gradFactor = (float) ((double) prePassScale * coefficient);
        return true;
    }

    /**
     * The error for a non-finite total norm without a loss scaler: names the first parameter and
     * element whose gradient is inf or NaN (such a block's sum is the first non-finite one).
     */
    private String nonFiniteGradient(double norm) {
        for (int i = 0; i < parameters.length; i++) {
            for (long b = blockStarts[i]; b < blockStarts[i + 1]; b++) {
                if (Double.isFinite(blockSums[(int) b])) {
                    continue;
                }
                final long from = blockOffset(i, b);
                final long to = from + blockLength(i, from);
                for (long e = from; e < to; e++) {
                    final float g = parameters[i].gradAt(e);
                    if (!Float.isFinite(g)) {
                        return "the gradient of parameter '" + parameters[i].name() + "' is " + g
                                + " at element " + e + ", so the total L2 norm of the gradients"
                                + " is " + norm + " and they cannot be clipped (a finite gradient"
                                + " was expected; withOnNonFinite(SKIP_STEP) skips such steps);"
                                + " nothing was updated";
                    }
                }
            }
        }
        return "the total L2 norm of the gradients is " + norm + " (a gradient is inf or NaN),"
                + " so they cannot be clipped; nothing was updated";
    }

    private void runPhase(Phase phase) {
        this.phase = phase;
        if (shares == 1) {
            runShare(0);
        } else {
            workers.run(shares);
        }
    }

    /** The scale of the gradient in this step's update, with the sign for {@code maximize}. */
    final float gradScale(boolean maximize) {
        return maximize ? -gradFactor : gradFactor;
    }

    /**
     * Clips gradients in every following step, before the update; null stops clipping. See
     * {@link GradientClipping}.
     *
     * @param clipping the clipping to apply from the next step on, or null for none
     * @throws IllegalStateException if this optimizer is closed
     */
    public final void setGradientClipping(GradientClipping clipping) {
        checkOpen();
        this.clipping = clipping;
    }

    /** {@return the clipping in use, or null} */
    public final GradientClipping gradientClipping() {
        return clipping;
    }

    /**
     * Unscales gradients by a {@link LossScaler} in every following step, skipping steps whose
     * gradients hold inf or NaN; null stops it. A scaler belongs to one optimizer at a time: this
     * one holds it until it is replaced, detached with null, or this optimizer is closed.
     *
     * @param lossScaler the scaler to unscale by from the next step on, or null for none; a
     *     scaler it replaces is let go, and another optimizer may then take it
     * @throws IllegalArgumentException if another optimizer, not closed, holds {@code lossScaler};
     *     nothing is changed then
     * @throws IllegalStateException if this optimizer is closed (it would hold the scaler for
     *     good)
     */
    public final void setLossScaler(LossScaler lossScaler) {
        checkOpen();
        if (lossScaler != null) {
            lossScaler.attachTo(this);
        }
        if (this.lossScaler != null && this.lossScaler != lossScaler) {
            this.lossScaler.detachFrom(this);
        }
        this.lossScaler = lossScaler;
    }

    /** {@return the loss scaler in use, or null} */
    public final LossScaler lossScaler() {
        return lossScaler;
    }

    /**
     * {@return the total L2 norm of the (unscaled) gradients measured by the last step's
     * pre-pass, before clipping} NaN if the last step ran none (there is none without clipping
     * or loss scaling) or no step has run yet; inf or NaN if the last step found a non-finite
     * gradient and skipped.
     */
    public final double lastGradNorm() {
        return lastGradNorm;
    }

    /**
     * {@return whether the last call of {@link #step()} skipped its update for an inf or NaN
     * gradient} False before the first step.
     */
    public final boolean lastStepSkipped() {
        return lastStepSkipped;
    }

    /**
     * Decides, once, how the passes are shared: the total element range is cut into equal shares
     * across all parameters, {@link #SHARES_PER_THREAD} per thread, so hundreds of small tensors
     * balance as well as one large one. Neither the element count nor which threads may access
     * the memory (fixed when a segment is made) changes later.
     */
    private void planShares() {
        final int stepping = planWorkers();
        // shares is set last: a step that finds it set skips this plan and relies on all of it,
        // so a plan that fails (out of memory) must leave it 0, and no workers behind, for the
        // next step to plan again rather than run into buffers that were never allocated.
        final int count = workers == null ? 1 : shareStarts.length - 1;
        try {
            kernels = Kernels.forWorkingSet(workingSetBytes() / stepping, divideBound());
            if (Arrays.stream(runChunkState).anyMatch(Objects::nonNull)) {
                final MemorySegment[] values = new MemorySegment[count];
                final MemorySegment[] grad = new MemorySegment[count];
                for (int k = 0; k < count; k++) {
                    values[k] = stateArena.allocate(STAGING_CHUNK * Float.BYTES, STATE_ALIGNMENT);
                    grad[k] = stateArena.allocate(STAGING_CHUNK * Float.BYTES, STATE_ALIGNMENT);
                }
                stagedValues = values;
                stagedGrad = grad;
            }
        } catch (RuntimeException | Error e) {
            if (workers != null) {
                workers.close();
                workers = null;
            }
            throw e;
        }
        shares = count;
    }

    /**
     * Starts the workers a step needs, if any, and cuts the shares into {@link #shareStarts};
     * returns the threads that step. Sets {@link #workers} only once all of that succeeded.
     */
    private int planWorkers() {
        final long total = runStarts[runGroup.length];
        final long wanted = Math.min(threads, total / minElementsPerThread);
        if (wanted < 2) {
            return 1;
        }
        // As many workers as the step wants, not as threads allows: a step too small for all
        // of them (see minElementsPerThread) leaves the rest unstarted.
        final StepWorkers started = new StepWorkers((int) wanted - 1, this::runShare,
                getClass().getSimpleName(), workerSpinNanos);
        try {
            for (MemorySegment sample : scopeSamples) {
                if (!started.canAccess(sample)) {
                    started.close(); // memory confined to the caller's thread: only it may step
                    return 1;
                }
            }
            final int count = (int) Math.min(wanted * SHARES_PER_THREAD, StepWorkers.MAX_SHARES);
            final long[] starts = new long[count + 1];
            for (int k = 0; k < count; k++) {
                final long element = total / count * k;
                final long runStart = runStarts[firstRunEndingAfter(element)];
                starts[k] = runStart + (element - runStart) / SHARE_GRANULE * SHARE_GRANULE;
            }
            starts[count] = total;
            shareStarts = starts;
        } catch (RuntimeException | Error e) {
            started.close();
            throw e;
        }
        workers = started;
        return (int) wanted;
    }

    /** The bytes a step reads and writes: every run's values, gradients and state, once. */
    private long workingSetBytes() {
        long bytes = 0;
        for (int r = 0; r < runGroup.length; r++) {
            bytes += (runStarts[r + 1] - runStarts[r]) * (2 + runState[r].length) * Float.BYTES;
        }
        return bytes;
    }

    /**
     * Updates share {@code k} of the concatenated elements, slice by slice. A run whose values or
     * gradient are Java arrays goes through off-heap copies, one chunk of {@link #STAGING_CHUNK}
     * elements at a time, in share {@code k}'s buffers: the vector kernels are compiled for the
     * memory they have seen, and a {@code MemorySegment} over an array reaching them even once
     * makes C2 compile every load and store for either kind of memory, which cost Adam four to
     * seven times its speed, on native memory and on arrays alike (one JVM, 65,536 elements).
     * A copy that stays in the L1 and L2 caches costs a fraction of that. A chunk's state is a
     * slice made once, so a chunk's update is the same call, with the same bits, as on native
     * memory. Each kernel has one call site here: C2 inlines a kernel once per call site, and a
     * second copy can exhaust its inlining budget, leaving vector operations boxed.
     */
    private void runShare(int k) {
        if (phase == Phase.REDUCE) {
            reduceShare(k);
            return;
        }
        final boolean clamp = phase == Phase.CLAMP;
        final long lo = shares == 1 ? 0 : shareStarts[k];
        final long hi = shares == 1 ? runStarts[runGroup.length] : shareStarts[k + 1];
        int r = firstRunEndingAfter(lo);
        for (; r < runGroup.length && runStarts[r] < hi; r++) {
            final long to = Math.min(hi, runStarts[r + 1]) - runStarts[r];
            final boolean staged = runChunkState[r] != null;
            for (long from = Math.max(lo, runStarts[r]) - runStarts[r]; from < to; ) {
                MemorySegment values = runValues[r];
                MemorySegment grad = runGrad[r];
                MemorySegment[] state = runState[r];
                long offset = from;
                long end = to;
                if (staged) {
                    final long chunk = from / STAGING_CHUNK;
                    offset = from - chunk * STAGING_CHUNK;
                    end = Math.min(to, (chunk + 1) * STAGING_CHUNK);
                    values = stagedValues[k];
                    grad = stagedGrad[k];
                    state = runChunkState[r][(int) chunk];
                    copyFloats(runGrad[r], from, grad, offset, end - from);
                    if (!clamp) {
                        copyFloats(runValues[r], from, values, offset, end - from);
                    }
                }
                if (clamp) {
                    kernels.clamp(grad, offset, end - from, prePassScale, (float) clipping.limit());
                } else {
                    update(runGroup[r], values, grad, state, offset, end - from);
                }
                if (staged && clamp) {
                    copyFloats(grad, offset, runGrad[r], from, end - from);
                } else if (staged) {
                    copyFloats(values, offset, runValues[r], from, end - from);
                }
                from = end;
            }
        }
    }

    /**
     * Copies {@code count} floats from element {@code from} of {@code source} to element
     * {@code at} of {@code target}.
     */
    private static void copyFloats(MemorySegment source, long from, MemorySegment target, long at,
                                   long count) {
        MemorySegment.copy(source, from * Float.BYTES, target, at * Float.BYTES,
                count * Float.BYTES);
    }

    /**
     * Sums the squares of share {@code k} of all reduction blocks. Blocks are fixed per tensor and
     * summed in order afterwards, so no thread count or vector width changes the total.
     */
    private void reduceShare(int k) {
        final long blocks = blockStarts[parameters.length];
        final long first = k == 0 ? 0 : blocks / shares * k;
        final long last = k + 1 >= shares ? blocks : blocks / shares * (k + 1);
        int i = 0;
        for (long b = first; b < last; b++) {
            while (blockStarts[i + 1] <= b) {
                i++;
            }
            final long offset = blockOffset(i, b);
            final long count = blockLength(i, offset);
            MemorySegment grad = parameters[i].grad();
            long from = offset;
            if (!grad.isNative()) { // a block starts the kernel's partial sums: same bits in a copy
                copyFloats(grad, offset, stagedGrad[k], 0, count);
                grad = stagedGrad[k];
                from = 0;
            }
            blockSums[(int) b] = kernels.sumOfSquares(grad, from, count, prePassScale);
        }
    }

    /** The first element of reduction block {@code b}, one of parameter {@code i}'s. */
    private long blockOffset(int i, long b) {
        return (b - blockStarts[i]) * UpdateKernels.REDUCTION_BLOCK;
    }

    /** The elements of parameter {@code i}'s reduction block that starts at {@code offset}. */
    private long blockLength(int i, long offset) {
        return Math.min(UpdateKernels.REDUCTION_BLOCK, parameters[i].length() - offset);
    }

    /** Whether a run's values or gradient are a Java array, which the kernels never see. */
    private static boolean onHeap(MemorySegment values, MemorySegment grad) {
        return !values.isNative() || !grad.isNative();
    }

    /** {@code state}'s tensors cut into slices of {@link #STAGING_CHUNK}, chunk by chunk. */
    private static MemorySegment[][] chunks(MemorySegment[] state, long elements) {
        final MemorySegment[][] chunks =
                new MemorySegment[(int) ceilDiv(elements, STAGING_CHUNK)][];
        for (int c = 0; c < chunks.length; c++) {
            final long start = c * STAGING_CHUNK;
            final long length = Math.min(STAGING_CHUNK, elements - start);
            chunks[c] = new MemorySegment[state.length];
            for (int t = 0; t < state.length; t++) {
                chunks[c][t] = state[t].asSlice(start * Float.BYTES, length * Float.BYTES);
            }
        }
        return chunks;
    }

    private static long ceilDiv(long x, long y) {
        return (x + y - 1) / y;
    }

    private int firstRunEndingAfter(long element) {
        int lo = 0;
        int hi = runGroup.length;
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (runStarts[mid + 1] <= element) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * Sets every parameter's gradient to zero.
     *
     * @throws IllegalStateException if the optimizer is closed or a parameter's memory is not
     *     accessible from this thread (freed, or confined to another); nothing is zeroed then
     */
    public final void zeroGrad() {
        checkUsable();
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    /**
     * {@return the number of steps taken so far} Skipped steps do not count; {@link #restore}
     * sets it.
     */
    public final long stepCount() {
        return stepCount;
    }

    /** {@return the parameter groups, in the order they were given, as an unmodifiable list} */
    public final List<ParameterGroup<C>> groups() {
        return groups;
    }

    /** {@return every parameter of every group, in order, as an unmodifiable list} */
    public final List<Parameter> parameters() {
        return List.of(parameters);
    }

    /**
     * Read-only views of the state tensors of {@code parameter}, by PyTorch's state names (for
     * example {@code exp_avg}, {@code exp_avg_sq}); empty for plain SGD.
     *
     * @param parameter a parameter of this optimizer
     * @return the state tensors by name, in the order the optimizer keeps them: an unmodifiable
     *     map of read-only segments that stay valid until this optimizer is closed
     * @throws IllegalArgumentException if the parameter is not in this optimizer
     * @throws IllegalStateException if the optimizer is closed
     */
    public final Map<String, MemorySegment> state(Parameter parameter) {
        checkOpen();
        final Integer i = indexOf.get(parameter);
        if (i == null) {
            throw new IllegalArgumentException("parameter " + parameter + " is not in this optimizer");
        }
        return stateViews(i, false);
    }

    /**
     * Checkpoint hook, for {@code dev.descent.io.Checkpoints}: hands {@code writer} each parameter
     * with writable views of its state tensors, by the names {@link #state} uses, then sets the
     * step count to {@code stepCount}. The caller validates everything it writes beforehand: if
     * {@code writer} throws, state may be partly written and the step count is unchanged.
     *
     * @param stepCount the step count to continue from, {@code >= 0}
     * @param writer called once per parameter, in order, with an unmodifiable map of writable
     *     views of its state tensors; empty for plain SGD
     * @throws IllegalArgumentException if {@code stepCount} is negative
     * @throws IllegalStateException if the optimizer is closed or a parameter's memory is not
     *     accessible; nothing is written then
     * @throws NullPointerException if {@code writer} is null
     */
    public final void restore(long stepCount, BiConsumer<Parameter, Map<String, MemorySegment>> writer) {
        checkUsable();
        Checks.notNull("writer", writer);
        if (stepCount < 0) {
            throw new IllegalArgumentException("stepCount must be >= 0, got " + stepCount);
        }
        for (int i = 0; i < parameters.length; i++) {
            writer.accept(parameters[i], stateViews(i, true));
        }
        this.stepCount = stepCount;
        restored(stepCount);
    }

    /** Called by {@link #restore} once the state and the step count are set. */
    void restored(long stepCount) {
    }

    /** The state tensors of parameter {@code i} by name, in order; read-only unless asked. */
    private Map<String, MemorySegment> stateViews(int i, boolean writable) {
        final List<String> names = stateNamesByGroup.get(groupOfParameter[i]);
        final Map<String, MemorySegment> views = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            views.put(names.get(k), writable ? state[i][k] : state[i][k].asReadOnly());
        }
        return Collections.unmodifiableMap(views);
    }

    /** How many runs the update passes go over (see {@link #runGroup}); for tests. */
    final int runCount() {
        return runGroup.length;
    }

    /**
     * {@return the name of the implementation running the updates, e.g. {@code panama-256} or
     * {@code scalar}} The first step may change it, when it picks the vector width for this
     * optimizer's size ({@link Kernels#forWorkingSet}).
     */
    public final String kernelName() {
        return kernels.name();
    }

    /** {@return the most threads a step of this optimizer uses, the caller's included} */
    public final int threads() {
        return threads;
    }

    /**
     * {@return {@value #MIN_ELEMENTS_PER_THREAD_PROP_NAME} as set now, else its default} An
     * optimizer reads it when it is built.
     *
     * @throws IllegalArgumentException if the property is set to anything but a whole number
     *     {@code >= 1}
     */
    public static long minElementsPerThread() {
        return Checks.longProperty(MIN_ELEMENTS_PER_THREAD_PROP_NAME,
                MIN_ELEMENTS_PER_THREAD_DEFAULT, 1);
    }

    /**
     * {@return {@value #WORKER_SPIN_MICROS_PROP_NAME} as set now, else its default, in
     * nanoseconds} (A window too long to count in a {@code long} of nanoseconds is as good as
     * endless.) An optimizer reads it when it is built.
     *
     * @throws IllegalArgumentException if the property is set to anything but a whole number
     *     {@code >= 0}
     */
    public static long workerSpinNanos() {
        final long micros = Checks.longProperty(WORKER_SPIN_MICROS_PROP_NAME,
                WORKER_SPIN_MICROS_DEFAULT, 0);
        return Math.min(micros, Long.MAX_VALUE / 1000) * 1000;
    }

    /**
     * Stops the worker threads and frees the optimizer state; further steps fail, as do
     * {@link #zeroGrad}, {@link #state}, {@link #restore} and setting clipping or a loss scaler
     * ({@link IllegalStateException}). Its groups stay plain objects whose learning rate and
     * momentum can still be read and set, to no effect. Closing twice does nothing. An optimizer
     * that is never closed keeps its workers and state until the JVM exits (its workers hold
     * it): build it in a try-with-resources block or close it when training ends.
     */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            if (workers != null) {
                workers.close();
            }
            stateArena.close();
            if (lossScaler != null) {
                lossScaler.detachFrom(this);
            }
        }
    }

    final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
    }

    private void checkUsable() {
        checkOpen();
        for (MemorySegment sample : scopeSamples) {
            if (!sample.scope().isAlive() || !sample.isAccessibleBy(Thread.currentThread())) {
                for (Parameter p : parameters) {
                    if (!p.isAccessible()) {
                        throw new IllegalStateException("parameter '" + p.name()
                                + "' cannot be accessed: its memory was freed (arena closed) or"
                                + " is confined to another thread; nothing was updated");
                    }
                }
            }
        }
    }

    /**
     * Builds an optimizer: defaults for every hyperparameter, set fluently, then either one group
     * ({@link #build(List)}) or several ({@link #group}, then {@link #build()}), each of which may
     * override the defaults.
     *
     * @param <B> the concrete builder
     * @param <C> the hyperparameter record
     * @param <O> the optimizer built
     */
    public abstract static sealed class Builder<B extends Builder<B, C, O>, C extends OptimizerConfig,
            O extends Optimizer<C>> permits Sgd.Builder, Adam.Builder, AdaGrad.Builder, RmsProp.Builder {

        private final List<ParameterGroup<C>> groups = new ArrayList<>();
        double lr;
        double weightDecay;
        boolean maximize;
        int threads = Runtime.getRuntime().availableProcessors();

        Builder(double lr, double weightDecay) {
            this.lr = lr;
            this.weightDecay = weightDecay;
        }

        /**
         * The most threads one step uses, the caller's included; default all available
         * processors, 1 steps on the caller's thread only. Workers start with the first step big
         * enough to share and stop on {@link Optimizer#close()}. Results are bit-identical for
         * every thread count (a NaN is NaN on every count, its sign and payload aside, as for the
         * kernels). Applies to the whole optimizer, not to a group.
         *
         * @param threads the most threads, from 1 to 65,535
         * @return this builder
         * @throws IllegalArgumentException if {@code threads} is outside [1, 65,535]
         */
        public final B threads(int threads) {
            if (threads < 1 || threads > StepWorkers.MAX_SHARES) {
                throw new IllegalArgumentException("threads must be in [1, "
                        + StepWorkers.MAX_SHARES + "], got " + threads);
            }
            this.threads = threads;
            return self();
        }

        /**
         * Sets the learning rate; the default is the optimizer's (PyTorch's).
         *
         * @param lr the learning rate, finite and {@code >= 0} (also as a float)
         * @return this builder
         * @throws IllegalArgumentException if {@code lr} is negative or not finite as a float
         */
        public final B lr(double lr) {
            this.lr = Checks.finiteAtLeast("lr", lr, 0);
            return self();
        }

        /**
         * Weight decay, finite and {@code >= 0}: an L2 term added to the gradient, except for
         * AdamW, which decays the parameter instead. Default 0 (1e-2 for AdamW).
         *
         * @param weightDecay the weight decay, finite and {@code >= 0} (also as a float)
         * @return this builder
         * @throws IllegalArgumentException if {@code weightDecay} is negative or not finite as a
         *     float
         */
        public final B weightDecay(double weightDecay) {
            this.weightDecay = Checks.finiteAtLeast("weightDecay", weightDecay, 0);
            return self();
        }

        /**
         * Maximize the objective instead of minimizing it (negates the gradient); default false.
         *
         * @param maximize true to ascend the gradient
         * @return this builder
         */
        public final B maximize(boolean maximize) {
            this.maximize = maximize;
            return self();
        }

        /** Copies the settings every optimizer has into {@code copy}, for {@link #copy()}. */
        final B withCommonSettingsOf(Builder<B, C, O> source) {
            lr = source.lr;
            weightDecay = source.weightDecay;
            maximize = source.maximize;
            threads = source.threads;
            return self();
        }

        /** A copy with the same hyperparameters and no groups, for per-group overrides. */
        abstract B copy();

        /** The hyperparameters as a record, after checks that involve several of them. */
        abstract C config();

        abstract O create(List<ParameterGroup<C>> groups, int threads);

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /**
         * Adds a group that uses the builder's hyperparameters as they are when it is added.
         *
         * @param parameters the group's parameters, at least one; the list is copied
         * @return this builder
         * @throws IllegalArgumentException if {@code parameters} is empty, or the builder's
         *     settings do not go together (SGD: Nesterov without momentum, or with dampening)
         * @throws NullPointerException if {@code parameters} or an element is null
         */
        public final B group(List<Parameter> parameters) {
            return group(parameters, b -> { });
        }

        /**
         * Adds a group whose hyperparameters start from this builder's current ones, changed by
         * {@code overrides}, e.g. {@code g -> g.lr(1e-4).weightDecay(0)}.
         *
         * @param parameters the group's parameters, at least one; the list is copied
         * @param overrides changes to a copy of this builder's hyperparameters, for this group
         *     only; this builder is left as it is
         * @return this builder
         * @throws IllegalArgumentException if {@code parameters} is empty, {@code overrides}
         *     changes {@link #threads}, a setter it calls refuses its value, or the group's
         *     settings do not go together (SGD: Nesterov without momentum, or with dampening)
         * @throws NullPointerException if {@code parameters}, an element of it, or
         *     {@code overrides} is null
         */
        public final B group(List<Parameter> parameters, Consumer<? super B> overrides) {
            Checks.notNull("parameters", parameters);
            Checks.notNull("overrides", overrides);
            final B copy = copy();
            overrides.accept(copy);
            if (copy.threads != threads) {
                throw new IllegalArgumentException("threads applies to the whole optimizer; set it"
                        + " on the builder, not in a group's overrides (got " + copy.threads + ")");
            }
            groups.add(new ParameterGroup<>(checkedList(parameters, groups.size()), copy.config()));
            return self();
        }

        /**
         * Builds an optimizer with a single group holding {@code parameters}.
         *
         * @param parameters the parameters, at least one; the list is copied
         * @return a new optimizer, its state allocated; worker threads start with its first step
         * @throws IllegalStateException if groups were added with {@link #group}
         * @throws IllegalArgumentException if {@code parameters} is empty, a parameter appears
         *     twice, two share a name or overlapping memory, a parameter's arena is closed, or the
         *     settings do not go together (SGD: Nesterov without momentum, or with dampening)
         * @throws NullPointerException if {@code parameters} or an element is null
         */
        public final O build(List<Parameter> parameters) {
            if (!groups.isEmpty()) {
                throw new IllegalStateException("this builder already has " + groups.size()
                        + " group(s); call build() to use them, or build(parameters) without group()");
            }
            Checks.notNull("parameters", parameters);
            return create(checkedGroups(
                    List.of(new ParameterGroup<>(checkedList(parameters, 0), config()))), threads);
        }

        /**
         * Builds an optimizer over the groups added with {@link #group}.
         *
         * @return a new optimizer, its state allocated; worker threads start with its first step
         * @throws IllegalStateException if no group was added
         * @throws IllegalArgumentException if a parameter appears twice (in one group or two),
         *     two share a name or overlapping memory, or a parameter's arena is closed
         */
        public final O build() {
            if (groups.isEmpty()) {
                throw new IllegalStateException("no parameter groups: call group(parameters) first,"
                        + " or build(parameters) for a single group");
            }
            return create(checkedGroups(groups), threads);
        }

        private static List<Parameter> checkedList(List<Parameter> parameters, int groupIndex) {
            if (parameters.isEmpty()) {
                throw new IllegalArgumentException("parameter group " + groupIndex
                        + " is empty; an optimizer needs at least one parameter per group");
            }
            for (int i = 0; i < parameters.size(); i++) {
                if (parameters.get(i) == null) {
                    throw new NullPointerException("parameter " + i + " of group " + groupIndex
                            + " is null");
                }
            }
            return List.copyOf(parameters);
        }

        private static <C extends OptimizerConfig> List<ParameterGroup<C>> checkedGroups(
                List<ParameterGroup<C>> groups) {
            final Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            final Map<String, Parameter> byName = new LinkedHashMap<>();
            final List<Parameter> all = new ArrayList<>();
            for (ParameterGroup<C> group : groups) {
                for (Parameter p : group.parameters()) {
                    if (!seen.add(p)) {
                        throw new IllegalArgumentException("parameter '" + p.name()
                                + "' appears more than once; each parameter may be in one group once");
                    }
                    if (!p.values().scope().isAlive() || !p.grad().scope().isAlive()) {
                        throw new IllegalArgumentException("parameter '" + p.name()
                                + "' belongs to a closed arena; its memory is gone");
                    }
                    if (byName.putIfAbsent(p.name(), p) != null) {
                        throw new IllegalArgumentException("two parameters are named '" + p.name()
                                + "'; names must be unique within an optimizer");
                    }
                    all.add(p);
                }
            }
            checkDisjoint(all);
            return List.copyOf(groups);
        }

        /**
         * Two parameters may not share memory: values would be updated twice per step, a
         * gradient read while another parameter's update writes it, or (two gradients) unscaled
         * and clipped in place twice. Sorts the segments of each memory (native, or one Java
         * array) by where they start and checks each against the furthest-reaching one before it,
         * so that a model of a hundred thousand tensors builds in well under a second.
         */
        private static void checkDisjoint(List<Parameter> all) {
            final Map<Object, List<Span>> byMemory = new IdentityHashMap<>();
            for (int i = 0; i < all.size(); i++) {
                addSpan(byMemory, all.get(i).values(), i);
                addSpan(byMemory, all.get(i).grad(), i);
            }
            for (List<Span> spans : byMemory.values()) {
                spans.sort(Comparator.comparingLong(Span::start));
                Span furthest = null;
                for (Span span : spans) {
                    if (furthest != null && furthest.end() > span.start()) {
                        final Parameter a = all.get(Math.min(furthest.index(), span.index()));
                        final Parameter b = all.get(Math.max(furthest.index(), span.index()));
                        throw new IllegalArgumentException("parameters '" + a.name() + "' and '"
                                + b.name() + "' share memory: the values or grad of one overlap"
                                + " the values or grad of the other, so a step would update or"
                                + " unscale them twice");
                    }
                    if (furthest == null || span.end() > furthest.end()) {
                        furthest = span;
                    }
                }
            }
        }

        /** Bytes {@code [start, end)} of a memory: parameter {@code index}'s values or gradient. */
        private record Span(long start, long end, int index) {
        }

        /** Native memory's key in {@link #checkDisjoint}; a Java array is its own. */
        private static final Object NATIVE_MEMORY = new Object();

        private static void addSpan(Map<Object, List<Span>> byMemory, MemorySegment segment,
                                    int index) {
            if (segment.byteSize() > 0) {
                byMemory.computeIfAbsent(segment.heapBase().orElse(NATIVE_MEMORY),
                        memory -> new ArrayList<>()).add(new Span(segment.address(),
                        segment.address() + segment.byteSize(), index));
            }
        }
    }
}
