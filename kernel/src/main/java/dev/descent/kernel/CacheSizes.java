package dev.descent.kernel;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The sizes of one core's L1 data cache and L2 cache, as Linux reports them under
 * {@code /sys/devices/system/cpu/cpu0/cache}; zero where the system does not say (other operating
 * systems, and virtual machines whose CPU model lists no caches).
 *
 * @param l1DataBytes the L1 data cache of one core, in bytes, or 0 if unknown
 * @param l2Bytes the L2 cache of one core, in bytes, or 0 if unknown
 */
record CacheSizes(long l1DataBytes, long l2Bytes) {

    static final CacheSizes UNKNOWN = new CacheSizes(0, 0);
    static final Path LINUX_CPU0_CACHES = Path.of("/sys/devices/system/cpu/cpu0/cache");

    /** Whether both sizes are known. */
    boolean known() {
        return l1DataBytes > 0 && l2Bytes > 0;
    }

    /**
     * Reads the {@code index*} directories under {@code caches} (each with {@code level},
     * {@code type} and {@code size} files, the size as {@code 48K}; an index that lacks one is
     * skipped); {@link #UNKNOWN} if there are none or they cannot be read.
     */
    static CacheSizes readFrom(Path caches) {
        long l1Data = 0;
        long l2 = 0;
        try (DirectoryStream<Path> indexes = Files.newDirectoryStream(caches, "index*")) {
            for (Path index : indexes) {
                final String level = attribute(index, "level");
                final String type = attribute(index, "type");
                final String sizeText = attribute(index, "size");
                if (level == null || type == null || sizeText == null) {
                    continue; // Linux leaves out what it has no value for: nothing to use here
                }
                final long size = parseSize(sizeText);
                if (level.equals("1") && type.equals("Data")) {
                    l1Data = size;
                } else if (level.equals("2") && !type.equals("Instruction")) {
                    l2 = size;
                }
            }
        } catch (IOException | RuntimeException e) {
            return UNKNOWN; // no such files, or not in the format above: sizes unknown
        }
        return new CacheSizes(l1Data, l2);
    }

    /**
     * The stripped content of file {@code name} of a cache's directory, or null if there is none:
     * Linux shows no {@code level}, {@code type} or {@code size} file for a cache whose value it
     * does not know (zero, or a type of no cache).
     */
    private static String attribute(Path index, String name) throws IOException {
        try {
            return Files.readString(index.resolve(name)).strip();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** {@code 48K}, {@code 2M} or a plain byte count, in bytes. */
    static long parseSize(String size) {
        final char unit = size.charAt(size.length() - 1);
        final long scale = switch (unit) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        final String digits = scale == 1 ? size : size.substring(0, size.length() - 1);
        return Long.parseLong(digits) * scale;
    }
}
