package dev.descent.schedule;

/**
 * PyTorch's {@code StepLR}: the learning rate decays by {@code gamma} every {@code stepSize}
 * steps.
 * <pre>
 *   lr(step) = baseLr * gamma^floor(step / stepSize)
 * </pre>
 */
public final class StepLr implements LearningRateSchedule {

    /** PyTorch's default {@code gamma}. */
    public static final double GAMMA_DEFAULT = 0.1;

    private final double baseLr;
    private final long stepSize;
    private final double gamma;

    private StepLr(Builder b) {
        this.baseLr = b.baseLr;
        this.stepSize = b.stepSize;
        this.gamma = b.gamma;
    }

    /**
     * A builder with PyTorch's default {@code gamma} 0.1.
     *
     * @param baseLr the learning rate at step 0, finite and {@code >= 0}
     * @param stepSize the period of the decay, {@code >= 1} (PyTorch's {@code step_size})
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite, or
     *     {@code stepSize} is below 1
     */
    public static Builder builder(double baseLr, long stepSize) {
        return new Builder(baseLr, stepSize);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return baseLr * Math.pow(gamma, step / stepSize);
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the period of the decay, in steps} */
    public long stepSize() {
        return stepSize;
    }

    /** {@return the factor per period} */
    public double gamma() {
        return gamma;
    }

    @Override
    public String toString() {
        return "StepLr[baseLr=" + baseLr + ", stepSize=" + stepSize + ", gamma=" + gamma + "]";
    }

    /** Builds a {@link StepLr}; each setter checks its argument. */
    public static final class Builder {
        private final double baseLr;
        private final long stepSize;
        private double gamma = GAMMA_DEFAULT;

        private Builder(double baseLr, long stepSize) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
            this.stepSize = Args.atLeast("stepSize", stepSize, 1);
        }

        /**
         * Sets the factor per period; default 0.1.
         *
         * @param gamma the factor, finite and {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code gamma} is not a finite number above 0
         */
        public Builder gamma(double gamma) {
            this.gamma = Args.positiveFinite("gamma", gamma);
            return this;
        }

        /** {@return a {@link StepLr} with these settings} */
        public StepLr build() {
            return new StepLr(this);
        }
    }
}
