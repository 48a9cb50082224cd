package dev.descent.schedule;

/**
 * PyTorch's {@code LinearLR}: the factor applied to {@code baseLr} moves linearly from
 * {@code startFactor} to {@code endFactor} over {@code totalIters} steps, then stays.
 * <pre>
 *   lr(step) = baseLr * (startFactor + (endFactor - startFactor) * min(totalIters, step) / totalIters)
 * </pre>
 * Used for warm-up ({@code startFactor < endFactor = 1}) before another schedule through
 * {@link SequentialLr} or {@link LinearWarmup}, or as a linear decay.
 */
public final class LinearLr implements LearningRateSchedule {

    /** PyTorch's default {@code start_factor}, 1/3. */
    public static final double START_FACTOR_DEFAULT = 1.0 / 3;
    /** PyTorch's default {@code end_factor}. */
    public static final double END_FACTOR_DEFAULT = 1.0;
    /** PyTorch's default {@code total_iters}. */
    public static final long TOTAL_ITERS_DEFAULT = 5;

    private final double baseLr;
    private final double startFactor;
    private final double endFactor;
    private final long totalIters;

    private LinearLr(Builder b) {
        this.baseLr = b.baseLr;
        this.startFactor = b.startFactor;
        this.endFactor = b.endFactor;
        this.totalIters = b.totalIters;
    }

    /**
     * A builder with PyTorch's defaults: {@code startFactor} 1/3, {@code endFactor} 1,
     * {@code totalIters} 5.
     *
     * @param baseLr the learning rate the factors apply to, finite and {@code >= 0}
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite
     */
    public static Builder builder(double baseLr) {
        return new Builder(baseLr);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return baseLr * (startFactor
                + (endFactor - startFactor) * (double) Math.min(totalIters, step) / totalIters);
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the factor at step 0} */
    public double startFactor() {
        return startFactor;
    }

    /** {@return the factor from step {@code totalIters} on} */
    public double endFactor() {
        return endFactor;
    }

    /** {@return the length of the ramp in steps} */
    public long totalIters() {
        return totalIters;
    }

    @Override
    public String toString() {
        return "LinearLr[baseLr=" + baseLr + ", startFactor=" + startFactor + ", endFactor="
                + endFactor + ", totalIters=" + totalIters + "]";
    }

    /** Builds a {@link LinearLr}; each setter checks its argument. */
    public static final class Builder {
        private final double baseLr;
        private double startFactor = START_FACTOR_DEFAULT;
        private double endFactor = END_FACTOR_DEFAULT;
        private long totalIters = TOTAL_ITERS_DEFAULT;

        private Builder(double baseLr) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
        }

        /**
         * Sets the factor at step 0; default 1/3. For a ramp from 0, see {@link LinearWarmup}.
         *
         * @param startFactor the factor, in (0, 1] as PyTorch requires
         * @return this builder
         * @throws IllegalArgumentException if {@code startFactor} is outside (0, 1]
         */
        public Builder startFactor(double startFactor) {
            if (!(startFactor > 0 && startFactor <= 1)) {
                throw new IllegalArgumentException(
                        "startFactor must be in (0, 1], got " + startFactor);
            }
            this.startFactor = startFactor;
            return this;
        }

        /**
         * Sets the factor from {@code totalIters} on; default 1.
         *
         * @param endFactor the factor, in [0, 1] as PyTorch requires
         * @return this builder
         * @throws IllegalArgumentException if {@code endFactor} is outside [0, 1]
         */
        public Builder endFactor(double endFactor) {
            this.endFactor = Args.unitClosed("endFactor", endFactor);
            return this;
        }

        /**
         * Sets the length of the ramp; default 5.
         *
         * @param totalIters the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code totalIters} is below 1
         */
        public Builder totalIters(long totalIters) {
            this.totalIters = Args.atLeast("totalIters", totalIters, 1);
            return this;
        }

        /** {@return a {@link LinearLr} with these settings} */
        public LinearLr build() {
            return new LinearLr(this);
        }
    }
}
