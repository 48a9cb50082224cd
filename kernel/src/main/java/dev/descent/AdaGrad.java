package dev.descent;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * AdaGrad, as PyTorch's {@code torch.optim.Adagrad}:
 * <pre>
 *   clr = lr / (1 + (t-1)*lrDecay)
 *   g = grad (negated when maximize);  if weightDecay != 0: g += weightDecay * p
 *   s += g^2      (s starts at initialAccumulatorValue)
 *   p -= clr * g / (sqrt(s) + eps)
 * </pre>
 * State: {@code sum}.
 */
public final class AdaGrad extends Optimizer<AdaGrad.Config> {

    /** Default learning rate (PyTorch's). */
    public static final double LR_DEFAULT = 1e-2;
    /** Default epsilon (PyTorch's). */
    public static final double EPS_DEFAULT = 1e-10;

    /**
     * AdaGrad hyperparameters of one group.
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @param lrDecay learning-rate decay per step, finite and {@code >= 0}
     * @param weightDecay L2 penalty added to the gradient, finite and {@code >= 0}
     * @param initialAccumulatorValue starting value of the sum of squares, finite and {@code >= 0}
     * @param eps term added to the denominator, finite and {@code > 0}
     * @param maximize ascend instead of descend
     */
    public record Config(double lr, double lrDecay, double weightDecay,
                         double initialAccumulatorValue, double eps, boolean maximize)
            implements OptimizerConfig {
    }

    private final float[] clr;

    private AdaGrad(List<ParameterGroup<Config>> groups, int threads) {
        super(groups, threads);
        clr = new float[groups.size()];
    }

    /** {@return a builder with PyTorch's defaults: lr 1e-2, no decay, accumulator 0, eps 1e-10} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    List<String> stateNames(Config config) {
        return List.of("sum");
    }

    @Override
    float initialState(Config config, String name) {
        return (float) config.initialAccumulatorValue();
    }

    @Override
    void beginStep(int groupIndex, ParameterGroup<Config> group, long step) {
        clr[groupIndex] = (float) (group.lr() / (1 + (step - 1) * group.config().lrDecay()));
    }

    @Override
    boolean divideBound() {
        return true;
    }

    @Override
    void update(int groupIndex, MemorySegment values, MemorySegment grad, MemorySegment[] state,
                long offset, long count) {
        final Config c = groups().get(groupIndex).config();
        kernels.adagrad(values, grad, state[0], offset, count,
                gradScale(c.maximize()), (float) c.weightDecay(), clr[groupIndex], (float) c.eps());
    }

    /** Sets AdaGrad's hyperparameters; every setter checks its argument at once. */
    public static final class Builder extends Optimizer.Builder<Builder, Config, AdaGrad> {
        private double lrDecay;
        private double initialAccumulatorValue;
        private double eps = EPS_DEFAULT;

        private Builder() {
            super(LR_DEFAULT, 0);
        }

        /**
         * Sets the learning-rate decay: step {@code t} uses {@code lr / (1 + (t-1)*lrDecay)}.
         * Default 0.
         *
         * @param lrDecay the decay per step, finite and {@code >= 0} (also as a float)
         * @return this builder
         * @throws IllegalArgumentException if {@code lrDecay} is negative or not finite as a
         *     float
         */
        public Builder lrDecay(double lrDecay) {
            this.lrDecay = Checks.finiteAtLeast("lrDecay", lrDecay, 0);
            return this;
        }

        /**
         * Sets the value every element of the accumulated squares ({@code sum}) starts at;
         * default 0. Set in a group's configuration it applies to that group's parameters;
         * PyTorch's {@code Adagrad} fills every parameter's {@code sum} from the constructor's
         * value and ignores a group's own, so to match it give every group the same value.
         *
         * @param initialAccumulatorValue the starting value, finite and {@code >= 0} (also as a
         *     float)
         * @return this builder
         * @throws IllegalArgumentException if {@code initialAccumulatorValue} is negative or not
         *     finite as a float
         */
        public Builder initialAccumulatorValue(double initialAccumulatorValue) {
            this.initialAccumulatorValue = Checks.finiteAtLeast("initialAccumulatorValue",
                    initialAccumulatorValue, 0);
            return this;
        }

        /**
         * Sets the term added to the denominator; default 1e-10.
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

        @Override
        Builder copy() {
            final Builder b = new Builder();
            b.lrDecay = lrDecay;
            b.initialAccumulatorValue = initialAccumulatorValue;
            b.eps = eps;
            return b.withCommonSettingsOf(this);
        }

        @Override
        Config config() {
            return new Config(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize);
        }

        @Override
        AdaGrad create(List<ParameterGroup<Config>> groups, int threads) {
            return new AdaGrad(groups, threads);
        }
    }
}
