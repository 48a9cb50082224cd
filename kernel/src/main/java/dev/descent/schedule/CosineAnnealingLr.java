package dev.descent.schedule;

/**
 * PyTorch's {@code CosineAnnealingLR}, without restarts:
 * <pre>
 *   lr(step) = etaMin + (baseLr - etaMin) * (1 + cos(pi * step / tMax)) / 2
 * </pre>
 * This is PyTorch's documented closed form ({@code _get_closed_form_lr}). PyTorch's default
 * recursive form follows it to rounding error at every step, also past {@code tMax}: there
 * neither stops at {@code etaMin}, and the learning rate rises back to {@code baseLr} at
 * {@code 2 * tMax}, with period {@code 2 * tMax}. For restarts see
 * {@link CosineAnnealingWarmRestarts}.
 */
public final class CosineAnnealingLr implements LearningRateSchedule {

    /** PyTorch's default {@code eta_min}. */
    public static final double ETA_MIN_DEFAULT = 0.0;

    private final double baseLr;
    private final long tMax;
    private final double etaMin;

    private CosineAnnealingLr(Builder b) {
        this.baseLr = b.baseLr;
        this.tMax = b.tMax;
        this.etaMin = b.etaMin;
    }

    /**
     * A builder with PyTorch's default {@code etaMin} 0.
     *
     * @param baseLr the learning rate at step 0, finite and {@code >= 0}
     * @param tMax the steps from {@code baseLr} down to {@code etaMin}, {@code >= 1} (PyTorch's
     *     {@code T_max})
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite, or
     *     {@code tMax} is below 1
     */
    public static Builder builder(double baseLr, long tMax) {
        return new Builder(baseLr, tMax);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * step / tMax)) / 2;
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the half period in steps} */
    public long tMax() {
        return tMax;
    }

    /** {@return the learning rate at {@code tMax}} */
    public double etaMin() {
        return etaMin;
    }

    @Override
    public String toString() {
        return "CosineAnnealingLr[baseLr=" + baseLr + ", tMax=" + tMax + ", etaMin=" + etaMin + "]";
    }

    /** Builds a {@link CosineAnnealingLr}; each setter checks its argument. */
    public static final class Builder {
        private final double baseLr;
        private final long tMax;
        private double etaMin = ETA_MIN_DEFAULT;

        private Builder(double baseLr, long tMax) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
            this.tMax = Args.atLeast("tMax", tMax, 1);
        }

        /**
         * Sets the minimum learning rate, reached at {@code tMax}; default 0.
         *
         * @param etaMin the minimum learning rate, finite and {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code etaMin} is negative or not finite
         */
        public Builder etaMin(double etaMin) {
            this.etaMin = Args.finiteAtLeast("etaMin", etaMin, 0);
            return this;
        }

        /** {@return a {@link CosineAnnealingLr} with these settings} */
        public CosineAnnealingLr build() {
            return new CosineAnnealingLr(this);
        }
    }
}
