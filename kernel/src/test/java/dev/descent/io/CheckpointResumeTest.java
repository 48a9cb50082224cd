package dev.descent.io;

import static dev.descent.io.Runs.TOTAL_STEPS;
import static dev.descent.io.Runs.assertSameBits;
import static dev.descent.io.Runs.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.ParameterGroup;
import dev.descent.Sgd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Save at step k, load into a fresh optimizer over fresh parameters, continue to step n: every bit
 * of values, state, step count, learning rate and momentum equals the uninterrupted run's.
 */
class CheckpointResumeTest {

    @TempDir
    Path dir;

    static Stream<Arguments> setupsAndSaveSteps() {
        return Runs.setups().stream().flatMap(s -> Stream.of(0L, 1L, 5L, TOTAL_STEPS)
                .map(k -> Arguments.of(s, k)));
    }

    @ParameterizedTest(name = "{0}, saved at step {1}")
    @MethodSource("setupsAndSaveSteps")
    void resumedRunEqualsUninterruptedRunBitForBit(Runs.Setup setup, long saveStep) throws IOException {
        final Path file = dir.resolve("run.safetensors");
        final Runs.Snapshot uninterrupted;
        final Runs.Snapshot atSave;
        try (Arena arena = Arena.ofShared();
             Optimizer<?> a = setup.build(Runs.parameters(arena, 42))) {
            Runs.train(a, 0, saveStep);
            atSave = snapshot(a);
            Checkpoints.save(a, file);
            assertSameBits(atSave, snapshot(a), "saving changed the optimizer");
            Runs.train(a, saveStep, TOTAL_STEPS);
            uninterrupted = snapshot(a);
        }
        try (Arena arena = Arena.ofShared();
             Optimizer<?> b = setup.build(Runs.parameters(arena, 7))) {
            // Other values, state, step count and group values than the checkpoint's, all replaced.
            Runs.train(b, 0, 2);
            for (ParameterGroup<?> g : b.groups()) {
                g.setLr(0.123);
            }
            Checkpoints.load(b, file);
            assertSameBits(atSave, snapshot(b), "right after loading");
            Runs.train(b, saveStep, TOTAL_STEPS);
            assertSameBits(uninterrupted, snapshot(b), "resumed run at step " + TOTAL_STEPS);
        }
    }

    @Test
    void loadingTwiceOrSavingALoadedOptimizerGivesTheSameFile() throws IOException {
        final Runs.Setup setup = Runs.setup("Adam amsgrad");
        final Path first = dir.resolve("first.safetensors");
        final Path second = dir.resolve("second.safetensors");
        try (Arena arena = Arena.ofShared(); Optimizer<?> a = setup.build(Runs.parameters(arena, 1))) {
            Runs.train(a, 0, 4);
            Checkpoints.save(a, first);
        }
        try (Arena arena = Arena.ofShared(); Optimizer<?> b = setup.build(Runs.parameters(arena, 2))) {
            Checkpoints.load(b, first);
            Checkpoints.load(b, first);
            Checkpoints.save(b, second);
        }
        assertEquals(-1, Files.mismatch(first, second), "a loaded optimizer saves the same bytes");
    }

    /** Four steps of {@code setup} over native parameters, saved to {@code file}; what they left. */
    private static Runs.Snapshot trainFourStepsAndSave(Runs.Setup setup, Path file) throws IOException {
        try (Arena arena = Arena.ofShared(); Optimizer<?> a = setup.build(Runs.parameters(arena, 1))) {
            Runs.train(a, 0, 4);
            Checkpoints.save(a, file);
            return snapshot(a);
        }
    }

    /** A file of format_version 1, written before headers had a checksum, still loads. */
    @Test
    void aVersionOneFileWithoutAHeaderChecksumLoads() throws IOException {
        final Runs.Setup setup = Runs.setup("Adam amsgrad");
        final Path current = dir.resolve("current.safetensors");
        final Path versionOne = dir.resolve("version-1.safetensors");
        final Runs.Snapshot trained = trainFourStepsAndSave(setup, current);
        final SafetensorsFile f = SafetensorsFile.read(current);
        final String old = f.header.replace(formatVersion(Checkpoints.FORMAT_VERSION), formatVersion(1))
                .replaceFirst(",\"header_crc32c\":\"[0-9a-f]{8}\"", "");
        assertTrue(!old.contains("header_crc32c") && old.contains(formatVersion(1)), old);
        SafetensorsFile.writeUnsealed(versionOne, old.getBytes(StandardCharsets.UTF_8), f.data);
        try (Arena arena = Arena.ofShared(); Optimizer<?> b = setup.build(Runs.parameters(arena, 2))) {
            Checkpoints.load(b, versionOne);
            assertSameBits(trained, snapshot(b), "after loading the version 1 file");
        }
    }

