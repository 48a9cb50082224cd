package dev.descent.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The CPU's vendor as Linux reports it: the {@code vendor_id} line of {@code /proc/cpuinfo},
 * such as {@code GenuineIntel} or {@code AuthenticAMD}. Which vendor made the CPU decides whether
 * narrower vectors can be faster at all (see {@link Kernels#forWorkingSet}).
 */
final class CpuVendor {

    static final Path LINUX_CPUINFO = Path.of("/proc/cpuinfo");
    static final String INTEL = "GenuineIntel";
    /** What {@link #readFrom} returns where the system does not say. */
    static final String UNKNOWN = "";

    private static final String FIELD = "vendor_id";

    private CpuVendor() {
    }

    /**
     * The value of the first line of {@code cpuinfo} whose key, before the colon, is exactly
     * {@code vendor_id}, or {@link #UNKNOWN} if there is none or the file cannot be read.
     */
    static String readFrom(Path cpuinfo) {
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.map(line -> line.split(":", 2))
                    .filter(keyValue -> keyValue.length == 2 && keyValue[0].strip().equals(FIELD))
                    .map(keyValue -> keyValue[1].strip())
                    .findFirst().orElse(UNKNOWN);
        } catch (IOException | UncheckedIOException e) {
            return UNKNOWN; // not Linux, or no such file: vendor unknown
        }
    }
}
