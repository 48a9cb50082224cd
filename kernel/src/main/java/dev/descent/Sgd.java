package dev.descent;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * Stochastic gradient descent, optionally with momentum (with dampening) or Nesterov momentum, as
 * PyTorch's {@code torch.optim.SGD}:
 * <pre>
 *   g = grad (negated when maximize);  if weightDecay != 0: g += weightDecay * p
 *   if momentum != 0:  b = g on the buffer's first step, else b = momentum*b + (1-dampening)*g
 *                      g = nesterov ? g + momentum*b : b
 *   p -= lr * g
 * </pre>
 * State: {@code momentum_buffer} when the group is built with momentum. As in PyTorch the test
 * {@code momentum != 0} reads the group's current momentum ({@link ParameterGroup#setMomentum},
 * or a schedule that cycles it): a step at momentum 0 is plain SGD and leaves the buffer as it
 * is, and the buffer's first step is the first one at a momentum other than 0
 * ({@link #momentumBufferStarted}). After {@link #restore} the buffers of a group built with
 * momentum count as started if the restored step count is above 0; a checkpoint records it per
 * group and sets it exactly ({@link #restoreMomentumBufferStarted}).
 */
public final class Sgd extends Optimizer<Sgd.Config> {

    /** Default learning rate (PyTorch's). */
    public static final double LR_DEFAULT = 1e-3;

    /**
     * SGD hyperparameters of one group.
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @param momentum momentum factor, finite and {@code >= 0}
     * @param dampening dampening of the gradient in the momentum buffer, finite
     * @param weightDecay L2 penalty added to the gradient, finite and {@code >= 0}
     * @param nesterov Nesterov momentum (needs {@code momentum > 0} and {@code dampening == 0})
     * @param maximize ascend instead of descend
     */
    public record Config(double lr, double momentum, double dampening, double weightDecay,
                         boolean nesterov, boolean maximize) implements OptimizerConfig {
    }

    private final float[] lr;
    private final float[] bufferDecay;
    private final float[] gradCoef;
    private final float[] momentum;
    /** Whether this step of the group runs with momentum: its current momentum is not 0. */
    private final boolean[] withMomentum;
    /** Whether a step has written the group's buffers: PyTorch's buffer exists. */
    private final boolean[] bufferStarted;

    private Sgd(List<ParameterGroup<Config>> groups, int threads) {
        super(groups, threads);
        lr = new float[groups.size()];
        bufferDecay = new float[groups.size()];
        gradCoef = new float[groups.size()];
        momentum = new float[groups.size()];
        withMomentum = new boolean[groups.size()];
        bufferStarted = new boolean[groups.size()];
    }

    /** {@return a builder with PyTorch's defaults: lr 1e-3, no momentum, no weight decay} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    List<String> stateNames(Config config) {
        return config.momentum() != 0 ? List.of("momentum_buffer") : List.of();
    }

    @Override
    void beginStep(int groupIndex, ParameterGroup<Config> group, long step) {
        final Config c = group.config();
        lr[groupIndex] = (float) group.lr();
        // PyTorch starts the buffer as a copy of the first gradient: over a zeroed buffer that is
        // the general rule with no dampening and a decay of -0, not +0, which keeps a gradient's
        // sign of zero as a copy does: +0 * -0 is -0, and -0 + g is g for every g (+0 + -0 is +0).
        final boolean first = !bufferStarted[groupIndex];
        bufferDecay[groupIndex] = first ? -0f : (float) group.momentum();
        momentum[groupIndex] = (float) group.momentum();
        gradCoef[groupIndex] = first ? 1f : (float) (1 - c.dampening());
        withMomentum[groupIndex] = group.momentum() != 0;
        bufferStarted[groupIndex] |= withMomentum[groupIndex];
    }

    @Override
    void restored(long stepCount) {
        for (int g = 0; g < bufferStarted.length; g++) {
            bufferStarted[g] = stepCount > 0 && hasBuffers(g);
        }
    }

    /** Whether group {@code g} was built with momentum, and so has momentum buffers. */
    private boolean hasBuffers(int g) {
        return !stateNames(groups().get(g).config()).isEmpty();
    }

    /**
     * Whether the momentum buffers of group {@code groupIndex} hold a momentum, as PyTorch's
     * state has a {@code momentum_buffer}: false until the group's first step at a momentum other
     * than 0, whose buffers start as a copy of the gradient rather than decay.
     *
     * @param groupIndex the group's index in {@link #groups()}
     * @return whether the group's buffers have started; always false for a group built without
     *     momentum
     * @throws IndexOutOfBoundsException if there is no such group
     */
    public boolean momentumBufferStarted(int groupIndex) {
        Objects.checkIndex(groupIndex, bufferStarted.length);
        return bufferStarted[groupIndex];
    }

    /**
     * Checkpoint hook, for {@code dev.descent.io.Checkpoints}: sets what
     * {@link #momentumBufferStarted} says of group {@code groupIndex}, after {@link #restore}
     * has written the buffers.
     *
     * @param groupIndex the group's index in {@link #groups()}
     * @param started whether the group's next step decays the buffers (true) or starts them as
     *     a copy of the gradient (false)
     * @throws IndexOutOfBoundsException if there is no such group
     * @throws IllegalArgumentException if {@code started} and the group has no momentum buffers
     *     (built without momentum)
     * @throws IllegalStateException if the optimizer is closed
     */
    public void restoreMomentumBufferStarted(int groupIndex, boolean started) {
        checkOpen();
        Objects.checkIndex(groupIndex, bufferStarted.length);
        if (started && !hasBuffers(groupIndex)) {
            throw new IllegalArgumentException("group " + groupIndex + " was built without"
                    + " momentum, so it has no momentum buffer to start; started must be false");
        }
        bufferStarted[groupIndex] = started;
    }

    @Override
    boolean divideBound() {
        return false;
    }

    @Override
    void update(int groupIndex, MemorySegment values, MemorySegment grad, MemorySegment[] state,
                long offset, long count) {
        final Config c = groups().get(groupIndex).config();
        final float gradScale = gradScale(c.maximize());
        if (!withMomentum[groupIndex]) {
            kernels.sgd(values, grad, offset, count, gradScale,
                    (float) c.weightDecay(), lr[groupIndex]);
        } else {
            kernels.sgdMomentum(values, grad, state[0], offset, count,
                    gradScale, (float) c.weightDecay(), lr[groupIndex], bufferDecay[groupIndex],
                    gradCoef[groupIndex], momentum[groupIndex], c.nesterov());
        }
    }

    /** Sets SGD's hyperparameters; every setter checks its argument at once. */
    public static final class Builder extends Optimizer.Builder<Builder, Config, Sgd> {
        private double momentum;
        private double dampening;
        private boolean nesterov;

        private Builder() {
            super(LR_DEFAULT, 0);
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
         * Sets the dampening of the gradient in the momentum buffer; default 0. Not applied on
         * the buffer's first step, which copies the gradient, as in PyTorch.
         *
         * @param dampening the dampening, finite (also as a float); the buffer takes
         *     {@code (1 - dampening)} times the gradient
         * @return this builder
         * @throws IllegalArgumentException if {@code dampening} is not finite as a float
         */
        public Builder dampening(double dampening) {
            this.dampening = Checks.finite("dampening", dampening);
            return this;
        }

        /**
         * Sets Nesterov momentum; default false. Checked when a group is added or the optimizer
         * built, not here, so the setters may come in any order.
         *
         * @param nesterov true for Nesterov momentum, which needs momentum {@code > 0} and zero
         *     dampening
         * @return this builder
         */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        @Override
        Builder copy() {
            final Builder b = new Builder();
            b.momentum = momentum;
            b.dampening = dampening;
            b.nesterov = nesterov;
            return b.withCommonSettingsOf(this);
        }

        @Override
        Config config() {
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("nesterov requires momentum > 0 and dampening == 0,"
                        + " got momentum " + momentum + " and dampening " + dampening);
            }
            return new Config(lr, momentum, dampening, weightDecay, nesterov, maximize);
        }

        @Override
        Sgd create(List<ParameterGroup<Config>> groups, int threads) {
            return new Sgd(groups, threads);
        }
    }
}