    /** Heap parameters (float arrays) are copied to and from the mapped file as native ones are. */
    @Test
    void heapParametersRoundTripThroughAnOptimizer() throws IOException {
        final Runs.Setup setup = Runs.setup("RmsProp centered, momentum");
        final Path first = dir.resolve("native.safetensors");
        final Path second = dir.resolve("heap.safetensors");
        final Runs.Snapshot trained = trainFourStepsAndSave(setup, first);
        try (Arena arena = Arena.ofShared();
             Optimizer<?> b = setup.build(Runs.parameters(arena, 2, true))) {
            Checkpoints.load(b, first);
            assertSameBits(trained, snapshot(b), "heap parameters after loading");
            Checkpoints.save(b, second);
        }
        assertEquals(-1, Files.mismatch(first, second), "heap parameters save the same bytes");
    }

    @Test
    void bareParametersRoundTrip() throws IOException {
        final Path file = dir.resolve("weights.safetensors");
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> saved = Runs.parameters(arena, 3, true);
            Checkpoints.save(saved, file);
            final List<Parameter> loaded = Runs.parameters(arena, 4);
            assertNotEquals(Runs.bits(saved.get(0).values()), Runs.bits(loaded.get(0).values()));
            Checkpoints.load(loaded, file);
            for (int i = 0; i < saved.size(); i++) {
                assertEquals(Runs.bits(saved.get(i).values()), Runs.bits(loaded.get(i).values()),
                        saved.get(i).name());
            }
            final Map<String, String> metadata = Checkpoints.metadata(file);
            assertEquals(Checkpoints.FORMAT, metadata.get(Checkpoints.FORMAT_KEY));
            assertFalse(metadata.containsKey(Checkpoints.OPTIMIZER_KEY));
        }
    }

    /**
     * SGD's buffers start on a group's first step at a momentum other than 0 (a copy of the
     * gradient, not a dampened decay): the file records it per group, and a load restores it,
     * where the step count alone would say both groups had started.
     */
    @Test
    void sgdBuffersThatHaveNotStartedStayUnstartedAcrossALoad() throws IOException {
        final Runs.Setup setup = Runs.setup(Runs.SGD_MOMENTUM_LATER);
        final Path file = dir.resolve("sgd.safetensors");
        try (Arena arena = Arena.ofShared(); Optimizer<?> a = setup.build(Runs.parameters(arena, 3))) {
            Runs.train(a, 0, Runs.MOMENTUM_FROM_STEP - 1);
            Checkpoints.save(a, file);
            assertEquals("false", Checkpoints.metadata(file).get("group.0.momentum_buffer_started"));
            assertEquals("true", Checkpoints.metadata(file).get("group.1.momentum_buffer_started"));
        }
        try (Arena arena = Arena.ofShared(); Optimizer<?> b = setup.build(Runs.parameters(arena, 4))) {
            final Sgd sgd = (Sgd) b;
            Runs.train(b, 0, Runs.MOMENTUM_FROM_STEP); // both groups' buffers started, overwritten
            assertTrue(sgd.momentumBufferStarted(0) && sgd.momentumBufferStarted(1));
            Checkpoints.load(b, file);
            assertFalse(sgd.momentumBufferStarted(0));
            assertTrue(sgd.momentumBufferStarted(1));
            Runs.train(b, Runs.MOMENTUM_FROM_STEP - 1, Runs.MOMENTUM_FROM_STEP);
            assertTrue(sgd.momentumBufferStarted(0));
        }
    }

    /**
     * Files from before {@code momentum_buffer_started} (format_version 1 and 2) load with SGD's
     * buffers started once any step has run; a file of the current version must have the entry,
     * true or false.
     */
    @Test
    void sgdFilesWithoutTheBufferEntryFollowTheStepCount() throws IOException {
        final Runs.Setup setup = Runs.setup(Runs.SGD_MOMENTUM_LATER);
        final Path current = dir.resolve("current.safetensors");
        final Path edited = dir.resolve("edited.safetensors");
        final Runs.Snapshot trained;
        try (Arena arena = Arena.ofShared(); Optimizer<?> a = setup.build(Runs.parameters(arena, 3))) {
            Runs.train(a, 0, 2);
            Checkpoints.save(a, current);
            trained = snapshot(a);
        }
        final SafetensorsFile f = SafetensorsFile.read(current);
        final String entry = "\"group.0.momentum_buffer_started\":\"false\",";
        final String withoutEntries = f.header.replace(entry, "")
                .replace("\"group.1.momentum_buffer_started\":\"true\",", "");
        assertFalse(withoutEntries.contains("momentum_buffer_started"), withoutEntries);
        try (Arena arena = Arena.ofShared(); Optimizer<?> b = setup.build(Runs.parameters(arena, 4))) {
            final Sgd sgd = (Sgd) b;
            final String versionTwo = withoutEntries.replace(
                    formatVersion(Checkpoints.FORMAT_VERSION), formatVersion(2));
            SafetensorsFile.write(edited, versionTwo, f.data);
            Checkpoints.load(b, edited);
            assertSameBits(trained, snapshot(b), "after loading the version 2 file");
            assertTrue(sgd.momentumBufferStarted(0) && sgd.momentumBufferStarted(1));

            Checkpoints.load(b, current);
            final Runs.Snapshot loaded = snapshot(b);
            SafetensorsFile.write(edited, withoutEntries, f.data);
            final CheckpointException missing = assertThrows(CheckpointException.class,
                    () -> Checkpoints.load(b, edited));
            assertTrue(missing.getMessage().contains(
                    "metadata entry 'group.0.momentum_buffer_started' is missing"), missing.getMessage());
            SafetensorsFile.write(edited, f.header.replace(entry,
                    entry.replace("false", "maybe")), f.data);
            final CheckpointException maybe = assertThrows(CheckpointException.class,
                    () -> Checkpoints.load(b, edited));
            assertTrue(maybe.getMessage().contains("'group.0.momentum_buffer_started' is 'maybe';"
                    + " expected true or false"), maybe.getMessage());
            // Group 0's entry is good, and says otherwise than the optimizer; group 1's is not.
            final String group1 = "\"group.1.momentum_buffer_started\":\"true\"";
            SafetensorsFile.write(edited, f.header.replace(entry, entry.replace("false", "true"))
                    .replace(group1, group1.replace("true\"", "yes\"")), f.data);
            final CheckpointException yes = assertThrows(CheckpointException.class,
                    () -> Checkpoints.load(b, edited));
            assertTrue(yes.getMessage().contains("'group.1.momentum_buffer_started' is 'yes'"),
                    yes.getMessage());
            // Version 2 knows no such entry: one there is refused, not ignored.
            SafetensorsFile.write(edited, f.header.replace(formatVersion(Checkpoints.FORMAT_VERSION),
                    formatVersion(2)), f.data);
            final CheckpointException early = assertThrows(CheckpointException.class,
                    () -> Checkpoints.load(b, edited));
            assertTrue(early.getMessage().contains("unexpected metadata entry"
                    + " 'group.0.momentum_buffer_started' in a file of format_version 2"),
                    early.getMessage());
            assertSameBits(loaded, snapshot(b), "after the refused loads");
            assertFalse(sgd.momentumBufferStarted(0), "a refused load leaves the flags as they were");
        }
    }

    private static String formatVersion(int version) {
        return "\"format_version\":\"" + version + "\"";
    }

    @Test
    void metadataRecordsKindHyperparametersAndSchedulePosition() throws IOException {
        final Path file = dir.resolve("adamw.safetensors");
        try (Arena arena = Arena.ofShared();
             Optimizer<?> o = Runs.setup("AdamW amsgrad").build(Runs.parameters(arena, 5))) {
            Runs.train(o, 0, 6);
            Checkpoints.save(o, file);
            final Map<String, String> m = Checkpoints.metadata(file);
            assertEquals("AdamW", m.get("optimizer"));
            assertEquals(Integer.toString(Checkpoints.FORMAT_VERSION), m.get("format_version"));
            assertEquals("6", m.get("step_count"));
            assertEquals("2", m.get("group_count"));
            assertEquals("[\"fc.weight\",\"fc.bias\",\"head\"]", m.get("group.0.params"));
            assertEquals("[\"emb.weight\",\"empty\"]", m.get("group.1.params"));
            assertEquals(Double.toString(o.groups().get(0).lr()), m.get("group.0.lr"));
            assertEquals(Double.toString(o.groups().get(1).momentum()), m.get("group.1.momentum"));
            assertEquals("0.01", m.get("group.0.config.lr"));
            assertEquals("0.1", m.get("group.1.config.weightDecay"));
            assertEquals("true", m.get("group.0.config.decoupledWeightDecay"));
            assertEquals("true", m.get("group.0.config.amsgrad"));
            assertEquals("PYTORCH", m.get("group.0.config.epsilonMode"));
            assertTrue(m.get("data_crc32c").matches("[0-9a-f]{8}"));
            assertFalse(m.keySet().stream().anyMatch(k -> k.startsWith("loss_scaler.")));
        }
    }

    @Test
    void metadataRecordsTheLossScaler() throws IOException {
        final Path file = dir.resolve("scaled.safetensors");
        try (Arena arena = Arena.ofShared();
             Optimizer<?> o = Runs.setup("Adam, loss scaling, clipping by norm").build(Runs.parameters(arena, 5))) {
            // Iterations 1-3 grow the scale to 2048, the inf at 4 backs it off to 1024 (a skipped
            // step), 5 and 6 are clean.
            Runs.train(o, 0, 6);
            assertEquals(5, o.stepCount());
            Checkpoints.save(o, file);
            final Map<String, String> m = Checkpoints.metadata(file);
            assertEquals("5", m.get("step_count"));
            assertEquals("1024.0", m.get("loss_scaler.scale"));
            assertEquals("2", m.get("loss_scaler.growth_tracker"));
            assertEquals("2.0", m.get("loss_scaler.growth_factor"));
            assertEquals("0.5", m.get("loss_scaler.backoff_factor"));
            assertEquals("3", m.get("loss_scaler.growth_interval"));
        }
    }
}
