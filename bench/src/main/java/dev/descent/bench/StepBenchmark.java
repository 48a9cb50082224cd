package dev.descent.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One optimizer step over one tensor, four ways, for every kernel, size and thread count:
 * <ul>
 *   <li>{@code descent}: {@code optimizer.step()} through the public API;</li>
 *   <li>{@code scalar}: the same, in a fork that forces the scalar kernels;</li>
 *   <li>{@code plainJava}: the loop a Java developer writes over {@code float[]};</li>
 *   <li>{@code roofline}: a trivial pass with the kernel's reads and writes: the memory
 *       ceiling.</li>
 * </ul>
 * Scores are steps per second; parameters per second are the score times {@code size}, bytes per
 * second that times {@link Kernel#bytesPerParameter()}. The default sizes sit in L1, L2, L3 and
 * DRAM of a current server core (4,096 floats is 16 KiB per tensor). Sizes above 2<sup>31</sup>
 * work for every variant but plainJava, whose arrays cannot hold them.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {StepBenchmark.VECTOR_MODULE, StepBenchmark.NATIVE_ACCESS,
        StepBenchmark.HEAP_HUGE_PAGES})
public class StepBenchmark {

    /** Every fork needs the incubator module for the vector kernels and the roofline. */
    static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";
    /**
     * Every fork grants native access, as a trainer deploying Descent would: the library then maps
     * large tensors in huge pages, and the loop in C can be called without a warning.
     */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /**
     * And the Java heap in huge pages, so that the {@code float[]} peer gets the pages Descent's
     * off-heap tensors get: at 1,048,576 floats on the Intel Xeon that made the plain loop 3% faster.
     */
    static final String HEAP_HUGE_PAGES = "-XX:+UseTransparentHugePages";
    /** What makes Descent choose its scalar kernels. */
    static final String FORCE_SCALAR = "-Ddescent.kernel=scalar";

    /** What every variant is measured over. */
    @State(Scope.Benchmark)
    public abstract static class Setting {
        @Param
        public Kernel kernel;

        @Param({"4096", "65536", "1048576", "16777216", "67108864"})
        public long size;

        @Param({"1", Threads.ALL})
        public String threads;
    }

    /** A Descent optimizer over one tensor of {@code size}. */
    public static class DescentState extends Setting {
        DescentFixture fixture;

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams benchmark) {
            fixture = new DescentFixture(kernel, new long[] {size}, Threads.count(threads),
                    benchmark);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            fixture.close();
        }
    }

    /** The same update over {@code float[]}. */
    public static class PlainJavaState extends Setting {
        PlainJavaOptimizer optimizer;

        @Setup(Level.Trial)
        public void setUp() {
            optimizer = kernel.plainJava(TestData.values(size), TestData.grads(size),
                    Threads.count(threads));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            optimizer.close();
        }
    }

    /** The trivial pass with the kernel's memory traffic. */
    public static class RooflineState extends Setting {
        Roofline roofline;

        @Setup(Level.Trial)
        public void setUp() {
            roofline = new Roofline(kernel, size, Threads.count(threads));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            roofline.close();
        }
    }

    @Benchmark
    public void descent(DescentState state) {
        state.fixture.step();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {VECTOR_MODULE, NATIVE_ACCESS, HEAP_HUGE_PAGES, FORCE_SCALAR})
    public void scalar(DescentState state) {
        state.fixture.step();
    }

    @Benchmark
    public void plainJava(PlainJavaState state) {
        state.optimizer.step();
    }

    @Benchmark
    public void roofline(RooflineState state) {
        state.roofline.step();
    }
}
