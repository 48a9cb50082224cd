package dev.descent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MachineTest {

    @Test
    void cpuNameCarriesFamilyAndModelWhichTheModelNameLineDoesNotShadow() {
        // As /proc/cpuinfo lists them: "model" before "model name", tab-padded keys.
        final List<String> cpuInfo = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD",
                "cpu family\t: 26", "model\t\t: 2", "model name\t: AMD EPYC", "stepping\t: 1");
        assertEquals("AMD EPYC (family 26, model 2)", Machine.cpuName(cpuInfo));
    }

    @Test
    void cpuNameIsTheModelNameAloneWithoutTheNumbers() {
        assertEquals("Some CPU", Machine.cpuName(List.of("model name\t: Some CPU")));
    }

    @Test
    void simdFlagsComeFromX86FlagsOrArmFeatures() {
        assertEquals(List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx_vnni"),
                Machine.simdFlags(List.of("flags\t\t: fpu sse4_2 avx avx2 fma bmi2 avx512f"
                        + " avx_vnni aes")));
        final List<String> arm = List.of("processor\t: 0", "Features\t: fp asimd evtstrm aes sve"
                + " sve2 atomics", "CPU implementer\t: 0x41", "CPU part\t: 0xd40");
        assertEquals(List.of("asimd", "sve", "sve2"), Machine.simdFlags(arm));
        assertEquals("CPU implementer 0x41, part 0xd40", Machine.cpuName(arm));
    }

    @Test
    void theKernelLineNamesTheWidthsAndTheMissingFlag() {
        assertEquals("Kernel: panama-512/256 (512-bit vectors, 256-bit where faster in cache"
                + " (Kernels.forWorkingSet))", kernelLine("panama-512/256"));
        assertEquals("Kernel: panama-256 (256-bit vectors)", kernelLine("panama-256"));
        assertEquals("Kernel: scalar (no vectors: start the JVM with --add-modules"
                + " jdk.incubator.vector)", kernelLine("scalar"));
    }

    @Test
    void theMemoryLineSaysWhatLargeTensorsLiveIn() {
        final String report = new Machine("cpu", 2, List.of(), "jdk", "scalar",
                "transparent huge pages of 2048 KiB").describe();
        assertEquals("Memory: transparent huge pages of 2048 KiB",
                report.substring(report.indexOf("Memory: ")));
    }

    private static String kernelLine(String kernel) {
        final String report = new Machine("cpu", 2, List.of(), "jdk", kernel, "memory").describe();
        return report.lines().filter(line -> line.startsWith("Kernel: ")).findFirst()
                .orElseThrow();
    }
}
