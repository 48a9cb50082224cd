package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every optimizer of the library side by side with an independent double-precision
 * implementation of PyTorch's documented {@code torch.optim} update rules (DESIGN.md, "Numerics
 * contract"), fed the same float gradients, and compares parameters and every state tensor.
 *
 * <p>The reference below is written from the formulas, in the most literal double arithmetic, and
 * deliberately shares no code or operation order with the library's float kernels: it is what the
 * float32 library approximates, so agreement is checked to a tolerance, not bit for bit.
 */
final class ReferenceOptimizerTest {

    /*
     * Tolerance. After T steps an element (of the parameter or of a state tensor) passes when
     *
     *     |library - reference| <= RTOL(T) * max(|reference|, S)
     *     RTOL(T) = (ROUNDINGS_PER_RUN + ROUNDINGS_PER_STEP * T) * u,      u = 2^-24
     *
     * i.e. atol + rtol * |reference| with atol = RTOL(T) * S chosen per element. S is the scale of
     * the terms the element was computed from: for a parameter, the largest |value| it held and
     * the largest change one step made to it; for a state element, the reference's running scale
     * (the state's own recurrence run on |g| + wd*|p| instead of g + wd*p, see Reference).
     *
     * Why: the library keeps everything in float32 and rounds each operation once, to within
     * u = 2^-24 relative; the reference computes in double, exact by comparison. A rounding error
     * is relative to the terms an operation sees, not to a result that cancelled towards zero (a
     * parameter that changes sign, a momentum buffer where g and wd*p nearly cancel), hence S
     * rather than |reference| alone.
     *  - ROUNDINGS_PER_RUN = 32: one step's chain is about six roundings (g + wd*p, g*g, times
     *    (1 - beta) itself rounded to float, the fma, sqrt, the divide, the final fma), up to 6u of
     *    the update, and a momentum buffer re-applies an update's error for about
     *    1/(1 - momentum) = 10 steps.
     *  - ROUNDINGS_PER_STEP = 2: the parameter's own rounding each step and per-step scalars
     *    rounded to float (1 - lr*wd, lr, bias corrections), which are the same wrong factor every
     *    step, so this part grows linearly in T, not as sqrt(T).
     * RTOL is thus 2.0e-6 after one step and 1.4e-5 after 100 (34u and 232u). Over every case
     * and size here with eight different seeds, on both kernels, the worst errors were 5.2u after
     * one step, 8.3u after two, 23u after 20 and 72u after 100 (AdamW, whose 1 - lr*wd rounded to
     * float is the same error every step): at least three times below the bound. A real mistake (a
     * wrong bias correction, epsilon on the wrong side of the correction, a dampened first momentum
     * step, a missing weight-decay term, a stale learning rate) is off by orders of magnitude more,
     * because the cases use learning rates large enough that the updates dominate the parameters.
     *
     * Two choices keep the comparison well-conditioned, so that it tests the library and not the
     * problem: coupled weight decays are powers of two, so that g + wd*p rounds once in float as
     * in PyTorch (with a float-rounded 0.1, an element where g + wd*p nearly cancels would measure
     * the reference's exact 0.1, not the library); and in the normalized optimizers (Adam,
     * AdaGrad, RMSProp) lr*wd stays well below the smallest denominator sqrt(v), since otherwise
     * weight decay feeds a parameter's rounding error back into its next update with a gain above
     * one, and float32 itself (PyTorch's as much as this library's) could not follow the double
     * trajectory.
     */
    static final double FLOAT_UNIT_ROUNDOFF = 0x1p-24;
    static final double ROUNDINGS_PER_RUN = 32;
    static final double ROUNDINGS_PER_STEP = 2;

    /**
     * Steps per run. From 1000 elements on, a run has one parameter instead of three (its kind
     * rotating over the cases) and the largest sizes run fewer steps, so the class stays fast:
     * until C2 has compiled a kernel, which takes seconds of a test JVM, the Vector API runs its
     * operations in plain Java at hundreds of nanoseconds per element.
     */
    static final int STEPS = 100;
    static final int STEPS_MEDIUM = 20;
    static final int STEPS_LARGE = 2;
    static final int ONE_KIND_FROM = 1000;
    static final int MEDIUM = 4099;
    static final int LARGE = 65537;

    /** Sizes around vector widths (4, 8, 16 floats), primes, and more than 4096 elements. */
    static final int[] SIZES = {0, 1, 7, 15, 16, 17, 31, 33, 100, 1000, 4099, LARGE};

    private static final long SEED = 0x5EED_0F_DE5CL;

    // ---------------------------------------------------------------------------------------------
    // Reference implementations, in double, from PyTorch's documented update rules.
    // ---------------------------------------------------------------------------------------------

    /**
     * One group's hyperparameters and update rule; state lives with the caller, per parameter.
     *
     * <p>Besides the state itself, a reference keeps for every state element its scale: the same
     * recurrence run on magnitudes, with the gradient's magnitude {@code |g| + wd*|p|} (the terms
     * of g + wd*p before they may cancel) in place of g. Float rounding errors in a state element
     * are relative to that scale, not to the possibly cancelled value: a momentum buffer built from
     * weight decay and a gradient that nearly cancel still carries wd*|p| times the parameter's
     * rounding. The tolerance uses it; the update rule itself never reads it.
     */
    abstract static class Reference {
        /** The current learning rate; a schedule (the test) may change it between steps. */
        double lr;

        Reference(double lr) {
            this.lr = lr;
        }

        /** PyTorch's names of the state tensors, in any order. */
        abstract List<String> stateNames();

        /** The value every element of state tensor {@code name} starts at. */
        double initialState(String name) {
            return 0;
        }

