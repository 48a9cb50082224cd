package dev.descent.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The performance targets as ratios measured side by side: Descent's step (the subject) against
 * a baseline, alternating within every iteration. Each invocation runs a block of subject steps,
 * then as many baseline steps, and times both blocks; a block lasts about {@value #BLOCK_MILLIS}
 * ms ({@code scaling}: 200), or one step where a step takes longer. A block of several steps
 * starts with one step that is not timed.
 *
 * <p>Why: on a shared machine other tenants change the speed of memory and cores from one second
 * to the next. Two separate runs of the same DRAM benchmark a minute apart differed by a third
 * here, more than any effect the targets are about. Alternating puts both sides under the same
 * disturbances, so their ratio holds still while their absolute speeds move. The untimed step
 * refills the caches the other side's block took over and wakes the side's workers, costs that a
 * trainer stepping back to back does not pay, and which fall more heavily on the side with more
 * threads. Two cores over one at 1,048,576 elements, nine kernels, Intel Xeon, two rounds each:
 * mean 1.87 and 1.90 with 50 ms blocks all timed, 1.92 and 1.94 with 200 ms blocks after an
 * untimed step; the same steps in separate forks, one thread and two stepping without a break
 * ({@code StepBenchmark}, Nesterov, momentum and Adam, three rounds), 1.90-2.09.
 *
 * <p>Read the result from the secondary metrics: {@code subjectNanos} and {@code baselineNanos}
 * are the time each side spent per iteration on the same number of steps, so the subject's
 * speed over the baseline's is {@code baselineNanos / subjectNanos}. The primary score (blocks
 * per second) means nothing by itself. {@link Summary} prints the ratios ({@code --targets}).
 *
 * <ul>
 *   <li>{@code step}: one tensor of {@code size} floats on {@code threads} threads, against
 *       {@code roofline} (the trivial pass with the same memory traffic), {@code plainJava}
 *       (the {@code float[]} loop), on one thread {@code native} (the same loop in C,
 *       compiled with gcc for this CPU: {@link NativeLoop}), or {@code arrays} (Descent over
 *       the same tensor in Java arrays, {@code Parameter.ofArrays});</li>
 *   <li>{@code model}: the many-tensor decoder of {@link ManyTensorsBenchmark}, its tensors
 *       allocated one by one ({@code layout=model}) or in one block ({@code layout=block}),
 *       against one flat tensor of the same total size;</li>
 *   <li>{@code scaling}: the optimizer on all cores against the same optimizer on one thread,
 *       and in the same rotation the roofline on all cores against the roofline on one thread:
 *       how far the memory itself lets a step of that size scale on this machine, now. Its
 *       counters {@code ceilingNanos} and {@code ceilingBaselineNanos} give that ceiling. With
 *       {@code gapMicros} the caller stays busy that long before every step, as a trainer
 *       between its steps, and the workers may park in between;</li>
 *   <li>{@code subnormal}: the step with gradients so small that the state settles among the
 *       subnormal floats, against the same step with ordinary gradients.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {StepBenchmark.VECTOR_MODULE, StepBenchmark.NATIVE_ACCESS,
        StepBenchmark.HEAP_HUGE_PAGES})
public class PairedBenchmark {

    static final String ROOFLINE = "roofline";
    static final String PLAIN_JAVA = "plainJava";
    static final String NATIVE = "native";
    static final String ARRAYS = "arrays";
    static final int BLOCK_MILLIS = 50;
    private static final int CALIBRATION_STEPS = 3;

    /** The two sides (and, for scaling, the ceiling's two) and how many steps a block holds. */
    @State(Scope.Benchmark)
    public abstract static class Pair {
        Stepper subject;
        Stepper baseline;
        /** The roofline on the subject's threads and on one thread; null but for scaling. */
        Stepper ceiling;
        Stepper ceilingBaseline;
        int stepsPerBlock = 1;
        /** The caller's untimed busy time before every step: 0 but for a scaling pair's gap. */
        long gapNanos;

        /** Sizes the blocks from the current speed of the slower side, gaps included. */
        @Setup(Level.Iteration)
        public void calibrate() {
            final long slowest = Math.max(nanosPerStep(subject), nanosPerStep(baseline));
            stepsPerBlock = (int) Math.clamp(TimeUnit.MILLISECONDS.toNanos(blockMillis())
                    / Math.max(1, slowest + gapNanos), 1, 1 << 20);
        }

        /** How long a block of each side lasts, at least one step. */
        int blockMillis() {
            return BLOCK_MILLIS;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try (Stepper s = subject; Stepper b = baseline; Stepper c = ceiling;
                 Stepper cb = ceilingBaseline) {
                subject = null;
                baseline = null;
                ceiling = null;
                ceilingBaseline = null;
            }
        }

