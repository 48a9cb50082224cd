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
    /** System property that fixes the vector width in bits: 128, 256 or 512. */
    public static final String VECTOR_BITS_PROP_NAME = "descent.kernel.vectorBits";
    /** The JVM option without which only the scalar kernels can run. */
    public static final String VECTOR_MODULE_FLAG = "--add-modules jdk.incubator.vector";

    static final String VECTOR_MODULE_NAME = "jdk.incubator.vector";
    static final String PANAMA_CLASS_NAME = "dev.descent.kernel.panama.PanamaUpdateKernels";

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());

    private Kernels() {
    }

    /** The implementation this JVM uses, chosen on first call. */
    public static UpdateKernels provider() {
        return Holder.PROVIDER;
    }

    /** The scalar implementation, whatever {@link #provider()} chose. */
    public static UpdateKernels scalar() {
        return ScalarUpdateKernels.INSTANCE;
    }

    /**
     * The Panama implementation if this JVM can load it (the module is present and the configured
     * width is valid), whatever {@link #provider()} chose; for tests and benchmarks.
     */
    public static Optional<UpdateKernels> panama() {
        return Optional.ofNullable(PanamaHolder.PANAMA);
    }

    /**
     * The vector width, in bits, that the Panama kernels use: {@value #VECTOR_BITS_PROP_NAME} when
     * set, else the JVM's preferred width.
     *
     * @param preferredBits the bit size of the JVM's preferred float species
     * @throws IllegalArgumentException if the property is set to anything but 128, 256 or 512
     */
    public static int vectorBits(int preferredBits) {
        return vectorBits(System.getProperty(VECTOR_BITS_PROP_NAME), preferredBits);
    }

    static int vectorBits(String configured, int preferredBits) {
        if (configured == null) {
            return preferredBits;
        }
        return switch (configured.strip()) {
            case "128" -> 128;
            case "256" -> 256;
            case "512" -> 512;
            default -> throw new IllegalArgumentException(
                    VECTOR_BITS_PROP_NAME + " must be 128, 256 or 512, got '" + configured + "'");
        };
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
            log.log(Level.WARNING, "Descent: the vector kernels could not be loaded ("
                    + e + "); optimizer steps run on the scalar kernels.");
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
