package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Gradient clipping and loss scaling: the pre-pass before the fused update. */
class GradientPrePassTest {

    /** Sizes that cross reduction blocks (4096) and tensor boundaries at odd places. */
    private static final long[] SHAPE = {5000, 1, 4096, 33, 12_289, 0, 70_001};

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void clipByNormMatchesADoublePrecisionReference() {
        final List<Parameter> params = parameters(SHAPE, 1);
        final double[][] start = values(params);
        fillGradients(params, 2, 3.0);
        final double norm = referenceNorm(params, 1.0);
        final double maxNorm = norm / 4;
        try (Sgd sgd = Sgd.builder().lr(0.5).build(params)) {
            sgd.setGradientClipping(GradientClipping.byNorm(maxNorm));
            sgd.step();
            assertEquals(norm, sgd.lastGradNorm(), norm * 1e-12, "total norm before clipping");
            final double coefficient = maxNorm / (norm + 1e-6);
            for (int i = 0; i < params.size(); i++) {
                final Parameter p = params.get(i);
                for (long e = 0; e < p.length(); e++) {
                    final double expected = start[i][(int) e] - 0.5 * coefficient * p.gradAt(e);
                    assertEquals(expected, p.valueAt(e), 1e-6 * (1 + Math.abs(expected)),
                            p.name() + "[" + e + "]");
                }
            }
            assertEquals(maxNorm, clippedNorm(params, start, 0.5), maxNorm * 1e-5,
                    "the applied gradients have norm maxNorm");
        }
    }

    /**
     * The factor at and around the limit, against torch 1.13.1's clip_grad_norm_ followed by SGD
     * with lr 1 from zero, on the CPU (values after the step, as float bits): under the limit the
     * factor is clamped to 1 and the gradient passes unchanged; at the limit the 1e-6 makes it a
     * hair below 1; for a norm of 5e-7 the 1e-6 dominates and the gradient is scaled by 2/3 even
     * though its norm is under maxNorm 1e-6; maxNorm 0 zeroes it. PyTorch computes the factor in
     * float32 and Descent in double, so they may part by an ulp or two.
     */
    @Test
    void clipByNormMatchesPyTorchAroundTheLimit() {
        final float[][] grads = {{3f, -4f}, {3f, -4f}, {3e-7f, -4e-7f}, {3e-7f, -4e-7f}};
        final double[] maxNorms = {10, 5, 1e-6, 0};
        final int[][] pytorch = {{0xc0400000, 0x40800000}, {0xc03ffffd, 0x407ffffc},
                {0xb456bf94, 0x348f2a63}, {0x00000000, 0x00000000}};
        for (int c = 0; c < grads.length; c++) {
            final Parameter p = Parameter.allocate(arena, "p", 2);
            try (Sgd sgd = Sgd.builder().lr(1).build(List.of(p))) {
                sgd.setGradientClipping(GradientClipping.byNorm(maxNorms[c]));
                p.setGradAt(0, grads[c][0]);
                p.setGradAt(1, grads[c][1]);
                sgd.step();
                for (int e = 0; e < 2; e++) {
                    final float expected = Float.intBitsToFloat(pytorch[c][e]);
                    assertEquals(expected, p.valueAt(e), 2 * Math.ulp(expected),
                            "maxNorm " + maxNorms[c] + ", element " + e);
                }
            }
        }
    }

    @Test
    void theNormIsTheSameDoubleForEveryThreadCount() {
        // SHAPE alone (91,420 elements) is too small for more than two threads at the default
        // minElementsPerThread (32,768): the large tensor lets 3 and 4 step as 3 and 4.
        final long[] shape = java.util.Arrays.copyOf(SHAPE, SHAPE.length + 1);
        shape[SHAPE.length] = 200_003;
        final List<Parameter> params = parameters(shape, 1);
        fillGradients(params, 4, 1.0);
        long expected = 0;
        for (int threads = 1; threads <= 4; threads++) {
            try (Sgd sgd = Sgd.builder().lr(0).threads(threads).build(params)) {
                sgd.setGradientClipping(GradientClipping.byNorm(1.0));
                sgd.step();
                final long bits = Double.doubleToRawLongBits(sgd.lastGradNorm());
                if (threads == 1) {
                    expected = bits;
                } else {
                    assertEquals(expected, bits, "threads " + threads);
                }
            }
        }
    }

