package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.descent.kernel.Kernels;
import dev.descent.kernel.UpdateKernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lengths are {@code long}: a parameter of more than 2<sup>31</sup> elements must work, in
 * {@link Parameter}, in the kernels and in a whole {@link Optimizer#step()}.
 */
class LargeParameterTest {

    private static final long TWO_31 = 1L << 31;
    /** Floats per sparse file: past 2^31 with room for a window that crosses it. */
    private static final long MAPPED_LENGTH = TWO_31 + 64;
    /** Windows of {@code (offset, count)}: across 2^31, wholly past it, and up to the last element. */
    private static final long[][] WINDOWS = {
        {TWO_31 - 5, 40},
        {TWO_31 + 19, 37},
        {MAPPED_LENGTH - 21, 21},
    };
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    /** Maps a sparse file of {@code floats} floats: no memory or disk is used until touched. */
    private static MemorySegment mapSparse(Path file, long floats, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, floats * Float.BYTES, arena);
        }
    }

    @Test
    void parameterOverSparseFilesIndexesPastTwoToThe31() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            final MemorySegment values = mapSparse(dir.resolve("values.f32"), MAPPED_LENGTH, arena);
            final MemorySegment grad = mapSparse(dir.resolve("grad.f32"), MAPPED_LENGTH, arena);
            final Parameter p = Parameter.wrap("huge", values, grad);
            assertEquals(MAPPED_LENGTH, p.length());
            assertTrue(p.length() > Integer.MAX_VALUE);

            final long[] indices = {TWO_31 - 1, TWO_31, TWO_31 + 1, TWO_31 + 10, MAPPED_LENGTH - 1};
            for (int k = 0; k < indices.length; k++) {
                p.setValueAt(indices[k], 1.5f + k);
                p.setGradAt(indices[k], -2.5f - k);
            }
            for (int k = 0; k < indices.length; k++) {
                final long i = indices[k];
                assertEquals(1.5f + k, p.valueAt(i));
                assertEquals(-2.5f - k, p.gradAt(i));
                // Really at byte i*4 of the caller's segments, not at a wrapped-around int index.
                assertEquals(1.5f + k, values.get(JAVA_FLOAT, i * Float.BYTES));
                assertEquals(-2.5f - k, grad.get(JAVA_FLOAT, i * Float.BYTES));
                if (i >= TWO_31) {
                    // None of the indices is another one modulo 2^31 (0, 1, 10, 63 are not used).
                    assertEquals(0f, values.get(JAVA_FLOAT, (i - TWO_31) * Float.BYTES),
                            "index " + i + " also wrote index " + (i - TWO_31));
                }
            }
            assertEquals(0f, p.valueAt(TWO_31 + 2));
            assertEquals(0f, p.gradAt(TWO_31 - 2));
        }
    }

    @Test
    void kernelsUpdateWindowsPastTwoToThe31() throws IOException {
        final List<UpdateKernels> implementations = new ArrayList<>();
        implementations.add(Kernels.provider());
        if (!Kernels.provider().name().equals(Kernels.scalar().name())) {
            implementations.add(Kernels.scalar());
        }
        try (Arena arena = Arena.ofShared()) {
            final Map<String, MemorySegment> s = new LinkedHashMap<>();
            for (String name : List.of("param", "grad", "a", "b", "c")) {
                s.put(name, mapSparse(dir.resolve(name + ".f32"), MAPPED_LENGTH, arena));
            }
            final MemorySegment param = s.get("param");
            final MemorySegment grad = s.get("grad");
            final MemorySegment a = s.get("a");
            final MemorySegment b = s.get("b");
            final MemorySegment c = s.get("c");
            final List<MemorySegment> all = List.copyOf(s.values());

            long seed = 1;
            for (UpdateKernels kernels : implementations) {
                for (long[] window : WINDOWS) {
                    final long offset = window[0];
                    final long count = window[1];
                    final String where = kernels.name() + " [" + offset + ", +" + count + ")";

                    // SGD with weight decay and maximize.
                    fill(all, offset, count, seed++);
                    final Expected sgd = new Expected(all, offset, count);
                    for (long i = offset; i < offset + count; i++) {
                        sgd.param[sgd.at(i)] = refSgd(param.getAtIndex(JAVA_FLOAT, i),
                                grad.getAtIndex(JAVA_FLOAT, i), -1f, 0.01f, 0.1f);
                    }
                    kernels.sgd(param, grad, offset, count, -1f, 0.01f, 0.1f);
                    sgd.check(param, a, b, c, "sgd " + where);

                    // SGD with momentum, plain and Nesterov.
                    for (boolean nesterov : new boolean[] {false, true}) {
                        fill(all, offset, count, seed++);
                        final Expected e = new Expected(all, offset, count);
                        for (long i = offset; i < offset + count; i++) {
                            final float[] pb = refSgdMomentum(param.getAtIndex(JAVA_FLOAT, i),
                                    grad.getAtIndex(JAVA_FLOAT, i), a.getAtIndex(JAVA_FLOAT, i),
                                    1f, 0.01f, 0.1f, 0.9f, 0.875f, 0.9f, nesterov);
                            e.param[e.at(i)] = pb[0];
                            e.a[e.at(i)] = pb[1];
                        }
                        kernels.sgdMomentum(param, grad, a, offset, count, 1f, 0.01f, 0.1f, 0.9f,
                                0.875f, 0.9f, nesterov);
                        e.check(param, a, b, c, "sgdMomentum nesterov=" + nesterov + " " + where);
                    }

                    // AdaGrad.
                    fill(all, offset, count, seed++);
                    final Expected ada = new Expected(all, offset, count);
                    for (long i = offset; i < offset + count; i++) {
                        final float[] ps = refAdagrad(param.getAtIndex(JAVA_FLOAT, i),
                                grad.getAtIndex(JAVA_FLOAT, i), a.getAtIndex(JAVA_FLOAT, i),
                                1f, 0.01f, 0.05f, 1e-10f);
                        ada.param[ada.at(i)] = ps[0];
                        ada.a[ada.at(i)] = ps[1];
                    }
                    kernels.adagrad(param, grad, a, offset, count, 1f, 0.01f, 0.05f, 1e-10f);
                    ada.check(param, a, b, c, "adagrad " + where);

                    // RMSProp, centered with momentum: square_avg in a, grad_avg in b, buffer in c.
                    fill(all, offset, count, seed++);
                    final Expected rms = new Expected(all, offset, count);
                    for (long i = offset; i < offset + count; i++) {
                        final float[] r = refRmsprop(param.getAtIndex(JAVA_FLOAT, i),
                                grad.getAtIndex(JAVA_FLOAT, i), a.getAtIndex(JAVA_FLOAT, i),
                                b.getAtIndex(JAVA_FLOAT, i), c.getAtIndex(JAVA_FLOAT, i),
                                1f, 0.01f, 0.01f, 0.99f, 0.01f, 1e-8f, 0.9f);
                        final int k = rms.at(i);
                        rms.param[k] = r[0];
                        rms.a[k] = r[1];
                        rms.b[k] = r[2];
                        rms.c[k] = r[3];
                    }
                    kernels.rmsprop(param, grad, a, b, c, offset, count, 1f, 0.01f, 0.01f, 0.99f,
                            0.01f, 1e-8f, 0.9f);
                    rms.check(param, a, b, c, "rmsprop " + where);

                    // Adam with AMSGrad, coupled and decoupled decay at step 3.
                    fill(all, offset, count, seed++);
                    final Expected adam = new Expected(all, offset, count);
                    final float denomScale = (float) (1 / Math.sqrt(1 - Math.pow(0.999, 3)));
                    final float stepSize = (float) (1e-3 / (1 - Math.pow(0.9, 3)));
                    for (long i = offset; i < offset + count; i++) {
                        final float[] r = refAdam(param.getAtIndex(JAVA_FLOAT, i),
                                grad.getAtIndex(JAVA_FLOAT, i), a.getAtIndex(JAVA_FLOAT, i),
                                b.getAtIndex(JAVA_FLOAT, i), c.getAtIndex(JAVA_FLOAT, i),
                                -1f, 0.01f, 0.99999f, 0.9f, 0.1f, 0.999f, 0.001f, denomScale,
                                1e-8f, stepSize);
                        final int k = adam.at(i);
                        adam.param[k] = r[0];
                        adam.a[k] = r[1];
                        adam.b[k] = r[2];
                        adam.c[k] = r[3];
                    }
                    kernels.adam(param, grad, a, b, c, offset, count, -1f, 0.01f, 0.99999f, 0.9f,
                            0.1f, 0.999f, 0.001f, denomScale, 1e-8f, stepSize);
                    adam.check(param, a, b, c, "adam " + where);
                }
            }
        }
    }

    @Test
    void fullSgdStepOverMoreThanTwoToThe31Elements() {
        assumeTrue(System.getProperty("descent.test.expectedKernel", "").startsWith("panama"),
                "the 17 GB step runs only in the vector surefire execution");
        // A minute and 17 GB: CI (which sets CI=true) always runs it, a developer asks for it.
        assumeTrue("true".equals(System.getenv("CI"))
                        || Boolean.getBoolean("descent.test.large"),
                "runs in CI, or with -Ddescent.test.large=true");
        final long available = memAvailableBytes();
        assumeTrue(available >= 20 * GIB, "needs MemAvailable >= 20 GiB, have "
                + available / GIB + " GiB");

        final long n = TWO_31 + 33;
        final long[] indices = {0, 1, TWO_31 - 1, TWO_31, TWO_31 + 1, TWO_31 + 17, n - 2, n - 1};
        final long untouched = TWO_31 + 5;
        final Arena arena = Arena.ofShared();
        try {
            final Parameter p = Parameter.allocate(arena, "huge", n);
            assertEquals(n, p.length());
            for (int k = 0; k < indices.length; k++) {
                p.setValueAt(indices[k], 1f + k);
                p.setGradAt(indices[k], 0.25f * (k - 3));
            }
            p.setValueAt(untouched, 3.5f);
            try (Sgd sgd = Sgd.builder().lr(0.5).build(List.of(p))) {
                sgd.step();
                assertEquals(1, sgd.stepCount());
            }
            for (int k = 0; k < indices.length; k++) {
                // p - 0.5 * g, exact in float, as one fma rounds it.
                assertEquals(Math.fma(-0.5f, 0.25f * (k - 3), 1f + k), p.valueAt(indices[k]),
                        "element " + indices[k]);
                assertEquals(1f + k - 0.125f * (k - 3), p.valueAt(indices[k]),
                        "element " + indices[k]);
                assertEquals(0.25f * (k - 3), p.gradAt(indices[k]));
            }
            assertEquals(3.5f, p.valueAt(untouched), "an element with zero gradient moved");
            assertEquals(0f, p.valueAt(untouched + 1));
            assertEquals(0f, p.valueAt(TWO_31 / 3));
        } finally {
            arena.close();
        }
    }

    // ---------------------------------------------------------------- reference updates

    /** The operation sequences of {@link UpdateKernels}, one element at a time. */
    private static float refSgd(float p, float grad, float gradScale, float wd, float lr) {
        float g = gradScale * grad;
        if (wd != 0f) {
            g = Math.fma(wd, p, g);
        }
        return Math.fma(-lr, g, p);
    }

    private static float[] refSgdMomentum(float p, float grad, float buffer, float gradScale,
                                          float wd, float lr, float bufferDecay, float gradCoef,
                                          float momentum, boolean nesterov) {
        float g = gradScale * grad;
        if (wd != 0f) {
            g = Math.fma(wd, p, g);
        }
        final float b = Math.fma(bufferDecay, buffer, gradCoef * g);
        g = nesterov ? Math.fma(momentum, b, g) : b;
        return new float[] {Math.fma(-lr, g, p), b};
    }

    private static float[] refAdagrad(float p, float grad, float sum, float gradScale, float wd,
                                      float clr, float eps) {
        float g = gradScale * grad;
        if (wd != 0f) {
            g = Math.fma(wd, p, g);
        }
        final float s = Math.fma(g, g, sum);
        final float d = (float) Math.sqrt(s) + eps;
        return new float[] {Math.fma(-clr, g / d, p), s};
    }

    private static float[] refRmsprop(float p, float grad, float squareAvg, float gradAvg,
                                      float buffer, float gradScale, float wd, float lr,
                                      float alpha, float oneMinusAlpha, float eps, float momentum) {
        float g = gradScale * grad;
        if (wd != 0f) {
            g = Math.fma(wd, p, g);
        }
        final float v = Math.fma(alpha, squareAvg, oneMinusAlpha * (g * g));
        final float a = Math.fma(alpha, gradAvg, oneMinusAlpha * g);
        final float d = (float) Math.sqrt(Math.fma(-a, a, v)) + eps;
        final float b = Math.fma(momentum, buffer, g / d);
        return new float[] {Math.fma(-lr, b, p), v, a, b};
    }

    private static float[] refAdam(float p, float grad, float expAvg, float expAvgSq, float maxSq,
                                   float gradScale, float wd, float paramDecay, float beta1,
                                   float oneMinusBeta1, float beta2, float oneMinusBeta2,
                                   float denomScale, float eps, float stepSize) {
        float g = gradScale * grad;
        if (wd != 0f) {
            g = Math.fma(wd, p, g);
        }
        final float m = Math.fma(beta1, expAvg, oneMinusBeta1 * g);
        final float v = Math.fma(beta2, expAvgSq, oneMinusBeta2 * (g * g));
        final float vmax = Math.max(maxSq, v);
        final float d = Math.fma((float) Math.sqrt(vmax), denomScale, eps);
        return new float[] {Math.fma(-stepSize, m / d, p * paramDecay), m, v, vmax};
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Seeded values in the window and in one guard element on each side of it, in every segment
     * (param, grad, a, b, c): the states that must not be negative (sums, squares, their maxima)
     * are not, and the centered RMSProp's grad_avg in b is small next to its square_avg in a.
     */
    private static void fill(List<MemorySegment> segments, long offset, long count, long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final long from = offset - 1;
        final long to = Math.min(offset + count + 1, MAPPED_LENGTH);
        for (int k = 0; k < segments.size(); k++) {
            for (long i = from; i < to; i++) {
                final double x = switch (k) {
                    case 2 -> random.nextDouble(0.5, 1.0);
                    case 3 -> random.nextDouble(0.0, 0.1);
                    case 4 -> random.nextDouble(0.0, 1.0);
                    default -> random.nextDouble(-1, 1);
                };
                segments.get(k).setAtIndex(JAVA_FLOAT, i, (float) x);
            }
        }
    }

    /** Copies of every segment over the window and its guards, to be overwritten by expectations. */
    private static final class Expected {
        final long offset;
        final long count;
        final long from;
        final long to;
        final float[] param;
        final float[] grad;
        final float[] a;
        final float[] b;
        final float[] c;
        final MemorySegment gradSegment;

        Expected(List<MemorySegment> segments, long offset, long count) {
            this.offset = offset;
            this.count = count;
            from = offset - 1;
            to = Math.min(offset + count + 1, MAPPED_LENGTH);
            param = copy(segments.get(0));
            grad = copy(segments.get(1));
            gradSegment = segments.get(1);
            a = copy(segments.get(2));
            b = copy(segments.get(3));
            c = copy(segments.get(4));
        }

        int at(long index) {
            return Math.toIntExact(index - from);
        }

        private float[] copy(MemorySegment s) {
            return s.asSlice(from * Float.BYTES, (to - from) * Float.BYTES).toArray(JAVA_FLOAT);
        }

        /** Every element of the window as expected, the guards and the gradient unchanged. */
        void check(MemorySegment param, MemorySegment a, MemorySegment b, MemorySegment c,
                   String what) {
            final float[][] expected = {this.param, this.a, this.b, this.c, this.grad};
            final MemorySegment[] actual = {param, a, b, c, gradSegment};
            final String[] names = {"param", "a", "b", "c", "grad"};
            for (int s = 0; s < actual.length; s++) {
                for (long i = from; i < to; i++) {
                    final float want = expected[s][at(i)];
                    final float got = actual[s].getAtIndex(JAVA_FLOAT, i);
                    if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) {
                        throw new AssertionError(what + ": " + names[s] + "[" + i + "] is " + got
                                + ", expected " + want + (i < offset || i >= offset + count
                                ? " (outside the window: must be untouched)" : ""));
                    }
                }
            }
        }
    }

    private static long memAvailableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    final String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
