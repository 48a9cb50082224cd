package dev.descent.schedule;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.descent.schedule.CyclicLr.Mode;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code lr(step)}, {@code momentum(step)} and {@link ReduceLrOnPlateau#step(double)} allocate
 * nothing once compiled: an optimizer calls them on every step.
 *
 * <p>Bytes are counted by the JVM for this thread around many calls. Any object is at least 16
 * bytes, so fewer than one byte per call on average means no call allocated. A window may be
 * repeated a few times, because a JIT event can allocate once; a per-call allocation shows in every
 * window.
 */
class AllocationFreeScheduleTest {

    private static final int WARMUP_CALLS = 200_000;
    private static final int MEASURED_CALLS = 100_000;
    private static final int MAX_WINDOWS = 3;
    /** Steps visited: spread over a wide range, within OneCycleLr's domain below. */
    private static final long STEP_RANGE = 1_000_000;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Keeps results alive so that the JIT cannot drop the calls. */
    private static double sink;

    static Stream<Named<LearningRateSchedule>> schedules() {
        return Stream.of(
                FixedLr.of(0.1),
                InverseTimeDecay.of(0.1, 1e-3),
                ConstantLr.builder(0.1).build(),
                LinearLr.builder(0.1).totalIters(1000).build(),
                ExponentialLr.of(0.1, 0.9999),
                LambdaLr.of(0.1, t -> Math.min((t + 1) / 4000.0, Math.sqrt(4000.0 / (t + 1)))),
                StepLr.builder(0.1, 1000).build(),
                MultiStepLr.builder(0.1, 100, 5000, 5000, 90_000).build(),
                PolynomialLr.builder(0.1).totalIters(500_000).power(0.9).build(),
                CosineAnnealingLr.builder(0.1, 10_000).etaMin(1e-4).build(),
                CosineAnnealingWarmRestarts.builder(0.1, 10).tMult(2).build(),
                CosineAnnealingWarmRestarts.builder(0.1, 1000).build(),
                CyclicLr.builder(0.01, 0.1).mode(Mode.TRIANGULAR2).build(),
                CyclicLr.builder(0.01, 0.1).mode(Mode.EXP_RANGE).gamma(0.99999).build(),
                CyclicLr.builder(0.01, 0.1).scaleFn(x -> 1 / (1 + 1e-3 * x))
                        .scaleMode(CyclicLr.ScaleMode.ITERATIONS).build(),
                OneCycleLr.builder(0.1).totalSteps(STEP_RANGE).threePhase(true).build(),
                SequentialLr.of(List.of(LinearLr.builder(0.1).build(),
                        OneCycleLr.builder(0.1).totalSteps(STEP_RANGE).build()), 100),
                ChainedSchedule.of(ExponentialLr.of(0.1, 0.9999), StepLr.builder(0.1, 100).build(),
                        CyclicLr.builder(0.01, 0.1).build()),
                LinearWarmup.of(CosineAnnealingLr.builder(0.1, 100_000).build(), 1000, 0.0))
                .map(s -> Named.of(s.getClass().getSimpleName(), s));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void lrAllocatesNothing(LearningRateSchedule schedule) {
        assertAllocatesNothing(schedule.toString() + " lr", schedule::lr);
        if (schedule.cyclesMomentum()) {
            assertAllocatesNothing(schedule.toString() + " momentum", schedule::momentum);
        }
    }

    @Test
    void plateauStepAllocatesNothing() {
        final ReduceLrOnPlateau plateau = ReduceLrOnPlateau.builder(1).patience(3).cooldown(2)
                .minLr(1e-6).build();
        // A noisy metric that improves now and then: every branch of step() runs.
        assertAllocatesNothing("ReduceLrOnPlateau.step",
                t -> plateau.step(Math.sin(t * 0.37) - t * 1e-6));
    }

    private static void assertAllocatesNothing(String what, LongToDoubleFunction call) {
        assumeTrue(THREADS.isThreadAllocatedMemorySupported(),
                "this JVM cannot count allocated bytes per thread");
        if (!THREADS.isThreadAllocatedMemoryEnabled()) {
            THREADS.setThreadAllocatedMemoryEnabled(true);
        }
        allocatedBytesDuring(call, WARMUP_CALLS);
        final long readingsOnly = allocatedBytesDuring(call, 0);
        final long[] windows = new long[MAX_WINDOWS];
        for (int w = 0; w < MAX_WINDOWS; w++) {
            windows[w] = allocatedBytesDuring(call, MEASURED_CALLS) - readingsOnly;
            if (windows[w] < MEASURED_CALLS) {
                return;
            }
        }
        fail(what + " allocated " + Arrays.toString(windows) + " bytes in windows of "
                + MEASURED_CALLS + " calls");
    }

    private static long allocatedBytesDuring(LongToDoubleFunction call, int calls) {
        double acc = 0;
        final long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            // A stride prime to the range visits steps all over it, not just the first few.
            acc += call.applyAsDouble(i * 7919L % STEP_RANGE);
        }
        final long after = THREADS.getCurrentThreadAllocatedBytes();
        sink += acc;
        return after - before;
    }
}
