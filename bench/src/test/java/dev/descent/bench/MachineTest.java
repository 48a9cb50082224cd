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
}
