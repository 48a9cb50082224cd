package dev.descent.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyElementOnceInCacheLineAlignedChunks() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            try (WorkerPool pool = new WorkerPool("test", threads)) {
                // Past 65,536 elements the pool splits: at least 32,768 per thread, as Descent.
                for (int count : new int[] {0, 1, 17, 1_000, 65_537, 300_007}) {
                    for (int run = 0; run < (count > 100_000 ? 3 : 30); run++) {
                        final AtomicIntegerArray seen = new AtomicIntegerArray(count);
                        pool.run((from, to) -> {
                            assertTrue(from % 16 == 0, "chunk starts at " + from);
                            for (long i = from; i < to; i++) {
                                seen.incrementAndGet((int) i);
                            }
                        }, count);
                        for (int i = 0; i < count; i++) {
                            assertEquals(1, seen.get(i), "element " + i + " of " + count
                                    + " on " + threads + " threads");
                        }
                    }
                }
            }
        }
    }

    @Test
    void eachThreadRunsItsOwnChunkWhenAllAreRunning() {
        try (WorkerPool pool = new WorkerPool("test", 2)) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                final Thread caller = Thread.currentThread();
                for (int run = 0; run < 200; run++) {
                    final Thread[] ranBy = new Thread[2];
                    final AtomicInteger started = new AtomicInteger();
                    // Each chunk waits until both have started: the caller, busy with one, cannot
                    // take the other, so which thread runs which is the claim order's choice. A
                    // worker that took the caller's chunk would move its elements between cores.
                    pool.run((from, to) -> {
                        ranBy[from == 0 ? 0 : 1] = Thread.currentThread();
                        started.incrementAndGet();
                        while (started.get() < 2) {
                            Thread.onSpinWait();
                        }
                    }, 100_000);
                    assertSame(caller, ranBy[0], "run " + run + ": the first chunk's thread");
                    assertNotSame(caller, ranBy[1], "run " + run + ": the second chunk's thread");
                }
            });
        }
    }

    @Test
    void aChunkThatFailsOnAWorkerFailsTheRunAndThePoolGoesOn() {
        try (WorkerPool pool = new WorkerPool("test", 2)) {
            // Preemptively: the executable runs on a thread of its own, which is the caller here.
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                final Thread caller = Thread.currentThread();
                final AtomicBoolean workerStarted = new AtomicBoolean();
                final IllegalStateException thrown = assertThrows(IllegalStateException.class,
                        () -> pool.run((from, to) -> {
                            if (Thread.currentThread() != caller) {
                                workerStarted.set(true);
                                throw new IllegalStateException("chunk from " + from);
                            }
                            // Leave the other chunk to the worker, so that it is the one to fail.
                            while (!workerStarted.get()) {
                                Thread.onSpinWait();
                            }
                        }, 100_000));
                assertTrue(thrown.getMessage().startsWith("chunk from "), thrown.getMessage());
                final AtomicIntegerArray seen = new AtomicIntegerArray(100_000);
                pool.run((from, to) -> {
                    for (long i = from; i < to; i++) {
                        seen.incrementAndGet((int) i);
                    }
                }, 100_000);
                for (int i = 0; i < seen.length(); i++) {
                    assertEquals(1, seen.get(i), "element " + i);
                }
            });
        }
    }

    @Test
    void rooflinePassesOverTheOptimizersMemoryForEveryKernelShape() {
        for (Kernel kernel : Kernel.values()) {
            // 100,003 elements: past the pool's split, and a tail shorter than a vector.
            for (long size : new long[] {0, 1, 17, 4_099, 100_003}) {
                try (Roofline roofline = new Roofline(kernel, size, 2)) {
                    final List<MemorySegment> streams = new ArrayList<>();
                    streams.add(roofline.memory().parameter().values());
                    streams.addAll(roofline.memory().writableState());
                    assertEquals(kernel.stateTensors() + 1, streams.size(), kernel.label());
                    final List<float[]> before = streams.stream()
                            .map(s -> s.toArray(JAVA_FLOAT)).toList();
                    roofline.step();
                    final float[] g = roofline.memory().parameter().grad().toArray(JAVA_FLOAT);
                    for (int k = 0; k < streams.size(); k++) {
                        final float[] after = streams.get(k).toArray(JAVA_FLOAT);
                        for (int i = 0; i < size; i++) {
                            assertEquals(g[i] - before.get(k)[i], after[i],
                                    kernel.label() + " stream " + k + " element " + i);
                        }
                    }
                }
            }
        }
    }
}
