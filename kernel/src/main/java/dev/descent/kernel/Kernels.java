package dev.descent.kernel;

import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * Chooses the {@link UpdateKernels} implementation once per JVM, as Lucene chooses its vector
 * support: the Panama implementation when the {@code jdk.incubator.vector} module is in the boot
 * layer, the scalar one otherwise, with a single warning that names the missing flag. The Panama
 * class is loaded by name only after that check, so the scalar path never links incubator classes.
 */
public final class Kernels {

    /** System property that picks the implementation: {@code auto} or {@code scalar}. */
    public static final String KERNEL_PROP_NAME = "descent.kernel";
    /** Default of {@link #KERNEL_PROP_NAME}: the vector kernels when the JVM can run them. */
    public static final String KERNEL_DEFAULT = "auto";
    /**
     * System property that fixes the vector width in bits: 128, 256 or 512. Unset, the kernels
     * use the JVM's preferred width, and 512-bit CPUs also 256 where that is faster (see
     * {@link #forWorkingSet}).
     */
    public static final String VECTOR_BITS_PROP_NAME = "descent.kernel.vectorBits";
    /** The JVM option without which only the scalar kernels can run. */
    public static final String VECTOR_MODULE_FLAG = "--add-modules jdk.incubator.vector";

    /** How many L2s' worth of data the divide-bound kernels run faster on narrower vectors. */
    static final long DIVIDE_BOUND_NARROW_L2S = 4;
    /** How many L1s' worth of data the SGD family runs faster on the widest vectors. */
    static final long STREAMING_WIDE_L1S = 2;

