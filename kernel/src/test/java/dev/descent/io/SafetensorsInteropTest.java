package dev.descent.io;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that other safetensors readers understand, and files from other writers that load. */
class SafetensorsInteropTest {

    @TempDir
    Path dir;

    /** Names, dtypes, shapes, offsets and little-endian values, checked without the library's parser. */
    @Test
    void anIndependentReaderFindsEveryTensor() throws IOException {
        final Path file = dir.resolve("adam.safetensors");
        try (Arena arena = Arena.ofShared();
             Optimizer<?> o = Runs.setup("Adam amsgrad").build(Runs.parameters(arena, 11))) {
            Runs.train(o, 0, 3);
            Checkpoints.save(o, file);
            final SafetensorsFile f = SafetensorsFile.read(file);
            assertEquals(0, (8 + f.headerLength) % 8, "data starts 8-byte aligned");
            assertEquals(true, f.header.substring(f.header.lastIndexOf('}') + 1).chars()
                    .allMatch(c -> c == ' '), "the header is padded with spaces only");
            final Map<String, SafetensorsFile.Entry> tensors = f.tensors();
            final List<String> expectedNames = new ArrayList<>();
            long offset = 0;
            for (Parameter p : o.parameters()) {
                final Map<String, MemorySegment> all = new LinkedHashMap<>();
                all.put(p.name(), p.values());
                o.state(p).forEach((k, v) -> all.put(p.name() + "." + k, v));
                for (Map.Entry<String, MemorySegment> e : all.entrySet()) {
                    expectedNames.add(e.getKey());
                    final SafetensorsFile.Entry t = tensors.get(e.getKey());
                    final long n = e.getValue().byteSize() / 4;
                    assertEquals("F32", t.dtype(), e.getKey());
                    assertArrayEquals(new long[] {n}, t.shape(), e.getKey());
                    assertEquals(offset, t.begin(), e.getKey() + ": contiguous, in order");
                    assertEquals(offset + 4 * n, t.end(), e.getKey());
                    for (long i = 0; i < n; i++) {
                        assertEquals(Float.floatToRawIntBits(e.getValue().getAtIndex(JAVA_FLOAT, i)),
                                Float.floatToRawIntBits(f.floatAt(t, i)), e.getKey() + "[" + i + "]");
                    }
                    offset += 4 * n;
                }
            }
            assertEquals(List.of("fc.weight", "fc.weight.exp_avg", "fc.weight.exp_avg_sq",
                    "fc.weight.max_exp_avg_sq"), expectedNames.subList(0, 4));
            assertEquals(expectedNames, List.copyOf(tensors.keySet()));
            assertEquals(offset, f.data.length, "no bytes after the last tensor");
            final Map<String, String> metadata = f.metadata();
            assertEquals("Adam", metadata.get("optimizer"));
            assertEquals("3", metadata.get("step_count"));
            final CRC32C crc = new CRC32C();
            crc.update(f.data);
            assertEquals(String.format("%08x", crc.getValue()), metadata.get("data_crc32c"));
        }
    }

    /** A file as another writer makes it: no metadata, unpadded header, tensors in another order. */
    @Test
    void parametersLoadFromAFileWrittenElsewhere() throws IOException {
        final Path file = dir.resolve("foreign.safetensors");
        final String header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]},"
                + " \"a\" : {\"data_offsets\":[0,12],\"shape\":[3],\"dtype\":\"F32\"}}";
        final ByteBuffer data = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(7f).putFloat(Float.MIN_VALUE);
        SafetensorsFile.write(file, header, data.array());
        final Parameter a = Parameter.ofArrays("a", new float[3], new float[3]);
        final Parameter b = Parameter.ofArrays("b", new float[2], new float[2]);
        Checkpoints.load(List.of(a, b), file);
        assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, a.values().toArray(JAVA_FLOAT));
        assertArrayEquals(new float[] {7f, Float.MIN_VALUE}, b.values().toArray(JAVA_FLOAT));
        assertEquals(Map.of(), Checkpoints.metadata(file));
    }

    /** Unicode and JSON-special characters in names survive the round trip. */
    @Test
    void namesWithQuotesBackslashesAndUnicodeRoundTrip() throws IOException {
        final Path file = dir.resolve("names.safetensors");
        final String name = "layer \"1\"\\ü\u0001€𝄞";
        final Parameter p = Parameter.ofArrays(name, new float[] {1f, 2f}, new float[2]);
        Checkpoints.save(List.of(p), file);
        final Parameter q = Parameter.ofArrays(name, new float[2], new float[2]);
        Checkpoints.load(List.of(q), file);
        assertArrayEquals(new float[] {1f, 2f}, q.values().toArray(JAVA_FLOAT));
        final String header = SafetensorsFile.read(file).header;
        assertEquals(true, header.contains("\"layer \\\"1\\\"\\\\ü\\u0001€𝄞\""), header);
    }

    /** numpy, with nothing but json and frombuffer, reads names, shapes and the exact bits. */
    @Test
    void numpyReadsTheSameBits() throws IOException, InterruptedException, NoSuchAlgorithmException {
        assumeTrue(pythonWithNumpy(), "python3 with numpy is not installed");
        final Path file = dir.resolve("rms.safetensors");
        final Map<String, String> expected = new LinkedHashMap<>();
        try (Arena arena = Arena.ofShared();
             Optimizer<?> o = Runs.setup("RmsProp centered, momentum").build(Runs.parameters(arena, 12))) {
            Runs.train(o, 0, 4);
            Checkpoints.save(o, file);
            for (Parameter p : o.parameters()) {
                expected.put(p.name(), sha256(p.values()));
                for (Map.Entry<String, MemorySegment> s : o.state(p).entrySet()) {
                    expected.put(p.name() + "." + s.getKey(), sha256(s.getValue()));
                }
            }
        }
        final String script = """
                import hashlib, json, struct, sys
                import numpy as np
                raw = open(sys.argv[1], 'rb').read()
                (n,) = struct.unpack('<Q', raw[:8])
                header = json.loads(raw[8:8 + n].decode('utf-8'))
                meta = header.pop('__metadata__')
                assert (8 + n) % 8 == 0
                print('optimizer', meta['optimizer'], meta['step_count'])
                for name, t in header.items():
                    assert t['dtype'] == 'F32'
                    begin, end = t['data_offsets']
                    a = np.frombuffer(raw, dtype='<f4', count=(end - begin) // 4, offset=8 + n + begin)
                    assert a.shape == tuple(t['shape'])
                    print(name, hashlib.sha256(a.astype('<f4').tobytes()).hexdigest())
                """;
        final Process python = new ProcessBuilder("python3", "-c", script, file.toString())
                .redirectErrorStream(true).start();
        final String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(true, python.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, python.exitValue(), out);
        final StringBuilder want = new StringBuilder("optimizer RmsProp 4\n");
        expected.forEach((k, v) -> want.append(k).append(' ').append(v).append('\n'));
        assertEquals(want.toString(), out);
    }

    private static String sha256(MemorySegment floats) throws NoSuchAlgorithmException {
        final ByteBuffer le = ByteBuffer.allocate((int) floats.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < floats.byteSize() / 4; i++) {
            le.putFloat(floats.getAtIndex(JAVA_FLOAT, i));
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(le.array()));
    }

    private static boolean pythonWithNumpy() {
        try {
            final Process p = new ProcessBuilder("python3", "-c", "import numpy")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
