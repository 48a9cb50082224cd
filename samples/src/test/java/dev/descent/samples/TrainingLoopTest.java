package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingLoopTest {

    /**
     * The whole sample: the resumed run ends on the uninterrupted run's weights bit for bit, the
     * weights loaded alone score what the run scored at the checkpoint, clipping acts, the network
     * learns, the plot is written and the checkpoint's temporary folder is gone.
     */
    @Test
    void aResumedRunEndsWhereTheUninterruptedOneDoes(@TempDir Path plots) throws Exception {
        final long tempsBefore = countTrainingLoopTemps();
        final Outcome outcome = TrainingLoop.run(plots);
        assertTrue(outcome.ok(), outcome.problems().toString());
        assertTrue(outcome.result().contains("bit-identical"), outcome.result());
        assertTrue(Files.size(plots.resolve("9-training-loop.png")) > 0);
        assertEquals(tempsBefore, countTrainingLoopTemps(), "the checkpoint's folder is deleted");
    }

    private static long countTrainingLoopTemps() throws Exception {
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(f -> f.getFileName().toString().startsWith("descent-training-loop"))
                    .count();
        }
    }
}