    static final String VECTOR_MODULE_NAME = "jdk.incubator.vector";
    static final String PANAMA_CLASS_NAME = "dev.descent.kernel.panama.PanamaUpdateKernels";

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());

    private Kernels() {
    }

    /**
     * {@return the implementation this JVM uses, chosen on first call} The choice follows
     * {@value #KERNEL_PROP_NAME} and {@value #VECTOR_BITS_PROP_NAME} as set then; a bad setting
     * falls back to the scalar kernels with one logged warning rather than throwing.
     */
    public static UpdateKernels provider() {
        return Holder.PROVIDER;
    }

    /** {@return the scalar implementation, whatever {@link #provider()} chose} */
    public static UpdateKernels scalar() {
        return ScalarUpdateKernels.INSTANCE;
    }

    /**
     * {@return the Panama implementation if this JVM can load it (the module is present and the
     * configured width is valid), whatever {@link #provider()} chose, else empty} For tests and
     * benchmarks.
     */
    public static Optional<UpdateKernels> panama() {
        return Optional.ofNullable(PanamaHolder.PANAMA);
    }

    /**
     * The kernels for a step whose values, gradients and state take {@code bytesPerThread} bytes
     * per thread: {@link #provider()}, or, on an Intel CPU whose preferred vectors are 512 bits
     * wide and whose cache sizes are known, the same kernels at 256 bits where those are faster.
     * Both give the same bits (a NaN's sign and payload aside, as {@link UpdateKernels} says).
     * Measured on an Intel Xeon (Sapphire Rapids class, 48 KiB L1d and 2
     * MiB L2 per core; {@code PairedBenchmark.step} against the same loops in C, 512 → 256 bits):
     * Intel splits a 512-bit divide or square root in three, so the kernels that divide (AdaGrad,
     * RMSProp, Adam) gain 6-9% at 256 bits wherever the divider rather than memory bounds them, up
     * to a few times the L2 (Adam at 4,096 elements 0.92 → 0.98 of C, at 131,072 0.94 → 1.01); with
     * 16,777,216 elements in DRAM 512 bits are 0-2% faster. The SGD family gains 7-9% at 256 bits
     * once its data spills out of L1 into L2 (SGD at 16,384 elements 0.93 → 1.00, momentum at
     * 65,536 0.93 → 0.99), while 512 bits are 6-56% faster where it fits in about twice the L1 (SGD
     * at 4,096 1.27 against 1.00) and 6% faster in DRAM. Only on Intel's CPUs, where this was
     * measured: AMD's Zen 5 runs 512-bit vectors at full width, and forced to 256 bits the kernels
     * ran slower at every size in cache (Adam at 4,096 elements 1.09 → 0.57 of C), and on Zen 4,
     * which splits 512-bit operations in two, 256 bits brought no consistent gain (below).
     *
     * @param bytesPerThread what one thread's part of a step reads and writes, counting each
     *     tensor once
     * @param divideBound whether the kernel divides and takes square roots (AdaGrad, RMSProp,
     *     Adam and its variants) rather than only multiplying and adding (the SGD family)
     * @return the 256-bit copy of the Panama kernels where the rule above picks it, else
     *     {@link #provider()}
     */
    public static UpdateKernels forWorkingSet(long bytesPerThread, boolean divideBound) {
        final UpdateKernels narrow = NarrowHolder.NARROW;
        return narrow != null && narrowerIsFaster(bytesPerThread, divideBound, NarrowHolder.CACHES)
                ? narrow : provider();
    }

    /**
     * Whether the 256-bit kernels can beat the 512-bit ones on a CPU of {@code vendor} (as
     * {@code /proc/cpuinfo} names it): only on Intel's, the CPUs {@link #forWorkingSet}'s rule was
     * measured on, whose 512-bit divides and square roots are split. AMD's Zen 5 runs 512-bit
     * vectors at full width: forced to 256 bits, the kernels were slower at every size in cache
     * (AMD EPYC, family 26 model 2, against the same loops in C, 512 → 256 bits: Adam at 4,096
     * elements 1.09 → 0.57, at 262,144 0.98 → 0.66, AdaGrad and RMSProp about half, SGD at
     * 16,384 0.97 → 0.87, Nesterov 1.09 → 0.83, momentum and Nesterov at 262,144 unchanged).
     * Zen 4 (family 25, model 17) splits 512-bit operations in two, and halving the width brought
     * no consistent gain there either (the same comparison, one fork of each width at 65,536 and
     * 262,144 elements): the kernels that divide went from 0.97-1.01 of C to 0.92-0.97, slower in
     * every row (Adam 1.00 and 0.98 → 0.96 and 0.95), the SGD family from 0.93-1.02 to 0.95-1.06,
     * faster in some rows and slower in others (Nesterov 0.97 → 1.05 at 65,536, 1.00 → 0.95 at
     * 262,144); at 4,096 elements a row moved from one fork to the next by more than the widths
     * differ (centered RMSProp 0.77-1.22 of C in seven forks at 512 bits and 0.91-1.18 in six at
     * 256, Adam 0.98-1.34 in six and 0.93-1.31 in five).
     */
    static boolean narrowerCanBeFaster(String vendor) {
        return CpuVendor.INTEL.equals(vendor);
    }

    /**
     * The rule of {@link #forWorkingSet}, for a CPU with the given caches: the divide-bound
     * kernels up to {@value #DIVIDE_BOUND_NARROW_L2S} times the L2, the others above
     * {@value #STREAMING_WIDE_L1S} times the L1 and up to the L2.
     */
    static boolean narrowerIsFaster(long bytesPerThread, boolean divideBound, CacheSizes caches) {
        if (!caches.known()) {
            return false;
        }
        if (divideBound) {
            return bytesPerThread <= DIVIDE_BOUND_NARROW_L2S * caches.l2Bytes();
        }
        return bytesPerThread > STREAMING_WIDE_L1S * caches.l1DataBytes()
                && bytesPerThread <= caches.l2Bytes();
    }

    /**
     * {@return the 256-bit copy of the kernels that {@link #forWorkingSet} picks where it is
     * faster, or empty if this JVM has none} It has one only where the provider is the 512-bit
     * Panama one of its own choice (no {@value #VECTOR_BITS_PROP_NAME}) on an Intel CPU whose cache
     * sizes Linux reports. For tests and reports.
     */
    public static Optional<UpdateKernels> narrow() {
        return Optional.ofNullable(NarrowHolder.NARROW);
    }

    /**
     * The vector width, in bits, that the Panama kernels use: {@value #VECTOR_BITS_PROP_NAME} when
     * set, else the JVM's preferred width.
     *
     * @param preferredBits the bit size of the JVM's preferred float species
     * @return the width in bits: 128, 256 or 512, at most {@code preferredBits}, or
     *     {@code preferredBits} itself when the property is unset
     * @throws IllegalArgumentException if the property is set to anything but 128, 256 or 512, or
     *     to a width above {@code preferredBits}: C2 compiles no vector instructions for vectors
     *     wider than the CPU's, and such kernels stepped Adam about 300 times slower than at the
     *     preferred width (512 bits on a JVM limited to 256 by {@code -XX:UseAVX=2})
     */
    public static int vectorBits(int preferredBits) {
        return vectorBits(System.getProperty(VECTOR_BITS_PROP_NAME), preferredBits);
    }

    /**
     * The vector width {@code configured} asks for (null: {@code preferredBits}), checked as
     * {@link #vectorBits(int)} checks {@value #VECTOR_BITS_PROP_NAME}; for tools that pass the
     * width on to JVMs of their own.
     *
     * @param configured the width asked for, {@code "128"}, {@code "256"} or {@code "512"}
     *     (surrounding white space ignored), or null for none
     * @param preferredBits the bit size of the JVM's preferred float species
     * @return the width in bits: {@code configured}'s, or {@code preferredBits} when it is null
     * @throws IllegalArgumentException as {@link #vectorBits(int)}
     */
    public static int vectorBits(String configured, int preferredBits) {
        if (configured == null) {
            return preferredBits;
        }
        final int bits = switch (configured.strip()) {
            case "128" -> 128;
            case "256" -> 256;
            case "512" -> 512;
            default -> throw new IllegalArgumentException(
                    VECTOR_BITS_PROP_NAME + " must be 128, 256 or 512, got '" + configured + "'");
        };
        if (bits > preferredBits) {
            throw new IllegalArgumentException(VECTOR_BITS_PROP_NAME + " must be at most this"
                    + " JVM's preferred vector width, " + preferredBits + " bits, got '"
                    + configured + "'");
        }
        return bits;
    }

    /**
     * The choice itself, separated from the JVM's state so tests can drive every branch.
     *
     * @param kernelProperty value of {@link #KERNEL_PROP_NAME}, or null when unset
     * @param vectorModulePresent whether {@code jdk.incubator.vector} is in the boot layer
     * @param panama loads the Panama implementation; called only when it is wanted and possible
     * @param log where the single fallback warning goes
     */
    static UpdateKernels select(String kernelProperty, boolean vectorModulePresent,
                                java.util.function.Supplier<UpdateKernels> panama,
                                System.Logger log) {
        final String wanted = kernelProperty == null ? KERNEL_DEFAULT : kernelProperty.strip();
        switch (wanted) {
            case "scalar":
                return ScalarUpdateKernels.INSTANCE;
            case "auto":
                break;
            default:
                log.log(Level.WARNING, "Descent: " + KERNEL_PROP_NAME + " must be 'auto' or 'scalar', got '"
                        + kernelProperty + "'; using the scalar kernels.");
                return ScalarUpdateKernels.INSTANCE;
        }
        if (!vectorModulePresent) {
            log.log(Level.WARNING, "Descent: the " + VECTOR_MODULE_NAME
                    + " module is not available, so optimizer steps run on the scalar kernels,"
                    + " several times slower. Start the JVM with '" + VECTOR_MODULE_FLAG
                    + "' to use the vector kernels.");
            return ScalarUpdateKernels.INSTANCE;
        }
        try {
            return panama.get();
        } catch (RuntimeException | LinkageError e) {
            // A bad setting fails the Panama class's static initializer: say what it was. If
            // panama() loaded the class first, this load gets a NoClassDefFoundError that names
            // only the class; its cause carries the first failure's message.
            Throwable reason = e;
            while ((reason instanceof ExceptionInInitializerError
                    || reason instanceof NoClassDefFoundError) && reason.getCause() != null) {
                reason = reason.getCause();
            }
            log.log(Level.WARNING, "Descent: the vector kernels could not be loaded ("
                    + reason + "); optimizer steps run on the scalar kernels.");
            return ScalarUpdateKernels.INSTANCE;
        }
    }

    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE_NAME).isPresent();
    }

    static UpdateKernels loadPanama() {
        try {
            return (UpdateKernels) Class.forName(PANAMA_CLASS_NAME)
                    .getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate " + PANAMA_CLASS_NAME, e);
        }
    }

    private static final class Holder {
        static final UpdateKernels PROVIDER = select(System.getProperty(KERNEL_PROP_NAME),
                vectorModulePresent(), Kernels::loadPanama, LOG);
    }

    /**
     * The 256-bit copy of the kernels when the provider is the 512-bit Panama one of its own
     * choice (no {@value #VECTOR_BITS_PROP_NAME}) on a CPU where it can be faster, else null;
     * made on first use.
     */
    private static final class NarrowHolder {
        static final int WIDE_BITS = 512;
        static final int NARROW_BITS = 256;
        /** Read only where a narrower copy could run: elsewhere nothing depends on them. */
        static final CacheSizes CACHES = provider().vectorBitSize() == WIDE_BITS
                && System.getProperty(VECTOR_BITS_PROP_NAME) == null
                && narrowerCanBeFaster(CpuVendor.readFrom(CpuVendor.LINUX_CPUINFO))
                ? CacheSizes.readFrom(CacheSizes.LINUX_CPU0_CACHES) : CacheSizes.UNKNOWN;
        static final UpdateKernels NARROW = CACHES.known() ? makeNarrow() : null;

        private static UpdateKernels makeNarrow() {
            try {
                return (UpdateKernels) Class.forName(PANAMA_CLASS_NAME)
                        .getMethod("withBits", int.class).invoke(null, NARROW_BITS);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "Descent: the " + NARROW_BITS + "-bit kernels could not be"
                        + " made (" + e + "); steps run at " + WIDE_BITS + " bits at every size.");
                return null;
            }
        }
    }

    private static final class PanamaHolder {
        static final UpdateKernels PANAMA = loadIfPossible();

        private static UpdateKernels loadIfPossible() {
            if (!vectorModulePresent()) {
                return null;
            }
            try {
                return loadPanama();
            } catch (RuntimeException | LinkageError e) {
                return null;
            }
        }
    }
}
