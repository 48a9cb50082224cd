package dev.descent.schedule;

/**
 * PyTorch's {@code ReduceLROnPlateau}: the learning rate is multiplied by {@code factor} when a
 * metric has not improved for more than {@code patience} reports. Unlike the other schedules this
 * depends on the metric's history, so it keeps state: call {@link #step(double)} with each new
 * value of the metric (typically a validation loss, once per epoch) and use {@link #lr()}.
 *
 * <p>Each {@link #step(double)}, exactly as PyTorch:
 * <pre>
 *   if better(metric, best): best = metric; numBadEpochs = 0   else numBadEpochs += 1
 *   if cooldownCounter &gt; 0:  cooldownCounter -= 1; numBadEpochs = 0     (ignored in cooldown)
 *   if numBadEpochs &gt; patience:
 *       newLr = max(lr * factor, minLr);  if lr - newLr &gt; eps: lr = newLr   (else ignored)
 *       cooldownCounter = cooldown; numBadEpochs = 0
 *
 *   better(a, best):  MIN, REL: a &lt; best * (1 - threshold)     MIN, ABS: a &lt; best - threshold
 *                     MAX, REL: a &gt; best * (threshold + 1)     MAX, ABS: a &gt; best + threshold
 * </pre>
 * {@code best} starts at {@code +inf} ({@code MIN}) or {@code -inf} ({@code MAX}), so the first
 * metric always improves. A NaN metric is never better, so it counts as a bad epoch, as in PyTorch.
 *
 * <p>PyTorch applies one scheduler to every group of an optimizer, with a {@code min_lr} per group;
 * the counters do not depend on the learning rates, so one instance per group, each given the same
 * metrics, reproduces it exactly. Mutable and not thread-safe; {@link #step(double)} allocates
 * nothing. To resume a run, save its state beside the optimizer's checkpoint and
 * {@link #restore} it.
 */
public final class ReduceLrOnPlateau {

    /** PyTorch's default {@code factor}. */
    public static final double FACTOR_DEFAULT = 0.1;
    /** PyTorch's default {@code patience}. */
    public static final long PATIENCE_DEFAULT = 10;
    /** PyTorch's default {@code threshold}. */
    public static final double THRESHOLD_DEFAULT = 1e-4;
    /** PyTorch's default {@code cooldown}. */
    public static final long COOLDOWN_DEFAULT = 0;
    /** PyTorch's default {@code min_lr}. */
    public static final double MIN_LR_DEFAULT = 0.0;
    /** PyTorch's default {@code eps}. */
    public static final double EPS_DEFAULT = 1e-8;

    /** Whether the metric should go down or up ({@code mode}). */
    public enum Mode {
        /** A loss: lower is better. */
        MIN,
        /** An accuracy: higher is better. */
        MAX
    }

    /** How {@code threshold} measures a significant improvement ({@code threshold_mode}). */
    public enum ThresholdMode {
        /** Relative to the best value: {@code best * (1 -/+ threshold)}. */
        REL,
        /** Absolute: {@code best -/+ threshold}. */
        ABS
    }

    private final Mode mode;
    private final double factor;
    private final long patience;
    private final double threshold;
    private final ThresholdMode thresholdMode;
    private final long cooldown;
    private final double minLr;
    private final double eps;

    private double lr;
    private double best;
    private long numBadEpochs;
    private long cooldownCounter;
    private long lastEpoch;

