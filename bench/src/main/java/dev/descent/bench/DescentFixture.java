package dev.descent.bench;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One Descent optimizer over freshly filled parameters, as every benchmark of the library steps
 * it; checks that the fork runs the implementation the benchmark's name promises. The baselines
 * that must move the same bytes as Descent (the roofline, the loop in C) run over such a
 * fixture's memory ({@link #memoryOf}), so they get exactly the placement the library gives its
 * own tensors (offsets in the page, huge pages) and keep it when the library changes it.
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

    /**
     * @param benchmark the benchmark whose name says which implementation the fork must run, or
     *     null for no check ({@link #memoryOf})
     */
    DescentFixture(Kernel kernel, long[] tensorLengths, TestData.Allocation allocation,
                   int threads, BenchmarkParams benchmark) {
        Optimizer<?> built = null;
        try {
            parameters = TestData.parameters(arena, tensorLengths, allocation);
            built = kernel.newOptimizer(parameters, threads);
            if (benchmark != null) {
                checkImplementation(benchmark, built.kernelName());
            }
        } catch (RuntimeException | Error e) {
            if (built != null) {
                built.close();
            }
            arena.close();
            throw e;
        }
        optimizer = built;
    }

    /**
     * The memory an optimizer of {@code kernel} steps for one tensor of {@code size} floats, filled
     * as every benchmark's: for baselines to run over; the optimizer is never stepped.
     */
    static DescentFixture memoryOf(Kernel kernel, long size) {
        return new DescentFixture(kernel, new long[] {size}, TestData.Allocation.ONE_BY_ONE, 1,
                null);
    }

    /** The single parameter of a {@link #memoryOf} fixture. */
    Parameter parameter() {
        return parameters.getFirst();
    }

    /**
     * Writable views of the parameter's state tensors, in the optimizer's order of state names:
     * {@code restore} is the optimizer's one method that hands them out.
     */
    List<MemorySegment> writableState() {
        final List<MemorySegment> views = new ArrayList<>();
        optimizer.restore(optimizer.stepCount(), (p, byName) -> {
            if (p == parameter()) {
                views.addAll(byName.values());
            }
        });
        return views;
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
            final String flag = wantScalar ? StepBenchmark.FORCE_SCALAR : StepBenchmark.VECTOR_MODULE;
            final String why = benchmark.getJvmArgs().contains(flag)
                    ? " The fork has " + flag + ": Descent's warning above says why it did not"
                            + " take those kernels (a descent.kernel setting it refused, say)."
                    : " A command-line -jvmArgsAppend replaces the benchmark's own (" + flag
                            + "); pass extra options with -jvmArgsPrepend instead.";
            throw new IllegalStateException(benchmark.getBenchmark() + " must run on the "
                    + (wantScalar ? "scalar" : "vector") + " kernels but this fork runs '"
                    + kernelName + "'. JVM options: " + benchmark.getJvmArgs() + "." + why);
        }
    }
}
