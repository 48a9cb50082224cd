package dev.descent.samples;

import java.nio.file.Path;

/**
 * A runnable example. Each sample class has a {@code run} method of this shape, which the
 * {@link Tour} calls in turn, and a {@code main} that runs it alone through {@link #runAlone}.
 */
@FunctionalInterface
public interface Sample {

    /**
     * Runs the sample: prints what it does and finds, writes its plots (PNG) into {@code plots},
     * and returns its key result with any expectation that failed.
     */
    Outcome run(Path plots);

    /**
     * What each sample's {@code main} does: runs it, prints its outcome and where its plots went,
     * and exits with status 1 if a result is off, so a sample alone is as much a check as the tour.
     */
    static void runAlone(Sample sample) {
        final Path plots = Plots.outputDirectory();
        final Outcome outcome = sample.run(plots);
        System.out.println();
        System.out.println((outcome.ok() ? "ok: " : "FAILED: ") + outcome.sample() + ": "
                + outcome.result());
        outcome.problems().forEach(p -> System.out.println("  " + p));
        System.out.println("plots in " + plots);
        if (!outcome.ok()) {
            System.exit(1);
        }
    }
}
