package dev.descent;

import static dev.descent.AllocationSequence.MAX_WINDOWS;
import static dev.descent.AllocationSequence.MEASURED_STEPS;
import static dev.descent.AllocationSequence.WARMUP_CHUNKS;
import static dev.descent.AllocationSequence.WARMUP_STEPS;
import static dev.descent.AllocationSequence.randomize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Optimizer#step()} allocates nothing once compiled (DESIGN.md, "Performance contract": 0
 * bytes allocated per step), for every optimizer kind with its heaviest options, on the vector
 * kernels and on the scalar ones, on the caller's thread alone and split over a worker thread.
 *
 * <p>Bytes are counted by the JVM for this thread around many steps. Any object is at least 16
 * bytes, so fewer than one byte per step on average means no step allocated anything: a per-step
 * allocation cannot pass. A window may be repeated a few times, because a JIT event (a
 * deoptimization and recompilation after warm-up) can allocate once; a per-step allocation shows in
 * every window.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AllocationFreeStepTest {

    /** Sizes whose total is enough for two threads ({@code 2 * 2^15} elements by default). */
    private static final long[] PARALLEL_SIZES = {1, 17, 4099, 61_447};
    /** Fewer steps than alone: each is 13 times bigger, and the kernels are compiled by now. */
    private static final int PARALLEL_WARMUP_STEPS = 6_000;
    private static final int PARALLEL_MEASURED_STEPS = 4_000;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /**
     * {@link AllocationSequence#heaviestOptions()}, on the caller's thread only;
     * {@link #parallelStepAllocatesNothingOnAnyThread} adds a worker.
     */
    static Stream<Named<Function<List<Parameter>, Optimizer<?>>>> heaviestOptions() {
        return AllocationSequence.heaviestOptions().entrySet().stream()
                .map(e -> Named.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("heaviestOptions")
    @Order(1)
    void stepAllocatesNothing(Function<List<Parameter>, Optimizer<?>> build) {
        assumeTrue(THREADS.isThreadAllocatedMemorySupported(),
                "this JVM cannot count allocated bytes per thread");
        if (!THREADS.isThreadAllocatedMemoryEnabled()) {
            THREADS.setThreadAllocatedMemoryEnabled(true);
        }
        try (Arena arena = Arena.ofShared();
             Optimizer<?> optimizer = build.apply(AllocationSequence.parameters(arena))) {
            for (int chunk = 0; chunk < WARMUP_CHUNKS; chunk++) {
                allocatedBytesDuring(optimizer, WARMUP_STEPS / WARMUP_CHUNKS);
            }
            final long readingsOnly = allocatedBytesDuring(optimizer, 0);
            final long[] windows = new long[MAX_WINDOWS];
            int used = 0;
            boolean clean = false;
            while (used < MAX_WINDOWS && !clean) {
                windows[used] = allocatedBytesDuring(optimizer, MEASURED_STEPS);
                clean = windows[used] < MEASURED_STEPS;
                used++;
            }
            assertEquals(WARMUP_STEPS + (long) used * MEASURED_STEPS, optimizer.stepCount());
            if (!clean) {
                throw new AssertionError(optimizer.getClass().getSimpleName() + " on "
                        + optimizer.kernelName() + " allocated "
                        + Arrays.toString(Arrays.copyOf(windows, used)) + " bytes in windows of "
                        + MEASURED_STEPS + " steps after " + WARMUP_STEPS
                        + " warm-up steps (about " + windows[used - 1] / MEASURED_STEPS
                        + " bytes per step; the two readings alone allocate " + readingsOnly
                        + "); a step must allocate nothing");
            }
        }
    }

    /**
     * The same with the step split over worker threads: neither the caller nor any worker may
     * allocate. Workers' bytes are read outside the caller's window, so those readings cannot count.
     */
    @Test
    @Order(2)
    void parallelStepAllocatesNothingOnAnyThread() {
        assumeTrue(THREADS.isThreadAllocatedMemorySupported(),
                "this JVM cannot count allocated bytes per thread");
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two processors");
        THREADS.setThreadAllocatedMemoryEnabled(true);
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> parameters = new ArrayList<>();
            final SplittableRandom random = new SplittableRandom(7);
            for (long size : PARALLEL_SIZES) {
                parameters.add(randomize(Parameter.allocate(arena, "p" + size, size), random));
            }
            parameters.add(randomize(Parameter.ofArrays("array", new float[9000], new float[9000]),
                    random));
            final Set<Thread> before = Thread.getAllStackTraces().keySet();
            try (Optimizer<?> optimizer = Adam.builder().lr(1e-4).amsgrad(true).weightDecay(1e-2)
                    .threads(2).build(parameters)) {
                optimizer.step();
                final long[] workers = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> !before.contains(t) && t.getName().startsWith("Adam-worker-"))
                        .mapToLong(Thread::threadId).toArray();
                assertEquals(1, workers.length, "expected one worker thread beside the caller");

                for (int chunk = 0; chunk < WARMUP_CHUNKS; chunk++) {
                    allocatedBytesDuring(optimizer, PARALLEL_WARMUP_STEPS / WARMUP_CHUNKS);
                }
                final long[] callerWindows = new long[MAX_WINDOWS];
                final long[] workerWindows = new long[MAX_WINDOWS];
                final long[] workerBefore = new long[workers.length];
                int used = 0;
                boolean clean = false;
                while (used < MAX_WINDOWS && !clean) {
                    for (int w = 0; w < workers.length; w++) {
                        workerBefore[w] = THREADS.getThreadAllocatedBytes(workers[w]);
                    }
                    callerWindows[used] = allocatedBytesDuring(optimizer, PARALLEL_MEASURED_STEPS);
                    for (int w = 0; w < workers.length; w++) {
                        workerWindows[used] += THREADS.getThreadAllocatedBytes(workers[w])
                                - workerBefore[w];
                    }
                    clean = callerWindows[used] + workerWindows[used] < PARALLEL_MEASURED_STEPS;
                    used++;
                }
                if (!clean) {
                    throw new AssertionError("a parallel Adam step on " + optimizer.kernelName()
                            + " allocated, per window of " + PARALLEL_MEASURED_STEPS + " steps: "
                            + Arrays.toString(Arrays.copyOf(callerWindows, used))
                            + " bytes on the caller and "
                            + Arrays.toString(Arrays.copyOf(workerWindows, used))
                            + " on the worker; a step must allocate nothing");
                }
            }
        }
    }

    /** The meter itself: one small object per iteration must show as at least 16 bytes each. */
    @Test
    @Order(0)
    void meterSeesAnObjectPerIteration() {
        assumeTrue(THREADS.isThreadAllocatedMemorySupported());
        THREADS.setThreadAllocatedMemoryEnabled(true);
        final com.sun.management.ThreadMXBean threads = THREADS;
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < MEASURED_STEPS; i++) {
            sink = new float[1];
        }
        final long after = threads.getCurrentThreadAllocatedBytes();
        assertTrue(after - before >= 16L * MEASURED_STEPS,
                "the meter saw only " + (after - before) + " bytes for " + MEASURED_STEPS + " objects");
    }

    /** Where the meter check's objects escape to, so they are really allocated. */
    private static volatile Object sink;

    /**
     * Bytes this thread allocated while taking {@code steps} steps. Nothing between the two
     * readings but the loop: no lambda, boxing or string.
     */
    private static long allocatedBytesDuring(Optimizer<?> optimizer, int steps) {
        final com.sun.management.ThreadMXBean threads = THREADS;
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < steps; i++) {
            optimizer.step();
        }
        final long after = threads.getCurrentThreadAllocatedBytes();
        return after - before;
    }

}
