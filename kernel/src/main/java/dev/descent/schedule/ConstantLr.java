package dev.descent.schedule;

/**
 * PyTorch's {@code ConstantLR}: the learning rate is scaled by {@code factor} until step
 * {@code totalIters}, then is {@code baseLr}.
 * <pre>
 *   lr(step) = baseLr * (factor + (step >= totalIters ? 1 - factor : 0))
 * </pre>
 * For a learning rate that never changes, see {@link FixedLr}.
 */
public final class ConstantLr implements LearningRateSchedule {

    /** PyTorch's default {@code factor}, 1/3. */
    public static final double FACTOR_DEFAULT = 1.0 / 3;
    /** PyTorch's default {@code total_iters}. */
    public static final long TOTAL_ITERS_DEFAULT = 5;

    private final double baseLr;
    private final double factor;
    private final long totalIters;

    private ConstantLr(Builder b) {
        this.baseLr = b.baseLr;
        this.factor = b.factor;
        this.totalIters = b.totalIters;
    }

    /**
     * A builder with PyTorch's defaults: {@code factor} 1/3, {@code totalIters} 5.
     *
     * @param baseLr the learning rate from step {@code totalIters} on, finite and {@code >= 0}
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite
     */
    public static Builder builder(double baseLr) {
        return new Builder(baseLr);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        // PyTorch's expression, so that the value after totalIters is its bits, not baseLr's.
        return baseLr * (factor + (step >= totalIters ? 1 - factor : 0.0));
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the factor applied before {@code totalIters}} */
    public double factor() {
        return factor;
    }

    /** {@return the step from which the factor no longer applies} */
    public long totalIters() {
        return totalIters;
    }

    @Override
    public String toString() {
        return "ConstantLr[baseLr=" + baseLr + ", factor=" + factor + ", totalIters=" + totalIters
                + "]";
    }

    /** Builds a {@link ConstantLr}; each setter checks its argument. */
    public static final class Builder {
        private final double baseLr;
        private double factor = FACTOR_DEFAULT;
        private long totalIters = TOTAL_ITERS_DEFAULT;

        private Builder(double baseLr) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
        }

        /**
         * Sets the factor before {@code totalIters}; default 1/3.
         *
         * @param factor the factor, in [0, 1] as PyTorch requires
         * @return this builder
         * @throws IllegalArgumentException if {@code factor} is outside [0, 1]
         */
        public Builder factor(double factor) {
            this.factor = Args.unitClosed("factor", factor);
            return this;
        }

        /**
         * Steps during which the factor applies, {@code >= 1}; default 5. (PyTorch accepts 0, but
         * its chainable form then keeps the factor for ever while its closed form never applies
         * it.)
         *
         * @param totalIters the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code totalIters} is below 1
         */
        public Builder totalIters(long totalIters) {
            this.totalIters = Args.atLeast("totalIters", totalIters, 1);
            return this;
        }

        /** {@return a {@link ConstantLr} with these settings} */
        public ConstantLr build() {
            return new ConstantLr(this);
        }
    }
}
