package dev.descent;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Zeroed native memory for large tensors in Linux's transparent huge pages, where the JVM lets
 * this library call the C library ({@code --enable-native-access}).
 *
 * <p>Why: a step over tensors larger than the caches touches a new 4 KiB page in every stream
 * every 1,024 floats, and each first touch of a page is a TLB miss and a page walk. The trivial
 * pass pays them too, but hides them behind its memory traffic better than a kernel that keeps
 * the divider busy: on the Intel Xeon the RMSProp step at 16,777,216 elements ran at 0.87-0.89 of
 * the roofline in 4 KiB pages and at 0.94-0.97 in 2 MiB pages, both sides in the same kind of
 * memory. The JVM's {@code -XX:+UseTransparentHugePages} covers only its heap, and memory from an
 * {@link Arena} is plain {@code malloc} memory, which Linux backs with huge pages only when asked
 * ({@code madvise}, the usual setting) or always. So this class maps the memory itself
 * ({@code mmap}), asks for huge pages on the whole 2 MiB pages of it ({@code madvise}) before
 * anything touches it, and ties the unmapping ({@code munmap}) to the arena.
 *
 * <p>Only where the JVM grants this module native access: then no call here prints the JVM's
 * warning about restricted methods. Without it, with {@code -Ddescent.memory.hugePages=false},
 * off Linux on x86-64 and AArch64, for arenas that are not the JDK's own (a custom
 * {@link Arena} keeps its own allocation policy) and for automatic ones ({@link Arena#ofAuto},
 * whose memory the GC frees: the JDK counts it as direct memory, which starts a collection when
 * it runs short, and mapped memory would escape that count), {@link #allocate} returns null and
 * the caller allocates from the arena as before. Either way the memory is zeroed, and results
 * are the same bits.
 */
final class HugePageMemory {

    /** Set to {@code false} to keep every tensor in the arena's memory. */
    static final String PROP_NAME = "descent.memory.hugePages";

    private static final System.Logger LOG = System.getLogger(HugePageMemory.class.getName());

    /** Where Linux says how large a transparent huge page is (one page-middle-directory entry). */
    private static final Path HUGE_PAGE_SIZE_FILE =
            Path.of("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
    /** Linux's policy: {@code always}, {@code madvise} or {@code never}, the chosen in brackets. */
    private static final Path POLICY_FILE =
            Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    // Linux's values on x86-64 and AArch64 (asm-generic): other architectures are not enabled.
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final long MAP_FAILED = -1L;

    /** Bytes in a huge page; 0 where this class is not in use. */
    static final long HUGE_PAGE_BYTES;
    /** Why huge pages are not in use, or null if they are. */
    static final String UNAVAILABLE_REASON;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        long hugePageBytes = 0;
        String reason = unavailableReason();
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        if (reason == null) {
            try {
                hugePageBytes = Long.parseLong(Files.readString(HUGE_PAGE_SIZE_FILE).strip());
                if (hugePageBytes <= 0 || Long.bitCount(hugePageBytes) != 1) {
                    reason = HUGE_PAGE_SIZE_FILE + " says " + hugePageBytes;
                } else if (Files.readString(POLICY_FILE).contains("[never]")) {
                    reason = "transparent huge pages are off (" + POLICY_FILE + ": never)";
                }
            } catch (IOException | NumberFormatException e) {
                reason = "no transparent huge pages in this kernel (" + e + ")";
            }
        }
        if (reason == null) {
            final Linker linker = Linker.nativeLinker();
            final SymbolLookup libc = linker.defaultLookup();
            mmap = downcall(linker, libc, "mmap", FunctionDescriptor.of(ADDRESS, ADDRESS,
                    JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
            munmap = downcall(linker, libc, "munmap",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            madvise = downcall(linker, libc, "madvise",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
            if (mmap == null || munmap == null || madvise == null) {
                reason = "the C library has no mmap, munmap or madvise";
            }
        }
        HUGE_PAGE_BYTES = reason == null ? hugePageBytes : 0;
        UNAVAILABLE_REASON = reason;
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
        LOG.log(System.Logger.Level.DEBUG, () -> "large tensors in " + describe());
    }

    private HugePageMemory() {
    }

    /** Whether {@link #allocate} maps memory in huge pages here. */
    static boolean inUse() {
        return UNAVAILABLE_REASON == null;
    }

    /** What large tensors live in, and if not huge pages why not: for logs and reports. */
    static String describe() {
        return inUse() ? "transparent huge pages of " + (HUGE_PAGE_BYTES >> 10) + " KiB for"
                + " tensors that span one" : "the arena's memory: " + UNAVAILABLE_REASON;
    }

    /**
     * {@code bytes} of zeroed memory starting on a huge page, unmapped when {@code arena} closes,
     * with huge pages asked for its whole huge pages; null if this class is not in use, the
     * memory would not span one huge page, the arena is not the JDK's or is automatic, or the
     * mapping failed.
     *
     * @throws IllegalStateException if {@code arena} is closed
     * @throws WrongThreadException if {@code arena} is confined to another thread
     */
    static MemorySegment allocate(Arena arena, long bytes) {
        if (!inUse() || bytes < HUGE_PAGE_BYTES || bytes > Long.MAX_VALUE - 2 * HUGE_PAGE_BYTES
                || !closedOrGlobal(arena)) {
            return null;
        }
        // Map a huge page more than needed, then unmap the ends that lie outside the huge pages
        // the tensor spans: mmap aligns only to the base page.
        final long kept = roundUpToHugePage(bytes);
        final long mapped = kept + HUGE_PAGE_BYTES;
        final long start = mmap(mapped);
        if (start == MAP_FAILED) {
            return null;
        }
        final long aligned = roundUpToHugePage(start);
        munmap(start, aligned - start);
        munmap(aligned + kept, start + mapped - aligned - kept);
        // Only whole huge pages: asking for the last, partly used one would fill all of it.
        if (madvise(aligned, bytes / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES) != 0) {
            LOG.log(System.Logger.Level.DEBUG, "madvise(MADV_HUGEPAGE) failed: 4 KiB pages");
        }
        try {
            return MemorySegment.ofAddress(aligned).reinterpret(kept, arena,
                    segment -> munmap(aligned, kept)).asSlice(0, bytes);
        } catch (RuntimeException e) {
            munmap(aligned, kept);
            throw e;
        }
    }

    /**
     * Whether {@code arena} is the JDK's global arena or one of its confined or shared ones,
     * which free their memory when closed. Not a custom arena, which keeps its own allocation
     * policy, nor an automatic one ({@link Arena#ofAuto}): the GC frees its memory, and the JDK
     * counts that memory against {@code -XX:MaxDirectMemorySize} so that running short of it
     * starts a collection; memory mapped here would escape the count and pile up between
     * collections. Named, not guessed: an arena this does not recognise keeps its own memory.
     */
    private static boolean closedOrGlobal(Arena arena) {
        if (arena == Arena.global()) {
            return true;
        }
        final String session = arena.scope().getClass().getName();
        return fromTheJdk(arena)
                && (session.equals("jdk.internal.foreign.ConfinedSession")
                        || session.equals("jdk.internal.foreign.SharedSession"));
    }

    /**
     * Whether {@code arena} is one of the JDK's own, which zero what they allocate; an arena of
     * the caller's own keeps its own allocation policy.
     */
    static boolean fromTheJdk(Arena arena) {
        return arena.getClass().getModule() == Arena.class.getModule();
    }

    private static long roundUpToHugePage(long value) {
        return (value + HUGE_PAGE_BYTES - 1) & -HUGE_PAGE_BYTES;
    }

    /** A fresh private anonymous mapping of {@code bytes}: its address, or {@link #MAP_FAILED}. */
    private static long mmap(long bytes) {
        try {
            return ((MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L)).address();
        } catch (Throwable t) {
            throw cCallFailed(t);
        }
    }

    private static int madvise(long address, long bytes) {
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(address), bytes,
                    MADV_HUGEPAGE);
        } catch (Throwable t) {
            throw cCallFailed(t);
        }
    }

    private static void munmap(long address, long bytes) {
        final int result;
        try {
            result = bytes == 0 ? 0 : (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address),
                    bytes);
        } catch (Throwable t) {
            throw cCallFailed(t);
        }
        if (result != 0) {
            // Only memory this class mapped gets here, so this is a bug, not bad input.
            throw new IllegalStateException("munmap(0x" + Long.toHexString(address) + ", "
                    + bytes + ") failed");
        }
    }

    /** A downcall threw: none of these calls can, short of a broken JVM. */
    private static IllegalStateException cCallFailed(Throwable t) {
        return new IllegalStateException("call into the C library failed", t);
    }

    /** Why this JVM cannot or should not map huge pages here, or null if it can. */
    private static String unavailableReason() {
        final String turnedOff = turnedOffBy(System.getProperty(PROP_NAME), LOG);
        if (turnedOff != null) {
            return turnedOff;
        }
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        final String arch = System.getProperty("os.arch", "");
        if (!os.equals("linux") || !(arch.equals("amd64") || arch.equals("x86_64")
                || arch.equals("aarch64"))) {
            return "not Linux on x86-64 or AArch64 (" + os + ", " + arch + ")";
        }
        if (!HugePageMemory.class.getModule().isNativeAccessEnabled()) {
            return "no native access: start the JVM with --enable-native-access="
                    + Optional.ofNullable(HugePageMemory.class.getModule().getName())
                            .orElse("ALL-UNNAMED");
        }
        return null;
    }

    /**
     * Why {@value #PROP_NAME} set to {@code setting} keeps huge pages off, or null if it does
     * not (unset or {@code true}). A value other than {@code true} or {@code false} (either case)
     * keeps them off too, with a warning to {@code log} that names it.
     */
    static String turnedOffBy(String setting, System.Logger log) {
        if (setting == null || setting.strip().equalsIgnoreCase("true")) {
            return null;
        }
        if (!setting.strip().equalsIgnoreCase("false")) {
            log.log(System.Logger.Level.WARNING, "Descent: " + PROP_NAME + " must be true or"
                    + " false, got '" + setting + "'; large tensors stay in their arenas' memory.");
        }
        return "-D" + PROP_NAME + "=" + setting;
    }

    private static MethodHandle downcall(Linker linker, SymbolLookup lookup, String name,
                                         FunctionDescriptor descriptor) {
        return lookup.find(name).map(symbol -> linker.downcallHandle(symbol, descriptor))
                .orElse(null);
    }
}
