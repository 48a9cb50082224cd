package dev.descent.bench;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
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
 * ND4J's updaters, the JVM ecosystem's native peer, against Descent in the same run and on the
 * same sizes: ND4J 1.0.0-M2.1 with its AVX-512 build. ND4J's updater turns the gradient into the
 * update in place, and the caller then subtracts it from the parameters; a step here is both,
 * as DL4J runs them. Built only with {@code -Pnd4j} (its native jars are about 180 MB).
 *
 * <p>Hyperparameters are Descent's (PyTorch's) defaults; ND4J's Adam uses the epsilon-hat form,
 * which costs the same. Because the updater overwrites the gradient, each step works on the
 * previous step's update, as it would on a fresh gradient; the gradient is refilled before every
 * iteration so values stay far from subnormals. Scores are steps per second; multiply by
 * {@code size} for parameters per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {StepBenchmark.VECTOR_MODULE, Nd4jUpdaterBenchmark.AVX512_BUILD,
        StepBenchmark.NATIVE_ACCESS})
public class Nd4jUpdaterBenchmark {

    /** Makes JavaCPP load ND4J's AVX-512 binaries instead of the generic x86-64 ones. */
    static final String AVX512_BUILD = "-Dorg.bytedeco.javacpp.platform.extension=-avx512";

    /** The kernels ND4J has an updater for, at the step suite's sizes. */
    @State(Scope.Benchmark)
    public abstract static class Setting {
        @Param({"ADAM", "NESTEROV", "RMSPROP", "ADAGRAD"})
        public Kernel kernel;

        @Param({"4096", "65536", "1048576", "16777216", "67108864"})
        public long size;

        @Param({"1", Threads.ALL})
        public String threads;
    }

    /** An ND4J updater over one flat parameter vector. */
    public static class Nd4jState extends Setting {
        INDArray params;
        INDArray grad;
        GradientUpdater<?> updater;
        int iteration;

        @Setup(Level.Trial)
        public void setUp() {
            final int n = Threads.count(threads);
            Nd4j.getEnvironment().setMaxThreads(n);
            Nd4j.getEnvironment().setMaxMasterThreads(n);
            params = Nd4j.rand(DataType.FLOAT, size).subi(0.5f).muli(2f);
            grad = Nd4j.createUninitialized(DataType.FLOAT, size);
            final IUpdater config = config(kernel);
            final INDArray updaterState = Nd4j.createUninitialized(DataType.FLOAT,
                    1, config.stateSize(size));
            updater = config.instantiate(updaterState, true);
        }

        @Setup(Level.Iteration)
        public void refillGradient() {
            grad.assign(Nd4j.rand(DataType.FLOAT, size).subi(0.5f).muli(2f));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            params.close();
            grad.close();
        }

        private static IUpdater config(Kernel kernel) {
            return switch (kernel) {
                case ADAM -> new Adam(dev.descent.Adam.LR_DEFAULT, dev.descent.Adam.BETA1_DEFAULT,
                        dev.descent.Adam.BETA2_DEFAULT, dev.descent.Adam.EPS_DEFAULT);
                case NESTEROV -> new Nesterovs(dev.descent.Sgd.LR_DEFAULT, Kernel.MOMENTUM_FACTOR);
                case RMSPROP -> new RmsProp(dev.descent.RmsProp.LR_DEFAULT,
                        dev.descent.RmsProp.ALPHA_DEFAULT, dev.descent.RmsProp.EPS_DEFAULT);
                case ADAGRAD -> new AdaGrad(dev.descent.AdaGrad.LR_DEFAULT,
                        dev.descent.AdaGrad.EPS_DEFAULT);
                default -> throw new IllegalArgumentException("ND4J has no updater for " + kernel);
            };
        }
    }

    /** Descent's step for the same kernel, size and threads, for ratios within one run. */
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

    @Benchmark
    public void nd4j(Nd4jState state) {
        state.updater.applyUpdater(state.grad, state.iteration++, 0);
        state.params.subi(state.grad);
    }

    @Benchmark
    public void descent(DescentState state) {
        state.fixture.step();
    }
}
