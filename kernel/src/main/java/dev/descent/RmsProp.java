package dev.descent;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * RMSProp, as PyTorch's {@code torch.optim.RMSprop}:
 * <pre>
 *   g = grad (negated when maximize);  if weightDecay != 0: g += weightDecay * p
 *   v = alpha*v + (1-alpha)*g^2
 *   centered: a = alpha*a + (1-alpha)*g;  d = sqrt(v - a^2) + eps      else d = sqrt(v) + eps
 *   momentum > 0: b = momentum*b + g/d;  p -= lr*b                      else p -= lr*g/d
 * </pre>
 * State: {@code square_avg}; {@code momentum_buffer} when the group is built with momentum;
 * {@code grad_avg} when centered. The test {@code momentum > 0} reads the group's current
 * momentum, as PyTorch's does: a step at momentum 0 leaves the buffer as it is.
 */
public final class RmsProp extends Optimizer<RmsProp.Config> {

    /** Default learning rate (PyTorch's). */
    public static final double LR_DEFAULT = 1e-2;
    /** Default smoothing constant (PyTorch's). */
    public static final double ALPHA_DEFAULT = 0.99;
    /** Default epsilon (PyTorch's). */
    public static final double EPS_DEFAULT = 1e-8;

    /**
     * RMSProp hyperparameters of one group.
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @param alpha smoothing constant, in [0, 1]
     * @param eps term added to the denominator, finite and {@code > 0}
     * @param weightDecay L2 penalty added to the gradient, finite and {@code >= 0}
     * @param momentum momentum factor, finite and {@code >= 0}
     * @param centered normalize by an estimate of the gradient's variance
     * @param maximize ascend instead of descend
     */
    public record Config(double lr, double alpha, double eps, double weightDecay, double momentum,
                         boolean centered, boolean maximize) implements OptimizerConfig {
    }

    private RmsProp(List<ParameterGroup<Config>> groups, int threads) {
        super(groups, threads);
    }

    /** {@return a builder with PyTorch's defaults: lr 1e-2, alpha 0.99, eps 1e-8, no momentum} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    List<String> stateNames(Config config) {
        final List<String> names = new ArrayList<>(List.of("square_avg"));
        if (config.momentum() > 0) {
            names.add("momentum_buffer");
        }
        if (config.centered()) {
            names.add("grad_avg");
        }
        return names;
    }

    @Override
    void beginStep(int groupIndex, ParameterGroup<Config> group, long step) {
        // RMSProp's scalars do not depend on t; update() reads the group's current lr and momentum.
    }

    @Override
    boolean divideBound() {
        return true;
    }

    @Override
    void update(int groupIndex, MemorySegment values, MemorySegment grad, MemorySegment[] state,
                long offset, long count) {
        final ParameterGroup<Config> group = groups().get(groupIndex);
        final Config c = group.config();
        final boolean hasBuffer = c.momentum() > 0;
        // As PyTorch, test the current momentum: at 0 the step leaves the buffer as it is.
        final MemorySegment momentumBuffer = hasBuffer && group.momentum() > 0 ? state[1] : null;
        final MemorySegment gradAvg = c.centered() ? state[hasBuffer ? 2 : 1] : null;
        kernels.rmsprop(values, grad, state[0], gradAvg, momentumBuffer,
                offset, count, gradScale(c.maximize()), (float) c.weightDecay(), (float) group.lr(),
                (float) c.alpha(), (float) (1 - c.alpha()), (float) c.eps(), (float) group.momentum());
    }

    /** Sets RMSProp's hyperparameters; every setter checks its argument at once. */
    public static final class Builder extends Optimizer.Builder<Builder, Config, RmsProp> {
        private double alpha = ALPHA_DEFAULT;
        private double eps = EPS_DEFAULT;
        private double momentum;
        private boolean centered;

        private Builder() {
            super(LR_DEFAULT, 0);
        }

        /**
         * Sets the smoothing constant of the running averages; default 0.99.
         *
         * @param alpha the smoothing constant, in [0, 1]
         * @return this builder
         * @throws IllegalArgumentException if {@code alpha} is outside [0, 1]
         */
        public Builder alpha(double alpha) {
            this.alpha = Checks.unitClosed("alpha", alpha);
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
         * Sets the momentum factor; default 0, which builds groups without a momentum buffer.
         * A group built with momentum can step at momentum 0 later, but one built without can
         * never step with momentum.
         *
         * @param momentum the momentum factor, finite and {@code >= 0} (also as a float)
         * @return this builder
         * @throws IllegalArgumentException if {@code momentum} is negative or not finite as a
         *     float
         */
        public Builder momentum(double momentum) {
            this.momentum = Checks.finiteAtLeast("momentum", momentum, 0);
            return this;
        }

        /**
         * Sets centered RMSProp, which divides by the root of an estimate of the gradient's
         * variance rather than of its mean square, and keeps a running average of the gradient
         * ({@code grad_avg}); default false.
         *
         * @param centered true for centered RMSProp
         * @return this builder
         */
        public Builder centered(boolean centered) {
            this.centered = centered;
            return this;
        }

        @Override
        Builder copy() {
            final Builder b = new Builder();
            b.alpha = alpha;
            b.eps = eps;
            b.momentum = momentum;
            b.centered = centered;
            return b.withCommonSettingsOf(this);
        }

        @Override
        Config config() {
            return new Config(lr, alpha, eps, weightDecay, momentum, centered, maximize);
        }

        @Override
        RmsProp create(List<ParameterGroup<Config>> groups, int threads) {
            return new RmsProp(groups, threads);
        }
    }
}
