package dev.descent.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * An independent reader and writer of small safetensors files for tests: the header is taken apart
 * with plain string operations (regular expressions over the compact JSON Descent writes), never
 * with the library's own parser, so a bug shared by writer and reader cannot hide.
 */
final class SafetensorsFile {

    private static final Pattern TENSOR = Pattern.compile(
            "\"([^\"\\\\]+)\":\\{\"dtype\":\"([A-Z0-9_]+)\",\"shape\":\\[([0-9,]*)\\],"
                    + "\"data_offsets\":\\[([0-9]+),([0-9]+)\\]\\}");
    private static final Pattern METADATA_ENTRY = Pattern.compile("\"([^\"\\\\]+)\":\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One tensor entry of the header. */
    record Entry(String dtype, long[] shape, long begin, long end) {
    }

    final long headerLength;
    final String header;
    final byte[] data;

    private SafetensorsFile(long headerLength, String header, byte[] data) {
        this.headerLength = headerLength;
        this.header = header;
        this.data = data;
    }

    static SafetensorsFile read(Path file) throws IOException {
        final byte[] bytes = Files.readAllBytes(file);
        final long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        final String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        return new SafetensorsFile(n, header, Arrays.copyOfRange(bytes, 8 + (int) n, bytes.length));
    }

    /** Writes {@code header} (its length computed here, no padding added) and {@code data}. */
    static void write(Path file, String header, byte[] data) throws IOException {
        write(file, header.getBytes(StandardCharsets.UTF_8), data);
    }

    /**
     * Writes {@code header} and {@code data}. A header that holds Descent's header checksum gets
     * it recomputed, as a tool that edits a checkpoint consistently would, so that a test of a
     * check further on reaches that check; {@link #writeUnsealed} keeps the header as given.
     */
    static void write(Path file, byte[] header, byte[] data) throws IOException {
        writeUnsealed(file, resealed(header), data);
    }

    /** {@code header} with its {@code header_crc32c} recomputed, if it has one. */
    static byte[] resealed(byte[] header) {
        final String entry = "\"header_crc32c\":\"";
        final String text = new String(header, StandardCharsets.UTF_8);
        final int key = text.indexOf(entry);
        if (key < 0) {
            return header;
        }
        final int at = text.substring(0, key).getBytes(StandardCharsets.UTF_8).length + entry.length();
        final byte[] out = header.clone();
        System.arraycopy("00000000".getBytes(StandardCharsets.US_ASCII), 0, out, at, 8);
        final CRC32C crc = new CRC32C();
        crc.update(out);
        System.arraycopy(String.format("%08x", crc.getValue()).getBytes(StandardCharsets.US_ASCII),
                0, out, at, 8);
        return out;
    }

    /** Writes {@code header} exactly as given, and {@code data}. */
    static void writeUnsealed(Path file, byte[] header, byte[] data) throws IOException {
        final ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(data);
        Files.write(file, out.array());
    }

    /** Tensor entries by name, in header order. */
    Map<String, Entry> tensors() {
        final Map<String, Entry> out = new LinkedHashMap<>();
        final Matcher m = TENSOR.matcher(header);
        while (m.find()) {
            final long[] shape = m.group(3).isEmpty() ? new long[0]
                    : Arrays.stream(m.group(3).split(",")).mapToLong(Long::parseLong).toArray();
            out.put(m.group(1), new Entry(m.group(2), shape, Long.parseLong(m.group(4)),
                    Long.parseLong(m.group(5))));
        }
        return out;
    }

    /** The {@code __metadata__} entries, unescaped only for {@code \"}. */
    Map<String, String> metadata() {
        final int start = header.indexOf("\"__metadata__\":{");
        final int end = header.indexOf('}', start);
        final Map<String, String> out = new LinkedHashMap<>();
        final Matcher m = METADATA_ENTRY.matcher(header.substring(start + "\"__metadata__\":{".length(), end));
        while (m.find()) {
            out.put(m.group(1), m.group(2).replace("\\\"", "\""));
        }
        return out;
    }

    /** Float {@code index} of a tensor, read little-endian from the data bytes. */
    float floatAt(Entry e, long index) {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getFloat((int) (e.begin() + 4 * index));
    }
}
