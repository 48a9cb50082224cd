package dev.descent.bench;

import dev.descent.Adam;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One Adam step through the public API against the loop a Java developer would write over
 * {@code float[]} with the same math. Scores are steps per second; multiply by {@code size} for
 * parameters per second. The vector width is set per fork with {@code -Ddescent.kernel.vectorBits}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class AdamStepBenchmark {

    @Param({"65536"})
    public int size;

    private Arena arena;
    private Optimizer<Adam.Config> adam;
    private float[] p;
    private float[] g;
    private float[] m;
    private float[] v;
    private int t;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        final Parameter param = Parameter.allocate(arena, "w", size);
        p = new float[size];
        g = new float[size];
        m = new float[size];
        v = new float[size];
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < size; i++) {
            g[i] = (float) random.nextGaussian();
            p[i] = (float) random.nextGaussian();
            param.setGradAt(i, g[i]);
            param.setValueAt(i, p[i]);
        }
        adam = Adam.builder().build(List.of(param));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        adam.close();
        arena.close();
    }

    @Benchmark
    public void descent() {
        adam.step();
    }

    @Benchmark
    public void plainJava() {
        t++;
        final float beta1 = 0.9f;
        final float beta2 = 0.999f;
        final float stepSize = (float) (1e-3 / (1 - Math.pow(0.9, t)));
        final float scale = (float) (1 / Math.sqrt(1 - Math.pow(0.999, t)));
        final float eps = 1e-8f;
        for (int i = 0; i < p.length; i++) {
            final float gi = g[i];
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            p[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) * scale + eps);
        }
    }
}
