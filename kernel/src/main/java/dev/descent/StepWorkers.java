package dev.descent;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Persistent worker threads that run shares of one optimizer step beside the caller.
 *
 * <p>Shares are claimed, not assigned: the caller and every awake worker take the next unclaimed
 * share from one counter until none is left, so a worker the OS has not scheduled yet never holds
 * up the step (the caller runs its share instead), and the caller only waits for shares already
 * under way. Which thread runs a share does not change its result: shares are fixed ranges, and
 * every element's update is independent of the others.
 *
 * <p>The claim counter carries the step number in its high bits, so a worker that wakes late
 * cannot claim a share of a later step by mistake. The per-step scalars written before a step is
 * published are visible to every thread that claims a share of it, and every share's writes are
 * visible to the caller once the count of unfinished shares reaches zero. Between steps a worker
 * spins briefly (steps often come back to back), then yields, then parks until the next step
 * unparks it, so an idle optimizer costs no CPU. Nothing is allocated per step.
 */
final class StepWorkers implements AutoCloseable {

    /** Spins before a waiting thread starts yielding: some tens of microseconds. */
    private static final int SPINS = 2_000;
    /** Yields before a waiting worker parks. */
    private static final int YIELDS = 50;
    private static final int SHARE_BITS = 16;
    private static final long SHARE_MASK = (1L << SHARE_BITS) - 1;
    /** The most shares one step may have. */
    static final int MAX_SHARES = (int) SHARE_MASK;

    private final IntConsumer share;
    private final Thread[] threads;
    /** Step number (high bits) and next unclaimed share (low bits). */
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger unfinished = new AtomicInteger();
    /** Step number (high bits) and share count (low bits) of the step on offer. */
    private volatile long ticket;
    private volatile boolean closed;
    private volatile Throwable failure;

    /** Starts {@code workers} daemon threads that run {@code share.accept(k)} for claimed shares. */
    StepWorkers(int workers, IntConsumer share, String name) {
        this.share = share;
        this.threads = new Thread[workers];
        for (int k = 0; k < workers; k++) {
            threads[k] = Thread.ofPlatform().daemon().name(name + "-worker-" + (k + 1))
                    .unstarted(this::work);
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    /** Whether every worker thread may access {@code segment}. */
    boolean canAccess(MemorySegment segment) {
        for (Thread t : threads) {
            if (!segment.isAccessibleBy(t)) {
                return false;
            }
        }
        return true;
    }

    /** Runs shares {@code 0 .. shares-1} of one step and returns when all are done. */
    void run(int shares) {
        final long step = (ticket >>> SHARE_BITS) + 1;
        unfinished.set(shares);
        claims.set(step << SHARE_BITS);
        ticket = step << SHARE_BITS | shares;
        final int wake = Math.min(shares - 1, threads.length);
        for (int k = 0; k < wake; k++) {
            LockSupport.unpark(threads[k]);
        }
        Throwable callerFailure = null;
        try {
            runShares(step, shares);
        } catch (Throwable t) {
            callerFailure = t;
        }
        int idle = 0;
        while (unfinished.get() != 0) {
            if (++idle < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        final Throwable workerFailure = failure;
        if (callerFailure != null || workerFailure != null) {
            failure = null;
            final Throwable first = callerFailure != null ? callerFailure : workerFailure;
            if (first instanceof RuntimeException e) {
                throw e;
            }
            if (first instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException("optimizer step failed", first);
        }
    }

    /** Claims and runs shares of {@code step} until none is left. */
    private void runShares(long step, int shares) {
        while (true) {
            final long current = claims.get();
            final long k = current & SHARE_MASK;
            if (current >>> SHARE_BITS != step || k >= shares) {
                return;
            }
            if (claims.compareAndSet(current, current + 1)) {
                try {
                    share.accept((int) k);
                } finally {
                    unfinished.decrementAndGet();
                }
            }
        }
    }

    private void work() {
        long seen = 0;
        while (true) {
            final long next = awaitTicketAfter(seen);
            if (closed) {
                return;
            }
            seen = next;
            try {
                runShares(next >>> SHARE_BITS, (int) (next & SHARE_MASK));
            } catch (Throwable t) {
                failure = t;
            }
        }
    }

    private long awaitTicketAfter(long seen) {
        int idle = 0;
        long current;
        while ((current = ticket) == seen && !closed) {
            if (idle < SPINS) {
                Thread.onSpinWait();
            } else if (idle < SPINS + YIELDS) {
                Thread.yield();
            } else {
                LockSupport.park(this);
            }
            idle++;
        }
        return current;
    }

    /** Stops and joins the workers. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
