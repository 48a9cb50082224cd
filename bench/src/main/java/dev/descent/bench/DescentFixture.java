package dev.descent.bench;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One Descent optimizer over freshly filled parameters, as every benchmark of the library steps
 * it; checks that the fork runs the implementation the benchmark's name promises.
 */
final class DescentFixture implements Stepper {

    /** The benchmark method that runs with the scalar kernels forced ({@link StepBenchmark}). */
    static final String SCALAR_METHOD = "scalar";

    private final Arena arena = Arena.ofShared();
    private final List<Parameter> parameters;
    private final Optimizer<?> optimizer;

    DescentFixture(Kernel kernel, long[] tensorLengths, int threads, BenchmarkParams benchmark) {
        this(kernel, tensorLengths, TestData.Allocation.ONE_BY_ONE, threads, benchmark);
    }

    DescentFixture(Kernel kernel, long[] tensorLengths, TestData.Allocation allocation,
                   int threads, BenchmarkParams benchmark) {
        Optimizer<?> built = null;
        try {
            parameters = TestData.parameters(arena, tensorLengths, allocation);
            built = kernel.newOptimizer(parameters, threads);
            checkImplementation(benchmark, built.kernelName());
        } catch (RuntimeException | Error e) {
            if (built != null) {
                built.close();
            }
            arena.close();
            throw e;
        }
        optimizer = built;
    }

    /** Multiplies every gradient element by {@code factor}; returns this fixture. */
    DescentFixture scaleGradients(float factor) {
        for (Parameter parameter : parameters) {
            final MemorySegment grad = parameter.grad();
            for (long i = 0, n = grad.byteSize() / Float.BYTES; i < n; i++) {
                grad.setAtIndex(ValueLayout.JAVA_FLOAT, i,
                        grad.getAtIndex(ValueLayout.JAVA_FLOAT, i) * factor);
            }
        }
        return this;
    }

    @Override
    public void step() {
        optimizer.step();
    }

    @Override
    public void close() {
        optimizer.close();
        arena.close();
    }

    /**
     * A command-line {@code -jvmArgsAppend} replaces the flags the annotations set, which would
     * silently measure the wrong implementation; better to fail the run.
     */
    private static void checkImplementation(BenchmarkParams benchmark, String kernelName) {
        final String method = benchmark.getBenchmark()
                .substring(benchmark.getBenchmark().lastIndexOf('.') + 1);
        final boolean wantScalar = method.equals(SCALAR_METHOD);
        if (wantScalar != kernelName.equals("scalar")) {
            throw new IllegalStateException(benchmark.getBenchmark() + " must run on the "
                    + (wantScalar ? "scalar" : "vector") + " kernels but this fork runs '"
                    + kernelName + "'. JVM options: " + benchmark.getJvmArgs()
                    + ". A command-line -jvmArgsAppend replaces the benchmark's own"
                    + " (--add-modules=jdk.incubator.vector, -Ddescent.kernel=scalar);"
                    + " pass extra options with -jvmArgsPrepend instead.");
        }
    }
}