    @Test
    void onlyAboveThresholdLeavesGradientsJustUnderTheLimitAlone() {
        final List<Parameter> clipped = parameters(new long[] {100}, 1);
        final List<Parameter> plain = parameters(new long[] {100}, 1);
        fillGradients(clipped, 5, 1.0);
        fillGradients(plain, 5, 1.0);
        final double norm = referenceNorm(clipped, 1.0);
        try (Sgd a = Sgd.builder().lr(0.1).build(clipped); Sgd b = Sgd.builder().lr(0.1).build(plain)) {
            a.setGradientClipping(GradientClipping.byNorm(norm * (1 + 1e-9)).withOnlyAboveThreshold(true));
            a.step();
            b.step();
            assertSameBits(plain.get(0).values(), clipped.get(0).values());
        }
        // PyTorch's rule, by contrast, scales by maxNorm / (norm + 1e-6) < 1 here.
        assertTrue(GradientClipping.byNorm(norm).coefficient(norm * (1 - 1e-9)) < 1);
    }

    @Test
    void clipByValueClampsTheGradientsInPlace() {
        final List<Parameter> params = parameters(new long[] {1000}, 1);
        final double[][] start = values(params);
        fillGradients(params, 6, 2.0);
        final float[] before = new float[1000];
        for (int e = 0; e < 1000; e++) {
            before[e] = params.get(0).gradAt(e);
        }
        try (Sgd sgd = Sgd.builder().lr(0.25).build(params)) {
            sgd.setGradientClipping(GradientClipping.byValue(1.5));
            sgd.step();
        }
        for (int e = 0; e < 1000; e++) {
            final float clamped = Math.min(Math.max(before[e], -1.5f), 1.5f);
            assertEquals(clamped, params.get(0).gradAt(e), "grad " + e);
            assertEquals(Math.fma(-0.25f, clamped, (float) start[0][e]), params.get(0).valueAt(e));
        }
    }

    @Test
    void aNonFiniteGradientThrowsOrSkipsAndChangesNothing() {
        for (GradientClipping.NonFinite action : GradientClipping.NonFinite.values()) {
            final List<Parameter> params = parameters(SHAPE, 7);
            fillGradients(params, 8, 1.0);
            try (Adam adam = Adam.builder().build(params)) {
                adam.setGradientClipping(GradientClipping.byNorm(1.0).withOnNonFinite(action));
                adam.step();
                params.get(6).setGradAt(69_999, Float.POSITIVE_INFINITY);
                final Snapshot before = new Snapshot(adam, params);
                if (action == GradientClipping.NonFinite.THROW) {
                    final double norm = adam.lastGradNorm();
                    final ArithmeticException e = assertThrows(ArithmeticException.class, adam::step);
                    assertTrue(e.getMessage().contains("nothing was updated"), e.getMessage());
                    // Which gradient, where, and what it holds: among hundreds of tensors the
                    // norm alone does not say where to look.
                    assertTrue(e.getMessage().contains("parameter 'p6'")
                            && e.getMessage().contains("element 69999")
                            && e.getMessage().contains("Infinity"), e.getMessage());
                    // Not even what the last step reported.
                    assertEquals(norm, adam.lastGradNorm());
                    assertFalse(adam.lastStepSkipped());
                } else {
                    adam.step();
                    assertTrue(adam.lastStepSkipped());
                }
                before.assertUnchanged(adam, params);
                assertEquals(1, adam.stepCount());
            }
        }
    }

