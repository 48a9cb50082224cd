package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Results that are known in closed form: gradient descent on a quadratic, where it converges and
 * where it diverges, and the first step of every optimizer, computed in double from PyTorch's
 * formulas.
 */
final class ClosedFormTest {

    /** float32's unit roundoff: the largest relative error of one correctly rounded operation. */
    static final double U = 0x1p-24;

    /**
     * A first step is one chain of at most six float roundings (g + wd*p, g*g, times 1 - beta
     * itself rounded to float, sqrt, the divide, the final fma), each within u of its own result;
     * 8u of the terms |p0| + |change| bounds it with room to spare and is still about a thousand
     * times smaller than any of the effects the tests below tell apart (eps on either side of the
     * bias correction, dampening on the first step, a missing weight-decay term).
     */
    static final double FIRST_STEP_ROUNDINGS = 8;

    // ---------------------------------------------------------------------------------------------
    // Gradient descent on f(w) = w^2 + 3w - 5: f'(w) = 2w + 3, minimum at w = -1.5.
    // The iteration w <- w - lr*(2w + 3) is w + 1.5 <- (1 - 2 lr)(w + 1.5): it contracts for
    // 0 < lr < 1, oscillates with constant amplitude at lr = 1 and diverges above.
    // ---------------------------------------------------------------------------------------------

    static final float W0 = 10f;
    static final double MINIMUM = -1.5;

    /** Runs SGD on the quadratic from {@code W0}; returns w after each step (index 0 = start). */
    private static float[] descend(double lr, int steps) {
        final float[] values = {W0};
        final float[] grads = new float[1];
        final Parameter w = Parameter.ofArrays("w", values, grads);
        final float[] trajectory = new float[steps + 1];
        trajectory[0] = values[0];
        try (Sgd sgd = Sgd.builder().lr(lr).build(List.of(w))) {
            for (int k = 1; k <= steps; k++) {
                w.setGradAt(0, 2 * w.valueAt(0) + 3);
                sgd.step();
                trajectory[k] = w.valueAt(0);
            }
            assertEquals(steps, sgd.stepCount());
        }
        return trajectory;
    }

    private static double f(double w) {
        return w * w + 3 * w - 5;
    }

    @Test
    void sgdOnQuadraticConvergesToMinimum() {
        final double lr = 0.01;
        final float[] w = descend(lr, 1000);
        // The loss never increases: each step moves w + 1.5 by the factor 0.98 towards zero.
        for (int k = 1; k < w.length; k++) {
            assertTrue(f(w[k]) <= f(w[k - 1]), "loss increased at step " + k + ": w " + w[k - 1]
                    + " -> " + w[k]);
        }
        // In exact arithmetic |w_1000 + 1.5| = 11.5 * 0.98^1000 = 2e-8. In float32 the iteration
        // stops earlier: once lr*|2w + 3| = 2 lr |w + 1.5| is below half an ulp of w (ulp(1.5f)/2),
        // w - lr*g rounds back to w. That fixed point is |w + 1.5| <= ulp(1.5f) / (4 lr) = 2.98e-6
        // at lr = 0.01, so 1e-6 is not reachable in float32 at this learning rate (it is in
        // double, and in float32 from about lr = 0.03 up; see the next test).
        final double stall = Math.ulp(1.5f) / (4 * lr);
        final double error = Math.abs(w[1000] - MINIMUM);
        assertTrue(error <= stall, "w after 1000 steps: " + w[1000] + ", |w + 1.5| = " + error
                + " > float32 fixed-point radius " + stall);
        assertEquals(w[1000], w[999], "w must have reached float32's fixed point");
        // The same iteration in double does reach the minimum within 1e-6.
        double exact = W0;
        for (int k = 0; k < 1000; k++) {
            exact -= lr * (2 * exact + 3);
        }
        assertEquals(MINIMUM, exact, 1e-6, "double iteration");
    }

    @ParameterizedTest(name = "lr {0}")
    @ValueSource(doubles = {0.1, 0.25, 0.5, 0.75})
    void sgdOnQuadraticReachesMinimumWithinOneMillionth(double lr) {
        final float[] w = descend(lr, 1000);
        assertEquals(MINIMUM, w[1000], 1e-6, "w after 1000 steps at lr " + lr);
    }

