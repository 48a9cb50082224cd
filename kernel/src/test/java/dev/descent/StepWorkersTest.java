package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StepWorkersTest {

    @ParameterizedTest(name = "{0} workers, {1} shares")
    @CsvSource({"1, 2", "1, 8", "1, 7", "3, 2", "3, 16", "3, 13", "2, 1"})
    void everyShareRunsExactlyOncePerStep(int workers, int shares) {
        final int steps = 500;
        final AtomicIntegerArray runs = new AtomicIntegerArray(shares);
        try (StepWorkers pool = new StepWorkers(workers, runs::incrementAndGet, "test")) {
            for (int s = 0; s < steps; s++) {
                pool.run(shares);
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
        }, "test")) {
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
