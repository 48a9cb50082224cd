package dev.descent.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
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
 * A step over a model-shaped parameter list against one flat tensor of the same total size: what
 * a real network costs in per-tensor overhead (dispatch, tails, partitioning small tensors over
 * threads, and a fresh start of the CPU's prefetching for every tensor). The model's tensors are
 * allocated one by one with {@code Parameter.allocate} ({@code model}), which packs the small
 * ones back to back so that Descent steps them in a few runs; in one block ({@code block},
 * {@code Parameter.allocateBlock}), one run; or each in memory of its own that the trainer
 * allocated and wrapped ({@code separate}), one pass per tensor. Not in the default runs,
 * {@code slices} wraps each tensor's part of one block on its own: one pass per tensor over the
 * block's memory, which separates the cost of the passes from that of scattered memory. The
 * model is a GPT-style decoder of {@value #LAYERS} layers: token and position embeddings, per
 * layer two LayerNorms, the attention's fused QKV and output projections and the MLP, each
 * weight with its bias, and a final LayerNorm; {@value #TENSORS} tensors in all, the smallest
 * {@code width} floats long. Width 32 (575,296 parameters) sits in L3, width 256
 * (21,117,440) in DRAM. Scores are steps per second; multiply by {@link #totalLength} for
 * parameters per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {StepBenchmark.VECTOR_MODULE, StepBenchmark.NATIVE_ACCESS,
        StepBenchmark.HEAP_HUGE_PAGES})
public class ManyTensorsBenchmark {

    static final int LAYERS = 24;
    static final int TENSORS = 2 + 12 * LAYERS + 2;
    private static final int VOCABULARY = 8192;
    private static final int CONTEXT = 256;

    /**
     * The layout values: the model's tensors allocated one by one, in one block, each in memory
     * of its own, or a single tensor.
     */
    static final String MODEL = "model";
    static final String BLOCK = "block";
    static final String SEPARATE = "separate";
    /** Diagnostic, not in the default runs: one pass per tensor over one block's memory. */
    static final String SLICES = "slices";
    static final String FLAT = "flat";
    /** How many layouts a run of this benchmark measures. */
    static final int LAYOUTS = 4;

    /** The optimizer over either layout. */
    @State(Scope.Benchmark)
    public static class Layout {
        @Param
        public Kernel kernel;

        @Param({"32", "256"})
        public int width;

        @Param({MODEL, BLOCK, SEPARATE, FLAT})
        public String layout;

        @Param({"1", Threads.ALL})
        public String threads;

        DescentFixture fixture;

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams benchmark) {
            fixture = fixture(kernel, width, layout, Threads.count(threads), benchmark);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            fixture.close();
        }
    }

    @Benchmark
    public void descent(Layout state) {
        state.fixture.step();
    }

    /**
     * An optimizer over the model of {@code width} in {@code layout}: model, block, separate or
     * flat.
     */
    static DescentFixture fixture(Kernel kernel, int width, String layout, int threads,
                                  BenchmarkParams benchmark) {
        return switch (layout) {
            case MODEL -> new DescentFixture(kernel, tensorLengths(width),
                    TestData.Allocation.ONE_BY_ONE, threads, benchmark);
            case BLOCK -> new DescentFixture(kernel, tensorLengths(width),
                    TestData.Allocation.BLOCK, threads, benchmark);
            case SEPARATE -> new DescentFixture(kernel, tensorLengths(width),
                    TestData.Allocation.SEPARATE, threads, benchmark);
            case SLICES -> new DescentFixture(kernel, tensorLengths(width),
                    TestData.Allocation.SLICES, threads, benchmark);
            case FLAT -> new DescentFixture(kernel, new long[] {totalLength(width)}, threads,
                    benchmark);
            default -> throw new IllegalArgumentException("layout must be " + MODEL + ", "
                    + BLOCK + ", " + SEPARATE + ", " + SLICES + " or " + FLAT + ", got '"
                    + layout + "'");
        };
    }

    /** The element counts of the model's tensors, in the order a model lists its parameters. */
    static long[] tensorLengths(int width) {
        final LongStream.Builder lengths = LongStream.builder();
        lengths.add((long) VOCABULARY * width).add((long) CONTEXT * width);
        for (int layer = 0; layer < LAYERS; layer++) {
            lengths.add(width).add(width);                              // ln_1 weight, bias
            lengths.add(3L * width * width).add(3L * width);            // attn.c_attn (QKV)
            lengths.add((long) width * width).add(width);               // attn.c_proj
            lengths.add(width).add(width);                              // ln_2 weight, bias
            lengths.add(4L * width * width).add(4L * width);            // mlp.c_fc
            lengths.add(4L * width * width).add(width);                 // mlp.c_proj
        }
        lengths.add(width).add(width);                                  // ln_f weight, bias
        return lengths.build().toArray();
    }

    /**
     * The flat tensor that {@code layout} is compared with in {@link PairedBenchmark}, in the same
     * kind of memory: for {@code separate} the trainer's own, wrapped, where Descent places only
     * the state (so the ratio shows the cost of many tensors, not of memory Descent did not lay
     * out, such as 4 KiB pages where its own allocations get huge pages); else Descent's.
     */
    static DescentFixture flatFor(String layout, Kernel kernel, int width, int threads,
                                  BenchmarkParams benchmark) {
        return layout.equals(SEPARATE) ? new DescentFixture(kernel,
                new long[] {totalLength(width)}, TestData.Allocation.SEPARATE, threads, benchmark)
                : fixture(kernel, width, FLAT, threads, benchmark);
    }

    /** The model's parameter count, the length of the flat tensor. */
    static long totalLength(int width) {
        return Arrays.stream(tensorLengths(width)).sum();
    }
}
