package dev.descent.samples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tour of Descent: every sample in turn, from a one-variable function to a digit classifier,
 * then a one-screen summary with each sample's key number. Plots go to one folder, named at the
 * end.
 *
 * <p>Run it from the repository root with
 * {@code mvn -q -pl samples -am -DskipTests package exec:exec}; one sample alone with
 * {@code -Dsamples.main=dev.descent.samples.<Name>} added. It exits with status 1 if any result is
 * off, so it doubles as a smoke test.
 */
public final class Tour {

    /** The samples in the order a newcomer should meet them. */
    static final List<Sample> SAMPLES = List.of(
            MinimizeFunction::run,
            OneNeuron::run,
            BatchSizes::run,
            PolynomialFit::run,
            DescentPaths::run,
            Schedules::run,
            DigitsClassifier::run,
            OptimizerComparison::run,
            TrainingLoop::run);

    public static void main(String[] args) {
        final long start = System.nanoTime();
        final Path plots = Plots.outputDirectory();
        System.out.println("Descent tour on Java " + Runtime.version() + ", "
                + Runtime.getRuntime().availableProcessors() + " processors");
        final List<Outcome> outcomes = new ArrayList<>();
        for (Sample sample : SAMPLES) {
            System.out.println();
            try {
                outcomes.add(sample.run(plots));
            } catch (RuntimeException e) {
                // One broken sample should not hide the others' results: report it and go on.
                e.printStackTrace(System.out);
                outcomes.add(new Outcome("sample " + (outcomes.size() + 1) + " of the list", "threw " + e,
                        List.of("see the stack trace above")));
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;

        System.out.println();
        System.out.println("== Summary ==");
        final int width = outcomes.stream().mapToInt(o -> o.sample().length()).max().orElse(0);
        for (Outcome o : outcomes) {
            System.out.printf("  %-4s %-" + width + "s  %s%n", o.ok() ? "ok" : "FAIL", o.sample(), o.result());
            o.problems().forEach(p -> System.out.println("         " + p));
        }
        final long failed = outcomes.stream().filter(o -> !o.ok()).count();
        System.out.printf("%s in %.1f s; plots in %s%n", failed == 0
                ? "all " + outcomes.size() + " samples as expected"
                : failed + " of " + outcomes.size() + " samples FAILED", seconds, plots);
        if (failed > 0) {
            System.exit(1);
        }
    }

    private Tour() {
    }
}