        /**
         * Step {@code t} (counted from 1) over every element: {@code grad} is the raw gradient the
         * trainer wrote; {@code state} and {@code scale} are indexed like {@link #stateNames()}.
         */
        abstract void step(long t, double[] p, float[] grad, double[][] state, double[][] scale);
    }

    /** torch.optim.SGD. */
    static final class SgdRef extends Reference {
        final double momentum;
        final double dampening;
        final double weightDecay;
        final boolean nesterov;
        final boolean maximize;

        SgdRef(double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
               boolean maximize) {
            super(lr);
            this.momentum = momentum;
            this.dampening = dampening;
            this.weightDecay = weightDecay;
            this.nesterov = nesterov;
            this.maximize = maximize;
        }

        @Override
        List<String> stateNames() {
            return momentum != 0 ? List.of("momentum_buffer") : List.of();
        }

        @Override
        void step(long t, double[] p, float[] grad, double[][] state, double[][] scale) {
            for (int i = 0; i < p.length; i++) {
                final double gScale = Math.abs(grad[i]) + Math.abs(weightDecay * p[i]);
                double g = maximize ? -(double) grad[i] : grad[i];
                if (weightDecay != 0) {
                    g = g + weightDecay * p[i];
                }
                if (momentum != 0) {
                    final double[] buf = state[0];
                    if (t == 1) {
                        buf[i] = g;
                        scale[0][i] = gScale;
                    } else {
                        buf[i] = momentum * buf[i] + (1 - dampening) * g;
                        scale[0][i] = momentum * scale[0][i] + Math.abs(1 - dampening) * gScale;
                    }
                    if (nesterov) {
                        g = g + momentum * buf[i];
                    } else {
                        g = buf[i];
                    }
                }
                p[i] = p[i] - lr * g;
            }
        }
    }

    /** torch.optim.Adam and torch.optim.AdamW, with either epsilon convention. */
    static final class AdamRef extends Reference {
        final double beta1;
        final double beta2;
        final double eps;
        final double weightDecay;
        final boolean decoupled;
        final boolean amsgrad;
        final boolean maximize;
        final boolean epsilonHat;

        AdamRef(double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean decoupled, boolean amsgrad, boolean maximize, boolean epsilonHat) {
            super(lr);
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.weightDecay = weightDecay;
            this.decoupled = decoupled;
            this.amsgrad = amsgrad;
            this.maximize = maximize;
            this.epsilonHat = epsilonHat;
        }

        static AdamRef adam(double lr, double weightDecay, boolean amsgrad, boolean maximize,
                            boolean epsilonHat) {
            return new AdamRef(lr, 0.9, 0.999, 1e-8, weightDecay, false, amsgrad, maximize,
                    epsilonHat);
        }

        static AdamRef adamW(double lr, double weightDecay, boolean amsgrad, boolean maximize,
                             boolean epsilonHat) {
            return new AdamRef(lr, 0.9, 0.999, 1e-8, weightDecay, true, amsgrad, maximize,
                    epsilonHat);
        }

        @Override
        List<String> stateNames() {
            return amsgrad ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
                    : List.of("exp_avg", "exp_avg_sq");
        }

        @Override
        void step(long t, double[] p, float[] grad, double[][] state, double[][] scale) {
            final double[] expAvg = state[0];
            final double[] expAvgSq = state[1];
            final double biasCorrection1 = 1 - Math.pow(beta1, t);
            final double biasCorrection2 = 1 - Math.pow(beta2, t);
            for (int i = 0; i < p.length; i++) {
                double g = maximize ? -(double) grad[i] : grad[i];
                double gScale = Math.abs(grad[i]);
                if (decoupled) {
                    p[i] = p[i] * (1 - lr * weightDecay);
                } else if (weightDecay != 0) {
                    gScale += Math.abs(weightDecay * p[i]);
                    g = g + weightDecay * p[i];
                }
                expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
                expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
                scale[0][i] = beta1 * scale[0][i] + (1 - beta1) * gScale;
                scale[1][i] = beta2 * scale[1][i] + (1 - beta2) * gScale * gScale;
                double secondMoment = expAvgSq[i];
                if (amsgrad) {
                    state[2][i] = Math.max(state[2][i], expAvgSq[i]);
                    scale[2][i] = Math.max(scale[2][i], scale[1][i]);
                    secondMoment = state[2][i];
                }
                if (epsilonHat) {
                    final double lrT = lr * Math.sqrt(biasCorrection2) / biasCorrection1;
                    p[i] = p[i] - lrT * expAvg[i] / (Math.sqrt(secondMoment) + eps);
                } else {
                    final double mHat = expAvg[i] / biasCorrection1;
                    final double vHat = secondMoment / biasCorrection2;
                    p[i] = p[i] - lr * mHat / (Math.sqrt(vHat) + eps);
                }
            }
        }
    }

    /** torch.optim.Adagrad. */
    static final class AdaGradRef extends Reference {
        final double lrDecay;
        final double weightDecay;
        final double initialAccumulatorValue;
        final double eps;
        final boolean maximize;

        AdaGradRef(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue,
                   double eps, boolean maximize) {
            super(lr);
            this.lrDecay = lrDecay;
            this.weightDecay = weightDecay;
            this.initialAccumulatorValue = initialAccumulatorValue;
            this.eps = eps;
            this.maximize = maximize;
        }

        @Override
        List<String> stateNames() {
            return List.of("sum");
        }

        @Override
        double initialState(String name) {
            return initialAccumulatorValue;
        }

