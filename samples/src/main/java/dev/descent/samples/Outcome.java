package dev.descent.samples;

import java.util.List;

/**
 * What a sample reports to the tour: its key result in one line, and what, if anything, is not as
 * expected.
 *
 * @param sample a short name, e.g. "minimize f(w)"
 * @param result the key number(s), one line
 * @param problems one message per failed expectation; empty when all is well
 */
public record Outcome(String sample, String result, List<String> problems) {

    /** Copies {@code problems}, so a sample may keep adding to its own list afterwards. */
    public Outcome {
        problems = List.copyOf(problems);
    }

    /** Whether every expectation held. */
    public boolean ok() {
        return problems.isEmpty();
    }
}