    @Test
    void sgdIteratesFollowTheClosedForm() {
        // w_k + 1.5 = (w_0 + 1.5) (1 - 2 lr)^k with lr the float the kernel uses. Each step adds
        // at most two roundings (2w + 3 and the fused update), each <= u*max|w|, and the
        // iteration contracts them by (1 - 2 lr); so the error stays below
        // 2u*max|w| / (2 lr) = 2u * 10 / 0.02.
        final double lr = 0.01;
        final double lrFloat = (float) lr;
        final float[] w = descend(lr, 300);
        final double bound = 2 * U * W0 / (2 * lr);
        for (int k = 0; k < w.length; k++) {
            final double expected = MINIMUM + (W0 - MINIMUM) * Math.pow(1 - 2 * lrFloat, k);
            assertEquals(expected, w[k], bound, "w after step " + k);
        }
    }

    @ParameterizedTest(name = "lr {0}")
    @ValueSource(doubles = {1.01, 1.5, 3.0})
    void sgdOnQuadraticDivergesAboveLearningRateOne(double lr) {
        final float[] w = descend(lr, 1000);
        // |w + 1.5| grows by |1 - 2 lr| > 1 at every step until it overflows.
        int finite = 0;
        while (finite + 1 < w.length && Float.isFinite(w[finite + 1])) {
            finite++;
        }
        for (int k = 1; k <= finite; k++) {
            assertTrue(Math.abs(w[k] - MINIMUM) > Math.abs(w[k - 1] - MINIMUM),
                    "|w + 1.5| did not grow at step " + k + ": " + w[k - 1] + " -> " + w[k]);
        }
        final float last = w[w.length - 1];
        assertTrue(!Float.isFinite(last) || Math.abs(last) > 1e3,
                "w after 1000 steps at lr " + lr + " is " + last + "; expected divergence");
        assertTrue(finite >= 10, "w overflowed already after " + finite + " steps");
        // Growth is geometric: after 10 steps |w + 1.5| = 11.5 |1 - 2 lr|^10.
        final double expected10 = (W0 - MINIMUM) * Math.pow(Math.abs(1 - 2 * lr), 10);
        assertEquals(expected10, Math.abs(w[10] - MINIMUM), 1e-5 * expected10, "|w + 1.5| at 10");
    }

