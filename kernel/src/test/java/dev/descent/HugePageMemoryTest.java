package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.descent.kernel.RecordingLogger;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Large tensors in transparent huge pages ({@link HugePageMemory}): in use exactly where the JVM
 * grants native access on a Linux with huge pages, placed and zeroed as arena memory would be,
 * asked for huge pages, unmapped with the arena, and stepped to the same bits.
 *
 * <p>Surefire's runs with {@code --enable-native-access} set {@code descent.test.nativeAccess}.
 */
class HugePageMemoryTest {

    private static final Path POLICY = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final boolean NATIVE_ACCESS = Boolean.getBoolean("descent.test.nativeAccess");
    /** Four huge pages of 2 MiB and a bit, so that one stream ends in a partly used page. */
    private static final long LARGE = (1L << 21) + 1_234;

    @Test
    void inUseExactlyWhereTheJvmAndLinuxAllowIt() throws IOException {
        final boolean linuxWithHugePages = System.getProperty("os.name").equals("Linux")
                && Files.exists(POLICY) && !Files.readString(POLICY).contains("[never]");
        final String status = Parameter.largeTensorMemory();
        if (NATIVE_ACCESS && linuxWithHugePages) {
            assertTrue(HugePageMemory.inUse(), status);
            assertTrue(status.startsWith("transparent huge pages of "), status);
        } else {
            assertFalse(HugePageMemory.inUse(), status);
            assertTrue(status.startsWith("the arena's memory: "), status);
            if (!NATIVE_ACCESS) {
                assertTrue(status.contains("--enable-native-access=ALL-UNNAMED"),
                        "names the option that would grant it: " + status);
            }
        }
    }

    @Test
    void thePropertyTurnsHugePagesOffAndABadValueIsNamed() {
        final RecordingLogger log = new RecordingLogger();
        assertNull(HugePageMemory.turnedOffBy(null, log));
        assertNull(HugePageMemory.turnedOffBy(" TRUE ", log));
        assertEquals("-D" + HugePageMemory.PROP_NAME + "=false",
                HugePageMemory.turnedOffBy("false", log));
        assertEquals(List.of(), log.messages());
        assertEquals("-D" + HugePageMemory.PROP_NAME + "=maybe",
                HugePageMemory.turnedOffBy("maybe", log));
        assertEquals(List.of("Descent: " + HugePageMemory.PROP_NAME + " must be true or false,"
                + " got 'maybe'; large tensors stay in their arenas' memory."), log.messages());
    }

    @Test
    void largeParameterStartsAHugePageZeroedAndAskedForHugePages() throws IOException {
        assumeTrue(HugePageMemory.inUse(), Parameter.largeTensorMemory());
        final long hugePage = HugePageMemory.HUGE_PAGE_BYTES;
        final long valuesAddress;
        try (Arena arena = Arena.ofConfined()) {
            final Parameter p = Parameter.allocate(arena, "w", LARGE);
            valuesAddress = p.values().address();
            assertEquals(0, valuesAddress % hugePage, "values start a huge page");
            assertEquals(512, p.grad().address() % hugePage,
                    "the gradient starts 512 bytes into one, as in 4 KiB pages");
            for (MemorySegment segment : List.of(p.values(), p.grad())) {
                assertEquals(LARGE * Float.BYTES, segment.byteSize());
                assertZero(segment);
                segment.setAtIndex(JAVA_FLOAT, LARGE - 1, 1f); // the last element is writable
            }
            assertEquals("1", smapsField(valuesAddress, "THPeligible"),
                    "Linux counts the values' mapping as eligible for huge pages");
        }
        assertFalse(mapped(valuesAddress), "closing the arena unmaps the memory");
    }

    @Test
    void stateOfALargeParameterStartsInAHugePageAtItsOffset() {
        assumeTrue(HugePageMemory.inUse(), Parameter.largeTensorMemory());
        final long hugePage = HugePageMemory.HUGE_PAGE_BYTES;
        try (Arena arena = Arena.ofConfined()) {
            final Parameter p = Parameter.allocate(arena, "w", LARGE);
            try (Adam adam = Adam.builder().build(List.of(p))) {
                for (MemorySegment state : adam.state(p).values()) {
                    assertTrue(state.address() % hugePage < Parameter.PAGE_BYTES,
                            "state at 0x" + Long.toHexString(state.address())
                                    + " starts in the first 4 KiB of a huge page");
                    assertZero(state);
                }
            }
        }
    }