    @Test
    void lossScalingSkipsInfStepsAndOtherwiseEqualsTheUnscaledRun() {
        // Power-of-two scales make g*scale*(1/scale) exact, so the scaled run must equal, bit for
        // bit, an unscaled run that simply leaves out the steps with an inf gradient.
        final List<Parameter> scaled = parameters(SHAPE, 9);
        final List<Parameter> reference = parameters(SHAPE, 9);
        final LossScaler scaler = LossScaler.builder().initScale(1024).growthInterval(3).build();
        final boolean[] inject = {false, false, true, false, false, false, false, true, true, false};
        try (Adam a = Adam.builder().amsgrad(true).build(scaled);
             Adam b = Adam.builder().amsgrad(true).build(reference)) {
            a.setLossScaler(scaler);
            final List<Float> scales = new ArrayList<>();
            for (int t = 0; t < inject.length; t++) {
                final float scale = scaler.scale();
                scales.add(scale);
                fillGradients(reference, 100 + t, 1.0);
                copyGradients(reference, scaled, scale);
                if (inject[t]) {
                    scaled.get(t % 2 == 0 ? 0 : 4).setGradAt(7, t == 8 ? Float.NaN : Float.NEGATIVE_INFINITY);
                    final Snapshot before = new Snapshot(a, scaled);
                    a.step();
                    assertTrue(a.lastStepSkipped(), "step " + t);
                    before.assertUnchanged(a, scaled);
                } else {
                    a.step();
                    b.step();
                    assertFalse(a.lastStepSkipped());
                }
            }
            assertEquals(b.stepCount(), a.stepCount());
            for (int i = 0; i < scaled.size(); i++) {
                assertSameBits(reference.get(i).values(), scaled.get(i).values());
                final Map<String, MemorySegment> expected = b.state(reference.get(i));
                for (Map.Entry<String, MemorySegment> e : a.state(scaled.get(i)).entrySet()) {
                    assertSameBits(expected.get(e.getKey()), e.getValue());
                }
            }
            // 1024; two clean steps; inf halves; three clean steps double it; then
            // clean, inf, inf halve twice; then one clean step.
            assertEquals(List.of(1024f, 1024f, 1024f, 512f, 512f, 512f, 1024f, 1024f, 512f, 256f),
                    scales);
            assertEquals(256f, scaler.scale());
            assertEquals(1, scaler.growthTracker());
        }
    }

