package dev.descent.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a range of elements into one contiguous chunk per thread, starting on cache-line
 * boundaries, and runs them on the calling thread and up to {@code threads - 1} daemon workers,
 * as many as Descent's step would use for the size ({@link Threads#forElements}). Nothing
 * is allocated per run, and workers poll for the next run for Descent's spin window before
 * parking, so a hand-off costs about a microsecond rather than the tens of an executor: the
 * roofline it drives is a ceiling, and the plain Java peer a loop, and neither must be slowed by
 * its own scaffolding. Each thread claims its own chunk first (the caller the first, worker
 * {@code w} the {@code w}-th), as Descent's step keeps its shares on their threads, so that a
 * chunk's elements stay in the caches of the core that ran it last; then it claims the chunks
 * still unclaimed, so on a busy machine the caller does the chunk of a worker that has not woken
 * up yet instead of waiting a time slice.
 */
final class WorkerPool implements AutoCloseable {

    /** Work on elements {@code [from, to)}. */
    @FunctionalInterface
    interface RangeTask {
        void run(long from, long to);
    }

    /** Chunks start at multiples of this many floats: 64 bytes, one cache line. */
    private static final long CHUNK_ALIGNMENT = 16;
    /** Spin iterations before the caller, waiting for the workers' chunks, yields. */
    private static final int SPINS = 1 << 14;

    private static final int CHUNK_BITS = 16;
    private static final long CHUNK_MASK = (1L << CHUNK_BITS) - 1;

    private final Thread[] workers;
    /** The run in which each chunk was last claimed: a chunk is claimed once per run. */
    private final AtomicLongArray claimedIn;
    private final AtomicInteger finishedChunks = new AtomicInteger();
    /**
     * The run on offer (high bits, counting from 1) and its chunk count (low bits), read in one
     * go: a worker still looking for chunks of a finished run finds them all claimed in it.
     */
    private volatile long ticket;
    private volatile boolean closed;
    /** The first failure of a chunk in the current run, thrown to the caller once all are done. */
    private volatile Throwable failure;
    private RangeTask task;
    private long count;

    /** Starts {@code threads - 1} workers, named after {@code user}, the benchmark side they run. */
    WorkerPool(String user, int threads) {
        workers = new Thread[threads - 1];
        claimedIn = new AtomicLongArray(threads);
        for (int w = 0; w < workers.length; w++) {
            final int self = w + 1;
            workers[w] = Thread.ofPlatform().daemon().name(user + "-worker-" + self)
                    .start(() -> work(self));
        }
    }

    /**
     * Runs {@code task} over {@code [0, count)} on every thread; returns when all are done, or
     * throws what a chunk threw (on any thread) once the other chunks are done.
     */
    void run(RangeTask task, long count) {
        final int wanted = Threads.forElements(workers.length + 1, count);
        if (wanted == 1) {
            task.run(0, count);
            return;
        }
        this.task = task;
        this.count = count;
        finishedChunks.set(0);
        final long run = (ticket >>> CHUNK_BITS) + 1;
        ticket = run << CHUNK_BITS | wanted; // publishes task and count to the workers
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        claimChunks(0, run, wanted);
        for (int spins = 0; finishedChunks.get() < wanted; spins++) {
            if (spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        final Throwable failed = failure;
        if (failed != null) {
            failure = null;
            switch (failed) {
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException("a chunk failed", failed);
            }
        }
    }

    private void work(int self) {
        long seen = 0;
        while (!closed) {
            final long spinStart = System.nanoTime();
            while (ticket == seen && !closed) {
                if (System.nanoTime() - spinStart < Threads.WORKER_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = ticket;
            claimChunks(self, seen >>> CHUNK_BITS, (int) (seen & CHUNK_MASK));
        }
    }

    /** Runs the chunks of {@code run} that thread {@code self} claims, its own first. */
    private void claimChunks(int self, long run, int chunks) {
        // Read before any claim: a later run's count only ever meets a thread whose claims fail.
        final long perThread = Math.ceilDiv(Math.ceilDiv(count, chunks), CHUNK_ALIGNMENT)
                * CHUNK_ALIGNMENT;
        for (int i = 0; i < chunks; i++) {
            final int chunk = (self + i) % chunks;
            final long claimed = claimedIn.get(chunk);
            if (claimed >= run || !claimedIn.compareAndSet(chunk, claimed, run)) {
                continue;
            }
            final long from = Math.min(count, chunk * perThread);
            final long to = Math.min(count, from + perThread);
            try {
                if (from < to) {
                    task.run(from, to);
                }
            } catch (Throwable t) { // counted as finished, or the caller would wait forever
                if (failure == null) {
                    failure = t;
                }
            } finally {
                finishedChunks.incrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}
