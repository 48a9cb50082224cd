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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The design's in-cache ceiling: the same update as a plain C loop, compiled with
 * {@code gcc -O3 -march=native -fno-math-errno} and called through {@code java.lang.foreign} on
 * one thread, over off-heap tensors laid out as the roofline's. gcc vectorizes such a loop at the
 * CPU's full width, with fused multiply-adds and the vector square root inline, so in cache it
 * runs as fast as the core's arithmetic, its square root and divide units above all, allow: what
 * a step of Adam, AdaGrad or RMSProp in L1 or L2 can reach. Descent's target is to match it.
 *
 * <p>The C source ships in this jar ({@value #SOURCE}); the first loop a JVM makes compiles it
 * into a temporary directory with {@value #COMPILER_DEFAULT}, or the compiler that
 * {@value #COMPILER_PROP_NAME} names. The library and Descent itself stay pure Java: only this
 * benchmark needs a C compiler.
 */
final class NativeLoop implements Stepper {

    /** System property naming the C compiler. */
    static final String COMPILER_PROP_NAME = "descent.bench.cc";
    static final String COMPILER_DEFAULT = "gcc";
    /** What the design's divider roofline is compiled with; the library flags come on top. */
    static final List<String> FLAGS = List.of("-O3", "-march=native", "-fno-math-errno");
    /** The JVM option that lets the forks call C without a warning. */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
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

    private final Arena arena = Arena.ofShared();
    private final Kernel kernel;
    private final long size;
    private final MemorySegment values;
    private final MemorySegment grad;
    private final MemorySegment[] state;
    private final MethodHandle loop;
    private long t;

    /**
     * A loop over one tensor of {@code size} floats, filled as every benchmark's tensors are,
     * its state zeroed as the optimizer's starts.
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
        try {
            grad = TestData.staggered(arena, size, 0);
            values = TestData.staggered(arena, size, 1);
            TestData.fillGrads(grad);
            TestData.fillValues(values);
            state = new MemorySegment[kernel.stateTensors()];
            for (int k = 0; k < state.length; k++) {
                state[k] = TestData.staggered(arena, size, k + 2);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
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
                case ADAM, ADAMW -> loop.invokeExact(values, grad, state[0], state[1], size,
                        kernel == Kernel.ADAMW ? ADAMW_DECAY : 1f, BETA1, BETA2,
                        PlainJavaOptimizer.Adam.denomScale(t), ADAM_EPS,
                        PlainJavaOptimizer.Adam.stepSize(t));
                case AMSGRAD -> loop.invokeExact(values, grad, state[0], state[1], state[2], size,
                        BETA1, BETA2, PlainJavaOptimizer.Adam.denomScale(t), ADAM_EPS,
                        PlainJavaOptimizer.Adam.stepSize(t));
            }
        } catch (Throwable e) {
            throw new IllegalStateException("the native " + kernel.label() + " loop failed", e);
        }
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Whether the C compiler starts at all, so a summary can leave the native runs out. */
    static boolean compilerAvailable() {
        try {
            final Process process = new ProcessBuilder(compiler(), "--version")
                    .redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(COMPILE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String compiler() {
        return System.getProperty(COMPILER_PROP_NAME, COMPILER_DEFAULT);
    }

    /** The compiled library, made once per JVM on first use. */
    private static final class Library {
        private static final SymbolLookup SYMBOLS = SymbolLookup.libraryLookup(compile(),
                Arena.global());

        /** The downcall for {@code kernel}'s loop. */
        static MethodHandle function(Kernel kernel) {
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
            final MemorySegment symbol = SYMBOLS.find(name).orElseThrow(() ->
                    new IllegalStateException("the native library has no function '" + name + "'"));
            // Critical: no thread-state transition per call, which a loop that neither blocks
            // nor calls back does not need.
            return Linker.nativeLinker().downcallHandle(symbol,
                    FunctionDescriptor.ofVoid(arguments.toArray(MemoryLayout[]::new)),
                    Linker.Option.critical(false));
        }

        private static Path compile() {
            try {
                final Path dir = Files.createTempDirectory("descent-native");
                final Path source = dir.resolve(SOURCE);
                final Path library = dir.resolve("libdescent_native.so");
                dir.toFile().deleteOnExit();
                source.toFile().deleteOnExit();
                library.toFile().deleteOnExit();
                try (InputStream in = NativeLoop.class.getResourceAsStream(SOURCE)) {
                    if (in == null) {
                        throw new IllegalStateException(SOURCE + " is missing from the classpath");
                    }
                    Files.copy(in, source);
                }
                final List<String> command = new ArrayList<>(List.of(compiler()));
                command.addAll(FLAGS);
                command.addAll(List.of("-shared", "-fPIC", "-o", library.toString(),
                        source.toString()));
                final Process process;
                try {
                    process = new ProcessBuilder(command).redirectErrorStream(true).start();
                } catch (IOException e) {
                    throw new IllegalStateException("the native ceiling needs a C compiler, but '"
                            + compiler() + "' could not be started (" + e.getMessage()
                            + "); install gcc, or name another compiler with -D"
                            + COMPILER_PROP_NAME + "=...", e);
                }
                final String output = new String(process.getInputStream().readAllBytes(), UTF_8);
                if (!process.waitFor(COMPILE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        || process.exitValue() != 0) {
                    process.destroyForcibly();
                    throw new IllegalStateException("compiling the native ceiling failed: "
                            + String.join(" ", command) + "\n" + output);
                }
                return library;
            } catch (IOException e) {
                throw new IllegalStateException("cannot compile the native ceiling", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while compiling the native ceiling", e);
            }
        }
    }
}
