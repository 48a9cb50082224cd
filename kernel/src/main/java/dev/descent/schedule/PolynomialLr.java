package dev.descent.schedule;

/**
 * PyTorch's {@code PolynomialLR}: a polynomial decay to zero over {@code totalIters} steps, then
 * zero.
 * <pre>
 *   lr(step) = baseLr * (1 - min(totalIters, step) / totalIters)^power
 * </pre>
 */
public final class PolynomialLr implements LearningRateSchedule {

    /** PyTorch's default {@code total_iters}. */
    public static final long TOTAL_ITERS_DEFAULT = 5;
    /** PyTorch's default {@code power}. */
    public static final double POWER_DEFAULT = 1.0;

    private final double baseLr;
    private final long totalIters;
    private final double power;

    private PolynomialLr(Builder b) {
        this.baseLr = b.baseLr;
        this.totalIters = b.totalIters;
        this.power = b.power;
    }

    /**
     * A builder with PyTorch's defaults: {@code totalIters} 5, {@code power} 1.
     *
     * @param baseLr the learning rate at step 0, finite and {@code >= 0}
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite
     */
    public static Builder builder(double baseLr) {
        return new Builder(baseLr);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return baseLr * Math.pow(1.0 - (double) Math.min(totalIters, step) / totalIters, power);
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the steps until the learning rate reaches zero} */
    public long totalIters() {
        return totalIters;
    }

    /** {@return the power of the polynomial} */
    public double power() {
        return power;
    }

    @Override
    public String toString() {
        return "PolynomialLr[baseLr=" + baseLr + ", totalIters=" + totalIters + ", power=" + power
                + "]";
    }

    /** Builds a {@link PolynomialLr}; each setter checks its argument. */
    public static final class Builder {
        private final double baseLr;
        private long totalIters = TOTAL_ITERS_DEFAULT;
        private double power = POWER_DEFAULT;

        private Builder(double baseLr) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
        }

        /**
         * Sets the steps until the learning rate reaches zero; default 5.
         *
         * @param totalIters the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code totalIters} is below 1
         */
        public Builder totalIters(long totalIters) {
            this.totalIters = Args.atLeast("totalIters", totalIters, 1);
            return this;
        }

        /**
         * The power, finite and {@code >= 0}; default 1. (A negative power would grow the
         * learning rate and divide by zero at {@code totalIters}.)
         *
         * @param power the power, finite and {@code >= 0}; 0 keeps {@code baseLr} at every step
         * @return this builder
         * @throws IllegalArgumentException if {@code power} is negative or not finite
         */
        public Builder power(double power) {
            this.power = Args.finiteAtLeast("power", power, 0);
            return this;
        }

        /** {@return a {@link PolynomialLr} with these settings} */
        public PolynomialLr build() {
            return new PolynomialLr(this);
        }
    }
}
