package dev.descent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTest {

    @Test
    void bytesPerParameterAreTheDesignsTraffic() {
        assertEquals(List.of(12, 20, 20, 20, 20, 28, 28, 28, 36),
                Arrays.stream(Kernel.values()).map(Kernel::bytesPerParameter).toList());
    }

    @Test
    void shortSuiteByDefaultAndEveryKernelWithFull() {
        final Summary.Settings quick = Summary.Settings.parse(new String[] {""});
        assertEquals(List.of(Kernel.SGD, Kernel.ADAM), quick.kernels());
        final Summary.Settings full = Summary.Settings.parse(new String[] {"--full --threads=1"});
        assertEquals(Kernel.values().length, full.kernels().size());
        assertEquals(67_108_864L, full.sizes().getLast());
        assertEquals(List.of("1"), full.threads());
    }

    @Test
    void rejectsUnknownOptionsAndBadValues() {
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--fast"}));
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--vector-bits=64"}));
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--threads=0"}));
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--kernels=LION"}));
    }

    @Test
    void modelHasTheDocumentedTensorsAndSizes() {
        assertEquals(ManyTensorsBenchmark.TENSORS, ManyTensorsBenchmark.tensorLengths(32).length);
        assertEquals(575_296, ManyTensorsBenchmark.totalLength(32));
        assertEquals(21_117_440, ManyTensorsBenchmark.totalLength(256));
    }
}
