package dev.descent.schedule;

import java.util.Arrays;

/**
 * PyTorch's {@code MultiStepLR}: the learning rate decays by {@code gamma} at each milestone.
 * <pre>
 *   lr(step) = baseLr * gamma^(number of milestones &lt;= step)
 * </pre>
 * A milestone given twice counts twice (PyTorch keeps milestones in a {@code Counter}), so
 * {@code [30, 30]} decays by {@code gamma^2} at step 30.
 */
public final class MultiStepLr implements LearningRateSchedule {

    /** PyTorch's default {@code gamma}. */
    public static final double GAMMA_DEFAULT = 0.1;

    private final double baseLr;
    private final long[] milestones;
    private final double gamma;

    private MultiStepLr(Builder b) {
        this.baseLr = b.baseLr;
        this.milestones = b.milestones;
        this.gamma = b.gamma;
    }

    /**
     * A builder with PyTorch's default {@code gamma} 0.1.
     *
     * @param baseLr the learning rate at step 0, finite and {@code >= 0}
     * @param milestones the steps at which the learning rate decays: non-empty, each
     *     {@code >= 0}, non-decreasing; a repeated milestone decays once per repetition. The
     *     array is copied.
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite, or the
     *     milestones are empty, negative or out of order
     * @throws NullPointerException if {@code milestones} is null
     */
    public static Builder builder(double baseLr, long... milestones) {
        return new Builder(baseLr, milestones);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return baseLr * Math.pow(gamma, Args.countAtMost(milestones, step));
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return a copy of the milestones} */
    public long[] milestones() {
        return milestones.clone();
    }

    /** {@return the factor per milestone} */
    public double gamma() {
        return gamma;
    }

    @Override
    public String toString() {
        return "MultiStepLr[baseLr=" + baseLr + ", milestones=" + Arrays.toString(milestones)
                + ", gamma=" + gamma + "]";
    }

    /** Builds a {@link MultiStepLr}; each setter checks its argument. */
    public static final class Builder {
        private final double baseLr;
        private final long[] milestones;
        private double gamma = GAMMA_DEFAULT;

        private Builder(double baseLr, long[] milestones) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
            this.milestones = Args.ordered("milestones", milestones, 0, false);
        }

        /**
         * Sets the factor per milestone; default 0.1.
         *
         * @param gamma the factor, finite and {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code gamma} is not a finite number above 0
         */
        public Builder gamma(double gamma) {
            this.gamma = Args.positiveFinite("gamma", gamma);
            return this;
        }

        /** {@return a {@link MultiStepLr} with these settings} */
        public MultiStepLr build() {
            return new MultiStepLr(this);
        }
    }
}