    @Test
    void stepInHugePagesGivesTheBitsOfAStepInArenaMemory() {
        assumeTrue(HugePageMemory.inUse(), Parameter.largeTensorMemory());
        try (Arena arena = Arena.ofConfined()) {
            final Parameter huge = Parameter.allocate(arena, "huge", LARGE);
            final Parameter plain = Parameter.wrap("plain",
                    arena.allocate(LARGE * Float.BYTES, 64), arena.allocate(LARGE * Float.BYTES, 64));
            final SplittableRandom random = new SplittableRandom(7);
            for (long i = 0; i < LARGE; i++) {
                final float value = (float) random.nextGaussian();
                final float grad = (float) random.nextGaussian();
                for (Parameter p : List.of(huge, plain)) {
                    p.values().setAtIndex(JAVA_FLOAT, i, value);
                    p.grad().setAtIndex(JAVA_FLOAT, i, grad);
                }
            }
            try (Adam a = Adam.builder().threads(2).build(List.of(huge));
                 Adam b = Adam.builder().threads(2).build(List.of(plain))) {
                for (int step = 0; step < 3; step++) {
                    a.step();
                    b.step();
                }
                assertArrayEquals(plain.values().toArray(JAVA_FLOAT),
                        huge.values().toArray(JAVA_FLOAT));
                final Map<String, MemorySegment> hugeState = a.state(huge);
                b.state(plain).forEach((name, state) -> assertArrayEquals(
                        state.toArray(JAVA_FLOAT), hugeState.get(name).toArray(JAVA_FLOAT), name));
            }
        }
    }

    @Test
    void anArenaOfTheCallersOwnAllocatesItself() {
        try (Arena inner = Arena.ofConfined()) {
            final AtomicInteger allocations = new AtomicInteger();
            final Arena counting = new Arena() {
                @Override
                public MemorySegment allocate(long byteSize, long byteAlignment) {
                    allocations.incrementAndGet();
                    return inner.allocate(byteSize, byteAlignment);
                }

                @Override
                public MemorySegment.Scope scope() {
                    return inner.scope();
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
            final Parameter p = Parameter.allocate(counting, "w", LARGE);
            assertEquals(2, allocations.get(), "values and gradient from the caller's arena");
            assertZero(p.values());
        }
    }

    @Test
    void anAutomaticArenaKeepsItsMemoryWhereTheJdkCountsIt() {
        // The GC frees an automatic arena's memory, and the JDK counts that memory as direct
        // memory so that running short of it (-XX:MaxDirectMemorySize) starts a collection.
        // Memory mapped past that count piles up unseen: a loop of 60 parameters of 4,194,304
        // floats in automatic arenas, each written once and dropped, ended at 2 GB resident in
        // huge pages against 160 MB in the arena's memory (-XX:MaxDirectMemorySize=128m).
        assumeTrue(HugePageMemory.inUse(), Parameter.largeTensorMemory());
        assertNull(HugePageMemory.allocate(Arena.ofAuto(), 4 * HugePageMemory.HUGE_PAGE_BYTES));
        final BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
                .stream().filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
        final long before = direct.getMemoryUsed();
        final Parameter p = Parameter.allocate(Arena.ofAuto(), "w", LARGE);
        final long counted = direct.getMemoryUsed() - before;
        assertTrue(counted >= 2 * LARGE * Float.BYTES, "direct memory grew by " + counted
                + " bytes for values and gradient of " + LARGE + " floats");
        assertZero(p.values());
        assertZero(p.grad());
    }

    @Test
    void aConfinedArenaOfAnotherThreadIsRefusedForHugePagesToo() throws Exception {
        try (Arena confined = Arena.ofConfined()) {
            final Throwable[] thrown = new Throwable[1];
            final Thread other = new Thread(() -> {
                try {
                    Parameter.allocate(confined, "large", LARGE);
                } catch (Throwable t) {
                    thrown[0] = t;
                }
            });
            other.start();
            other.join();
            assertInstanceOf(WrongThreadException.class, thrown[0]);
        }
    }

    private static void assertZero(MemorySegment segment) {
        final long longs = segment.byteSize() / Long.BYTES;
        for (long i = 0; i < longs; i++) {
            if (segment.getAtIndex(JAVA_LONG, i) != 0) {
                throw new AssertionError("byte " + i * Long.BYTES + " of " + segment + " not zero");
            }
        }
        for (long b = longs * Long.BYTES; b < segment.byteSize(); b++) {
            assertEquals(0, segment.get(JAVA_BYTE, b));
        }
    }

    /** Whether any mapping of this process contains {@code address} ({@code /proc/self/maps}). */
    private static boolean mapped(long address) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .anyMatch(line -> contains(line, address));
    }

    /** Field {@code name} of the mapping that contains {@code address}, from its smaps entry. */
    private static String smapsField(long address, String name) throws IOException {
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("[0-9a-f]+-[0-9a-f]+ .*")) { // a mapping's first line
                inside = contains(line, address);
            } else if (inside && line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        throw new AssertionError("no " + name + " for address 0x" + Long.toHexString(address));
    }

    /** Whether a maps line's range, {@code start-end ...} in hex, contains {@code address}. */
    private static boolean contains(String mapsLine, long address) {
        final int dash = mapsLine.indexOf('-');
        final int space = mapsLine.indexOf(' ');
        if (dash <= 0 || space < dash) {
            return false;
        }
        final long start = HexFormat.fromHexDigitsToLong(mapsLine.substring(0, dash));
        final long end = HexFormat.fromHexDigitsToLong(mapsLine.substring(dash + 1, space));
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }
}