        @Override
        void step(long t, double[] p, float[] grad, double[][] state, double[][] scale) {
            final double[] sum = state[0];
            final double clr = lr / (1 + (t - 1) * lrDecay);
            for (int i = 0; i < p.length; i++) {
                final double gScale = Math.abs(grad[i]) + Math.abs(weightDecay * p[i]);
                double g = maximize ? -(double) grad[i] : grad[i];
                if (weightDecay != 0) {
                    g = g + weightDecay * p[i];
                }
                sum[i] = sum[i] + g * g;
                scale[0][i] = scale[0][i] + gScale * gScale;
                p[i] = p[i] - clr * g / (Math.sqrt(sum[i]) + eps);
            }
        }
    }

    /** torch.optim.RMSprop. */
    static final class RmsPropRef extends Reference {
        final double alpha;
        final double eps;
        final double weightDecay;
        final double momentum;
        final boolean centered;
        final boolean maximize;

        RmsPropRef(double lr, double alpha, double eps, double weightDecay, double momentum,
                   boolean centered, boolean maximize) {
            super(lr);
            this.alpha = alpha;
            this.eps = eps;
            this.weightDecay = weightDecay;
            this.momentum = momentum;
            this.centered = centered;
            this.maximize = maximize;
        }

        @Override
        List<String> stateNames() {
            final List<String> names = new ArrayList<>();
            names.add("square_avg");
            if (momentum > 0) {
                names.add("momentum_buffer");
            }
            if (centered) {
                names.add("grad_avg");
            }
            return names;
        }

