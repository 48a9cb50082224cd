package dev.descent.schedule;

/**
 * PyTorch's {@code CosineAnnealingWarmRestarts} (SGDR): cosine annealing from {@code baseLr}
 * towards {@code etaMin} over a period {@code T_i}, then a restart at {@code baseLr} with the
 * period multiplied by {@code tMult}.
 * <pre>
 *   lr(step) = etaMin + (baseLr - etaMin) * (1 + cos(pi * T_cur / T_i)) / 2
 * </pre>
 * where the periods are {@code T_0 = t0, T_{i+1} = T_i * tMult}, restarts fall at
 * {@code t0 * (tMult^n - 1) / (tMult - 1)} ({@code n * t0} when {@code tMult = 1}), and
 * {@code T_cur} is the steps since the last restart. {@code etaMin} itself is never reached: the
 * step that would reach it is the restart.
 *
 * <p>This is PyTorch's {@code scheduler.step()} path, whose counter {@code T_cur} wraps around in
 * whole steps. The restart is found with integer arithmetic: PyTorch's {@code step(epoch)} path
 * finds the period with a floating-point logarithm, which can land on the wrong side of a restart
 * (for instance {@code log(1000, 10)} is {@code 2.9999999999999996}).
 */
public final class CosineAnnealingWarmRestarts implements LearningRateSchedule {

    /** PyTorch's default {@code T_mult}. */
    public static final long T_MULT_DEFAULT = 1;
    /** PyTorch's default {@code eta_min}. */
    public static final double ETA_MIN_DEFAULT = 0.0;

    private final double baseLr;
    private final long t0;
    private final long tMult;
    private final double etaMin;

    private CosineAnnealingWarmRestarts(Builder b) {
        this.baseLr = b.baseLr;
        this.t0 = b.t0;
        this.tMult = b.tMult;
        this.etaMin = b.etaMin;
    }

    /**
     * A builder with PyTorch's defaults: {@code tMult} 1, {@code etaMin} 0.
     *
     * @param baseLr the learning rate at step 0 and after each restart, finite and {@code >= 0}
     * @param t0 the first period in steps, {@code >= 1} (PyTorch's {@code T_0})
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite, or
     *     {@code t0} is below 1
     */
    public static Builder builder(double baseLr, long t0) {
        return new Builder(baseLr, t0);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        long tCur;
        long tI;
        if (tMult == 1) {
            tCur = step % t0;
            tI = t0;
        } else {
            // At most 63 periods fit in a long, so this loop is short; it avoids PyTorch's log().
            long start = 0;
            tI = t0;
            while (step - start >= tI) {
                start += tI;
                // Saturating: a period that no long step can end needs no exact length.
                tI = tI > Long.MAX_VALUE / tMult ? Long.MAX_VALUE : tI * tMult;
            }
            tCur = step - start;
        }
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * tCur / tI)) / 2;
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the first period, in steps} */
    public long t0() {
        return t0;
    }

    /** {@return the factor by which each period is longer than the one before} */
    public long tMult() {
        return tMult;
    }

    /** {@return the learning rate approached at the end of each period} */
    public double etaMin() {
        return etaMin;
    }

    @Override
    public String toString() {
        return "CosineAnnealingWarmRestarts[baseLr=" + baseLr + ", t0=" + t0 + ", tMult=" + tMult
                + ", etaMin=" + etaMin + "]";
    }

    /** Builds a {@link CosineAnnealingWarmRestarts}; each setter checks its argument. */
    public static final class Builder {
        private final double baseLr;
        private final long t0;
        private long tMult = T_MULT_DEFAULT;
        private double etaMin = ETA_MIN_DEFAULT;

        private Builder(double baseLr, long t0) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
            this.t0 = Args.atLeast("t0", t0, 1);
        }

        /**
         * Sets the period multiplier; default 1, periods of equal length.
         *
         * @param tMult the multiplier, an integer {@code >= 1} as in PyTorch
         * @return this builder
         * @throws IllegalArgumentException if {@code tMult} is below 1
         */
        public Builder tMult(long tMult) {
            this.tMult = Args.atLeast("tMult", tMult, 1);
            return this;
        }

        /**
         * Sets the learning rate approached at the end of each period; default 0.
         *
         * @param etaMin the learning rate, finite and {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code etaMin} is negative or not finite
         */
        public Builder etaMin(double etaMin) {
            this.etaMin = Args.finiteAtLeast("etaMin", etaMin, 0);
            return this;
        }

        /** {@return a {@link CosineAnnealingWarmRestarts} with these settings} */
        public CosineAnnealingWarmRestarts build() {
            return new CosineAnnealingWarmRestarts(this);
        }
    }
}
