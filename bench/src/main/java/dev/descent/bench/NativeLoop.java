package dev.descent.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The design's in-cache ceiling: the same update as a plain C loop, compiled with
 * {@code gcc -O3 -march=native -fno-math-errno} and called through {@code java.lang.foreign} on
 * one thread, over off-heap tensors laid out as the roofline's. gcc vectorizes such a loop at the
 * width it prefers for the CPU (512 bits on AMD's Zen 4 and 5), with fused multiply-adds and the
 * vector square root inline, so in cache it runs as fast as the core's arithmetic, its square
 * root and divide units above all, allows: what a step of Adam, AdaGrad or RMSProp in L1 or L2
 * can reach. Descent's target is to match it.
 *
 * <p>The C source ships in this jar ({@value #SOURCE}); the first loop a JVM makes compiles it
 * with {@value #COMPILER} into a directory under {@code java.io.tmpdir} named after a hash of
 * the source, the flags and the CPU, which later JVMs reuse. The library and Descent itself stay pure Java:
 * only this benchmark needs a C compiler.
 */
final class NativeLoop implements Stepper {

    /** The C compiler: the design's ceiling is defined with gcc. */
    static final String COMPILER = "gcc";
    /** What the design's divider roofline is compiled with; the library flags come on top. */
    static final List<String> FLAGS = List.of("-O3", "-march=native", "-fno-math-errno");
    private static final String SOURCE = "native_loops.c";
    private static final long COMPILE_TIMEOUT_SECONDS = 120;

    private static final float SGD_LR = (float) dev.descent.Sgd.LR_DEFAULT;
    private static final float MOMENTUM = (float) Kernel.MOMENTUM_FACTOR;
    private static final float ADAGRAD_LR = (float) dev.descent.AdaGrad.LR_DEFAULT;
    private static final float ADAGRAD_EPS = (float) dev.descent.AdaGrad.EPS_DEFAULT;
    private static final float RMSPROP_LR = (float) dev.descent.RmsProp.LR_DEFAULT;
    private static final float ALPHA = (float) dev.descent.RmsProp.ALPHA_DEFAULT;
    private static final float RMSPROP_EPS = (float) dev.descent.RmsProp.EPS_DEFAULT;
    private static final float BETA1 = (float) dev.descent.Adam.BETA1_DEFAULT;
    private static final float BETA2 = (float) dev.descent.Adam.BETA2_DEFAULT;
    private static final float ADAM_EPS = (float) dev.descent.Adam.EPS_DEFAULT;
    private static final float ADAMW_DECAY = (float) (1 - dev.descent.Adam.LR_DEFAULT
            * dev.descent.AdamW.WEIGHT_DECAY_DEFAULT);

    private final DescentFixture memory;
    private final Kernel kernel;
    private final long size;
    private final MemorySegment values;
    private final MemorySegment grad;
    private final MemorySegment[] state;
    private final MethodHandle loop;
    private long t;
    private final AdamScalars adamScalars = new AdamScalars();

    /**
     * A loop over one tensor of {@code size} floats in the memory an optimizer of
     * {@code kernel} would step ({@link DescentFixture#memoryOf}): filled as every benchmark's tensors
     * are, the state as the optimizer starts it.
     *
     * @throws IllegalArgumentException if {@code threads} is not 1
     * @throws IllegalStateException if the C source cannot be compiled, e.g. without gcc
     */
    NativeLoop(Kernel kernel, long size, int threads) {
        if (threads != 1) {
            throw new IllegalArgumentException("the native loop is the ceiling of one core and"
                    + " runs on one thread, got threads=" + threads);
        }
        this.kernel = kernel;
        this.size = size;
        this.loop = Library.function(kernel);
        this.memory = DescentFixture.memoryOf(kernel, size);
        values = memory.parameter().values();
        grad = memory.parameter().grad();
        state = memory.writableState().toArray(MemorySegment[]::new);
    }

    /** The values, for tests. */
    MemorySegment values() {
        return values;
    }

    @Override
    public void step() {
        t++;
        try {
            switch (kernel) {
                case SGD -> loop.invokeExact(values, grad, size, SGD_LR);
                case MOMENTUM, NESTEROV -> loop.invokeExact(values, grad, state[0], size, SGD_LR,
                        MOMENTUM, kernel == Kernel.NESTEROV ? 1 : 0);
                case ADAGRAD -> loop.invokeExact(values, grad, state[0], size, ADAGRAD_LR,
                        ADAGRAD_EPS);
                case RMSPROP -> loop.invokeExact(values, grad, state[0], size, RMSPROP_LR, ALPHA,
                        RMSPROP_EPS);
                case RMSPROP_CENTERED -> loop.invokeExact(values, grad, state[0], state[1], size,
                        RMSPROP_LR, ALPHA, RMSPROP_EPS);
                case ADAM, ADAMW -> {
                    adamScalars.at(t);
                    loop.invokeExact(values, grad, state[0], state[1], size,
                            kernel == Kernel.ADAMW ? ADAMW_DECAY : 1f, BETA1, BETA2,
                            adamScalars.denomScale(), ADAM_EPS, adamScalars.stepSize());
                }
                case AMSGRAD -> {
                    adamScalars.at(t);
                    loop.invokeExact(values, grad, state[0], state[1], state[2], size, BETA1,
                            BETA2, adamScalars.denomScale(), ADAM_EPS, adamScalars.stepSize());
                }
            }
        } catch (Throwable e) {
            throw new IllegalStateException("the native " + kernel.label() + " loop failed", e);
        }
    }

    @Override
    public void close() {
        memory.close();
    }

    /** Whether the C compiler starts at all, so a summary can leave the native runs out. */
    static boolean compilerAvailable() {
        try {
            return run(List.of(COMPILER, "--version"), Files.createTempFile("descent-cc", ".txt"))
                    .isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Runs {@code command} with its output in {@code log}, which is deleted afterwards: empty if
     * it exited with 0, else what went wrong. Waits at most {@value #COMPILE_TIMEOUT_SECONDS}
     * seconds, and never leaves the process running.
     */
    private static Optional<String> run(List<String> command, Path log) throws IOException {
        final Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            Files.deleteIfExists(log);
            return Optional.of("'" + command.getFirst() + "' could not be started ("
                    + e.getMessage() + ")");
        }
        try {
            if (!process.waitFor(COMPILE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                return Optional.of(String.join(" ", command) + " did not finish within "
                        + COMPILE_TIMEOUT_SECONDS + " s");
            }
            return process.exitValue() == 0 ? Optional.empty() : Optional.of(String.join(" ",
                    command) + " exited with " + process.exitValue() + ":\n"
                    + Files.readString(log, UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while waiting for " + command.getFirst());
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    /** The compiled library, made once per JVM on first use; a failure is kept and rethrown. */
    private static final class Library {
        private static SymbolLookup symbols;
        private static IllegalStateException failure;

        /** The downcall for {@code kernel}'s loop. */
        static synchronized MethodHandle function(Kernel kernel) {
            if (symbols == null && failure == null) {
                try {
                    symbols = SymbolLookup.libraryLookup(compile(), Arena.global());
                } catch (IOException | RuntimeException e) {
                    failure = new IllegalStateException("cannot build the native ceiling: "
                            + e.getMessage(), e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            final String name = switch (kernel) {
                case SGD -> "sgd";
                case MOMENTUM, NESTEROV -> "sgd_momentum";
                case ADAGRAD -> "adagrad";
                case RMSPROP -> "rmsprop";
                case RMSPROP_CENTERED -> "rmsprop_centered";
                case ADAM, ADAMW -> "adam";
                case AMSGRAD -> "amsgrad";
            };
            // The value, the gradient and each state tensor, the count, then the scalars.
            final List<MemoryLayout> arguments = new ArrayList<>();
            for (int k = 0; k < 2 + kernel.stateTensors(); k++) {
                arguments.add(ADDRESS);
            }
            arguments.add(JAVA_LONG);
            final int floats = switch (kernel) {
                case SGD -> 1;
                case MOMENTUM, NESTEROV, ADAGRAD -> 2;
                case RMSPROP, RMSPROP_CENTERED -> 3;
                case ADAM, ADAMW -> 6;
                case AMSGRAD -> 5;
            };
            for (int k = 0; k < floats; k++) {
                arguments.add(JAVA_FLOAT);
            }
            if (kernel == Kernel.MOMENTUM || kernel == Kernel.NESTEROV) {
                arguments.add(JAVA_INT);
            }
            final MemorySegment symbol = symbols.find(name).orElseThrow(() ->
                    new IllegalStateException("the native library has no function '" + name + "'"));
            // Critical: no thread-state transition per call, which a loop that neither blocks
            // nor calls back does not need.
            return Linker.nativeLinker().downcallHandle(symbol,
                    FunctionDescriptor.ofVoid(arguments.toArray(MemoryLayout[]::new)),
                    Linker.Option.critical(false));
        }

        /**
         * The library, compiled unless an earlier JVM left it in the directory for this source
         * and these flags; a new one is moved into place whole, so no JVM loads half a file.
         */
        private static Path compile() throws IOException {
            final byte[] source;
            try (InputStream in = NativeLoop.class.getResourceAsStream(SOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(SOURCE + " is missing from the classpath");
                }
                source = in.readAllBytes();
            }
            final List<String> flags = new ArrayList<>(FLAGS);
            flags.addAll(List.of("-shared", "-fPIC"));
            // -march=native: the CPU is part of what the library was built for.
            final Machine machine = Machine.current();
            final Path dir = Path.of(System.getProperty("java.io.tmpdir"), "descent-native-"
                    + HexFormat.of().toHexDigits(Arrays.hashCode(source) * 31L
                            + List.of(COMPILER, flags, machine.cpu(), machine.simdFlags())
                                    .hashCode()));
            final Path library = dir.resolve("libdescent_native.so");
            if (Files.exists(library)) {
                return library;
            }
            Files.createDirectories(dir);
            final Path sourceFile = Files.createTempFile(dir, "native_loops", ".c");
            final Path built = Files.createTempFile(dir, "libdescent_native", ".so");
            try {
                Files.write(sourceFile, source);
                final List<String> command = new ArrayList<>(List.of(COMPILER));
                command.addAll(flags);
                command.addAll(List.of("-o", built.toString(), sourceFile.toString()));
                final Optional<String> error = run(command, dir.resolve("cc-" + ProcessHandle
                        .current().pid() + ".log"));
                if (error.isPresent()) {
                    throw new IllegalStateException(error.get());
                }
                Files.move(built, library, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                return library;
            } finally {
                Files.deleteIfExists(sourceFile);
                Files.deleteIfExists(built);
            }
        }
    }
}
