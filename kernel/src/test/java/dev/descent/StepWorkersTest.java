package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class StepWorkersTest {

    /** Spin windows: park at once, the default, and never park. */
    private static final long NO_SPIN = 0;
    private static final long DEFAULT_SPIN = Optimizer.WORKER_SPIN_MICROS_DEFAULT * 1000;
    private static final long ENDLESS_SPIN = Long.MAX_VALUE;

    static Stream<Arguments> workersSharesAndWindows() {
        final List<Arguments> all = new ArrayList<>();
        for (int[] ws : new int[][] {{1, 2}, {1, 8}, {1, 7}, {3, 2}, {3, 16}, {3, 13}, {2, 1}}) {
            all.add(Arguments.of(ws[0], ws[1], DEFAULT_SPIN));
        }
        for (long window : new long[] {NO_SPIN, ENDLESS_SPIN}) {
            all.add(Arguments.of(1, 8, window));
            all.add(Arguments.of(3, 13, window));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} workers, {1} shares, spin window {2} ns")
    @MethodSource("workersSharesAndWindows")
    void everyShareRunsExactlyOncePerStep(int workers, int shares, long spinNanos) {
        final int steps = 500;
        final AtomicIntegerArray runs = new AtomicIntegerArray(shares);
        try (StepWorkers pool = new StepWorkers(workers, runs::incrementAndGet, "test", spinNanos)) {
            for (int s = 0; s < steps; s++) {
                pool.run(shares);
                if (s % 100 == 0) {
                    sleep(2); // past a short window the workers park, and must wake for the next
                }
            }
        }
        final int[] expected = new int[shares];
        Arrays.fill(expected, steps);
        final int[] actual = new int[shares];
        for (int k = 0; k < shares; k++) {
            actual[k] = runs.get(k);
        }
        assertArrayEquals(expected, actual);
    }

    @Test
    void theCallerRunsTheSharesOfABusyWorker() {
        final int shares = 8;
        final Thread caller = Thread.currentThread();
        final AtomicIntegerArray byCaller = new AtomicIntegerArray(shares);
        final AtomicIntegerArray runs = new AtomicIntegerArray(shares);
        try (StepWorkers pool = new StepWorkers(1, k -> {
            runs.incrementAndGet(k);
            if (Thread.currentThread() == caller) {
                byCaller.incrementAndGet(k);
            } else {
                sleep(50);
            }
        }, "test", DEFAULT_SPIN)) {
            pool.run(shares);
        }
        int callerShares = 0;
        for (int k = 0; k < shares; k++) {
            assertEquals(1, runs.get(k), "times share " + k + " ran");
            callerShares += byCaller.get(k);
        }
        // The caller owns shares 0-3; the worker, asleep in its first share, leaves it the rest.
        assertTrue(callerShares >= 6, "the caller ran " + callerShares + " of 8 shares");
    }

    @ParameterizedTest(name = "spin window {0} ns")
    @ValueSource(longs = {NO_SPIN, DEFAULT_SPIN, ENDLESS_SPIN})
    void closeStopsWorkersWhereverTheyWait(long spinNanos) {
        final AtomicIntegerArray runs = new AtomicIntegerArray(4);
        final StepWorkers pool = new StepWorkers(2, runs::incrementAndGet, "test", spinNanos);
        pool.run(4);
        sleep(5); // spinning, yielding or parked by now, as the window says
        assertTimeoutPreemptively(Duration.ofSeconds(10), pool::close,
                "close() must stop workers that spin, yield or park");
        for (int k = 0; k < 4; k++) {
            assertEquals(1, runs.get(k), "times share " + k + " ran");
        }
    }

    @Test
    void aStepWhoseSharesAllFailEndsAndTheNextRunsEveryShare() {
        final AtomicBoolean failing = new AtomicBoolean(true);
        final AtomicIntegerArray runs = new AtomicIntegerArray(8);
        try (StepWorkers pool = new StepWorkers(1, k -> {
            if (failing.get()) {
                throw new IllegalStateException("share " + k + " failed");
            }
            runs.incrementAndGet(k);
        }, "test", DEFAULT_SPIN)) {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                final IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> pool.run(8));
                assertTrue(e.getMessage().startsWith("share "), e.getMessage());
            }, "failing shares on the caller and the worker must not leave the step waiting");
            failing.set(false);
            pool.run(8);
        }
        for (int k = 0; k < 8; k++) {
            assertEquals(1, runs.get(k), "times share " + k + " ran in the clean step");
        }
    }

    @Test
    void aWorkersFailureIsThrownByItsOwnStepNeverByALaterOne() {
        // Share 7 fails late when the worker runs it, after the caller's shares are done: a step
        // must throw exactly when one of its own shares failed, not return before the worker's
        // failure is recorded and leave it to the next step.
        final Thread caller = Thread.currentThread();
        final AtomicBoolean failedThisStep = new AtomicBoolean();
        int failedSteps = 0;
        try (StepWorkers pool = new StepWorkers(1, k -> {
            if (Thread.currentThread() == caller) {
                final long until = System.nanoTime() + 50_000; // time for the worker to take its own
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            } else if (k == 7) {
                sleep(3);
                failedThisStep.set(true);
                throw new IllegalStateException("late failure");
            }
        }, "test", ENDLESS_SPIN)) {
            for (int trial = 0; trial < 60; trial++) {
                failedThisStep.set(false);
                boolean threw = false;
                try {
                    pool.run(8);
                } catch (IllegalStateException e) {
                    threw = true;
                }
                assertEquals(failedThisStep.get(), threw, "trial " + trial);
                failedSteps += threw ? 1 : 0;
            }
        }
        assertTrue(failedSteps > 0, "the worker never ran share 7");
    }

    @Test
    void anInterruptedWorkerParksAgain() throws InterruptedException {
        try (StepWorkers pool = new StepWorkers(1, k -> { }, "interrupt-test", NO_SPIN)) {
            pool.run(2);
            final Thread worker = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("interrupt-test-worker-1")).findFirst()
                    .orElseThrow();
            worker.interrupt();
            // Parked again, flag cleared; left set, park would return at once and the worker spin.
            final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (worker.isInterrupted() || worker.getState() != Thread.State.WAITING) {
                assertTrue(System.nanoTime() < deadline, "the worker did not park again: "
                        + worker.getState() + ", interrupted " + worker.isInterrupted());
                Thread.sleep(1);
            }
            pool.run(2); // and wakes for the next step
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