    @Test
    void sgdOnQuadraticAtLearningRateOneOscillatesForever() {
        // lr = 1: w <- -w - 3, so w alternates 10, -13, 10, ... exactly (all values are floats).
        final float[] w = descend(1.0, 1000);
        for (int k = 0; k < w.length; k++) {
            assertEquals(k % 2 == 0 ? 10f : -13f, w[k], "w after step " + k);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // First steps. Gradients cover signs, a wide range of magnitudes (including some comparable to
    // eps, where the epsilon conventions differ) and exact zeros; 37 elements cover the vector body
    // and the scalar tail at every vector width.
    // ---------------------------------------------------------------------------------------------

    static final int N = 37;

    /** Parameter values and gradients for a first step, as floats. */
    record Data(float[] p, float[] g) {
        static Data random(long seed) {
            final SplittableRandom random = new SplittableRandom(seed);
            final float[] special = {1f, -0.5f, 3e-3f, -2e-7f, 1e-9f, -1e-8f, 0f, -0f, 12345f, -7.25f};
            final float[] p = new float[N];
            final float[] g = new float[N];
            for (int i = 0; i < N; i++) {
                p[i] = (float) (4 * random.nextDouble() - 2);
                g[i] = i < special.length ? special[i]
                        : (float) ((random.nextBoolean() ? 1 : -1)
                                * Math.pow(10, 6 * random.nextDouble() - 4));
            }
            return new Data(p, g);
        }

        Parameter parameter(String name) {
            return Parameter.ofArrays(name, p.clone(), g.clone());
        }
    }

    /**
     * Steps {@code optimizer} once over a parameter holding {@code data} and checks every element
     * against {@code expected(p0, g)} within the first-step tolerance.
     */
    private static Parameter assertFirstStep(String what, Data data,
                                             Function<List<Parameter>, Optimizer<?>> build,
                                             DoubleBinaryOperator expected) {
        final Parameter p = data.parameter("p");
        try (Optimizer<?> optimizer = build.apply(List.of(p))) {
            optimizer.step();
            for (int i = 0; i < N; i++) {
                final double p0 = data.p()[i];
                final double want = expected.applyAsDouble(p0, data.g()[i]);
                final double tol = FIRST_STEP_ROUNDINGS * U * (Math.abs(p0) + Math.abs(want - p0));
                final float got = p.valueAt(i);
                if (!(Math.abs(got - want) <= tol)) {
                    fail(what + ", kernel " + optimizer.kernelName() + ": element " + i + " (p0 "
                            + p0 + ", g " + data.g()[i] + ") is " + got + ", expected " + want
                            + " (|diff| " + Math.abs(got - want) + " > " + tol + ")");
                }
            }
        }
        return p;
    }

    private static void assertState(String what, MemorySegment actual, double[] expected) {
        for (int i = 0; i < expected.length; i++) {
            final float got = actual.getAtIndex(JAVA_FLOAT, i);
            final double tol = FIRST_STEP_ROUNDINGS * U * Math.abs(expected[i]);
            assertTrue(Math.abs(got - expected[i]) <= tol, what + "[" + i + "] is " + got
                    + ", expected " + expected[i]);
        }
    }

    @Test
    void sgdFirstStep() {
        final Data d = Data.random(1);
        assertFirstStep("SGD", d, ps -> Sgd.builder().lr(0.1).build(ps),
                (p, g) -> p - 0.1 * g);
        assertFirstStep("SGD maximize+weightDecay", d,
                ps -> Sgd.builder().lr(0.1).weightDecay(0.5).maximize(true).build(ps),
                (p, g) -> p - 0.1 * (-g + 0.5 * p));
    }

    @Test
    void sgdMomentumFirstStepEqualsPlainSgdAndBufferIsTheGradient() {
        final Data d = Data.random(14);
        final Parameter plain = d.parameter("plain");
        final Parameter withMomentum = d.parameter("momentum");
        try (Sgd a = Sgd.builder().lr(0.1).build(List.of(plain));
             Sgd b = Sgd.builder().lr(0.1).momentum(0.9).dampening(0.5).build(List.of(withMomentum))) {
            a.step();
            b.step();
            final MemorySegment buffer = b.state(withMomentum).get("momentum_buffer");
            for (int i = 0; i < N; i++) {
                assertEquals(plain.valueAt(i), withMomentum.valueAt(i),
                        "element " + i + ": first momentum step must equal plain SGD");
                assertEquals(d.g()[i], buffer.getAtIndex(JAVA_FLOAT, i),
                        "element " + i + ": buffer after the first step must be the gradient");
            }
        }
    }

    @Test
    void sgdMomentumFirstStepEqualsPlainSgd() {
        // PyTorch starts the buffer as a copy of the gradient: no decay, no dampening.
        final Data d = Data.random(2);
        final Parameter plain = assertFirstStep("SGD weightDecay", d,
                ps -> Sgd.builder().lr(0.1).weightDecay(0.25).build(ps),
                (p, g) -> p - 0.1 * (g + 0.25 * p));
        final Parameter withMomentum = d.parameter("m");
        try (Sgd sgd = Sgd.builder().lr(0.1).weightDecay(0.25).momentum(0.9).dampening(0.5)
                .build(List.of(withMomentum))) {
            sgd.step();
            final MemorySegment buffer = sgd.state(withMomentum).get("momentum_buffer");
            for (int i = 0; i < N; i++) {
                assertEquals(plain.valueAt(i), withMomentum.valueAt(i),
                        "element " + i + ": first momentum step must equal plain SGD");
                final double gw = d.g()[i] + 0.25 * d.p()[i];
                assertEquals(gw, buffer.getAtIndex(JAVA_FLOAT, i), U * Math.abs(gw),
                        "element " + i + ": buffer after the first step must be g + wd*p");
            }
        }
    }

    @Test
    void sgdNesterovFirstStepAndMomentumSecondStep() {
        final Data d = Data.random(3);
        final double lr = 0.1;
        final double mu = 0.9;
        assertFirstStep("SGD nesterov", d,
                ps -> Sgd.builder().lr(lr).momentum(mu).nesterov(true).build(ps),
                (p, g) -> p - lr * (1 + mu) * g);
        // Second step with dampening: b2 = mu*g1 + (1 - dampening)*g2, p2 = p1 - lr*b2.
        final Data second = Data.random(4);
        final Parameter p = d.parameter("p");
        try (Sgd sgd = Sgd.builder().lr(lr).momentum(mu).dampening(0.3).build(List.of(p))) {
            sgd.step();
            MemorySegment.copy(second.g(), 0, p.grad(), JAVA_FLOAT, 0, N);
            sgd.step();
            for (int i = 0; i < N; i++) {
                final double g1 = d.g()[i];
                final double g2 = second.g()[i];
                final double b2 = mu * g1 + 0.7 * g2;
                final double want = d.p()[i] - lr * g1 - lr * b2;
                final double bufferScale = mu * Math.abs(g1) + Math.abs(g2);
                final double tol = 2 * FIRST_STEP_ROUNDINGS * U
                        * (Math.abs(d.p()[i]) + lr * Math.abs(g1) + lr * bufferScale);
                assertEquals(want, p.valueAt(i), tol, "element " + i + " after two steps");
                assertEquals(b2, sgd.state(p).get("momentum_buffer").getAtIndex(JAVA_FLOAT, i),
                        2 * FIRST_STEP_ROUNDINGS * U * bufferScale,
                        "momentum_buffer[" + i + "] after two steps");
            }
        }
    }

    @Test
    void adamFirstStepMovesByLrTimesGOverAbsGPlusEps() {
        // m1 = (1-b1) g, v1 = (1-b2) g^2; bias-corrected they are g and g^2, so
        // p1 = p0 - lr * g / (|g| + eps): about lr*sign(g) unless |g| is comparable to eps.
        final Data d = Data.random(5);
        final double lr = 1e-3;
        final double eps = 1e-8;
        final Parameter p = assertFirstStep("Adam", d, ps -> Adam.builder().lr(lr).build(ps),
                (p0, g) -> p0 - lr * g / (Math.abs(g) + eps));
        for (int i = 0; i < N; i++) {
            final double g = d.g()[i];
            if (Math.abs(g) >= 1e-3) {
                assertEquals(d.p()[i] - lr * Math.signum(g), p.valueAt(i),
                        1e-5 * lr + 4 * U * Math.max(1, Math.abs(d.p()[i])),
                        "element " + i + " must move by lr*sign(g)");
            }
            if (g == 0) {
                assertEquals(d.p()[i], p.valueAt(i), "element " + i + " has zero gradient");
            }
        }
    }

    @Test
    void adamFirstStepState() {
        final Data d = Data.random(6);
        final Parameter p = d.parameter("p");
        try (Adam adam = Adam.builder().betas(0.8, 0.99).amsgrad(true).build(List.of(p))) {
            adam.step();
            final double[] m = new double[N];
            final double[] v = new double[N];
            for (int i = 0; i < N; i++) {
                m[i] = 0.2 * d.g()[i];
                v[i] = 0.01 * d.g()[i] * (double) d.g()[i];
            }
            final Map<String, MemorySegment> state = adam.state(p);
            assertState("exp_avg", state.get("exp_avg"), m);
            assertState("exp_avg_sq", state.get("exp_avg_sq"), v);
            assertState("max_exp_avg_sq", state.get("max_exp_avg_sq"), v);
        }
    }

    @Test
    void amsgradMaximumIsMathMaxOfEveryStepAndANanGradientStaysNan() {
        // The kernels take the maximum without Math.max's NaN and -0 rules, which AMSGrad's own
        // states never need: check it against Math.max step by step, with gradients of -0, 0,
        // growing and shrinking magnitudes, and a NaN in a few elements at step 3.
        final SplittableRandom random = new SplittableRandom(15);
        final float[] values = new float[N];
        final float[] grads = new float[N];
        final Parameter p = Parameter.ofArrays("p", values, grads);
        try (Adam adam = Adam.builder().betas(0.5, 0.5).amsgrad(true).build(List.of(p))) {
            final MemorySegment v = adam.state(p).get("exp_avg_sq");
            final MemorySegment top = adam.state(p).get("max_exp_avg_sq");
            final float[] before = new float[N];
            for (int step = 1; step <= 12; step++) {
                for (int i = 0; i < N; i++) {
                    final float g = switch (i % 4) {
                        case 0 -> -0f;
                        case 1 -> (float) random.nextDouble(-1, 1) * (step % 3 == 0 ? 1e3f : 1e-3f);
                        case 2 -> step == 3 ? Float.NaN : 0.5f;
                        default -> (float) Math.scalb(1.0, step % 5 == 0 ? 20 : -20);
                    };
                    p.setGradAt(i, g);
                    before[i] = top.getAtIndex(JAVA_FLOAT, i);
                }
                adam.step();
                for (int i = 0; i < N; i++) {
                    final float expected = Math.max(before[i], v.getAtIndex(JAVA_FLOAT, i));
                    assertEquals(Float.floatToRawIntBits(expected),
                            Float.floatToRawIntBits(top.getAtIndex(JAVA_FLOAT, i)),
                            "step " + step + ", element " + i + ": max_exp_avg_sq is "
                                    + top.getAtIndex(JAVA_FLOAT, i) + ", Math.max gives " + expected);
                    if (i % 4 == 2 && step >= 3) {
                        assertTrue(Float.isNaN(p.valueAt(i)), "a NaN gradient poisons element " + i);
                    }
                }
            }
        }
    }

    @Test
    void adamEpsilonConventionsDifferAsDocumented() {
        // eps-hat adds eps to the uncorrected root: p1 = p0 - lr * g / (|g| + eps/sqrt(1-b2)),
        // about 32 times the PyTorch epsilon at the first step. A large eps makes that visible.
        final Data d = Data.random(7);
        final double lr = 1e-2;
        final double eps = 1e-3;
        final double hatEps = eps / Math.sqrt(1 - 0.999);
        assertFirstStep("Adam eps 1e-3", d, ps -> Adam.builder().lr(lr).eps(eps).build(ps),
                (p, g) -> p - lr * g / (Math.abs(g) + eps));
        assertFirstStep("Adam eps-hat eps 1e-3", d,
                ps -> Adam.builder().lr(lr).eps(eps).epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                (p, g) -> p - lr * g / (Math.abs(g) + hatEps));
        assertFirstStep("Adam eps-hat amsgrad maximize", d,
                ps -> Adam.builder().lr(lr).eps(eps).amsgrad(true).maximize(true)
                        .epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                (p, g) -> p + lr * g / (Math.abs(g) + hatEps));
    }

    @Test
    void adamCoupledAndAdamWDecoupledWeightDecayFirstStep() {
        final Data d = Data.random(8);
        final double lr = 1e-2;
        final double eps = 1e-8;
        // Adam: g' = g + wd*p enters both moments, so the step is lr * g' / (|g'| + eps).
        assertFirstStep("Adam weightDecay", d,
                ps -> Adam.builder().lr(lr).weightDecay(0.5).build(ps),
                (p, g) -> {
                    final double gw = g + 0.5 * p;
                    return p - lr * gw / (Math.abs(gw) + eps);
                });
        // AdamW: p is first scaled by 1 - lr*wd, and the step uses g alone.
        assertFirstStep("AdamW weightDecay", d,
                ps -> AdamW.builder().lr(lr).weightDecay(0.5).build(ps),
                (p, g) -> p * (1 - lr * 0.5) - lr * g / (Math.abs(g) + eps));
        assertFirstStep("AdamW default", d, ps -> AdamW.builder().build(ps),
                (p, g) -> p * (1 - 1e-3 * 1e-2) - 1e-3 * g / (Math.abs(g) + eps));
    }

    @Test
    void adaGradFirstStep() {
        final Data d = Data.random(9);
        final double lr = 0.05;
        // Zero accumulator: s = g^2, p1 = p0 - lr * g / (|g| + eps).
        assertFirstStep("AdaGrad", d, ps -> AdaGrad.builder().lr(lr).build(ps),
                (p, g) -> p - lr * g / (Math.abs(g) + 1e-10));
        // Initial accumulator a: s = a + g^2, p1 = p0 - lr * g / (sqrt(a + g^2) + eps); lrDecay
        // does not act on the first step (clr = lr / (1 + 0 * lrDecay)).
        assertFirstStep("AdaGrad initialAccumulatorValue+lrDecay+eps", d,
                ps -> AdaGrad.builder().lr(lr).initialAccumulatorValue(0.25).lrDecay(0.5)
                        .eps(1e-3).build(ps),
                (p, g) -> p - lr * g / (Math.sqrt(0.25 + g * g) + 1e-3));
    }

    @Test
    void adaGradSecondStepUsesDecayedLearningRate() {
        final Data d = Data.random(10);
        final Data second = Data.random(11);
        final double lr = 0.05;
        final double lrDecay = 0.5;
        final Parameter p = d.parameter("p");
        try (AdaGrad adaGrad = AdaGrad.builder().lr(lr).lrDecay(lrDecay).build(List.of(p))) {
            adaGrad.step();
            MemorySegment.copy(second.g(), 0, p.grad(), JAVA_FLOAT, 0, N);
            adaGrad.step();
            for (int i = 0; i < N; i++) {
                final double g1 = d.g()[i];
                final double g2 = second.g()[i];
                final double s1 = g1 * g1;
                final double s2 = s1 + g2 * g2;
                final double p1 = d.p()[i] - lr * g1 / (Math.sqrt(s1) + 1e-10);
                final double want = p1 - lr / (1 + lrDecay) * g2 / (Math.sqrt(s2) + 1e-10);
                final double tol = 2 * FIRST_STEP_ROUNDINGS * U
                        * (Math.abs(d.p()[i]) + Math.abs(p1 - d.p()[i]) + Math.abs(want - p1));
                assertEquals(want, p.valueAt(i), tol, "element " + i + " after two steps");
                assertEquals(s2, adaGrad.state(p).get("sum").getAtIndex(JAVA_FLOAT, i),
                        2 * FIRST_STEP_ROUNDINGS * U * s2, "sum[" + i + "]");
            }
        }
    }

    @Test
    void rmsPropFirstStep() {
        final Data d = Data.random(12);
        final double lr = 0.01;
        final double alpha = 0.99;
        final double eps = 1e-8;
        // v = (1-alpha) g^2, p1 = p0 - lr * g / (sqrt(v) + eps); momentum does not change the
        // first step (b = g / d).
        final Parameter plain = assertFirstStep("RMSProp", d, ps -> RmsProp.builder().build(ps),
                (p, g) -> p - lr * g / (Math.sqrt((1 - alpha) * g * g) + eps));
        assertFirstStep("RMSProp momentum", d, ps -> RmsProp.builder().momentum(0.9).build(ps),
                (p, g) -> p - lr * g / (Math.sqrt((1 - alpha) * g * g) + eps));
        // Centered: a = (1-alpha) g, v - a^2 = alpha (1-alpha) g^2.
        assertFirstStep("RMSProp centered", d, ps -> RmsProp.builder().centered(true).build(ps),
                (p, g) -> p - lr * g / (Math.sqrt(alpha * (1 - alpha) * g * g) + eps));
        assertFirstStep("RMSProp alpha+eps+weightDecay", d,
                ps -> RmsProp.builder().alpha(0.5).eps(1e-3).weightDecay(0.25).build(ps),
                (p, g) -> {
                    final double gw = g + 0.25 * p;
                    return p - lr * gw / (Math.sqrt(0.5 * gw * gw) + 1e-3);
                });
        assertFalse(plain.valueAt(0) == d.p()[0], "the step must move the parameter");
    }

    @Test
    void rmsPropFirstStepState() {
        final Data d = Data.random(13);
        final Parameter p = d.parameter("p");
        try (RmsProp rms = RmsProp.builder().alpha(0.9).centered(true).momentum(0.5)
                .build(List.of(p))) {
            rms.step();
            final double[] v = new double[N];
            final double[] a = new double[N];
            final double[] b = new double[N];
            for (int i = 0; i < N; i++) {
                final double g = d.g()[i];
                v[i] = 0.1 * g * g;
                a[i] = 0.1 * g;
                b[i] = g / (Math.sqrt(v[i] - a[i] * a[i]) + 1e-8);
            }
            final Map<String, MemorySegment> state = rms.state(p);
            assertState("square_avg", state.get("square_avg"), v);
            assertState("grad_avg", state.get("grad_avg"), a);
            assertState("momentum_buffer", state.get("momentum_buffer"), b);
        }
    }
}