    private ReduceLrOnPlateau(Builder b) {
        this.mode = b.mode;
        this.factor = b.factor;
        this.patience = b.patience;
        this.threshold = b.threshold;
        this.thresholdMode = b.thresholdMode;
        this.cooldown = b.cooldown;
        this.minLr = b.minLr;
        this.eps = b.eps;
        this.lr = b.lr;
        this.best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /**
     * A builder with PyTorch's defaults: mode min, {@code factor} 0.1, {@code patience} 10,
     * {@code threshold} 1e-4 relative, {@code cooldown} 0, {@code minLr} 0, {@code eps} 1e-8.
     *
     * @param lr the learning rate to start from (the group's), finite and {@code >= 0}
     * @return a builder
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    public static Builder builder(double lr) {
        return new Builder(lr);
    }

    /**
     * Records one value of the metric and reduces the learning rate if it has stopped improving.
     *
     * @param metrics the metric's new value (PyTorch's argument name)
     * @return the learning rate to use from now on, {@link #lr()}
     */
    public double step(double metrics) {
        lastEpoch++;
        if (isBetter(metrics, best)) {
            best = metrics;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0;
        }
        if (numBadEpochs > patience) {
            final double newLr = Math.max(lr * factor, minLr);
            if (lr - newLr > eps) {
                lr = newLr;
            }
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        return lr;
    }

    /**
     * Sets the state a run saved, PyTorch's {@code load_state_dict}: with the same settings and the
     * values of {@link #lr()}, {@link #best()}, {@link #numBadEpochs()},
     * {@link #cooldownCounter()} and {@link #lastEpoch()}, a resumed run reduces exactly where the
     * uninterrupted one would. A checkpoint of the optimizer does not hold them (this object is
     * the trainer's, not the optimizer's): save them beside it.
     *
     * @param lr the learning rate, finite and {@code >= 0}
     * @param best the best metric so far, not NaN; {@code +/-inf} before the first
     * @param numBadEpochs the bad epochs counted, in {@code [0, patience]}
     * @param cooldownCounter the reports left in the cooldown, in {@code [0, cooldown]}
     * @param lastEpoch the number of metrics reported, {@code >= 0}
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, {@code best} is
     *     NaN, {@code numBadEpochs} is outside {@code [0, patience]}, {@code cooldownCounter}
     *     outside {@code [0, cooldown]} or {@code lastEpoch} negative; nothing is changed then
     */
    public void restore(double lr, double best, long numBadEpochs, long cooldownCounter,
                        long lastEpoch) {
        Args.finiteAtLeast("lr", lr, 0);
        if (Double.isNaN(best)) {
            throw new IllegalArgumentException("best must not be NaN (a NaN metric is never the"
                    + " best), got " + best);
        }
        if (numBadEpochs < 0 || numBadEpochs > patience) {
            throw new IllegalArgumentException("numBadEpochs must be in [0, patience = " + patience
                    + "] (more would have reduced the learning rate), got " + numBadEpochs);
        }
        if (cooldownCounter < 0 || cooldownCounter > cooldown) {
            throw new IllegalArgumentException("cooldownCounter must be in [0, cooldown = "
                    + cooldown + "], got " + cooldownCounter);
        }
        Args.atLeast("lastEpoch", lastEpoch, 0);
        this.lr = lr;
        this.best = best;
        this.numBadEpochs = numBadEpochs;
        this.cooldownCounter = cooldownCounter;
        this.lastEpoch = lastEpoch;
    }

    private boolean isBetter(double a, double best) {
        if (mode == Mode.MIN) {
            return thresholdMode == ThresholdMode.REL
                    ? a < best * (1.0 - threshold) : a < best - threshold;
        }
        return thresholdMode == ThresholdMode.REL
                ? a > best * (threshold + 1.0) : a > best + threshold;
    }

    /** {@return the current learning rate} */
    public double lr() {
        return lr;
    }

    /** {@return the best metric so far ({@code +/-inf} before the first)} */
    public double best() {
        return best;
    }

    /**
     * {@return the consecutive reports without improvement, since the last improvement,
     * reduction or cooldown}
     */
    public long numBadEpochs() {
        return numBadEpochs;
    }

    /** {@return the reports left before bad epochs count again after a reduction} */
    public long cooldownCounter() {
        return cooldownCounter;
    }

    /** {@return whether bad epochs are currently ignored after a reduction} */
    public boolean inCooldown() {
        return cooldownCounter > 0;
    }

    /** {@return how many metrics have been reported (PyTorch's {@code last_epoch})} */
    public long lastEpoch() {
        return lastEpoch;
    }

    @Override
    public String toString() {
        return "ReduceLrOnPlateau[mode=" + mode + ", factor=" + factor + ", patience=" + patience
                + ", threshold=" + threshold + ", thresholdMode=" + thresholdMode + ", cooldown="
                + cooldown + ", minLr=" + minLr + ", eps=" + eps + ", lr=" + lr + ", best=" + best
                + ", numBadEpochs=" + numBadEpochs + ", cooldownCounter=" + cooldownCounter + "]";
    }

    /** Builds a {@link ReduceLrOnPlateau}; each setter checks its argument. */
    public static final class Builder {
        private final double lr;
        private Mode mode = Mode.MIN;
        private double factor = FACTOR_DEFAULT;
        private long patience = PATIENCE_DEFAULT;
        private double threshold = THRESHOLD_DEFAULT;
        private ThresholdMode thresholdMode = ThresholdMode.REL;
        private long cooldown = COOLDOWN_DEFAULT;
        private double minLr = MIN_LR_DEFAULT;
        private double eps = EPS_DEFAULT;

        private Builder(double lr) {
            this.lr = Args.finiteAtLeast("lr", lr, 0);
        }

        /**
         * Sets whether the metric should fall or rise; default {@link Mode#MIN}.
         *
         * @param mode {@link Mode#MIN} for a loss, {@link Mode#MAX} for an accuracy
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder mode(Mode mode) {
            this.mode = Args.notNull("mode", mode);
            return this;
        }

        /**
         * Sets the factor a reduction multiplies the learning rate by; default 0.1.
         *
         * @param factor the factor, in [0, 1) (PyTorch: {@code < 1})
         * @return this builder
         * @throws IllegalArgumentException if {@code factor} is outside [0, 1)
         */
        public Builder factor(double factor) {
            this.factor = Args.unitHalfOpen("factor", factor);
            return this;
        }

        /**
         * Sets how many reports without improvement are tolerated before a reduction; default
         * 10.
         *
         * @param patience the number of reports, {@code >= 0}; 0 reduces at the first report
         *     without improvement
         * @return this builder
         * @throws IllegalArgumentException if {@code patience} is negative
         */
        public Builder patience(long patience) {
            this.patience = Args.atLeast("patience", patience, 0);
            return this;
        }

        /**
         * Sets the smallest significant improvement; default 1e-4.
         *
         * @param threshold the improvement, relative or absolute by {@link #thresholdMode},
         *     finite and {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code threshold} is negative or not finite
         */
        public Builder threshold(double threshold) {
            this.threshold = Args.finiteAtLeast("threshold", threshold, 0);
            return this;
        }

        /**
         * Sets whether {@code threshold} is relative or absolute; default
         * {@link ThresholdMode#REL}.
         *
         * @param thresholdMode how the threshold is measured
         * @return this builder
         * @throws NullPointerException if {@code thresholdMode} is null
         */
        public Builder thresholdMode(ThresholdMode thresholdMode) {
            this.thresholdMode = Args.notNull("thresholdMode", thresholdMode);
            return this;
        }

        /**
         * Sets how many reports after a reduction ignore bad epochs; default 0.
         *
         * @param cooldown the number of reports, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code cooldown} is negative
         */
        public Builder cooldown(long cooldown) {
            this.cooldown = Args.atLeast("cooldown", cooldown, 0);
            return this;
        }

        /**
         * Sets the lowest learning rate a reduction goes to; default 0.
         *
         * @param minLr the learning rate, finite and {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code minLr} is negative or not finite
         */
        public Builder minLr(double minLr) {
            this.minLr = Args.finiteAtLeast("minLr", minLr, 0);
            return this;
        }

        /**
         * Sets how small a reduction is skipped; default 1e-8.
         *
         * @param eps the largest change of the learning rate not made, finite and {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code eps} is negative or not finite
         */
        public Builder eps(double eps) {
            this.eps = Args.finiteAtLeast("eps", eps, 0);
            return this;
        }

        /** {@return a {@link ReduceLrOnPlateau} with these settings, at its starting state} */
        public ReduceLrOnPlateau build() {
            return new ReduceLrOnPlateau(this);
        }
    }
}