    /**
     * PyTorch's order with a scaler: unscale, then clip (clip_grad_norm_ or clip_grad_value_),
     * then step. With a power-of-two scale unscaling is exact, so a clipped run on scaled
     * gradients must equal, bit for bit, the same clipping on the unscaled ones: values, the
     * norm, and (by value) the clamped gradients left in place.
     */
    @Test
    void clippingWithALossScalerClipsTheUnscaledGradients() {
        for (GradientClipping clipping : List.of(GradientClipping.byNorm(2.0),
                GradientClipping.byValue(0.5))) {
            final List<Parameter> scaled = parameters(SHAPE, 17);
            final List<Parameter> reference = parameters(SHAPE, 17);
            try (Sgd a = Sgd.builder().lr(0.1).momentum(0.9).build(scaled);
                 Sgd b = Sgd.builder().lr(0.1).momentum(0.9).build(reference)) {
                a.setLossScaler(LossScaler.builder().initScale(1024).build());
                a.setGradientClipping(clipping);
                b.setGradientClipping(clipping);
                for (int t = 0; t < 3; t++) {
                    fillGradients(reference, 200 + t, 1.0);
                    copyGradients(reference, scaled, 1024f);
                    a.step();
                    b.step();
                    assertFalse(a.lastStepSkipped());
                    assertEquals(b.lastGradNorm(), a.lastGradNorm(), clipping + " norm");
                }
                for (int i = 0; i < scaled.size(); i++) {
                    assertSameBits(reference.get(i).values(), scaled.get(i).values());
                    if (!clipping.byNorm()) {
                        assertSameBits(reference.get(i).grad(), scaled.get(i).grad());
                    }
                }
            }
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.byNorm(-1));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.byNorm(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.byValue(Double.POSITIVE_INFINITY));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradientClipping.byValue(1).withOnlyAboveThreshold(true));
        assertTrue(e.getMessage().contains("by norm"), e.getMessage());
        assertThrows(NullPointerException.class, () -> GradientClipping.byNorm(1).withOnNonFinite(null));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().initScale(0));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().growthFactor(1));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().backoffFactor(1));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().growthInterval(0));
        // The scale is a float: factors that are in range as doubles but not once rounded would
        // zero the scale, or never grow or shrink it.
        for (double growth : new double[] {1 + 1e-9, 1e39}) {
            final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> LossScaler.builder().growthFactor(growth));
            assertTrue(bad.getMessage().contains("growthFactor must be > 1 and finite when rounded to float")
                    && bad.getMessage().contains(Double.toString(growth)), bad.getMessage());
        }
        for (double backoff : new double[] {1e-46, 0.99999999999}) {
            final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> LossScaler.builder().backoffFactor(backoff));
            assertTrue(bad.getMessage().contains("backoffFactor must be in (0, 1) when rounded to float")
                    && bad.getMessage().contains(Double.toString(backoff)), bad.getMessage());
        }
        assertEquals(Math.nextUp(1f), LossScaler.builder().growthFactor(Math.nextUp(1f)).build()
                .growthFactor());
        final LossScaler scaler = LossScaler.builder().growthInterval(10).build();
        assertThrows(IllegalArgumentException.class, () -> scaler.restore(Float.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> scaler.restore(-1f, 0));
        assertThrows(IllegalArgumentException.class, () -> scaler.restore(2f, 10));
        assertEquals(65536f, scaler.scale(), "unchanged by rejected restores");
    }

    /**
     * PyTorch's {@code _amp_update_scale_} multiplies the float scale by the factor, a Python
     * float (double), in double and rounds the product once to float. Rounding the factor to
     * float first and multiplying in float rounds twice, which for factors that are not powers
     * of two gives another scale: with a backoff of 0.9 from 65536 already after two backoffs.
     * Expected values: the double product rounded to float, as numpy's float32(float(s) * 0.9)
     * gives them.
     */
    @Test
    void theScaleIsMultipliedByTheFactorInDoubleAndRoundedOnceAsInPyTorch() {
        final List<Parameter> params = parameters(new long[] {3}, 11);
        final LossScaler backingOff = LossScaler.builder().backoffFactor(0.9).build();
        try (Sgd sgd = Sgd.builder().lr(0.1).build(params)) {
            sgd.setLossScaler(backingOff);
            final float[] expected = {58982.4f, 53084.16f, 47775.742f};
            assertEquals(0x474f5c29, Float.floatToRawIntBits(expected[1]));
            for (int t = 0; t < expected.length; t++) {
                final float before = backingOff.scale();
                params.get(0).setGradAt(1, Float.NaN);
                sgd.step();
                assertTrue(sgd.lastStepSkipped());
                assertEquals((float) (before * 0.9), backingOff.scale(), "backoff " + (t + 1));
                assertEquals(expected[t], backingOff.scale(), "backoff " + (t + 1));
            }
        }
        final LossScaler growing = LossScaler.builder().growthFactor(1.1).growthInterval(1).build();
        try (Sgd sgd = Sgd.builder().lr(0).build(params)) {
            sgd.setLossScaler(growing);
            fillGradients(params, 12, 1.0);
            for (int t = 0; t < 7; t++) {
                final float before = growing.scale();
                sgd.step();
                assertFalse(sgd.lastStepSkipped());
                assertEquals((float) (before * 1.1), growing.scale(), "growth " + (t + 1));
            }
            assertEquals(127711.1328125f, growing.scale(), "after seven growths");
        }
    }

    /**
     * As PyTorch's {@code _amp_update_scale_}: a growth that would take the scale past the float
     * range leaves it as it is, and the count of clean steps starts again. (An infinite scale
     * would make every scaled loss inf and back off to inf for good.)
     */
    @Test
    void theScaleDoesNotGrowPastTheFloatRange() {
        final List<Parameter> params = parameters(new long[] {3}, 15);
        final LossScaler scaler = LossScaler.builder().growthInterval(2).build();
        try (Sgd sgd = Sgd.builder().lr(0).build(params)) {
            sgd.setLossScaler(scaler);
            final float top = 0x1.8p127f; // finite; doubled it is not
            scaler.restore(top, 1);
            fillGradients(params, 16, 1.0);
            sgd.step();
            assertFalse(sgd.lastStepSkipped());
            assertEquals(top, scaler.scale(), "not grown to inf");
            assertEquals(0, scaler.growthTracker(), "the interval starts again");
            scaler.restore(0x1p126f, 1);
            sgd.step();
            assertEquals(0x1p127f, scaler.scale(), "grown while it stays finite");
            assertEquals(0, scaler.growthTracker());
        }
    }

    /**
     * The check is on the gradients as the update uses them, unscaled: a finite gradient that
     * unscaling by a scale below 1 takes past the float range skips the step. (PyTorch checks
     * before unscaling, and would step with the inf.)
     */
    @Test
    void aGradientThatUnscalesToInfSkipsTheStep() {
        final List<Parameter> params = parameters(new long[] {4}, 13);
        final LossScaler scaler = LossScaler.builder().build();
        try (Sgd sgd = Sgd.builder().lr(0.1).build(params)) {
            sgd.setLossScaler(scaler);
            scaler.restore(0.25f, 0);
            fillGradients(params, 14, 1.0);
            params.get(0).setGradAt(2, 1e38f); // finite; times 4 it is not
            final Snapshot before = new Snapshot(sgd, params);
            sgd.step();
            assertTrue(sgd.lastStepSkipped());
            assertEquals(Double.POSITIVE_INFINITY, sgd.lastGradNorm());
            before.assertUnchanged(sgd, params);
            assertEquals(0.125f, scaler.scale());
        }
    }

    /**
     * The norm is summed in double, so gradients whose squares overflow a float sum still have a
     * finite norm and are clipped (PyTorch's float32 norm of {1.9e19, 1} is inf: it would scale
     * them by 0, or raise with error_if_nonfinite=True).
     */
    @Test
    void gradientsWhoseSquaresOverflowAFloatAreClippedByTheirFiniteNorm() {
        final Parameter p = Parameter.allocate(arena, "huge", 2);
        p.setGradAt(0, 1.9e19f);
        p.setGradAt(1, 1f);
        try (Sgd sgd = Sgd.builder().lr(1).build(List.of(p))) {
            sgd.setGradientClipping(GradientClipping.byNorm(1)); // THROW on a non-finite norm
            sgd.step();
            final double g = 1.9e19f;
            assertEquals(Math.sqrt(g * g + 1), sgd.lastGradNorm());
            assertEquals(-1, p.valueAt(0), 1e-6, "the clipped gradient has norm 1");
            assertEquals(-1 / g, p.valueAt(1), 1e-6 / g);
        }
    }

    @Test
    void aScaleBackedOffToZeroCanBeRestoredAndSkipsEveryStep() {
        final List<Parameter> params = parameters(new long[] {5}, 3);
        final LossScaler scaler = LossScaler.builder().initScale(Float.MIN_VALUE).build();
        try (Sgd sgd = Sgd.builder().lr(0.1).build(params)) {
            sgd.setLossScaler(scaler);
            params.get(0).setGradAt(0, Float.NaN);
            sgd.step();
            assertEquals(0f, scaler.scale(), "the smallest float halved");
            scaler.restore(0f, 0); // what a checkpoint of this scaler holds
            fillGradients(params, 4, 1.0);
            final Snapshot before = new Snapshot(sgd, params);
            sgd.step(); // 1/0 unscales every gradient to inf (PyTorch checks before unscaling)
            assertTrue(sgd.lastStepSkipped());
            before.assertUnchanged(sgd, params);
        }
    }

    @Test
    void lastGradNormIsNaNAfterAStepWithoutAPrePass() {
        final List<Parameter> params = parameters(new long[] {3}, 5);
        try (Sgd sgd = Sgd.builder().build(params)) {
            for (int e = 0; e < 3; e++) {
                params.get(0).setGradAt(e, e == 0 ? 3f : e == 1 ? 4f : 0f);
            }
            sgd.setGradientClipping(GradientClipping.byNorm(100));
            sgd.step();
            assertEquals(5.0, sgd.lastGradNorm());
            sgd.setGradientClipping(null);
            sgd.step();
            assertTrue(Double.isNaN(sgd.lastGradNorm()), "no pre-pass ran: " + sgd.lastGradNorm());
        }
    }

    @Test
    void aLossScalerBelongsToOneOptimizerAtATime() {
        final LossScaler scaler = LossScaler.builder().build();
        try (Sgd first = Sgd.builder().build(parameters(new long[] {4}, 1));
             Sgd second = Sgd.builder().build(parameters(new long[] {4}, 2))) {
            first.setLossScaler(scaler);
            first.setLossScaler(scaler); // again: still the owner
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> second.setLossScaler(scaler));
            assertTrue(e.getMessage().contains("attached to another optimizer"), e.getMessage());
            assertNull(second.lossScaler(), "nothing changed");
            first.setLossScaler(null);
            second.setLossScaler(scaler); // detached: free to move
            assertSame(scaler, second.lossScaler());
            second.setLossScaler(LossScaler.builder().build()); // replaced: free again
            first.setLossScaler(scaler);
            first.close();
            second.setLossScaler(scaler); // a closed optimizer lets go
            assertSame(scaler, second.lossScaler());
        }
    }

    // ------------------------------------------------------------------------------ helpers

    /** Everything a step could change: values, state, the step count. */
    private static final class Snapshot {
        private final List<float[]> values = new ArrayList<>();
        private final List<float[]> state = new ArrayList<>();
        private final long stepCount;

        Snapshot(Optimizer<?> optimizer, List<Parameter> params) {
            for (Parameter p : params) {
                values.add(p.values().toArray(JAVA_FLOAT));
                for (MemorySegment s : optimizer.state(p).values()) {
                    state.add(s.toArray(JAVA_FLOAT));
                }
            }
            stepCount = optimizer.stepCount();
        }

        void assertUnchanged(Optimizer<?> optimizer, List<Parameter> params) {
            final Snapshot now = new Snapshot(optimizer, params);
            assertEquals(stepCount, now.stepCount);
            for (int i = 0; i < values.size(); i++) {
                if (!java.util.Arrays.equals(values.get(i), now.values.get(i))) {
                    fail("values of " + params.get(i).name() + " changed");
                }
            }
            for (int i = 0; i < state.size(); i++) {
                if (!java.util.Arrays.equals(state.get(i), now.state.get(i))) {
                    fail("state tensor " + i + " changed");
                }
            }
        }
    }

    private List<Parameter> parameters(long[] shape, long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<Parameter> params = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            final Parameter p = Parameter.allocate(arena, "p" + i, shape[i]);
            for (long e = 0; e < shape[i]; e++) {
                p.setValueAt(e, (float) random.nextGaussian());
            }
            params.add(p);
        }
        return params;
    }

    private static void fillGradients(List<Parameter> params, long seed, double sigma) {
        final SplittableRandom random = new SplittableRandom(seed);
        for (Parameter p : params) {
            for (long e = 0; e < p.length(); e++) {
                p.setGradAt(e, (float) (sigma * random.nextGaussian()));
            }
        }
    }

    private static void copyGradients(List<Parameter> from, List<Parameter> to, float scale) {
        for (int i = 0; i < from.size(); i++) {
            for (long e = 0; e < from.get(i).length(); e++) {
                to.get(i).setGradAt(e, from.get(i).gradAt(e) * scale);
            }
        }
    }

    private static double[][] values(List<Parameter> params) {
        final double[][] values = new double[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            values[i] = new double[(int) params.get(i).length()];
            for (int e = 0; e < values[i].length; e++) {
                values[i][e] = params.get(i).valueAt(e);
            }
        }
        return values;
    }

    private static double referenceNorm(List<Parameter> params, double scale) {
        double sum = 0;
        for (Parameter p : params) {
            for (long e = 0; e < p.length(); e++) {
                final double g = scale * p.gradAt(e);
                sum += g * g;
            }
        }
        return Math.sqrt(sum);
    }

    /** The norm of the gradient step actually taken, (start - values) / lr. */
    private static double clippedNorm(List<Parameter> params, double[][] start, double lr) {
        double sum = 0;
        for (int i = 0; i < params.size(); i++) {
            for (int e = 0; e < start[i].length; e++) {
                final double g = (start[i][e] - params.get(i).valueAt(e)) / lr;
                sum += g * g;
            }
        }
        return Math.sqrt(sum);
    }

    private static void assertSameBits(MemorySegment expected, MemorySegment actual) {
        final long mismatch = expected.mismatch(actual);
        if (mismatch != -1) {
            final long i = mismatch / Float.BYTES;
            fail("first difference at element " + i + ": " + expected.getAtIndex(JAVA_FLOAT, i)
                    + " vs " + actual.getAtIndex(JAVA_FLOAT, i));
        }
    }
}
