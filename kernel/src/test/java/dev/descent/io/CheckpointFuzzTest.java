package dev.descent.io;

import static dev.descent.io.Runs.assertSameBits;
import static dev.descent.io.Runs.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Adam;
import dev.descent.LossScaler;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of a valid checkpoint (AMSGrad Adam with a loss scaler, two groups, a few steps
 * taken, one skipped): every load either refuses the file with a {@link CheckpointException},
 * leaving the optimizer (or the bare parameters) bit for bit as it was, or accepts a file that is
 * still valid. Raw mutations keep the checksums as they were, so they must all be refused but for
 * those that change nothing; "resealed" ones recompute the header checksum, as a tool editing a
 * checkpoint consistently would, so that they reach the checks behind it.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CheckpointFuzzTest {

    private static final int RAW_MUTATIONS = 800;
    private static final int RESEALED_MUTATIONS = 800;
    private static final String[] NAMES = {"w", "b", "head", "empty"};
    private static final int[] LENGTHS = {9, 1, 3, 0};

    private static final String[] NUMBERS = {
        "0", "1", "-1", "-0", "01", "+1", "1.0", "1e3", "1E400", "1e-400", "4", "8", "12", "36",
        "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "99999999999999999999999999999999999999", "0.5", "-9223372036854775808", "1.", ".5",
        "0x10", "Infinity", "NaN", "1e", "--1", "4294967296"};
    private static final String[] STRINGS = {
        "", "F16", "BF16", "F64", "I32", "U8", "BOOL", "f32", "F32 ", "F32\\u0000", "\\uD800",
        "\\uDC00\\uD800", "\\u12G4", "\\u00", "\\x", "\\", "0", "-1", "1e3", "1e999", "NaN",
        "Infinity", "0x1p3", "+0.5", ".5", "5.", "00.5", "99999999999999999999",
        "9223372036854775807", "2147483648", "3", "2", "1.5", "1", "0.99999999999", "-0",
        "1e-50", "3.5e38", "true", "false", "[", "[]", "[1]", "null", "[\\\"w\\\",\\\"w\\\"]",
        "[\\\"w\\\"]", "[\\\"w\\\",\\\"b\\\",\\\"head\\\"]", "[\\\"\\\\uD800\\\"]",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]"
                + "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "descent.checkpoint", "Adam", "AdamW", "Sgd", "4", "\u00e9", "\u20ac", "\ud83d\ude00",
        "\\u0000", "\\n", "\\\"", "__metadata__", "w.exp_avg", "00000000", "ABCDEF01"};
    private static final String[] VALUES = {
        "1", "-1", "true", "false", "null", "[]", "{}", "\"\"", "[1,2]", "[\"F32\"]", "{\"a\":1}",
        "1e99999999999", "[9223372036854775807,9223372036854775807]", "[4294967296,4294967296]",
        "[-1]", "[0,0]", "[0,9223372036854775807]", "[9223372036854775807,0]", "[1.5]", "[1e2]",
        "[0]", "[[0]]", "[\"0\"]"};
    private static final byte[] INTERESTING_BYTES = {
        0, 1, 0x1f, 0x7f, (byte) 0x80, (byte) 0xbf, (byte) 0xc0, (byte) 0xc3, (byte) 0xe0,
        (byte) 0xed, (byte) 0xf0, (byte) 0xf4, (byte) 0xf8, (byte) 0xfe, (byte) 0xff, '"', '\\',
        '{', '}', '[', ']', ',', ':', ' ', '\t', '\n', '0', '9', '-', '+', 'e', '.', 'u', 'n'};

    @TempDir
    Path dir;
    private Arena arena;
    private byte[] good;
    private int headerLength;
    private String header;
    private Runs.Snapshot saved;
    private Optimizer<?> live;
    private Runs.Snapshot liveBefore;
    private Path liveFile;
    private List<Parameter> bare;
    private List<List<Integer>> bareBefore;
    private Path bad;
    private int loaded;
    private int refused;

    @BeforeEach
    void saveAGoodCheckpoint() throws IOException {
        arena = Arena.ofShared();
        final Path goodFile = dir.resolve("good.safetensors");
        try (Optimizer<?> o = build(parameters(1))) {
            Runs.train(o, 0, 6); // iteration 4 is skipped: the scale backs off
            Checkpoints.save(o, goodFile);
            saved = snapshot(o);
        }
        good = Files.readAllBytes(goodFile);
        headerLength = (int) ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        header = new String(good, 8, headerLength, StandardCharsets.UTF_8);
        live = build(parameters(2));
        Runs.train(live, 0, 2);
        liveFile = dir.resolve("live.safetensors");
        Checkpoints.save(live, liveFile);
        liveBefore = snapshot(live);
        bare = parameters(3);
        bareBefore = Runs.valueBits(bare);
        bad = dir.resolve("bad.safetensors");
    }

    @AfterEach
    void close() {
        live.close();
        arena.close();
    }

    private List<Parameter> parameters(long seed) {
        final List<Parameter> ps = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(seed);
        for (int k = 0; k < NAMES.length; k++) {
            final Parameter p = Parameter.allocate(arena, NAMES[k], LENGTHS[k]);
            for (long i = 0; i < p.length(); i++) {
                p.setValueAt(i, (float) random.nextDouble(-1, 1));
            }
            ps.add(p);
        }
        return ps;
    }

    private static Optimizer<?> build(List<Parameter> ps) {
        final Adam adam = Adam.builder().lr(0.01).amsgrad(true).group(ps.subList(0, 2))
                .group(ps.subList(2, 4), b -> b.weightDecay(0.01).betas(0.8, 0.99)).build();
        adam.setLossScaler(LossScaler.builder().initScale(1024).growthInterval(3).build());
        return adam;
    }

    @Test
    void theUnchangedFileLoadsIntoBoth() throws IOException {
        check("unchanged", good, Expect.LOADS);
        assertEquals(1, loaded);
    }

    @Test
    void rawMutationsAreRefusedAndChangeNothing() throws IOException {
        final SplittableRandom random = new SplittableRandom(20261207);
        for (int i = 0; i < RAW_MUTATIONS; i++) {
            final StringBuilder what = new StringBuilder("raw mutation " + i + ": ");
            final byte[] mutated = rawMutation(random, what);
            // Only a mutation that changed nothing may load; the checksums catch the others.
            check(what.toString(), mutated, Arrays.equals(mutated, good) ? Expect.LOADS : Expect.REFUSED);
        }
        assertTrue(refused > RAW_MUTATIONS * 9 / 10, refused + " refused");
    }

    @Test
    void resealedMutationsAreRefusedOrValidAndARefusalChangesNothing() throws IOException {
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < RESEALED_MUTATIONS; i++) {
            final StringBuilder what = new StringBuilder("resealed mutation " + i + ": ");
            final boolean whitespace = random.nextInt(8) == 0;
            final String text = whitespace ? insertWhitespace(random, what) : textMutation(random, what);
            // Whitespace between tokens changes no value: such a file still loads, the same.
            check(what.toString(), sealedFile(text), whitespace ? Expect.LOADS_SAME : Expect.EITHER);
        }
        assertTrue(refused > RESEALED_MUTATIONS / 2, refused + " refused");
    }

    @Test
    void handPickedHeadersAreRefusedOrValid() throws IOException {
        final List<String> headers = new ArrayList<>();
        for (int depth : new int[] {63, 64, 65, 1000, 200_000}) {
            final String deep = "[".repeat(depth) + "]".repeat(depth);
            headers.add(sub("\"shape\":\\[9\\]", "\"shape\":" + deep));
            headers.add(sub("\\{\"__metadata__\"", "{\"x\":" + deep + ",\"__metadata__\""));
            headers.add(sub("\\{\"__metadata__\"", "{\"x\":" + "{\"a\":".repeat(depth)
                    + "1" + "}".repeat(depth) + ",\"__metadata__\""));
            headers.add(sub("\\[\\\\\"w\\\\\",\\\\\"b\\\\\"\\]", deep));
        }
        headers.add(sub("\"shape\":\\[9\\]", "\"shape\":[1" + "0".repeat(100_000) + "]"));
        headers.add(sub("\"shape\":\\[9\\]", "\"shape\":[1e" + "9".repeat(100_000) + "]"));
        headers.add(sub("\"shape\":\\[9\\]", "\"shape\":[4294967296,4294967296,4]"));
        headers.add(sub("\"shape\":\\[9\\]", "\"shape\":[9223372036854775807,2]"));
        headers.add(sub("\"data_offsets\":\\[0,36\\]", "\"data_offsets\":[0,9223372036854775807]"));
        headers.add(sub("\"data_offsets\":\\[0,36\\]", "\"data_offsets\":[9223372036854775807,9223372036854775807]"));
        headers.add(sub("\"step_count\":\"[0-9]+\"", "\"step_count\":\"9223372036854775808\""));
        headers.add(sub("\"step_count\":\"[0-9]+\"", "\"step_count\":\"9223372036854775807\""));
        headers.add(sub("\"loss_scaler.scale\":\"[^\"]+\"", "\"loss_scaler.scale\":\"1e39\""));
        headers.add(sub("\"loss_scaler.scale\":\"[^\"]+\"", "\"loss_scaler.scale\":\"1e-50\""));
        headers.add(sub("\"loss_scaler.growth_tracker\":\"[^\"]+\"", "\"loss_scaler.growth_tracker\":\"2147483648\""));
        headers.add(sub("\"group.1.momentum\":\"[^\"]+\"", "\"group.1.momentum\":\"0.99999999999\""));
        headers.add(sub("\"group.1.momentum\":\"[^\"]+\"", "\"group.1.momentum\":\"1\""));
        headers.add(sub("\"group.0.lr\":\"[^\"]+\"", "\"group.0.lr\":\"3.5e38\""));
        headers.add(sub("\"group.0.lr\":\"[^\"]+\"", "\"group.0.lr\":\"1" + "0".repeat(400) + "\""));
        headers.add(sub("\"w\":\\{", "\"\\uD800\":{"));
        headers.add(sub("\"w\":\\{", "\"w\\u0000\":{"));
        headers.add(sub("\"w\":\\{", "\"\\u0077\":{"));
        headers.add(sub("\"w\":\\{", "\"w\":{\"dtype\":\"F32\"},\"w\":{"));
        headers.add(sub("\"__metadata__\":\\{", "\"__metadata__\":{\"format\":\"x\","));
        headers.add(sub("\"__metadata__\":\\{", "\"__metadata__\":{\"__metadata__\":\"x\","));
        headers.add(sub("\"__metadata__\":\\{", "\"__metadata__\":1,\"__metadata2__\":{"));
        headers.add(header.stripTrailing() + "x");
        headers.add(header.stripTrailing() + "\u0000");
        headers.add(header.stripTrailing() + "{}");
        headers.add(header.stripTrailing() + "}");
        headers.add(sub("\\{", "{\"\\uDBFF\\uDFFF\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"));
        headers.add(sub("\\{", "{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"));
        for (String h : headers) {
            check("hand-picked header " + abbreviate(h), sealedFile(h), Expect.EITHER);
        }
        // Only four are valid for the optimizer: the key "w" escaped, the largest step count, a
        // loss scale that rounds to 0 (which backing off can reach), and a metadata entry of no
        // meaning to Descent (other tools add their own).
        assertEquals(4, loaded);
        for (long length : new long[] {0, 1, 7, 8, headerLength - 1, headerLength + 1, headerLength + 8,
                good.length - 8, good.length - 7, Checkpoints.MAX_HEADER_BYTES,
                Checkpoints.MAX_HEADER_BYTES + 1, Integer.MAX_VALUE, 1L << 32, Long.MAX_VALUE, -1,
                Long.MIN_VALUE, -headerLength}) {
            final byte[] bytes = good.clone();
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
            check("header length " + length, bytes, Expect.REFUSED);
        }
        // Around the ends of the length, the header and the first tensor (the raw mutations
        // truncate anywhere).
        for (int end : new int[] {0, 8, 8 + headerLength, 8 + headerLength + 36}) {
            for (int length = Math.max(0, end - 9); length <= end + 9; length++) {
                check("truncated to " + length + " bytes", Arrays.copyOf(good, length), Expect.REFUSED);
            }
        }
    }

    /** The header with the first match of {@code regex} replaced by {@code literal}, as is. */
    private String sub(String regex, String literal) {
        final String out = header.replaceFirst(regex, Matcher.quoteReplacement(literal));
        assertTrue(!out.equals(header), regex);
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    // ------------------------------------------------------------------ mutations

    private byte[] rawMutation(SplittableRandom random, StringBuilder what) {
        final byte[] b = good.clone();
        final int h = 8 + random.nextInt(headerLength);
        switch (random.nextInt(10)) {
            case 0 -> {
                final int bit = random.nextInt(8);
                what.append("flip bit ").append(bit).append(" of byte ").append(h);
                b[h] ^= (byte) (1 << bit);
                return b;
            }
            case 1 -> {
                final byte v = someByte(random);
                what.append("byte ").append(h).append(" = ").append(v);
                b[h] = v;
                return b;
            }
            case 2 -> {
                final byte[] inserted = new byte[1 + random.nextInt(4)];
                for (int i = 0; i < inserted.length; i++) {
                    inserted[i] = someByte(random);
                }
                final boolean fixLength = random.nextBoolean();
                what.append("insert ").append(Arrays.toString(inserted)).append(" at ").append(h)
                        .append(fixLength ? ", length fixed" : "");
                final byte[] out = splice(b, h, 0, inserted);
                if (fixLength) {
                    setLength(out, headerLength + inserted.length);
                }
                return out;
            }
            case 3 -> {
                final int n = Math.min(1 + random.nextInt(4), 8 + headerLength - h);
                final boolean fixLength = random.nextBoolean();
                what.append("delete ").append(n).append(" bytes at ").append(h)
                        .append(fixLength ? ", length fixed" : "");
                final byte[] out = splice(b, h, n, new byte[0]);
                if (fixLength) {
                    setLength(out, headerLength - n);
                }
                return out;
            }
            case 4 -> {
                final int n = random.nextInt(b.length);
                what.append("truncate to ").append(n);
                return Arrays.copyOf(b, n);
            }
            case 5 -> {
                final long[] lengths = {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 31, 1L << 32,
                    headerLength + 1 + random.nextInt(16), headerLength - 1 - random.nextInt(16),
                    Checkpoints.MAX_HEADER_BYTES + 1, -headerLength, b.length - 8};
                final long length = lengths[random.nextInt(lengths.length)];
                what.append("header length ").append(length);
                setLength(b, length);
                return b;
            }
            case 6 -> {
                final int d = 8 + headerLength + random.nextInt(b.length - 8 - headerLength);
                final int bit = random.nextInt(8);
                what.append("flip bit ").append(bit).append(" of data byte ").append(d);
                b[d] ^= (byte) (1 << bit);
                return b;
            }
            case 7 -> {
                final byte[] tail = new byte[1 + random.nextInt(16)];
                random.nextBytes(tail);
                what.append("append ").append(tail.length).append(" bytes");
                return splice(b, b.length, 0, tail);
            }
            case 8 -> {
                final int from = 8 + random.nextInt(headerLength);
                final int n = Math.min(1 + random.nextInt(24), Math.min(8 + headerLength - from,
                        8 + headerLength - h));
                what.append("copy ").append(n).append(" header bytes from ").append(from).append(" to ").append(h);
                System.arraycopy(good, from, b, h, n);
                return b;
            }
            default -> {
                final int k = random.nextInt(8);
                final byte v = (byte) random.nextInt(256);
                what.append("length byte ").append(k).append(" = ").append(v);
                b[k] = v;
                return b;
            }
        }
    }

    private static byte someByte(SplittableRandom random) {
        return random.nextBoolean() ? INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)]
                : (byte) random.nextInt(256);
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        final byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    private static void setLength(byte[] file, long length) {
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
    }

    /** Spans of the header's JSON string literals (quotes included) and of its numbers. */
    private record Tokens(List<int[]> strings, List<int[]> numbers, List<Integer> gaps) {
    }

    private Tokens tokens() {
        final List<int[]> strings = new ArrayList<>();
        final List<int[]> numbers = new ArrayList<>();
        final List<Integer> gaps = new ArrayList<>();
        final String crcEntry = "\"header_crc32c\":\"";
        final int crcAt = header.indexOf(crcEntry);
        int i = 0;
        while (i < header.length()) {
            final char c = header.charAt(i);
            if (c == '"') {
                int j = i + 1;
                while (header.charAt(j) != '"') {
                    j += header.charAt(j) == '\\' ? 2 : 1;
                }
                strings.add(new int[] {i, j + 1});
                i = j + 1;
            } else if (c == '-' || c >= '0' && c <= '9') {
                int j = i + 1;
                while (j < header.length() && "0123456789.eE+-".indexOf(header.charAt(j)) >= 0) {
                    j++;
                }
                numbers.add(new int[] {i, j});
                i = j;
            } else {
                // Between tokens, but not inside the header checksum's entry, whose bytes a
                // reader finds as written.
                if (i <= crcAt || i > crcAt + crcEntry.length() - 1) {
                    gaps.add(i);
                }
                i++;
            }
        }
        gaps.add(header.length());
        return new Tokens(strings, numbers, gaps);
    }

    private String insertWhitespace(SplittableRandom random, StringBuilder what) {
        final List<Integer> gaps = tokens().gaps();
        final int at = gaps.get(random.nextInt(gaps.size()));
        final String ws = new String[] {" ", "\t", "\n", "\r\n", "   "}[random.nextInt(5)];
        what.append("whitespace ").append(Json.quote(ws)).append(" at ").append(at);
        return header.substring(0, at) + ws + header.substring(at);
    }

    private String textMutation(SplittableRandom random, StringBuilder what) {
        final Tokens t = tokens();
        final int kind = random.nextInt(7);
        if (kind <= 1 && !t.numbers().isEmpty()) {
            final int[] span = t.numbers().get(random.nextInt(t.numbers().size()));
            final String n = NUMBERS[random.nextInt(NUMBERS.length)];
            what.append("number at ").append(span[0]).append(" -> ").append(n);
            return replace(span, n);
        }
        final int[] span = t.strings().get(random.nextInt(t.strings().size()));
        final String original = header.substring(span[0], span[1]);
        switch (kind) {
            case 2, 3 -> {
                final String s = STRINGS[random.nextInt(STRINGS.length)];
                what.append("string ").append(original).append(" -> \"").append(s).append('"');
                return replace(span, "\"" + s + "\"");
            }
            case 4 -> {
                final String v = VALUES[random.nextInt(VALUES.length)];
                what.append("string ").append(original).append(" -> ").append(v);
                return replace(span, v);
            }
            case 5 -> {
                // One character of the string changed, quotes and escapes included.
                final int at = span[0] + random.nextInt(span[1] - span[0]);
                final String chars = "\"\\/u0aAzZ.\u0000\u0001\u00e9\ud800\udc00 }]";
                final char c = chars.charAt(random.nextInt(chars.length()));
                what.append("string ").append(original).append(" char ").append(at - span[0])
                        .append(" -> U+").append(Integer.toHexString(c));
                return header.substring(0, at) + c + header.substring(at + 1);
            }
            default -> {
                // The entry duplicated, or another entry's value copied over its own.
                final int[] other = t.strings().get(random.nextInt(t.strings().size()));
                final String copy = header.substring(other[0], other[1]);
                what.append("string ").append(original).append(" -> ").append(copy);
                return replace(span, copy);
            }
        }
    }

    private String replace(int[] span, String with) {
        return header.substring(0, span[0]) + with + header.substring(span[1]);
    }

    /** The good file's data under {@code text}, its header checksum recomputed if it has one. */
    private byte[] sealedFile(String text) {
        final byte[] h = SafetensorsFile.resealed(text.getBytes(StandardCharsets.UTF_8));
        final ByteBuffer out = ByteBuffer.allocate(8 + h.length + good.length - 8 - headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(good, 8 + headerLength, good.length - 8 - headerLength);
        return out.array();
    }

    // ------------------------------------------------------------------ the oracle

    private enum Expect { LOADS, LOADS_SAME, REFUSED, EITHER }

    /**
     * Loads {@code bytes} into the optimizer and into bare parameters: a refusal must be a
     * CheckpointException naming the file that changed nothing; a load must be allowed by
     * {@code expect}, and one of {@link Expect#LOADS} or {@link Expect#LOADS_SAME} must restore
     * exactly what was saved. Both are put back as they were after a load.
     */
    private void check(String what, byte[] bytes, Expect expect) throws IOException {
        Files.write(bad, bytes);
        final Throwable intoOptimizer = attempt(() -> Checkpoints.load(live, bad));
        if (intoOptimizer == null) {
            loaded++;
            if (expect == Expect.REFUSED) {
                throw new AssertionError(what + ": loaded into the optimizer, should be refused");
            }
            if (expect != Expect.EITHER) {
                assertSameBits(saved, snapshot(live), what + ": loaded into the optimizer");
            }
            Checkpoints.load(live, liveFile);
        } else {
            refused++;
            refusal(what + ", into the optimizer", intoOptimizer, expect);
        }
        assertSameBits(liveBefore, snapshot(live), what + ": the optimizer afterwards");

        final Throwable intoParameters = attempt(() -> Checkpoints.load(bare, bad));
        if (intoParameters == null) {
            if (expect == Expect.REFUSED) {
                throw new AssertionError(what + ": loaded into bare parameters, should be refused");
            }
            if (expect != Expect.EITHER) {
                for (int k = 0; k < bare.size(); k++) {
                    assertEquals(saved.tensors().get(NAMES[k]), Runs.bits(bare.get(k).values()),
                            what + ": loaded into parameter " + NAMES[k]);
                }
            }
            for (int k = 0; k < bare.size(); k++) {
                final List<Integer> bits = bareBefore.get(k);
                for (int i = 0; i < bits.size(); i++) {
                    bare.get(k).setValueAt(i, Float.intBitsToFloat(bits.get(i)));
                }
            }
        } else {
            refusal(what + ", into bare parameters", intoParameters, expect);
            for (int k = 0; k < bare.size(); k++) {
                assertEquals(bareBefore.get(k), Runs.bits(bare.get(k).values()),
                        what + ": refused, but parameter " + NAMES[k] + " changed");
            }
        }

        final Throwable metadata = attempt(() -> Checkpoints.metadata(bad));
        if (metadata != null) {
            refusal(what + ", metadata", metadata, Expect.EITHER);
        }
    }

    private void refusal(String what, Throwable t, Expect expect) {
        if (!(t instanceof CheckpointException)) {
            throw new AssertionError(what + ": " + t, t);
        }
        if (expect == Expect.LOADS || expect == Expect.LOADS_SAME) {
            throw new AssertionError(what + ": refused a valid file: " + t.getMessage(), t);
        }
        assertTrue(t.getMessage().contains(bad.toString()), what + ": " + t.getMessage());
    }

    @FunctionalInterface
    private interface Load {
        void run() throws IOException;
    }

    private static Throwable attempt(Load load) {
        try {
            load.run();
            return null;
        } catch (Throwable t) { // StackOverflowError and OutOfMemoryError too: a test failure
            return t;
        }
    }
}
