package dev.descent.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        if (configuredWiderThanTheJvm()) { // the execution of -XX:UseAVX=2, or an AVX2-only CPU
            assertEquals("scalar", chosen.name(), "a width the JVM cannot compile is refused");
            assertTrue(Kernels.panama().isEmpty());
            return;
        }
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
            final String message = warnings.get(0).getMessage();
            if (configuredWiderThanTheJvm()) {
                assertTrue(message.contains(Kernels.VECTOR_BITS_PROP_NAME + " must be at most")
                        && message.contains(PreferredWidth.bits() + " bits"), message);
            } else {
                assertTrue(message.contains("--add-modules jdk.incubator.vector"), message);
            }
        } else {
            assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
        }
    }

    @Test
    void scalarWhenAskedEvenWithTheModule() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select("scalar", true, failingLoader(), log));
        assertEquals(List.of(), log.messages());
    }

    @Test
    void panamaWhenTheModuleIsPresent() {
        final RecordingLogger log = new RecordingLogger();
        final UpdateKernels fake = fakeKernels();
        assertSame(fake, Kernels.select(null, true, () -> fake, log));
        assertSame(fake, Kernels.select(" auto ", true, () -> fake, log));
        assertEquals(List.of(), log.messages());
    }

    @Test
    void scalarWithOneWarningWhenTheModuleIsMissing() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select(null, false, failingLoader(), log));
        assertEquals(1, log.messages().size());
        assertTrue(log.messages().get(0).contains(Kernels.VECTOR_MODULE_FLAG), log.messages().get(0));
    }

    @Test
    void scalarWithAWarningWhenPanamaFailsToLoad() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select("auto", true, () -> {
            throw new ExceptionInInitializerError("broken");
        }, log));
        assertEquals(1, log.messages().size());
        assertTrue(log.messages().get(0).contains("broken"), log.messages().get(0));
        // A bad setting fails the class's static initializer: the warning gives the reason.
        assertSame(Kernels.scalar(), Kernels.select("auto", true, () -> {
            throw new ExceptionInInitializerError(new IllegalArgumentException("bits: 1024"));
        }, log));
        assertEquals(2, log.messages().size());
        assertTrue(log.messages().get(1).contains("IllegalArgumentException: bits: 1024"),
                log.messages().get(1));
    }

    /**
     * {@link Kernels#panama()} may load the Panama class first and swallow its failure; the JVM
     * then throws {@link NoClassDefFoundError} on every later load, whose message names only the
     * class. The provider's warning must still say which setting was bad.
     */
    @Test
    void theWarningNamesTheBadSettingWhenAnEarlierLoadAlreadyFailed() {
        final Supplier<UpdateKernels> load = () -> {
            try {
                Class.forName(BadWidthClass.class.getName());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
            throw new AssertionError("the initializer must fail");
        };
        try {
            load.get(); // as Kernels.panama() does before the provider is chosen
        } catch (ExceptionInInitializerError expected) {
            // swallowed, as there
        }
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select("auto", true, load, log));
        assertEquals(1, log.messages().size());
        assertTrue(log.messages().get(0).contains(Kernels.VECTOR_BITS_PROP_NAME
                + " must be 128, 256 or 512, got 'abc'"), log.messages().get(0));
    }

    /** Fails to initialize as the Panama class does with a bad width. */
    private static final class BadWidthClass {
        static final int BITS = Kernels.vectorBits("abc", 512);
    }

    @Test
    void scalarWithAWarningForAnUnknownKernelName() {
        final RecordingLogger log = new RecordingLogger();
        assertSame(Kernels.scalar(), Kernels.select("gpu", true, failingLoader(), log));
        assertEquals(1, log.messages().size());
        assertTrue(log.messages().get(0).contains("'gpu'"), log.messages().get(0));
    }

    @Test
    void vectorBitsComesFromThePropertyOrThePreferredWidth() {
        assertEquals(256, Kernels.vectorBits(null, 256));
        assertEquals(128, Kernels.vectorBits("128", 512));
        assertEquals(512, Kernels.vectorBits(" 512 ", 512));
        assertEquals(256, Kernels.vectorBits("256", 512));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Kernels.vectorBits("1024", 512));
        assertTrue(e.getMessage().contains(Kernels.VECTOR_BITS_PROP_NAME)
                && e.getMessage().contains("'1024'"), e.getMessage());
        // Wider than the CPU's vectors C2 compiles no vector instructions: refused, not slow.
        final IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> Kernels.vectorBits("512", 256));
        assertEquals(Kernels.VECTOR_BITS_PROP_NAME + " must be at most this JVM's preferred"
                + " vector width, 256 bits, got '512'", wide.getMessage());
    }

    /** Whether this run asks for vectors wider than the JVM's, which the choice refuses. */
    private static boolean configuredWiderThanTheJvm() {
        final String configured = System.getProperty(Kernels.VECTOR_BITS_PROP_NAME);
        return configured != null && Kernels.vectorModulePresent()
                && Integer.parseInt(configured.strip()) > PreferredWidth.bits();
    }

    /** The JVM's preferred width; a class of its own, loaded only where the module is present. */
    private static final class PreferredWidth {
        static int bits() {
            return FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }
    }

    @Test
    void narrowerVectorsWhereTheDividerOrTheL2BoundsTheStep() {
        final CacheSizes caches = new CacheSizes(48 << 10, 2 << 20);
        final long l1 = caches.l1DataBytes();
        final long l2 = caches.l2Bytes();
        // Divide-bound: from the smallest step up to four L2s.
        assertTrue(Kernels.narrowerIsFaster(1, true, caches));
        assertTrue(Kernels.narrowerIsFaster(4 * l2, true, caches));
        assertFalse(Kernels.narrowerIsFaster(4 * l2 + 1, true, caches));
        // The SGD family: above two L1s, up to one L2.
        assertFalse(Kernels.narrowerIsFaster(1, false, caches));
        assertFalse(Kernels.narrowerIsFaster(2 * l1, false, caches));
        assertTrue(Kernels.narrowerIsFaster(2 * l1 + 1, false, caches));
        assertTrue(Kernels.narrowerIsFaster(l2, false, caches));
        assertFalse(Kernels.narrowerIsFaster(l2 + 1, false, caches));
        // Caches unknown: the preferred width everywhere.
        for (CacheSizes unknown : new CacheSizes[] {CacheSizes.UNKNOWN, new CacheSizes(l1, 0),
            new CacheSizes(0, l2)}) {
            assertFalse(Kernels.narrowerIsFaster(1, true, unknown), unknown.toString());
            assertFalse(Kernels.narrowerIsFaster(l2, false, unknown), unknown.toString());
        }
    }

    @Test
    void theNarrowCopyExistsOnlyWhereTheKernelsChoseFiveHundredTwelveBitsThemselves() {
        final UpdateKernels provider = Kernels.provider();
        final boolean expected = provider.vectorBitSize() == 512
                && System.getProperty(Kernels.VECTOR_BITS_PROP_NAME) == null
                && Kernels.narrowerCanBeFaster(CpuVendor.readFrom(CpuVendor.LINUX_CPUINFO))
                && CacheSizes.readFrom(CacheSizes.LINUX_CPU0_CACHES).known();
        assertEquals(expected, Kernels.narrow().isPresent(), provider.name());
        Kernels.narrow().ifPresent(narrow -> assertEquals("panama-256", narrow.name()));
        // Whatever this machine has, a step is either kind of kernel.
        for (long bytes : new long[] {0, 1 << 16, 1 << 22, 1L << 40}) {
            for (boolean divideBound : new boolean[] {false, true}) {
                final UpdateKernels chosen = Kernels.forWorkingSet(bytes, divideBound);
                assertTrue(chosen == provider || chosen == Kernels.narrow().orElse(null),
                        chosen.name());
            }
        }
        assertSame(provider, Kernels.forWorkingSet(1L << 40, true), "DRAM: the widest vectors");
    }

    @Test
    void onlyIntelCpusGetTheNarrowCopy(@TempDir Path dir) throws IOException {
        final Path intel = Files.writeString(dir.resolve("intel"), "processor\t: 0\n"
                + "vendor_id\t: GenuineIntel\ncpu family\t: 6\nprocessor\t: 1\n"
                + "vendor_id\t: GenuineIntel\n");
        final Path amd = Files.writeString(dir.resolve("amd"), "processor\t: 0\n"
                + "vendor_id\t: AuthenticAMD\ncpu family\t: 26\n");
        final Path none = Files.writeString(dir.resolve("none"), "processor\t: 0\n"
                + "vendor_id without a colon\n");
        assertEquals("GenuineIntel", CpuVendor.readFrom(intel));
        assertEquals("AuthenticAMD", CpuVendor.readFrom(amd));
        assertEquals(CpuVendor.UNKNOWN, CpuVendor.readFrom(none));
        assertEquals(CpuVendor.UNKNOWN, CpuVendor.readFrom(dir.resolve("missing")));
        assertTrue(Kernels.narrowerCanBeFaster(CpuVendor.readFrom(intel)));
        assertFalse(Kernels.narrowerCanBeFaster(CpuVendor.readFrom(amd)));
        assertFalse(Kernels.narrowerCanBeFaster(CpuVendor.UNKNOWN));
    }

    @Test
    void cacheSizesComeFromLinuxCacheDirectories(@TempDir Path dir) throws IOException {
        cacheIndex(dir, "index0", "1", "Data", "48K");
        cacheIndex(dir, "index1", "1", "Instruction", "64K");
        cacheIndex(dir, "index2", "2", "Unified", "2048K");
        cacheIndex(dir, "index3", "3", "Unified", "491520K");
        assertEquals(new CacheSizes(48 << 10, 2 << 20), CacheSizes.readFrom(dir));
        cacheIndex(dir, "index2", "2", "Unified", "1M");
        assertEquals(new CacheSizes(48 << 10, 1 << 20), CacheSizes.readFrom(dir));
        cacheIndex(dir, "index2", "2", "Unified", "lots");
        assertEquals(CacheSizes.UNKNOWN, CacheSizes.readFrom(dir));
        assertEquals(CacheSizes.UNKNOWN, CacheSizes.readFrom(dir.resolve("missing")));
        final Path onlyL1 = Files.createDirectory(dir.resolve("onlyL1"));
        cacheIndex(onlyL1, "index0", "1", "Data", "32K");
        assertEquals(new CacheSizes(32 << 10, 0), CacheSizes.readFrom(onlyL1));
        assertFalse(CacheSizes.readFrom(onlyL1).known());
        assertEquals(4096, CacheSizes.parseSize("4096"));
        assertEquals(3L << 30, CacheSizes.parseSize("3G"));
    }

    /**
     * Linux leaves out a cache's {@code level}, {@code type} or {@code size} file when it has no
     * value for it (drivers/base/cacheinfo.c shows none that is zero): such an index must not
     * hide the L1 and L2 sizes the others give.
     */
    @Test
    void anIndexWithoutALevelOrSizeLeavesTheOthersKnown(@TempDir Path dir) throws IOException {
        cacheIndex(dir, "index0", "1", "Data", "48K");
        cacheIndex(dir, "index1", "1", "Instruction", "64K");
        cacheIndex(dir, "index2", "2", "Unified", "2048K");
        final Path noLevel = Files.createDirectories(dir.resolve("index3"));
        Files.writeString(noLevel.resolve("type"), "Unified\n");
        Files.writeString(noLevel.resolve("size"), "32768K\n");
        assertEquals(new CacheSizes(48 << 10, 2 << 20), CacheSizes.readFrom(dir));
        Files.writeString(noLevel.resolve("level"), "3\n");
        Files.delete(noLevel.resolve("size"));
        assertEquals(new CacheSizes(48 << 10, 2 << 20), CacheSizes.readFrom(dir));
        // The L2's own size left out: its size is unknown, and so are the caches.
        Files.delete(dir.resolve("index2").resolve("size"));
        assertFalse(CacheSizes.readFrom(dir).known());
    }

    private static void cacheIndex(Path caches, String index, String level, String type,
                                   String size) throws IOException {
        final Path dir = Files.createDirectories(caches.resolve(index));
        Files.writeString(dir.resolve("level"), level + "\n");
        Files.writeString(dir.resolve("type"), type + "\n");
        Files.writeString(dir.resolve("size"), size + "\n");
    }

    private static Supplier<UpdateKernels> failingLoader() {
        return () -> {
            throw new AssertionError("the Panama kernels must not be loaded here");
        };
    }

    /** Stands in for the Panama kernels where only identity matters. */
    private static UpdateKernels fakeKernels() {
        return (UpdateKernels) Proxy.newProxyInstance(UpdateKernels.class.getClassLoader(),
                new Class<?>[] {UpdateKernels.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