        /** Runs {@code open}, which sets the sides; if it fails, closes those it had opened. */
        final void openSides(Runnable open) {
            try {
                open.run();
            } catch (RuntimeException | Error e) {
                tearDown();
                throw e;
            }
        }

        private static long nanosPerStep(Stepper stepper) {
            final long start = System.nanoTime();
            for (int k = 0; k < CALIBRATION_STEPS; k++) {
                stepper.step();
            }
            return (System.nanoTime() - start) / CALIBRATION_STEPS;
        }
    }

    /** Descent over one tensor against a baseline of the same size. */
    public static class StepPair extends Pair {
        @Param({"ADAM"})
        public Kernel kernel;

        @Param({"65536", "1048576", "16777216", "67108864"})
        public long size;

        @Param({"1", Threads.ALL})
        public String threads;

        @Param({ROOFLINE, PLAIN_JAVA})
        public String against;

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams benchmark) {
            final int n = Threads.count(threads);
            openSides(() -> {
                subject = new DescentFixture(kernel, new long[] {size}, n, benchmark);
                baseline = switch (against) {
                    case ROOFLINE -> new Roofline(kernel, size, n);
                    case PLAIN_JAVA -> kernel.plainJava(TestData.values(size),
                            TestData.grads(size), n);
                    case NATIVE -> new NativeLoop(kernel, size, n);
                    case ARRAYS -> new DescentFixture(kernel, new long[] {size},
                            TestData.Allocation.ARRAYS, n, benchmark);
                    default -> throw new IllegalArgumentException("against must be " + ROOFLINE
                            + ", " + PLAIN_JAVA + ", " + NATIVE + " or " + ARRAYS + ", got '"
                            + against + "'");
                };
            });
        }
    }

    /** The model-shaped parameter list against one flat tensor of the same total size. */
    public static class ModelPair extends Pair {
        @Param({"ADAM"})
        public Kernel kernel;

        @Param({"32", "256"})
        public int width;

        @Param({"1", Threads.ALL})
        public String threads;

        @Param({ManyTensorsBenchmark.MODEL, ManyTensorsBenchmark.BLOCK,
            ManyTensorsBenchmark.SEPARATE})
        public String layout;

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams benchmark) {
            final int n = Threads.count(threads);
            if (layout.equals(ManyTensorsBenchmark.FLAT)) {
                throw new IllegalArgumentException("layout must be " + ManyTensorsBenchmark.MODEL
                        + ", " + ManyTensorsBenchmark.BLOCK + ", " + ManyTensorsBenchmark.SEPARATE
                        + " or " + ManyTensorsBenchmark.SLICES + ", got '" + layout
                        + "': the flat tensor is the baseline");
            }
            openSides(() -> {
                subject = ManyTensorsBenchmark.fixture(kernel, width, layout, n, benchmark);
                baseline = ManyTensorsBenchmark.flatFor(layout, kernel, width, n, benchmark);
            });
        }
    }

    /**
     * One tensor on all cores against one thread, Descent's step and the roofline's, all four
     * alternating.
     */
    public static class ScalingPair extends Pair {
        @Param({"ADAM"})
        public Kernel kernel;

        @Param({"1048576"})
        public long size;

        /**
         * Longer than the other pairs' blocks: a side's first steps after a switch still run
         * slower than the steady state (the cores and the host settle) even after the untimed
         * step, and with two threads they are a larger part of a block of the same length.
         */
        @Param({"200"})
        public int blockMillis;

        /**
         * Microseconds the caller spends busy before every step, untimed, as a trainer does its
         * forward and backward passes on its own thread between steps; 0 steps back to back.
         * Longer than the workers' spin window ({@code descent.step.workerSpinMicros}), it lets
         * them park, and each step then starts while they wake.
         */
        @Param({"0"})
        public int gapMicros;

        @Override
        int blockMillis() {
            return blockMillis;
        }

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams benchmark) {
            if (gapMicros < 0) {
                throw new IllegalArgumentException("gapMicros must be >= 0, got " + gapMicros);
            }
            gapNanos = TimeUnit.MICROSECONDS.toNanos(gapMicros);
            final int cores = Threads.count(Threads.ALL);
            openSides(() -> {
                subject = new DescentFixture(kernel, new long[] {size}, cores, benchmark);
                baseline = new DescentFixture(kernel, new long[] {size}, 1, benchmark);
                ceiling = new Roofline(kernel, size, cores);
                ceilingBaseline = new Roofline(kernel, size, 1);
            });
        }
    }

    /**
     * Descent with gradients scaled to at most 1e-20 in magnitude, whose squares are subnormal,
     * against the same optimizer with the usual gradients of magnitude up to 1. The running
     * averages of g² settle among the subnormals, where square roots and divides take a slow path
     * on many x86 cores, and Java cannot set flush-to-zero: the ratio is the speed a trainer keeps
     * once its gradients fade. An average of values of at most 1e-40 stays at most 1e-40, below
     * {@link Float#MIN_NORMAL}, and so does its bias-corrected value; 99.6% of the squares are
     * not zero (|g| above about 4e-23). Only kernels whose state is such an average qualify:
     * AdaGrad's sum only grows, and leaves the subnormals after a few hundred steps.
     */
    public static class SubnormalPair extends Pair {
        /** Squared, every gradient element lands at or below 1e-40, under Float.MIN_NORMAL. */
        static final float SUBNORMAL_SQUARE_SCALE = 1e-20f;

        @Param({"RMSPROP", "RMSPROP_CENTERED", "ADAM", "ADAMW", "AMSGRAD"})
        public Kernel kernel;

        @Param({"65536"})
        public long size;

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams benchmark) {
            openSides(() -> {
                subject = new DescentFixture(kernel, new long[] {size}, 1, benchmark)
                        .scaleGradients(SUBNORMAL_SQUARE_SCALE);
                baseline = new DescentFixture(kernel, new long[] {size}, 1, benchmark);
            });
        }
    }

    /** Time each side spent in one iteration, over the same number of steps. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long subjectNanos;
        public long baselineNanos;

        @Setup(Level.Iteration)
        public void reset() {
            subjectNanos = 0;
            baselineNanos = 0;
        }
    }

    @Benchmark
    public void step(StepPair pair, Times times) {
        alternate(pair, times);
    }

    @Benchmark
    public void model(ModelPair pair, Times times) {
        alternate(pair, times);
    }

    @Benchmark
    public void subnormal(SubnormalPair pair, Times times) {
        alternate(pair, times);
    }

    /** Time the roofline's two sides of the scaling pair spent in one iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class CeilingTimes {
        public long ceilingNanos;
        public long ceilingBaselineNanos;

        @Setup(Level.Iteration)
        public void reset() {
            ceilingNanos = 0;
            ceilingBaselineNanos = 0;
        }
    }

    /**
     * The scaling pair's four sides in turn: Descent's two, then the roofline's two. Two seconds
     * per iteration hold a few rounds of the four 200 ms blocks.
     */
    @Benchmark
    @Measurement(iterations = 5, time = 2)
    public void scaling(ScalingPair pair, Times times, CeilingTimes ceilingTimes) {
        alternate(pair, times);
        ceilingTimes.ceilingNanos += timeBlock(pair.ceiling, pair);
        ceilingTimes.ceilingBaselineNanos += timeBlock(pair.ceilingBaseline, pair);
    }

    /** One block of subject steps, then as many baseline steps, each block timed. */
    static void alternate(Pair pair, Times times) {
        times.subjectNanos += timeBlock(pair.subject, pair);
        times.baselineNanos += timeBlock(pair.baseline, pair);
    }

    /** A block of {@code side}'s steps as the pair sets it: {@link #timeBlock(Stepper, int, long)}. */
    private static long timeBlock(Stepper side, Pair pair) {
        return timeBlock(side, pair.stepsPerBlock, pair.gapNanos);
    }

    /**
     * Nanoseconds {@code steps} steps of {@code side} took, after one untimed step where the block
     * holds several: the other sides' blocks evicted this side's memory from the caches and let
     * its workers park, and a trainer that steps back to back pays neither on every step. Where
     * one step fills a block its memory outgrows the caches, and the lone step is timed as is.
     * With a gap, the caller first stays busy for {@code gapNanos} before every step, untimed.
     */
    static long timeBlock(Stepper side, int steps, long gapNanos) {
        if (steps > 1) {
            side.step();
        }
        if (gapNanos == 0) {
            final long start = System.nanoTime();
            for (int k = 0; k < steps; k++) {
                side.step();
            }
            return System.nanoTime() - start;
        }
        long total = 0;
        for (int k = 0; k < steps; k++) {
            final long gapEnd = System.nanoTime() + gapNanos;
            while (System.nanoTime() - gapEnd < 0) {
                Thread.onSpinWait();
            }
            final long start = System.nanoTime();
            side.step();
            total += System.nanoTime() - start;
        }
        return total;
    }
}
