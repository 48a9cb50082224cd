package dev.descent.bench;

import dev.descent.Optimizer;

/** The {@code threads} benchmark parameter, and how many of them a step of a given size uses. */
final class Threads {

    /** The parameter value that means one thread per available processor. */
    static final String ALL = "all";

    /**
     * Below this many elements per thread Descent steps on fewer threads, since waking a thread
     * costs more than it saves; the peers follow the same rule so that every column compares
     * the same partitioning.
     */
    private static final long MIN_ELEMENTS_PER_THREAD = Optimizer.minElementsPerThread();
    /**
     * How long a waiting worker polls before it parks: Descent's spin window, so that the ceiling's
     * workers are as ready for the next pass as Descent's are for the next step.
     */
    static final long WORKER_SPIN_NANOS = Optimizer.workerSpinNanos();

    private Threads() {
    }

    /** The thread count {@code value} stands for. */
    static int count(String value) {
        if (ALL.equals(value)) {
            return Runtime.getRuntime().availableProcessors();
        }
        final int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("threads must be a positive count or '" + ALL
                    + "', got '" + value + "'", e);
        }
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + n);
        }
        return n;
    }

    /** The threads a step over {@code elements} uses when {@code threads} are allowed. */
    static int forElements(int threads, long elements) {
        return (int) Math.max(1, Math.min(threads, elements / MIN_ELEMENTS_PER_THREAD));
    }
}
