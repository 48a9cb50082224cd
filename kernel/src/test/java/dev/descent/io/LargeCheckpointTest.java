package dev.descent.io;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.descent.Parameter;
import dev.descent.Sgd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint of more than 2<sup>31</sup> bytes, written and read through mapped segments: one
 * tensor larger than 2 GiB and one that starts past 2<sup>31</sup> bytes into the data.
 *
 * <p>About 2 GiB of memory (the values; the gradient is a sparse file never touched), 2 GiB of
 * disk and a few seconds. CI (which sets CI=true) always runs it, a developer asks for it with
 * {@code -Ddescent.test.large=true}; it runs once per build, in the default surefire execution,
 * and only where memory and disk have room.
 */
class LargeCheckpointTest {

    private static final long GIB = 1L << 30;
    /** Floats of the large parameter: 2^31 + 64 bytes of values. */
    private static final long LENGTH = (1L << 29) + 16;

    @Test
    void checkpointOfMoreThanTwoToThe31BytesRoundTrips() throws IOException {
        assumeTrue("true".equals(System.getenv("CI")) || Boolean.getBoolean("descent.test.large"),
                "runs in CI, or with -Ddescent.test.large=true");
        final String kernel = System.getProperty("descent.test.expectedKernel", "panama");
        assumeTrue(kernel.equals("panama"), "runs once per build, in the default execution");
        final long available = memAvailableBytes();
        assumeTrue(available >= 4 * GIB, "needs MemAvailable >= 4 GiB, have " + available / GIB + " GiB");
        final Path target = Path.of("target");
        final Path parent = Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
        final long usable = Files.getFileStore(parent).getUsableSpace();
        assumeTrue(usable >= 3 * GIB, "needs 3 GiB of disk in " + parent + ", have " + usable / GIB + " GiB");

        final Path dir = Files.createTempDirectory(parent, "large-checkpoint-");
        try (Arena arena = Arena.ofShared()) {
            final Parameter huge = Parameter.wrap("huge", arena.allocate(LENGTH * Float.BYTES, 64),
                    mapSparse(dir.resolve("grad.f32"), LENGTH, arena));
            final Parameter tail = Parameter.ofArrays("tail", new float[] {1.5f, -2.5f, 3.5f}, new float[3]);
            for (long i = 0; i < LENGTH; i++) {
                huge.values().setAtIndex(JAVA_FLOAT, i, pattern(i));
            }
            try (Sgd sgd = Sgd.builder().lr(0.5).threads(1).build(List.of(huge, tail))) {
                sgd.groups().getFirst().setLr(0.25);
                final Path file = dir.resolve("large.safetensors");

                long t0 = System.nanoTime();
                Checkpoints.save(sgd, file);
                final long saveMillis = (System.nanoTime() - t0) / 1_000_000;
                final long bytes = Files.size(file);
                assertTrue(bytes > 1L << 31, "file has " + bytes + " bytes");
                checkIndependently(file);

                huge.values().fill((byte) 0);
                tail.values().fill((byte) 0);
                sgd.groups().getFirst().setLr(1.0);
                t0 = System.nanoTime();
                Checkpoints.load(sgd, file);
                final long loadMillis = (System.nanoTime() - t0) / 1_000_000;

                for (long i = 0; i < LENGTH; i++) {
                    final float v = huge.values().getAtIndex(JAVA_FLOAT, i);
                    if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(pattern(i))) {
                        throw new AssertionError("huge[" + i + "] is " + v + ", expected " + pattern(i));
                    }
                }
                assertEquals(List.of(1.5f, -2.5f, 3.5f), List.of(tail.valueAt(0), tail.valueAt(1), tail.valueAt(2)));
                assertEquals(0.25, sgd.groups().getFirst().lr());
                System.out.println("LargeCheckpointTest: " + bytes + " bytes saved in " + saveMillis
                        + " ms, loaded in " + loadMillis + " ms");
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Exactly representable values that vary along the tensor, so a misplaced block shows. */
    private static float pattern(long i) {
        return (float) (i & 0xFFFFF) * 0.5f + (float) (i >>> 20);
    }

    /** The header and values past 2^31 bytes, read with plain channel reads, not the library. */
    private static void checkIndependently(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            final long n = len.getLong(0);
            final ByteBuffer header = ByteBuffer.allocate((int) n);
            ch.read(header, 8);
            final String text = new String(header.array(), StandardCharsets.UTF_8);
            final long hugeBytes = LENGTH * Float.BYTES;
            assertTrue(text.contains("\"huge\":{\"dtype\":\"F32\",\"shape\":[" + LENGTH
                    + "],\"data_offsets\":[0," + hugeBytes + "]}"), text);
            final Matcher m = Pattern.compile("\"tail\":\\{\"dtype\":\"F32\",\"shape\":\\[3\\],"
                    + "\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}").matcher(text);
            assertTrue(m.find(), text);
            final long tailBegin = Long.parseLong(m.group(1));
            assertEquals(hugeBytes, tailBegin);
            assertTrue(tailBegin > 1L << 31);
            final long dataStart = 8 + n;
            assertEquals(dataStart + hugeBytes + 12, ch.size());
            final long[] indices = {0, 1, (1L << 29) - 1, 1L << 29, LENGTH - 1};
            for (long i : indices) {
                assertEquals(pattern(i), floatAt(ch, dataStart + i * Float.BYTES), "huge[" + i + "]");
            }
            assertEquals(-2.5f, floatAt(ch, dataStart + tailBegin + 4));
        }
    }

    private static float floatAt(FileChannel ch, long position) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(b, position);
        return b.getFloat(0);
    }

    private static MemorySegment mapSparse(Path file, long floats, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, floats * Float.BYTES, arena);
        }
    }

    private static long memAvailableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.trim().split("\\s+")[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
