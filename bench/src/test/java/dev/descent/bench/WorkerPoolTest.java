package dev.descent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyElementOnceInCacheLineAlignedChunks() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
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
    void rooflineRunsForEveryKernelShape() {
        for (Kernel kernel : Kernel.values()) {
            for (long size : new long[] {0, 1, 17, 4_099}) {
                try (Roofline roofline = new Roofline(size, kernel.stateTensors(), 2)) {
                    roofline.step();
                    roofline.step();
                }
            }
        }
    }
}
