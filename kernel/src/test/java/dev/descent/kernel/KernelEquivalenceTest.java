package dev.descent.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import dev.descent.kernel.panama.PanamaUpdateKernels;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Panama kernels, at the width this JVM was started with, against the scalar kernels: every
 * kernel and option, on sizes around every vector length, at offsets that misalign the body,
 * compared bit for bit after several steps, every NaN counting as one value
 * ({@code Float.floatToIntBits}): Java leaves a NaN's sign and payload to the hardware and the JIT,
 * and centered RMSProp's {@code -a·a + v} gives a NaN of either sign depending on how far the
 * loop has been compiled.
 *
 * <p>Surefire runs this class once per width (128, 256, 512 bits); equality with scalar at each
 * width is equality across widths. Each run also tests the copy of the kernels at half its width
 * ({@link PanamaUpdateKernels#withBits}), the kind of copy {@link Kernels#forWorkingSet} steps
 * with where narrower vectors are faster. The kernels are warmed up first so that the comparison runs
 * on C2's intrinsified vector code, not on the interpreter's lane-by-lane fallback.
 */
class KernelEquivalenceTest {

    private static final int[] SIZES = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64,
        65, 100, 127, 128, 129, 1000, 4095, 4096, 4097, 4099, 65537};
    private static final long[] OFFSETS = {0, 3};
    private static final int STEPS = 4;
    private static final int WARM_UP_ROUNDS = 1500;
    private static final int WARM_UP_SIZE = 1024;
    /** Every kernel reads at most a parameter, a gradient and three state tensors. */
    private static final int SEGMENTS = 5;

    private static final UpdateKernels SCALAR = Kernels.scalar();
    /** The kernels at this run's width, then the copy at half that width when there is one. */
    private static List<UpdateKernels> vectors;
    private static Arena arena;

    /** One kernel with one set of options, applied at a given step (scalars vary per step). */
    @FunctionalInterface
    interface Variant {
        void apply(UpdateKernels kernels, MemorySegment[] s, long offset, long count, int step);
    }

    record Case(String name, Variant variant) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        final List<Case> cases = new ArrayList<>();
        for (float wd : new float[] {0f, 0.01f}) {
            // 1 (no multiply), -1 (maximize) and a scale that rounds (loss scale, clipping).
            for (float sign : new float[] {1f, -1f, -1f / 3}) {
                final String opts = "wd=" + wd + ",scale=" + sign;
                cases.add(new Case("sgd " + opts, (k, s, off, n, t) ->
                        k.sgd(s[0], s[1], off, n, sign, wd, 0.05f)));
                for (boolean nesterov : new boolean[] {false, true}) {
                    cases.add(new Case("sgdMomentum nesterov=" + nesterov + " " + opts,
                            (k, s, off, n, t) -> k.sgdMomentum(s[0], s[1], s[2], off, n, sign, wd,
                                    0.05f, t == 1 ? 0f : 0.9f, t == 1 ? 1f : 0.75f, 0.9f, nesterov)));
                }
                cases.add(new Case("adagrad " + opts, (k, s, off, n, t) ->
                        k.adagrad(s[0], s[1], s[2], off, n, sign, wd, 0.01f / t, 1e-10f)));
                for (boolean centered : new boolean[] {false, true}) {
                    for (boolean momentum : new boolean[] {false, true}) {
                        cases.add(new Case("rmsprop centered=" + centered + " momentum=" + momentum
                                + " " + opts, (k, s, off, n, t) -> k.rmsprop(s[0], s[1], s[2],
                                centered ? s[3] : null, momentum ? s[4] : null, off, n, sign, wd,
                                0.01f, 0.99f, 0.01f, 1e-8f, 0.9f)));
                    }
                }
                for (boolean amsgrad : new boolean[] {false, true}) {
                    for (boolean decoupled : new boolean[] {false, true}) {
                        for (boolean epsHat : new boolean[] {false, true}) {
                            cases.add(new Case("adam amsgrad=" + amsgrad + " decoupled=" + decoupled
                                    + " epsHat=" + epsHat + " " + opts, (k, s, off, n, t) -> {
                                        final double c1 = 1 - Math.pow(0.9, t);
                                        final double c2 = 1 - Math.pow(0.999, t);
                                        final float stepSize = (float) (epsHat
                                                ? 1e-3 * Math.sqrt(c2) / c1 : 1e-3 / c1);
                                        final float denomScale = epsHat ? 1f
                                                : (float) (1 / Math.sqrt(c2));
                                        k.adam(s[0], s[1], s[2], s[3], amsgrad ? s[4] : null, off,
                                                n, sign, decoupled ? 0f : wd,
                                                decoupled ? (float) (1 - 1e-3 * wd) : 1f, 0.9f,
                                                (float) (1 - 0.9), 0.999f, (float) (1 - 0.999),
                                                denomScale, 1e-8f, stepSize);
                                    }));
                        }
                    }
                }
            }
        }
        cases.add(new Case("clamp", (k, s, off, n, t) -> k.clamp(s[1], off, n, 1f / (1 << t), 0.75f)));
        return cases;
    }

    static Stream<Arguments> casesAndSizes() {
        final List<Arguments> all = new ArrayList<>();
        for (Case c : cases()) {
            for (int size : SIZES) {
                all.add(Arguments.of(c, size));
            }
        }
        return all.stream();
    }

    @BeforeAll
    static void warmUp() {
        final String bits = System.getProperty(Kernels.VECTOR_BITS_PROP_NAME);
        assumeTrue(bits == null
                        || Integer.parseInt(bits.strip()) <= FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                () -> "this CPU's vectors are narrower than " + bits + " bits: C2 cannot compile"
                        + " the kernels at that width, and Descent refuses it");
        final UpdateKernels configured = Kernels.panama().orElseThrow(() -> new AssertionError(
                "the Panama kernels must load in this run (is --add-modules set?)"));
        final int half = configured.vectorBitSize() / 2;
        vectors = half < 128 ? List.of(configured)
                : List.of(configured, PanamaUpdateKernels.withBits(half));
        arena = Arena.ofShared();
        final List<Case> cases = cases();
        final MemorySegment[] segments = randomSegments(WARM_UP_SIZE, new SplittableRandom(1));
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            for (Case c : cases) {
                for (UpdateKernels vector : vectors) {
                    c.variant().apply(vector, segments, 0, WARM_UP_SIZE, 1 + round % 3);
                }
                c.variant().apply(SCALAR, segments, 0, WARM_UP_SIZE, 1 + round % 3);
            }
            for (int scale = 0; scale < 3; scale++) {
                for (UpdateKernels vector : vectors) {
                    vector.sumOfSquares(segments[1], scale, WARM_UP_SIZE - scale,
                            1f / (1 << scale));
                }
            }
            // Values drift towards extremes over many rounds; start again from fresh ones.
            if (round % 50 == 49) {
                fillRandom(segments, WARM_UP_SIZE, new SplittableRandom(round), true);
            }
        }
    }

    @AfterAll
    static void closeArena() {
        if (arena != null) { // null where the run was skipped before the warm-up
            arena.close();
        }
    }

    @Test
    void theVectorKernelsHaveTheConfiguredWidth() {
        final UpdateKernels vector = vectors.get(0);
        final String bits = System.getProperty(Kernels.VECTOR_BITS_PROP_NAME);
        if (bits != null) {
            assertEquals(Integer.parseInt(bits), vector.vectorBitSize(), vector.name());
        }
        for (UpdateKernels k : vectors) {
            assertEquals("panama-" + k.vectorBitSize(), k.name());
        }
        if (vectors.size() > 1) {
            assertEquals(vector.vectorBitSize() / 2, vectors.get(1).vectorBitSize());
            assertTrue(vectors.get(1).getClass().isHidden(), vectors.get(1).getClass().getName());
        }
    }

    @Test
    void aCopyIsRefusedAtAWidthTheJvmCannotCompile() {
        final int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        for (int bits : new int[] {0, 64, 100, 1024, preferred * 2}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PanamaUpdateKernels.withBits(bits), "bits " + bits);
            assertTrue(e.getMessage().contains("got " + bits)
                    && e.getMessage().contains(String.valueOf(preferred)), e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}, size {1}")
    @MethodSource("casesAndSizes")
    void vectorEqualsScalarBitForBit(Case c, int size) {
        for (long offset : OFFSETS) {
            final long total = offset + size + 5;
            final SplittableRandom random = new SplittableRandom(31L * size + offset);
            final MemorySegment[] expected = randomSegments(total, random);
            final MemorySegment[] start = copies(expected);
            for (int step = 1; step <= STEPS; step++) {
                c.variant().apply(SCALAR, expected, offset, size, step);
            }
            for (UpdateKernels vector : vectors) {
                final MemorySegment[] actual = copies(start);
                for (int step = 1; step <= STEPS; step++) {
                    c.variant().apply(vector, actual, offset, size, step);
                }
                assertBitIdentical(c + " offset " + offset, vector, expected, actual, total);
            }
        }
    }

    static Stream<Arguments> reductionSizes() {
        final List<Arguments> all = new ArrayList<>();
        for (int size : SIZES) {
            if (size <= UpdateKernels.REDUCTION_BLOCK) {
                for (long offset : OFFSETS) {
                    all.add(Arguments.of(size, offset));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "size {0}, offset {1}")
    @MethodSource("reductionSizes")
    void sumOfSquaresIsTheSameDoubleAtEveryWidth(int size, long offset) {
        // Finite values: a single NaN or infinity would make almost every sum one
        // (aNonFiniteGradientMakesTheSumNonFinite tests those).
        final MemorySegment[] segments = randomSegments(offset + size + 3,
                new SplittableRandom(17L * size + offset), false);
        for (float scale : new float[] {1f, -0.5f, 1f / 65536}) {
            final double expected = SCALAR.sumOfSquares(segments[1], offset, size, scale);
            for (UpdateKernels vector : vectors) {
                final double actual = vector.sumOfSquares(segments[1], offset, size, scale);
                assertEquals(Double.doubleToLongBits(expected),
                        Double.doubleToLongBits(actual), "size " + size + " offset " + offset
                                + " scale " + scale + ": scalar " + expected + ", "
                                + vector.name() + " " + actual);
            }
            // And it is the sum it claims to be: every square is exact in double, so only the
            // additions round, each by at most half an ulp of a partial sum.
            double plain = 0;
            for (long i = offset; i < offset + size; i++) {
                final double x = scale * segments[1].getAtIndex(JAVA_FLOAT, i);
                plain += x * x;
            }
            assertEquals(plain, expected, Math.abs(plain) * size * 0x1p-52,
                    "size " + size + " offset " + offset);
        }
    }

    @Test
    void aNonFiniteGradientMakesTheSumNonFinite() {
        final MemorySegment[] segments = randomSegments(100, new SplittableRandom(5));
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (long at : new long[] {0, 37, 99}) {
                final float saved = segments[1].getAtIndex(JAVA_FLOAT, at);
                segments[1].setAtIndex(JAVA_FLOAT, at, bad);
                for (UpdateKernels k : kernelsUnderTest()) {
                    final double sum = k.sumOfSquares(segments[1], 0, 100, 0.5f);
                    assertTrue(!Double.isFinite(sum), k.name() + " with " + bad + " at " + at);
                }
                segments[1].setAtIndex(JAVA_FLOAT, at, saved);
            }
        }
        // The largest finite floats square far below double's range.
        segments[1].fill((byte) 0);
        segments[1].setAtIndex(JAVA_FLOAT, 3, Float.MAX_VALUE);
        for (UpdateKernels k : kernelsUnderTest()) {
            assertEquals((double) Float.MAX_VALUE * Float.MAX_VALUE,
                    k.sumOfSquares(segments[1], 0, 100, 1f), k.name());
        }
    }

    private static List<UpdateKernels> kernelsUnderTest() {
        final List<UpdateKernels> all = new ArrayList<>(vectors);
        all.add(0, SCALAR);
        return all;
    }

    private static MemorySegment[] randomSegments(long length, SplittableRandom random) {
        return randomSegments(length, random, true);
    }

    private static MemorySegment[] randomSegments(long length, SplittableRandom random,
                                                  boolean nonFinite) {
        final MemorySegment[] segments = new MemorySegment[SEGMENTS];
        for (int k = 0; k < SEGMENTS; k++) {
            segments[k] = arena.allocate(length * Float.BYTES, 64);
        }
        fillRandom(segments, length, random, nonFinite);
        return segments;
    }

    /**
     * Values of every kind the kernels meet: ordinary ones over many magnitudes, zeros of both
     * signs, subnormals, huge ones, and if {@code nonFinite} infinities and NaNs (a bad
     * gradient, or state it spoiled), rare enough that most elements stay finite; state tensors
     * (index 2..4) stay non-negative where the optimizer keeps them so (sums of squares), as a
     * real run would.
     */
    private static void fillRandom(MemorySegment[] segments, long length, SplittableRandom random,
                                   boolean nonFinite) {
        final float[] nonFinites = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int k = 0; k < SEGMENTS; k++) {
            for (long i = 0; i < length; i++) {
                float x = switch (random.nextInt(32)) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2, 3 -> Float.MIN_VALUE * random.nextInt(1, 1000);
                    case 4, 5 -> (float) random.nextDouble(-1e30, 1e30);
                    case 6 -> nonFinite ? nonFinites[random.nextInt(3)] : 1f;
                    default -> (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-8, 4)));
                };
                if (k >= 2) {
                    x = Math.abs(x);
                }
                segments[k].setAtIndex(JAVA_FLOAT, i, x);
            }
        }
    }

    private static MemorySegment[] copies(MemorySegment[] segments) {
        final MemorySegment[] copies = new MemorySegment[segments.length];
        for (int k = 0; k < segments.length; k++) {
            copies[k] = arena.allocate(segments[k].byteSize(), 64).copyFrom(segments[k]);
        }
        return copies;
    }

    private static void assertBitIdentical(String what, UpdateKernels vector,
                                           MemorySegment[] expected, MemorySegment[] actual,
                                           long length) {
        for (int k = 0; k < expected.length; k++) {
            for (long i = 0; i < length; i++) {
                final float e = expected[k].getAtIndex(JAVA_FLOAT, i);
                final float a = actual[k].getAtIndex(JAVA_FLOAT, i);
                if (Float.floatToIntBits(e) != Float.floatToIntBits(a)) {
                    fail(what + ": segment " + k + " element " + i + ": scalar " + e + " (0x"
                            + Integer.toHexString(Float.floatToRawIntBits(e)) + "), "
                            + vector.name() + " " + a + " (0x"
                            + Integer.toHexString(Float.floatToRawIntBits(a)) + ")");
                }
            }
        }
    }
}
