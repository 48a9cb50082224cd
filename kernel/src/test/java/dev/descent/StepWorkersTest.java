package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
