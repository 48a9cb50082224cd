package dev.descent;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Adam, with optional AMSGrad and either coupled (L2, PyTorch's {@code Adam}) or decoupled
 * (PyTorch's {@code AdamW}, built by {@link AdamW#builder()}) weight decay:
 * <pre>
 *   g = grad (negated when maximize)
 *   coupled:   if weightDecay != 0: g += weightDecay * p
 *   decoupled: p *= 1 - lr*weightDecay
 *   m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2;  amsgrad: vmax = max(vmax, v), v = vmax
 *   p -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)      ({@link EpsilonMode#PYTORCH})
 * </pre>
 * State: {@code exp_avg}, {@code exp_avg_sq}, and {@code max_exp_avg_sq} with AMSGrad.
 */
public final class Adam extends Optimizer<Adam.Config> {

    /** Default learning rate (PyTorch's). */
    public static final double LR_DEFAULT = 1e-3;
    /** Default first-moment decay (PyTorch's). */
    public static final double BETA1_DEFAULT = 0.9;
    /** Default second-moment decay (PyTorch's). */
    public static final double BETA2_DEFAULT = 0.999;
    /** Default epsilon (PyTorch's). */
    public static final double EPS_DEFAULT = 1e-8;

    /**
     * Adam hyperparameters of one group.
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @param beta1 first-moment decay, in [0, 1)
     * @param beta2 second-moment decay, in [0, 1)
     * @param eps term added to the denominator, finite and {@code > 0}
     * @param weightDecay weight decay, finite and {@code >= 0}
     * @param decoupledWeightDecay AdamW's decay of the parameter instead of Adam's L2 term
     * @param amsgrad use the running maximum of the second moment
     * @param maximize ascend instead of descend
     * @param epsilonMode where epsilon is added
     */
    public record Config(double lr, double beta1, double beta2, double eps, double weightDecay,
                         boolean decoupledWeightDecay, boolean amsgrad, boolean maximize,
                         EpsilonMode epsilonMode) implements OptimizerConfig {
    }

    private final float[] stepSize;
    private final float[] denomScale;
    private final float[] paramDecay;
    private final float[] beta1;
    private final float[] oneMinusBeta1;
    private final BiasCorrection[] beta1Correction;
    private final BiasCorrection[] beta2Correction;

    private Adam(List<ParameterGroup<Config>> groups, int threads) {
        super(groups, threads);
        stepSize = new float[groups.size()];
        denomScale = new float[groups.size()];
        paramDecay = new float[groups.size()];
        beta1 = new float[groups.size()];
        oneMinusBeta1 = new float[groups.size()];
        beta1Correction = new BiasCorrection[groups.size()];
        beta2Correction = new BiasCorrection[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            beta1Correction[g] = new BiasCorrection();
            beta2Correction[g] = new BiasCorrection();
        }
    }

    /**
     * {@return a builder with PyTorch's {@code Adam} defaults: lr 1e-3, betas (0.9, 0.999), eps
     * 1e-8} For AdamW, see {@link AdamW#builder()}.
     */
    public static Builder builder() {
        return new Builder(false, 0);
    }

    @Override
    List<String> stateNames(Config config) {
        return config.amsgrad() ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
                : List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    void beginStep(int groupIndex, ParameterGroup<Config> group, long step) {
        final Config c = group.config();
        final double lr = group.lr();
        final double beta1 = group.momentum();
        this.beta1[groupIndex] = (float) beta1;
        oneMinusBeta1[groupIndex] = (float) (1 - beta1);
        final double correction1 = beta1Correction[groupIndex].at(beta1, step);
        final double correction2 = beta2Correction[groupIndex].at(c.beta2(), step);
        if (c.epsilonMode() == EpsilonMode.PYTORCH) {
            stepSize[groupIndex] = (float) (lr / correction1);
            denomScale[groupIndex] = (float) (1 / Math.sqrt(correction2));
        } else {
            stepSize[groupIndex] = (float) (lr * Math.sqrt(correction2) / correction1);
            denomScale[groupIndex] = 1f;
        }
        paramDecay[groupIndex] = c.decoupledWeightDecay() ? (float) (1 - lr * c.weightDecay()) : 1f;
    }

    @Override
    boolean divideBound() {
        return true;
    }

    @Override
    void update(int groupIndex, MemorySegment values, MemorySegment grad, MemorySegment[] state,
                long offset, long count) {
        final Config c = groups().get(groupIndex).config();
        kernels.adam(values, grad, state[0], state[1],
                c.amsgrad() ? state[2] : null, offset, count, gradScale(c.maximize()),
                c.decoupledWeightDecay() ? 0f : (float) c.weightDecay(), paramDecay[groupIndex],
                beta1[groupIndex], oneMinusBeta1[groupIndex], (float) c.beta2(),
                (float) (1 - c.beta2()), denomScale[groupIndex], (float) c.eps(),
                stepSize[groupIndex]);
    }

    /** Sets Adam's (or AdamW's) hyperparameters; every setter checks its argument at once. */
    public static final class Builder extends Optimizer.Builder<Builder, Config, Adam> {
        private double beta1 = BETA1_DEFAULT;
        private double beta2 = BETA2_DEFAULT;
        private double eps = EPS_DEFAULT;
        private final boolean decoupledWeightDecay;
        private boolean amsgrad;
        private EpsilonMode epsilonMode = EpsilonMode.PYTORCH;

        Builder(boolean decoupledWeightDecay, double weightDecay) {
            super(LR_DEFAULT, weightDecay);
            this.decoupledWeightDecay = decoupledWeightDecay;
        }

        /**
         * Sets the moment decays; default (0.9, 0.999).
         *
         * @param beta1 the first-moment decay, in [0, 1) and below 1 as a float; a group's
         *     momentum, which a schedule may cycle
         * @param beta2 the second-moment decay, in [0, 1) and below 1 as a float
         * @return this builder
         * @throws IllegalArgumentException if a beta is outside [0, 1) or rounds to 1 as a float;
         *     neither is set then
         */
        public Builder betas(double beta1, double beta2) {
            Checks.unitHalfOpen("beta1", beta1);
            Checks.unitHalfOpen("beta2", beta2);
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * Sets the term added to the denominator; default 1e-8.
         *
         * @param eps the term, finite and {@code > 0}, also when rounded to a float
         * @return this builder
         * @throws IllegalArgumentException if {@code eps} is not finite, or not above 0, as a
         *     float
         */
        public Builder eps(double eps) {
            this.eps = Checks.positiveFinite("eps", eps);
            return this;
        }

        /**
         * Uses AMSGrad's running maximum of the second moment, a third state tensor
         * ({@code max_exp_avg_sq}); default false.
         *
         * @param amsgrad true for AMSGrad
         * @return this builder
         */
        public Builder amsgrad(boolean amsgrad) {
            this.amsgrad = amsgrad;
            return this;
        }

        /**
         * Sets where epsilon is added; default {@link EpsilonMode#PYTORCH}.
         *
         * @param epsilonMode the convention
         * @return this builder
         * @throws NullPointerException if {@code epsilonMode} is null
         */
        public Builder epsilonMode(EpsilonMode epsilonMode) {
            this.epsilonMode = Checks.notNull("epsilonMode", epsilonMode);
            return this;
        }

        @Override
        Builder copy() {
            final Builder b = new Builder(decoupledWeightDecay, weightDecay);
            b.beta1 = beta1;
            b.beta2 = beta2;
            b.eps = eps;
            b.amsgrad = amsgrad;
            b.epsilonMode = epsilonMode;
            return b.withCommonSettingsOf(this);
        }

        @Override
        Config config() {
            return new Config(lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, amsgrad,
                    maximize, epsilonMode);
        }

        @Override
        Adam create(List<ParameterGroup<Config>> groups, int threads) {
            return new Adam(groups, threads);
        }
    }
}
