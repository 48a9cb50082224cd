package dev.descent.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/**
 * Which implementation each surefire run chose, the single warning of the scalar fallback, and
 * every branch of the choice itself.
 */
class KernelSelectionTest {

    private static final String EXPECTED_PROP_NAME = "descent.test.expectedKernel";

    @Test
    void eachRunUsesTheImplementationItWasConfiguredFor() {
        final String expected = System.getProperty(EXPECTED_PROP_NAME);
        assumeTrue(expected != null, EXPECTED_PROP_NAME + " is set by each surefire execution");
        final UpdateKernels chosen = Kernels.provider();
        if (expected.equals("panama")) {
            assertTrue(chosen.name().startsWith("panama-"), chosen.name());
            assertEquals(Kernels.panama().orElseThrow().name(), chosen.name());
        } else {
            assertEquals(expected, chosen.name());
        }
        assertEquals(expected.equals("scalar"), Kernels.panama().isEmpty(),
                "the Panama kernels load exactly when the module is present");
    }

    @Test
    void theScalarFallbackWarnsExactlyOnceNamingTheFlag() {
        assertTrue(LogCapture.install(), "LogCapture must be installed at session start");
        Kernels.provider();
        Kernels.provider();
        final List<LogRecord> warnings = LogCapture.records().stream()
                .filter(r -> r.getLevel() == Level.WARNING).toList();
        if (Kernels.provider() == Kernels.scalar()
                && !"scalar".equals(System.getProperty(Kernels.KERNEL_PROP_NAME))) {
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).getMessage().contains("--add-modules jdk.incubator.vector"),
                    warnings.get(0).getMessage());
        } else {
            assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
        }
    }

    @Test
    void scalarWhenAskedEvenWithTheModule() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select("scalar", true, failingLoader(), log));
        assertEquals(List.of(), log.messages);
    }

    @Test
    void panamaWhenTheModuleIsPresent() {
        final RecordingLogger log = new RecordingLogger();
        final UpdateKernels fake = fakeKernels();
        assertSame(fake, Kernels.select(null, true, () -> fake, log));
        assertSame(fake, Kernels.select(" auto ", true, () -> fake, log));
        assertEquals(List.of(), log.messages);
    }

    @Test
    void scalarWithOneWarningWhenTheModuleIsMissing() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select(null, false, failingLoader(), log));
        assertEquals(1, log.messages.size());
        assertTrue(log.messages.get(0).contains(Kernels.VECTOR_MODULE_FLAG), log.messages.get(0));
    }

    @Test
    void scalarWithAWarningWhenPanamaFailsToLoad() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select("auto", true, () -> {
            throw new ExceptionInInitializerError("broken");
        }, log));
        assertEquals(1, log.messages.size());
        assertTrue(log.messages.get(0).contains("broken"), log.messages.get(0));
    }

    @Test
    void scalarWithAWarningForAnUnknownKernelName() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select("gpu", true, failingLoader(), log));
        assertEquals(1, log.messages.size());
        assertTrue(log.messages.get(0).contains("'gpu'"), log.messages.get(0));
    }

    @Test
    void vectorBitsComesFromThePropertyOrThePreferredWidth() {
        assertEquals(256, Kernels.vectorBits(null, 256));
        assertEquals(128, Kernels.vectorBits("128", 512));
        assertEquals(512, Kernels.vectorBits(" 512 ", 256));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Kernels.vectorBits("1024", 512));
        assertTrue(e.getMessage().contains(Kernels.VECTOR_BITS_PROP_NAME)
                && e.getMessage().contains("'1024'"), e.getMessage());
    }

    private static Supplier<UpdateKernels> failingLoader() {
        return () -> {
            throw new AssertionError("the Panama kernels must not be loaded here");
        };
    }

    private static final class RecordingLogger implements System.Logger {
        final List<String> messages = new ArrayList<>();

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            messages.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            messages.add(format);
        }
    }

    /** Stands in for the Panama kernels where only identity matters. */
    private static UpdateKernels fakeKernels() {
        return (UpdateKernels) Proxy.newProxyInstance(UpdateKernels.class.getClassLoader(),
                new Class<?>[] {UpdateKernels.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
