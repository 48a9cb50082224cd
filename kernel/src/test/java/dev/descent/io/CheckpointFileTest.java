package dev.descent.io;

import static dev.descent.io.Runs.assertSameBits;
import static dev.descent.io.Runs.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Adam;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Writing through a temporary file and an atomic rename, and the refusals of bad arguments. */
class CheckpointFileTest {

    @TempDir
    Path dir;
    private Arena arena;
    private Optimizer<?> optimizer;

    @BeforeEach
    void setUp() {
        arena = Arena.ofShared();
        optimizer = Runs.setup("Adam").build(Runs.parameters(arena, 3));
        Runs.train(optimizer, 0, 2);
    }

    @AfterEach
    void tearDown() {
        Checkpoints.beforeRenameForTests = null;
        optimizer.close();
        arena.close();
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void anExistingFileIsReplacedAndNoTemporaryFileRemains() throws IOException {
        final Path file = dir.resolve("ckpt.safetensors");
        Files.writeString(file, "an older checkpoint");
        Checkpoints.save(optimizer, file);
        assertEquals(List.of(file), files());
        assertEquals("2", Checkpoints.metadata(file).get("step_count"));
        Runs.train(optimizer, 2, 3);
        Checkpoints.save(optimizer, file);
        assertEquals(List.of(file), files());
        assertEquals("3", Checkpoints.metadata(file).get("step_count"));
    }

    @Test
    void theTemporaryFileIsCompleteAndForcedBeforeTheRename() throws IOException {
        final Path file = dir.resolve("ckpt.safetensors");
        final List<Path> seen = new ArrayList<>();
        Checkpoints.beforeRenameForTests = temp -> {
            seen.add(temp);
            assertEquals(dir, temp.getParent(), "written next to the target, so the rename is atomic");
            assertTrue(temp.getFileName().toString().startsWith(".ckpt.safetensors."), temp.toString());
            assertFalse(Files.exists(file), "the target appears only by the rename");
            assertEquals("2", Checkpoints.metadata(temp).get("step_count"));
        };
        Checkpoints.save(optimizer, file);
        assertEquals(1, seen.size());
        assertFalse(Files.exists(seen.getFirst()));
        assertEquals(List.of(file), files());
    }

    @Test
    void aFailedSaveDeletesItsTemporaryFileAndLeavesTheOldFile() throws IOException {
        final Path file = dir.resolve("ckpt.safetensors");
        Checkpoints.save(optimizer, file);
        final byte[] old = Files.readAllBytes(file);
        Runs.train(optimizer, 2, 4);
        final IOException crash = new IOException("simulated crash before the rename");
        Checkpoints.beforeRenameForTests = temp -> {
            throw crash;
        };
        final IOException e = assertThrows(IOException.class, () -> Checkpoints.save(optimizer, file));
        assertEquals(crash, e);
        assertArrayEquals(old, Files.readAllBytes(file), "the old checkpoint is intact");
        assertEquals(List.of(file), files(), "no temporary file left behind");
    }

    @Test
    void aSaveRefusedBeforeWritingCreatesNoFile() {
        final Parameter w = Parameter.ofArrays("w", new float[2], new float[2]);
        final Parameter clash = Parameter.ofArrays("w.exp_avg", new float[2], new float[2]);
        final Path file = dir.resolve("clash.safetensors");
        try (Adam adam = Adam.builder().build(List.of(w, clash))) {
            rejects(IllegalArgumentException.class, () -> Checkpoints.save(adam, file),
                    "two tensors would be named 'w.exp_avg'");
        }
        rejects(IllegalArgumentException.class, () -> Checkpoints.save(List.of(w,
                Parameter.ofArrays("__metadata__", new float[1], new float[1])), file), "'__metadata__'");
        try (Adam adam = Adam.builder().build(List.of(
                Parameter.ofArrays("__metadata__", new float[1], new float[1])))) {
            rejects(IllegalArgumentException.class, () -> Checkpoints.save(adam, file),
                    "'__metadata__'");
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void aLoadRefusesTheNamesASaveRefuses() throws IOException {
        final Path file = dir.resolve("w.safetensors");
        try (Adam adam = Adam.builder().build(List.of(
                Parameter.ofArrays("w", new float[] {1, 2, 3}, new float[3])))) {
            adam.step();
            Checkpoints.save(adam, file);
        }
        // Loaded into an optimizer whose parameter is named like w's state, one tensor would be
        // read for two, and written past the end of the shorter one.
        final float[] w = {7, 8, 9};
        final float[] clash = {6};
        try (Adam adam = Adam.builder().build(List.of(Parameter.ofArrays("w", w, new float[3]),
                Parameter.ofArrays("w.exp_avg", clash, new float[1])))) {
            rejects(IllegalArgumentException.class, () -> Checkpoints.load(adam, file),
                    "two tensors would be named 'w.exp_avg'");
            assertEquals(0, adam.stepCount());
        }
        assertArrayEquals(new float[] {7, 8, 9}, w);
        assertArrayEquals(new float[] {6}, clash);
        final float[] reserved = {5};
        rejects(IllegalArgumentException.class, () -> Checkpoints.load(List.of(
                Parameter.ofArrays("__metadata__", reserved, new float[1])), file), "'__metadata__'");
        try (Adam adam = Adam.builder().build(List.of(
                Parameter.ofArrays("__metadata__", reserved, new float[1])))) {
            rejects(IllegalArgumentException.class, () -> Checkpoints.load(adam, file),
                    "'__metadata__'");
        }
        assertArrayEquals(new float[] {5}, reserved);
    }

    @Test
    void aHeaderLongerThanALoadAcceptsIsRefusedBeforeWriting() throws IOException {
        // Ten tensors with names of ten million characters: a header of about 100 MB.
        final List<Parameter> named = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            named.add(Parameter.ofArrays(i + "x".repeat(10_000_000), new float[1], new float[1]));
        }
        final Path file = dir.resolve("names.safetensors");
        rejects(IllegalArgumentException.class, () -> Checkpoints.save(named, file),
                "more than the 100000000 a safetensors reader (and load) accepts: 10 tensors");
        assertEquals(List.of(), files(), "no file, no temporary file");
    }

    @Test
    void moreTensorsThanALoadReadsAreRefusedBeforeWriting() {
        // A parameters-only header: 2 metadata entries, so 599,185 tensors fill the reader's
        // limit to within 3 values and one more passes it.
        final float[] value = new float[1];
        final float[] grad = new float[1];
        final List<Parameter> many = new ArrayList<>();
        for (int i = 0; i <= 599_185; i++) {
            many.add(Parameter.ofArrays("p" + i, value, grad)); // a save only reads them
        }
        assertEquals(Json.MAX_VALUES - 3, Checkpoints.headerValues(2, 599_185));
        final Path file = dir.resolve("many.safetensors");
        rejects(IllegalArgumentException.class, () -> Checkpoints.save(many, file),
                "would hold 4194308 JSON values, more than the 4194304 load accepts: 599186 tensors");
        assertFalse(Files.exists(file));
    }

    /** The count a save checks against the reader's limit is the count the reader makes. */
    @Test
    void headerValuesAreCountedAsTheReaderCountsThem() throws IOException, Json.SyntaxException {
        final Path file = dir.resolve("adam.safetensors");
        Runs.train(optimizer, 0, 2);
        Checkpoints.save(optimizer, file);
        final Path weights = dir.resolve("weights.safetensors");
        Checkpoints.save(Runs.parameters(arena, 4), weights);
        for (Path p : List.of(file, weights)) {
            final Map<?, ?> header = (Map<?, ?>) Json.parse(SafetensorsFile.read(p).header);
            final int entries = ((Map<?, ?>) header.get("__metadata__")).size() - 2; // the checksums
            assertEquals(Checkpoints.headerValues(entries, header.size() - 1), values(header), p.toString());
        }
    }

    /** The JSON values in a parsed tree: this one and all it holds. */
    private static long values(Object json) {
        long n = 1;
        if (json instanceof Map<?, ?> m) {
            for (Object v : m.values()) {
                n += values(v);
            }
        } else if (json instanceof List<?> l) {
            for (Object v : l) {
                n += values(v);
            }
        }
        return n;
    }

    @Test
    void aFileNameAtTheFileSystemsLimitCanBeSaved() throws IOException {
        final Path file = dir.resolve("m".repeat(240) + ".safetensors"); // 252 bytes of 255
        final List<Path> temps = new ArrayList<>();
        Checkpoints.beforeRenameForTests = temps::add;
        Checkpoints.save(optimizer, file);
        assertEquals(List.of(file), files());
        assertEquals("2", Checkpoints.metadata(file).get("step_count"));
        assertTrue(temps.getFirst().getFileName().toString().startsWith("." + "m".repeat(64) + "."),
                temps.getFirst().toString());
    }

    @Test
    void replacingACheckpointKeepsItsPermissions() throws IOException {
        final Path file = dir.resolve("private.safetensors");
        Checkpoints.save(optimizer, file);
        if (!Files.getFileStore(file).supportsFileAttributeView(PosixFileAttributeView.class)) {
            return; // no POSIX permissions to keep
        }
        final Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        Files.setPosixFilePermissions(file, ownerOnly);
        Runs.train(optimizer, 2, 3);
        Checkpoints.save(optimizer, file);
        assertEquals("3", Checkpoints.metadata(file).get("step_count"), "replaced");
        assertEquals(ownerOnly, Files.getPosixFilePermissions(file));
    }

    @Test
    void nullArgumentsAreRefusedByName() {
        final Path file = dir.resolve("x.safetensors");
        final List<Parameter> ps = optimizer.parameters();
        rejects(NullPointerException.class, () -> Checkpoints.save((Optimizer<?>) null, file), "optimizer");
        rejects(NullPointerException.class, () -> Checkpoints.save(optimizer, null), "path");
        rejects(NullPointerException.class, () -> Checkpoints.save((List<Parameter>) null, file), "parameters");
        rejects(NullPointerException.class, () -> Checkpoints.save(Arrays.asList(ps.get(0), null), file),
                "parameters[1]");
        rejects(NullPointerException.class, () -> Checkpoints.load((Optimizer<?>) null, file), "optimizer");
        rejects(NullPointerException.class, () -> Checkpoints.load(optimizer, null), "path");
        rejects(NullPointerException.class, () -> Checkpoints.load(Arrays.asList((Parameter) null), file),
                "parameters[0]");
        rejects(NullPointerException.class, () -> Checkpoints.metadata(null), "path");
    }

    @Test
    void missingFilesDirectoriesAndMissingParentsAreIoErrors() throws IOException {
        final Runs.Snapshot before = snapshot(optimizer);
        rejects(NoSuchFileException.class, () -> Checkpoints.load(optimizer, dir.resolve("absent")), "absent");
        rejects(FileSystemException.class, () -> Checkpoints.load(optimizer, dir), "is a directory");
        rejects(FileSystemException.class, () -> Checkpoints.save(optimizer, dir), "is a directory");
        rejects(NoSuchFileException.class,
                () -> Checkpoints.save(optimizer, dir.resolve("no/such/dir/ckpt.safetensors")),
                "such/dir does not exist");
        assertSameBits(before, snapshot(optimizer), "after refused loads");
        assertEquals(List.of(), files());
    }

    @Test
    void closedOptimizersAndFreedParametersAreIllegalStates() throws IOException {
        final Path file = dir.resolve("ckpt.safetensors");
        Checkpoints.save(optimizer, file);
        final Optimizer<?> closed = Runs.setup("Adam").build(Runs.parameters(arena, 3));
        closed.close();
        rejects(IllegalStateException.class, () -> Checkpoints.save(closed, file), "closed");
        rejects(IllegalStateException.class, () -> Checkpoints.load(closed, file), "closed");

        final Arena gone = Arena.ofConfined();
        final Parameter freed = Parameter.allocate(gone, "fc.weight", 3);
        gone.close();
        rejects(IllegalStateException.class, () -> Checkpoints.save(List.of(freed), file), "fc.weight");
        rejects(IllegalStateException.class, () -> Checkpoints.load(List.of(freed), file), "fc.weight");

        // Memory confined to another thread: neither readable nor writable from there.
        try (Arena confined = Arena.ofConfined()) {
            final Parameter mine = Parameter.allocate(confined, "w", 4);
            final Throwable t = CompletableFuture.supplyAsync(() -> {
                try {
                    Checkpoints.save(List.of(mine), dir.resolve("w.safetensors"));
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            }).join();
            assertTrue(t instanceof IllegalStateException, String.valueOf(t));
        }
        assertFalse(Files.exists(dir.resolve("w.safetensors")));
    }

    @Test
    void duplicateParameterNamesInABareLoadAreRefused() {
        final Parameter a = Parameter.ofArrays("a", new float[1], new float[1]);
        final Parameter a2 = Parameter.ofArrays("a", new float[1], new float[1]);
        rejects(IllegalArgumentException.class,
                () -> Checkpoints.load(List.of(a, a2), dir.resolve("x")), "two parameters are named 'a'");
    }

    private static <T extends Throwable> void rejects(Class<T> type, Executable call, String fragment) {
        final T e = assertThrows(type, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                "message lacks '" + fragment + "': " + e.getMessage());
    }
}
