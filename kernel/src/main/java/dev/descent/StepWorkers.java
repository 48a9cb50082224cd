package dev.descent;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Persistent worker threads that run shares of one optimizer step beside the caller.
 *
 * <p>A step is published by a volatile ticket: the per-step scalars written before it are
 * visible to every worker that reads it, and the segment writes of a worker are visible to the
 * caller once the pending count it decrements reaches zero. Between steps a worker spins briefly
 * (steps often come back to back), then yields, then parks until the next step unparks it, so an
 * idle optimizer costs no CPU. Nothing is allocated per step.
 */
final class StepWorkers implements AutoCloseable {

    /** Spins before a waiting worker starts yielding: a few tens of microseconds. */
    private static final int SPINS = 20_000;
    /** Yields before a waiting worker parks. */
    private static final int YIELDS = 100;
    private static final int WORKER_BITS = 16;
    /** The most worker threads one optimizer may have. */
    static final int MAX_WORKERS = (1 << WORKER_BITS) - 1;

    private final IntConsumer share;
    private final Thread[] threads;
    private final AtomicInteger pending = new AtomicInteger();
    /** Step number in the high bits, active worker count in the low 16: read together, once. */
    private volatile long ticket;
    private volatile boolean closed;
    private volatile Throwable failure;

    /**
     * Starts {@code workers} daemon threads; worker {@code k} runs {@code share.accept(k + 1)} in
     * each step that asks for it, share 0 being the caller's.
     */
    StepWorkers(int workers, IntConsumer share, String name) {
        this.share = share;
        this.threads = new Thread[workers];
        for (int k = 0; k < workers; k++) {
            final int index = k;
            threads[k] = Thread.ofPlatform().daemon().name(name + "-worker-" + (k + 1))
                    .unstarted(() -> work(index));
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    /** Whether every worker thread may access memory that {@code parameter} uses. */
    boolean canAccess(Parameter parameter) {
        for (Thread t : threads) {
            if (!parameter.values().isAccessibleBy(t) || !parameter.grad().isAccessibleBy(t)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs shares {@code 0 .. workers} of one step, share 0 on the calling thread, and returns
     * when all are done.
     */
    void run(int workers) {
        pending.set(workers);
        ticket = ((ticket >>> WORKER_BITS) + 1) << WORKER_BITS | workers;
        for (int k = 0; k < workers; k++) {
            LockSupport.unpark(threads[k]);
        }
        Throwable callerFailure = null;
        try {
            share.accept(0);
        } catch (Throwable t) {
            callerFailure = t;
        }
        int idle = 0;
        while (pending.get() != 0) {
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

    private void work(int index) {
        long seen = 0;
        while (true) {
            final long next = awaitTicketAfter(seen);
            if (closed) {
                return;
            }
            seen = next;
            if (index < (int) (next & MAX_WORKERS)) {
                try {
                    share.accept(index + 1);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    pending.decrementAndGet();
                }
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