        @Override
        void step(long t, double[] p, float[] grad, double[][] state, double[][] scale) {
            final List<String> names = stateNames();
            final int sq = names.indexOf("square_avg");
            final int mb = names.indexOf("momentum_buffer");
            final int ga = names.indexOf("grad_avg");
            for (int i = 0; i < p.length; i++) {
                final double gScale = Math.abs(grad[i]) + Math.abs(weightDecay * p[i]);
                double g = maximize ? -(double) grad[i] : grad[i];
                if (weightDecay != 0) {
                    g = g + weightDecay * p[i];
                }
                state[sq][i] = alpha * state[sq][i] + (1 - alpha) * g * g;
                scale[sq][i] = alpha * scale[sq][i] + (1 - alpha) * gScale * gScale;
                final double denom;
                if (centered) {
                    state[ga][i] = alpha * state[ga][i] + (1 - alpha) * g;
                    scale[ga][i] = alpha * scale[ga][i] + (1 - alpha) * gScale;
                    denom = Math.sqrt(state[sq][i] - state[ga][i] * state[ga][i]) + eps;
                } else {
                    denom = Math.sqrt(state[sq][i]) + eps;
                }
                if (momentum > 0) {
                    state[mb][i] = momentum * state[mb][i] + g / denom;
                    scale[mb][i] = momentum * scale[mb][i] + gScale / denom;
                    p[i] = p[i] - lr * state[mb][i];
                } else {
                    p[i] = p[i] - lr * g / denom;
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The cases: every option of every optimizer, each with its library builder and reference.
    // ---------------------------------------------------------------------------------------------

    /** One optimizer configuration: how to build it in the library and in the reference. */
    record Case(String label, Function<List<Parameter>, Optimizer<?>> library,
                Supplier<Reference> reference) {
        @Override
        public String toString() {
            return label;
        }
    }

    private static Case sgd(String option, Function<List<Parameter>, Optimizer<?>> library,
                            Supplier<Reference> reference) {
        return new Case("SGD " + option, library, reference);
    }

    static List<Case> cases() {
        final double sgdLr = 0.05;
        final double adaLr = 0.05;
        final double rmsLr = 0.01;
        final double adamLr = 0.01;
        final List<Case> cases = new ArrayList<>();
        // SGD
        cases.add(sgd("plain", ps -> Sgd.builder().lr(sgdLr).build(ps),
                () -> new SgdRef(sgdLr, 0, 0, 0, false, false)));
        cases.add(sgd("default-lr", ps -> Sgd.builder().build(ps),
                () -> new SgdRef(1e-3, 0, 0, 0, false, false)));
        cases.add(sgd("weightDecay", ps -> Sgd.builder().lr(sgdLr).weightDecay(0.125).build(ps),
                () -> new SgdRef(sgdLr, 0, 0, 0.125, false, false)));
        cases.add(sgd("maximize", ps -> Sgd.builder().lr(sgdLr).maximize(true).build(ps),
                () -> new SgdRef(sgdLr, 0, 0, 0, false, true)));
        cases.add(sgd("maximize+weightDecay",
                ps -> Sgd.builder().lr(sgdLr).maximize(true).weightDecay(0.125).build(ps),
                () -> new SgdRef(sgdLr, 0, 0, 0.125, false, true)));
        cases.add(sgd("momentum", ps -> Sgd.builder().lr(sgdLr).momentum(0.9).build(ps),
                () -> new SgdRef(sgdLr, 0.9, 0, 0, false, false)));
        cases.add(sgd("momentum+weightDecay",
                ps -> Sgd.builder().lr(sgdLr).momentum(0.9).weightDecay(0.125).build(ps),
                () -> new SgdRef(sgdLr, 0.9, 0, 0.125, false, false)));
        cases.add(sgd("momentum+dampening",
                ps -> Sgd.builder().lr(sgdLr).momentum(0.8).dampening(0.3).build(ps),
                () -> new SgdRef(sgdLr, 0.8, 0.3, 0, false, false)));
        cases.add(sgd("momentum+dampening+weightDecay+maximize",
                ps -> Sgd.builder().lr(sgdLr).momentum(0.8).dampening(0.3).weightDecay(0.125)
                        .maximize(true).build(ps),
                () -> new SgdRef(sgdLr, 0.8, 0.3, 0.125, false, true)));
        cases.add(sgd("nesterov", ps -> Sgd.builder().lr(sgdLr).momentum(0.9).nesterov(true).build(ps),
                () -> new SgdRef(sgdLr, 0.9, 0, 0, true, false)));
        cases.add(sgd("nesterov+weightDecay",
                ps -> Sgd.builder().lr(sgdLr).momentum(0.9).nesterov(true).weightDecay(0.125).build(ps),
                () -> new SgdRef(sgdLr, 0.9, 0, 0.125, true, false)));
        cases.add(sgd("nesterov+maximize",
                ps -> Sgd.builder().lr(sgdLr).momentum(0.5).nesterov(true).maximize(true).build(ps),
                () -> new SgdRef(sgdLr, 0.5, 0, 0, true, true)));
        // AdaGrad
        cases.add(new Case("AdaGrad default", ps -> AdaGrad.builder().build(ps),
                () -> new AdaGradRef(1e-2, 0, 0, 0, 1e-10, false)));
        cases.add(new Case("AdaGrad lrDecay", ps -> AdaGrad.builder().lr(adaLr).lrDecay(0.05).build(ps),
                () -> new AdaGradRef(adaLr, 0.05, 0, 0, 1e-10, false)));
        cases.add(new Case("AdaGrad initialAccumulatorValue",
                ps -> AdaGrad.builder().lr(adaLr).initialAccumulatorValue(0.1).build(ps),
                () -> new AdaGradRef(adaLr, 0, 0, 0.1, 1e-10, false)));
        cases.add(new Case("AdaGrad eps", ps -> AdaGrad.builder().lr(adaLr).eps(1e-2).build(ps),
                () -> new AdaGradRef(adaLr, 0, 0, 0, 1e-2, false)));
        cases.add(new Case("AdaGrad weightDecay",
                ps -> AdaGrad.builder().lr(adaLr).weightDecay(0.03125).build(ps),
                () -> new AdaGradRef(adaLr, 0, 0.03125, 0, 1e-10, false)));
        cases.add(new Case("AdaGrad maximize", ps -> AdaGrad.builder().lr(adaLr).maximize(true).build(ps),
                () -> new AdaGradRef(adaLr, 0, 0, 0, 1e-10, true)));
        cases.add(new Case("AdaGrad all options",
                ps -> AdaGrad.builder().lr(adaLr).lrDecay(0.01).initialAccumulatorValue(0.5)
                        .eps(1e-3).weightDecay(0.0625).maximize(true).build(ps),
                () -> new AdaGradRef(adaLr, 0.01, 0.0625, 0.5, 1e-3, true)));
        // RMSProp
        cases.add(new Case("RMSProp default", ps -> RmsProp.builder().build(ps),
                () -> new RmsPropRef(1e-2, 0.99, 1e-8, 0, 0, false, false)));
        cases.add(new Case("RMSProp alpha", ps -> RmsProp.builder().lr(rmsLr).alpha(0.9).build(ps),
                () -> new RmsPropRef(rmsLr, 0.9, 1e-8, 0, 0, false, false)));
        cases.add(new Case("RMSProp eps", ps -> RmsProp.builder().lr(rmsLr).eps(1e-2).build(ps),
                () -> new RmsPropRef(rmsLr, 0.99, 1e-2, 0, 0, false, false)));
        cases.add(new Case("RMSProp centered", ps -> RmsProp.builder().lr(rmsLr).centered(true).build(ps),
                () -> new RmsPropRef(rmsLr, 0.99, 1e-8, 0, 0, true, false)));
        cases.add(new Case("RMSProp momentum", ps -> RmsProp.builder().lr(rmsLr).momentum(0.9).build(ps),
                () -> new RmsPropRef(rmsLr, 0.99, 1e-8, 0, 0.9, false, false)));
        cases.add(new Case("RMSProp centered+momentum",
                ps -> RmsProp.builder().lr(rmsLr).centered(true).momentum(0.9).build(ps),
                () -> new RmsPropRef(rmsLr, 0.99, 1e-8, 0, 0.9, true, false)));
        cases.add(new Case("RMSProp weightDecay",
                ps -> RmsProp.builder().lr(rmsLr).weightDecay(0x1p-10).build(ps),
                () -> new RmsPropRef(rmsLr, 0.99, 1e-8, 0x1p-10, 0, false, false)));
        cases.add(new Case("RMSProp maximize", ps -> RmsProp.builder().lr(rmsLr).maximize(true).build(ps),
                () -> new RmsPropRef(rmsLr, 0.99, 1e-8, 0, 0, false, true)));
        cases.add(new Case("RMSProp all options",
                ps -> RmsProp.builder().lr(rmsLr).alpha(0.9).eps(1e-3).weightDecay(0.0625)
                        .momentum(0.5).centered(true).maximize(true).build(ps),
                () -> new RmsPropRef(rmsLr, 0.9, 1e-3, 0.0625, 0.5, true, true)));
        // Adam
        cases.add(new Case("Adam default", ps -> Adam.builder().build(ps),
                () -> AdamRef.adam(1e-3, 0, false, false, false)));
        cases.add(new Case("Adam lr", ps -> Adam.builder().lr(adamLr).build(ps),
                () -> AdamRef.adam(adamLr, 0, false, false, false)));
        cases.add(new Case("Adam weightDecay (coupled)",
                ps -> Adam.builder().lr(adamLr).weightDecay(0.03125).build(ps),
                () -> AdamRef.adam(adamLr, 0.03125, false, false, false)));
        cases.add(new Case("Adam amsgrad", ps -> Adam.builder().lr(adamLr).amsgrad(true).build(ps),
                () -> AdamRef.adam(adamLr, 0, true, false, false)));
        cases.add(new Case("Adam maximize", ps -> Adam.builder().lr(adamLr).maximize(true).build(ps),
                () -> AdamRef.adam(adamLr, 0, false, true, false)));
        cases.add(new Case("Adam eps-hat",
                ps -> Adam.builder().lr(adamLr).epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                () -> AdamRef.adam(adamLr, 0, false, false, true)));
        cases.add(new Case("Adam amsgrad+eps-hat",
                ps -> Adam.builder().lr(adamLr).amsgrad(true).epsilonMode(EpsilonMode.EPSILON_HAT)
                        .build(ps),
                () -> AdamRef.adam(adamLr, 0, true, false, true)));
        // A large epsilon makes the two conventions differ by far more than the tolerance.
        cases.add(new Case("Adam betas+large eps",
                ps -> Adam.builder().lr(adamLr).betas(0.8, 0.99).eps(1e-2).build(ps),
                () -> new AdamRef(adamLr, 0.8, 0.99, 1e-2, 0, false, false, false, false)));
        cases.add(new Case("Adam betas+large eps+eps-hat",
                ps -> Adam.builder().lr(adamLr).betas(0.8, 0.99).eps(1e-2)
                        .epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                () -> new AdamRef(adamLr, 0.8, 0.99, 1e-2, 0, false, false, false, true)));
        cases.add(new Case("Adam all options",
                ps -> Adam.builder().lr(adamLr).betas(0.85, 0.995).eps(1e-3).weightDecay(0.0625)
                        .amsgrad(true).maximize(true).build(ps),
                () -> new AdamRef(adamLr, 0.85, 0.995, 1e-3, 0.0625, false, true, true, false)));
        // AdamW
        cases.add(new Case("AdamW default", ps -> AdamW.builder().build(ps),
                () -> AdamRef.adamW(1e-3, 1e-2, false, false, false)));
        cases.add(new Case("AdamW lr+weightDecay",
                ps -> AdamW.builder().lr(adamLr).weightDecay(0.5).build(ps),
                () -> AdamRef.adamW(adamLr, 0.5, false, false, false)));
        cases.add(new Case("AdamW amsgrad", ps -> AdamW.builder().lr(adamLr).amsgrad(true).build(ps),
                () -> AdamRef.adamW(adamLr, 1e-2, true, false, false)));
        cases.add(new Case("AdamW maximize", ps -> AdamW.builder().lr(adamLr).maximize(true).build(ps),
                () -> AdamRef.adamW(adamLr, 1e-2, false, true, false)));
        cases.add(new Case("AdamW eps-hat",
                ps -> AdamW.builder().lr(adamLr).epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                () -> AdamRef.adamW(adamLr, 1e-2, false, false, true)));
        cases.add(new Case("AdamW amsgrad+maximize+eps-hat+large eps",
                ps -> AdamW.builder().lr(adamLr).weightDecay(0.2).eps(1e-2).amsgrad(true)
                        .maximize(true).epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                () -> new AdamRef(adamLr, 0.9, 0.999, 1e-2, 0.2, true, true, true, true)));
        return cases;
    }

    static Stream<Arguments> casesBySize() {
        final List<Case> cases = cases();
        return IntStream.range(0, cases.size()).boxed().flatMap(i -> Arrays.stream(SIZES)
                .mapToObj(n -> Arguments.of(cases.get(i), n, n < ONE_KIND_FROM ? List.of(Kind.values())
                        : List.of(Kind.values()[(i + n) % Kind.values().length]))));
    }

    // ---------------------------------------------------------------------------------------------
    // Tests
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}, size {1}, {2}")
    @MethodSource("casesBySize")
    void matchesReference(Case c, int size, List<Kind> kinds) {
        final int steps = size >= LARGE ? STEPS_LARGE : size >= MEDIUM ? STEPS_MEDIUM : STEPS;
        try (Harness h = new Harness(c.label(), seedFor(c.label(), size), c.reference().get(),
                List.of(size), kinds, c.library())) {
            h.step();
            h.assertMatches("after step 1");
            for (int s = 2; s <= steps; s++) {
                h.step();
            }
            assertEquals(steps, h.optimizer.stepCount(), c.label() + ": stepCount");
            h.assertMatches("after step " + steps);
        }
    }

    /** Cases whose update depends on the learning rate in every way it can (decay, AdamW). */
    static Stream<Case> learningRateCases() {
        return Stream.of(
                sgd("nesterov+weightDecay",
                        ps -> Sgd.builder().lr(0.05).momentum(0.9).nesterov(true).weightDecay(0.125)
                                .build(ps),
                        () -> new SgdRef(0.05, 0.9, 0, 0.125, true, false)),
                sgd("momentum+dampening",
                        ps -> Sgd.builder().lr(0.05).momentum(0.8).dampening(0.3).build(ps),
                        () -> new SgdRef(0.05, 0.8, 0.3, 0, false, false)),
                new Case("AdaGrad lrDecay+weightDecay",
                        ps -> AdaGrad.builder().lr(0.05).lrDecay(0.05).weightDecay(0.03125).build(ps),
                        () -> new AdaGradRef(0.05, 0.05, 0.03125, 0, 1e-10, false)),
                new Case("RMSProp centered+momentum",
                        ps -> RmsProp.builder().lr(0.01).centered(true).momentum(0.9).build(ps),
                        () -> new RmsPropRef(0.01, 0.99, 1e-8, 0, 0.9, true, false)),
                new Case("Adam amsgrad+weightDecay",
                        ps -> Adam.builder().lr(0.01).amsgrad(true).weightDecay(0.03125).build(ps),
                        () -> AdamRef.adam(0.01, 0.03125, true, false, false)),
                new Case("Adam eps-hat",
                        ps -> Adam.builder().lr(0.01).epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                        () -> AdamRef.adam(0.01, 0, false, false, true)),
                // AdamW's decay factor 1 - lr*wd must follow the current learning rate too.
                new Case("AdamW weightDecay",
                        ps -> AdamW.builder().lr(0.01).weightDecay(0.5).build(ps),
                        () -> AdamRef.adamW(0.01, 0.5, false, false, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("learningRateCases")
    void followsLearningRateChangedMidRun(Case c) {
        final double[] schedule = {0.05, 0.2, 0.0, 0.003};
        try (Harness h = new Harness(c.label() + " with lr changes", seedFor(c.label(), -1),
                c.reference().get(), List.of(33, 1000), c.library())) {
            for (int phase = 0; phase < schedule.length; phase++) {
                for (int s = 0; s < 15; s++) {
                    h.step();
                }
                h.assertMatches("before lr change " + phase);
                h.setLr(0, schedule[phase]);
                assertEquals(schedule[phase], h.optimizer.groups().get(0).lr(), "group lr");
            }
            for (int s = 0; s < 15; s++) {
                h.step();
            }
            h.assertMatches("after last lr change");
        }
    }

    @Test
    void adamWithTwoGroupsOfDifferentHyperparameters() {
        final AdamRef first = AdamRef.adam(1e-3, 0, false, false, false);
        final AdamRef second = AdamRef.adam(1e-2, 0.1, false, false, false);
        try (Harness h = new Harness("Adam two groups", SEED, List.of(first, second),
                List.of(17, 1000, 33, 100),
                groups -> Adam.builder().lr(1e-3)
                        .group(concat(groups.get(0), groups.get(1)))
                        .group(concat(groups.get(2), groups.get(3)), g -> g.lr(1e-2).weightDecay(0.1))
                        .build(),
                new int[] {0, 0, 1, 1})) {
            final List<? extends ParameterGroup<?>> groups = h.optimizer.groups();
            assertEquals(2, groups.size());
            assertEquals(new Adam.Config(1e-3, 0.9, 0.999, 1e-8, 0, false, false, false,
                    EpsilonMode.PYTORCH), groups.get(0).config());
            assertEquals(new Adam.Config(1e-2, 0.9, 0.999, 1e-8, 0.1, false, false, false,
                    EpsilonMode.PYTORCH), groups.get(1).config());
            for (int s = 1; s <= 60; s++) {
                h.step();
                if (s == 30) {
                    h.assertMatches("after step 30");
                    h.setLr(1, 3e-3);
                }
            }
            h.assertMatches("after step 60");
        }
    }

    @Test
    void groupsWithDifferentStateLayouts() {
        // Groups of one optimizer may carry different state tensors; each must get its own.
        try (Harness sgd = new Harness("SGD groups", SEED + 1,
                List.of(new SgdRef(0.05, 0, 0, 0, false, false),
                        new SgdRef(0.02, 0.9, 0.1, 0.015625, false, false),
                        new SgdRef(0.01, 0.9, 0, 0, true, true)),
                List.of(31, 100, 17),
                groups -> Sgd.builder().lr(0.05)
                        .group(groups.get(0))
                        .group(groups.get(1), g -> g.lr(0.02).momentum(0.9).dampening(0.1)
                                .weightDecay(0.015625))
                        .group(groups.get(2), g -> g.lr(0.01).momentum(0.9).nesterov(true)
                                .maximize(true))
                        .build(),
                new int[] {0, 1, 2})) {
            for (int s = 0; s < 50; s++) {
                sgd.step();
            }
            sgd.assertMatches("after step 50");
        }
        try (Harness rms = new Harness("RMSProp groups", SEED + 2,
                List.of(new RmsPropRef(0.01, 0.99, 1e-8, 0, 0.9, true, false),
                        new RmsPropRef(0.003, 0.9, 1e-8, 0x1p-7, 0, false, false),
                        new RmsPropRef(0.01, 0.99, 1e-8, 0, 0, true, false)),
                List.of(33, 16, 1000),
                groups -> RmsProp.builder().lr(0.01).centered(true)
                        .group(groups.get(0), g -> g.momentum(0.9))
                        .group(groups.get(1), g -> g.lr(0.003).alpha(0.9).centered(false)
                                .weightDecay(0x1p-7))
                        .group(groups.get(2))
                        .build(),
                new int[] {0, 1, 2})) {
            for (int s = 0; s < 50; s++) {
                rms.step();
            }
            rms.assertMatches("after step 50");
        }
        try (Harness ada = new Harness("AdaGrad groups", SEED + 3,
                List.of(new AdaGradRef(0.05, 0, 0, 0.1, 1e-10, false),
                        new AdaGradRef(0.01, 0.1, 0, 2.0, 1e-10, false)),
                List.of(100, 7),
                groups -> AdaGrad.builder().lr(0.05).initialAccumulatorValue(0.1)
                        .group(groups.get(0))
                        .group(groups.get(1), g -> g.lr(0.01).lrDecay(0.1)
                                .initialAccumulatorValue(2.0))
                        .build(),
                new int[] {0, 1})) {
            for (int s = 0; s < 50; s++) {
                ada.step();
            }
            ada.assertMatches("after step 50");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Harness: the library optimizer and the reference, fed the same gradients.
    // ---------------------------------------------------------------------------------------------

    /** How a parameter's memory was provided. */
    enum Kind { ALLOCATE, WRAP, ARRAYS }

    /**
     * Owns the parameters (per requested size, one of each kind unless told otherwise: arena,
     * caller segments, heap arrays), the library optimizer over them, the reference copies of
     * values and state, and the random source.
     */
    static final class Harness implements AutoCloseable {
        final String label;
        final Arena arena = Arena.ofConfined();
        final SplittableRandom random;
        final List<Reference> references;
        final List<Parameter> parameters = new ArrayList<>();
        final List<Kind> kinds = new ArrayList<>();
        final List<Integer> groupOf = new ArrayList<>();
        final List<double[]> referenceValues = new ArrayList<>();
        final List<double[][]> referenceState = new ArrayList<>();
        /** Per element, the largest |value| or one-step |change| the reference has had so far. */
        final List<double[]> valuesMagnitude = new ArrayList<>();
        /** Per state element, the reference's scale (see {@link Reference}). */
        final List<double[][]> stateScale = new ArrayList<>();
        /** Per element, a fixed gradient magnitude spread over two decades. */
        final List<float[]> elementScale = new ArrayList<>();
        final List<float[]> gradients = new ArrayList<>();
        final Optimizer<?> optimizer;
        long step;

        /** One group: three parameters (one of each kind) per size, all with {@code reference}. */
        Harness(String label, long seed, Reference reference, List<Integer> sizes,
                Function<List<Parameter>, Optimizer<?>> build) {
            this(label, seed, reference, sizes, List.of(Kind.values()), build);
        }

        /** One group: a parameter of each of {@code kinds} per size, all with {@code reference}. */
        Harness(String label, long seed, Reference reference, List<Integer> sizes, List<Kind> kinds,
                Function<List<Parameter>, Optimizer<?>> build) {
            this(label, seed, List.of(reference), sizes, kinds,
                    bySize -> build.apply(flatten(bySize)), new int[sizes.size()]);
        }

        /**
         * Several groups: the three parameters made for {@code sizes[i]} belong to group
         * {@code groupOfSize[i]}, whose reference is {@code references[groupOfSize[i]]};
         * {@code build} receives the parameters as one list of three per size.
         */
        Harness(String label, long seed, List<Reference> references, List<Integer> sizes,
                Function<List<List<Parameter>>, Optimizer<?>> build, int[] groupOfSize) {
            this(label, seed, references, sizes, List.of(Kind.values()), build, groupOfSize);
        }

        private Harness(String label, long seed, List<Reference> references, List<Integer> sizes,
                        List<Kind> kinds, Function<List<List<Parameter>>, Optimizer<?>> build,
                        int[] groupOfSize) {
            this.label = label;
            this.random = new SplittableRandom(seed);
            this.references = references;
            final List<List<Parameter>> bySize = new ArrayList<>();
            for (int k = 0; k < sizes.size(); k++) {
                final List<Parameter> ofSize = new ArrayList<>();
                for (Kind kind : kinds) {
                    final Parameter p = newParameter(kind, "s" + k + "." + kind.name().toLowerCase(),
                            sizes.get(k));
                    ofSize.add(p);
                    register(p, kind, groupOfSize[k]);
                }
                bySize.add(ofSize);
            }
            this.optimizer = build.apply(bySize);
            assertEquals(parameters, optimizer.parameters(), label + ": parameters in order");
        }

        private static List<Parameter> flatten(List<List<Parameter>> lists) {
            final List<Parameter> all = new ArrayList<>();
            lists.forEach(all::addAll);
            return all;
        }

        private Parameter newParameter(Kind kind, String name, int n) {
            final float[] initial = new float[n];
            for (int i = 0; i < n; i++) {
                initial[i] = (float) (2 * random.nextDouble() - 1);
            }
            final Parameter p = switch (kind) {
                case ALLOCATE -> Parameter.allocate(arena, name, n);
                case WRAP -> {
                    // Slices 4 bytes past a cache line, so vector loads are unaligned.
                    final MemorySegment block = arena.allocate((2L * n + 3) * Float.BYTES, 64);
                    yield Parameter.wrap(name, block.asSlice(Float.BYTES, (long) n * Float.BYTES),
                            block.asSlice((n + 2L) * Float.BYTES, (long) n * Float.BYTES));
                }
                case ARRAYS -> Parameter.ofArrays(name, new float[n], new float[n]);
            };
            MemorySegment.copy(initial, 0, p.values(), JAVA_FLOAT, 0, n);
            return p;
        }

        private void register(Parameter p, Kind kind, int group) {
            final int n = Math.toIntExact(p.length());
            parameters.add(p);
            kinds.add(kind);
            groupOf.add(group);
            final float[] initial = p.values().toArray(JAVA_FLOAT);
            final double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                values[i] = initial[i];
            }
            referenceValues.add(values);
            final Reference ref = references.get(group);
            final List<String> names = ref.stateNames();
            final double[][] state = new double[names.size()][n];
            for (int k = 0; k < names.size(); k++) {
                Arrays.fill(state[k], ref.initialState(names.get(k)));
            }
            referenceState.add(state);
            final double[][] scale = new double[names.size()][];
            for (int k = 0; k < names.size(); k++) {
                scale[k] = state[k].clone();
            }
            stateScale.add(scale);
            final double[] magnitude = new double[n];
            raise(magnitude, values, values);
            valuesMagnitude.add(magnitude);
            final float[] gradientScale = new float[n];
            for (int i = 0; i < n; i++) {
                gradientScale[i] = (float) Math.pow(10, -2 * random.nextDouble());
            }
            elementScale.add(gradientScale);
            gradients.add(new float[n]);
        }

        /**
         * Writes fresh gradients, then steps the library and the reference. A gradient is a random
         * sign times a size uniform in [0.1, 1] times the element's scale times a per-step factor
         * in [0.3, 3] (so second moments also shrink and AMSGrad's maximum matters), or exactly
         * zero with probability 1%. Sizes are kept away from zero (except the exact zeros) so that
         * no element's denominator sqrt(v) gets small enough for weight decay to amplify rounding.
         */
        void step() {
            step++;
            final double stepFactor = Math.exp(Math.log(0.3) + random.nextDouble() * Math.log(10));
            for (int k = 0; k < parameters.size(); k++) {
                final float[] g = gradients.get(k);
                final float[] scale = elementScale.get(k);
                for (int i = 0; i < g.length; i++) {
                    final double u = random.nextDouble();
                    final double size = (0.1 + 0.9 * random.nextDouble()) * scale[i] * stepFactor;
                    g[i] = u < 0.01 ? 0f : (float) (u < 0.505 ? size : -size);
                }
                MemorySegment.copy(g, 0, parameters.get(k).grad(), JAVA_FLOAT, 0, g.length);
            }
            optimizer.step();
            for (int k = 0; k < parameters.size(); k++) {
                final double[] valuesBefore = referenceValues.get(k).clone();
                references.get(groupOf.get(k)).step(step, referenceValues.get(k), gradients.get(k),
                        referenceState.get(k), stateScale.get(k));
                raise(valuesMagnitude.get(k), valuesBefore, referenceValues.get(k));
            }
            // The optimizer must read gradients, never write them.
            for (int k = 0; k < parameters.size(); k++) {
                if (!Arrays.equals(gradients.get(k), parameters.get(k).grad().toArray(JAVA_FLOAT))) {
                    fail(label + ": step " + step + " changed the gradient of '"
                            + parameters.get(k).name() + "'");
                }
            }
        }

        /**
         * Raises each parameter element's magnitude to the larger of its new value and this step's
         * change: the terms one step's float operations on it round relative to.
         */
        private static void raise(double[] max, double[] before, double[] after) {
            for (int i = 0; i < max.length; i++) {
                max[i] = Math.max(max[i], Math.max(Math.abs(after[i]),
                        Math.abs(after[i] - before[i])));
            }
        }

        void setLr(int group, double lr) {
            optimizer.groups().get(group).setLr(lr);
            references.get(group).lr = lr;
        }

        /** Compares values and every state tensor of every parameter with the reference. */
        void assertMatches(String when) {
            for (int k = 0; k < parameters.size(); k++) {
                final Parameter p = parameters.get(k);
                final String where = label + ", parameter '" + p.name() + "' (" + kinds.get(k)
                        + ", size " + p.length() + "), " + when + ", kernel "
                        + optimizer.kernelName();
                assertClose(where, "values", p.values().toArray(JAVA_FLOAT), referenceValues.get(k),
                        valuesMagnitude.get(k), step);
                final Reference ref = references.get(groupOf.get(k));
                final Map<String, MemorySegment> state = optimizer.state(p);
                assertEquals(new TreeSet<>(ref.stateNames()), new TreeSet<>(state.keySet()),
                        where + ": state names");
                final List<String> names = ref.stateNames();
                for (int s = 0; s < names.size(); s++) {
                    assertClose(where, "state " + names.get(s),
                            state.get(names.get(s)).toArray(JAVA_FLOAT), referenceState.get(k)[s],
                            stateScale.get(k)[s], step);
                }
            }
        }

        @Override
        public void close() {
            try {
                optimizer.close();
            } finally {
                arena.close();
            }
        }
    }

    /** The relative tolerance after {@code steps} steps; see {@link #ROUNDINGS_PER_RUN}. */
    static double rtol(long steps) {
        return (ROUNDINGS_PER_RUN + ROUNDINGS_PER_STEP * steps) * FLOAT_UNIT_ROUNDOFF;
    }

    /**
     * Asserts {@code |actual - expected| <= rtol(steps) * max(|expected|, magnitude)} element-wise;
     * reports how many elements failed and the worst one.
     */
    static void assertClose(String where, String tensor, float[] actual, double[] expected,
                            double[] magnitude, long steps) {
        assertEquals(expected.length, actual.length, where + ": length of " + tensor);
        final double rtol = rtol(steps);
        int failures = 0;
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < actual.length; i++) {
            final double diff = Math.abs(actual[i] - expected[i]);
            final double allowed = rtol * Math.max(Math.abs(expected[i]), magnitude[i]);
            if (!(diff <= allowed)) {
                failures++;
                final double ratio = diff / allowed;
                if (!(ratio <= worstRatio)) {
                    worstRatio = ratio;
                    worst = i;
                }
            }
        }
        if (failures > 0) {
            fail(where + ": " + failures + " of " + actual.length + " elements of " + tensor
                    + " differ from the reference; worst at index " + worst + ": library "
                    + actual[worst] + ", reference " + expected[worst] + ", |diff| "
                    + Math.abs(actual[worst] - expected[worst]) + " > allowed "
                    + rtol * Math.max(Math.abs(expected[worst]), magnitude[worst]) + " (rtol "
                    + rtol + " after " + steps + " steps, times max(|reference|, largest magnitude "
                    + magnitude[worst] + "))");
        }
    }

    private static List<Parameter> concat(List<Parameter> a, List<Parameter> b) {
        final List<Parameter> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static long seedFor(String label, int size) {
        return SEED ^ (label.hashCode() * 0x9E3779B97F4A7C15L) ^ size;
    }
}
