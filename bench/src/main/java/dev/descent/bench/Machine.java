package dev.descent.bench;

import dev.descent.Parameter;
import dev.descent.kernel.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a set of numbers was measured on: CPU, the SIMD flags that decide the vector width, the
 * JDK, and the kernel and the memory Descent picks with the flags the benchmark forks get.
 *
 * @param cpu the CPU's model name
 * @param cores processors available to the JVM
 * @param simdFlags the CPU's SIMD feature flags (SSE4.2 and up)
 * @param jdk the JDK's version and VM name
 * @param kernel the Descent kernel this JVM chose, e.g. {@code panama-512}, with the narrower
 *     copy it steps with where that is faster, e.g. {@code panama-512/256}
 * @param memory what large tensors live in ({@link Parameter#largeTensorMemory})
 */
record Machine(String cpu, int cores, List<String> simdFlags, String jdk, String kernel,
               String memory) {

    private static final Path CPU_INFO = Path.of("/proc/cpuinfo");
    private static final Path LOAD_AVERAGE = Path.of("/proc/loadavg");

    /** The machine this JVM runs on. */
    static Machine current() {
        final List<String> cpuInfo = readCpuInfo();
        return new Machine(cpuName(cpuInfo),
                Runtime.getRuntime().availableProcessors(), simdFlags(cpuInfo),
                Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
                Kernels.provider().name() + Kernels.narrow()
                        .map(narrow -> "/" + narrow.vectorBitSize()).orElse(""),
                Parameter.largeTensorMemory());
    }

    /** Lines for the head of a report. */
    String describe() {
        return "CPU:    " + cpu + ", " + cores + " cores available\n"
                + "SIMD:   " + (simdFlags.isEmpty() ? "unknown (none listed in /proc/cpuinfo)"
                        : String.join(" ", simdFlags)) + "\n"
                + "JDK:    " + jdk + "\n"
                + "Kernel: " + kernel + " (" + vectorWidth() + ")\n"
                + "Memory: " + memory;
    }

    /**
     * The 1-minute load average against the core count, e.g. {@code 3.4 on 2 cores}: other work
     * on the machine slows multi-threaded runs most, so a report says how busy it was.
     */
    static String load() {
        try {
            final String minute = Files.readString(LOAD_AVERAGE).split("\\s+")[0];
            return minute + " on " + Runtime.getRuntime().availableProcessors() + " cores";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private String vectorWidth() {
        if (!kernel.startsWith("panama-")) {
            return "no vectors: start the JVM with " + Kernels.VECTOR_MODULE_FLAG;
        }
        final String[] widths = kernel.substring("panama-".length()).split("/");
        return widths[0] + "-bit vectors" + (widths.length > 1
                ? ", " + widths[1] + "-bit where faster in cache (Kernels.forWorkingSet)" : "");
    }

    /**
     * The flags that decide which vector width and instructions C2 may use: x86's {@code flags}
     * line, or the {@code Features} line of an ARM CPU.
     */
    static List<String> simdFlags(List<String> cpuInfo) {
        return field(cpuInfo, "flags").or(() -> field(cpuInfo, "Features"))
                .map(f -> Arrays.stream(f.split("\\s+")).filter(Machine::isSimd).toList())
                .orElse(List.of());
    }

    private static boolean isSimd(String flag) {
        return flag.equals("sse4_2") || flag.equals("fma") || flag.equals("f16c")
                || flag.startsWith("avx") || flag.startsWith("amx") || flag.equals("asimd")
                || flag.startsWith("sve");
    }

    /**
     * The model name with the family and model numbers: a VM may show only "AMD EPYC", and the
     * numbers tell the generations apart (family 25 is Zen 3 and Zen 4, 26 is Zen 5), whose
     * vector units and caches differ enough to change every number measured on them.
     */
    static String cpuName(List<String> cpuInfo) {
        final String name = field(cpuInfo, "model name").or(() -> field(cpuInfo, "CPU implementer")
                .map(implementer -> "CPU implementer " + implementer + field(cpuInfo, "CPU part")
                        .map(part -> ", part " + part).orElse("")))
                .orElse(System.getProperty("os.arch"));
        final Optional<String> family = field(cpuInfo, "cpu family");
        final Optional<String> model = field(cpuInfo, "model");
        return family.isPresent() && model.isPresent()
                ? name + " (family " + family.get() + ", model " + model.get() + ")" : name;
    }

    private static Optional<String> field(List<String> cpuInfo, String name) {
        return cpuInfo.stream()
                .filter(line -> line.contains(":")
                        && line.substring(0, line.indexOf(':')).strip().equals(name))
                .map(line -> line.substring(line.indexOf(':') + 1).strip())
                .findFirst();
    }

    private static List<String> readCpuInfo() {
        try {
            return Files.exists(CPU_INFO) ? Files.readAllLines(CPU_INFO) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }
}
