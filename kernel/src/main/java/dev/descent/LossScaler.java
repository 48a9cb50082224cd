package dev.descent;

/**
 * Dynamic loss scaling for low-precision training, with the semantics of PyTorch's
 * {@code torch.amp.GradScaler}: the trainer multiplies its loss by {@link #scale()} so that small
 * gradients survive in low precision; the optimizer it is attached to
 * ({@link Optimizer#setLossScaler}) multiplies the gradients by {@code 1/scale} inside the fused
 * update, after a check for inf and NaN. A step whose gradients hold one changes no parameter and
 * no state, and multiplies the scale by {@code backoffFactor}; after {@code growthInterval}
 * clean steps in a row the scale is multiplied by {@code growthFactor}.
 *
 * <p>The check is on the unscaled gradients, as the update uses them; PyTorch checks the scaled
 * ones, before unscaling. The two skip the same steps except where unscaling itself overflows:
 * a scale below 1 that takes a finite gradient past the float range, or a scale of 0 (1/0 is
 * inf). There PyTorch would step with the inf or NaN that unscaling made; Descent skips.
 *
 * <p>The scale is a float, as PyTorch's scale tensor is. Backing off can take it down to 0
 * (after 166 non-finite steps in a row from the default scale and factor); from then on every
 * step is skipped, by the check above.
 *
 * <p>A scaler belongs to one optimizer at a time ({@link Optimizer#setLossScaler} refuses one
 * that another open optimizer holds), because each step updates it: PyTorch's pattern of one
 * scaler stepping several optimizers, then updated once, would have the second optimizer
 * unscale by a scale the first already changed. Not thread-safe.
 *
 * <p>A skipped step does not count as an optimizer step, so a schedule attached to a group
 * ({@link ParameterGroup#setSchedule}), which follows the optimizer's step count, waits with
 * it; a PyTorch loop that calls {@code scheduler.step()} after every {@code scaler.step()}
 * advances its schedule on skipped steps too.
 */
public final class LossScaler {

    /** PyTorch's default initial scale, 2<sup>16</sup>. */
    public static final double INIT_SCALE_DEFAULT = 65536.0;
    /** PyTorch's default growth factor. */
    public static final double GROWTH_FACTOR_DEFAULT = 2.0;
    /** PyTorch's default backoff factor. */
    public static final double BACKOFF_FACTOR_DEFAULT = 0.5;
    /** PyTorch's default number of clean steps between growths. */
    public static final int GROWTH_INTERVAL_DEFAULT = 2000;

    /** The factors as given: PyTorch multiplies the float scale by them in double. */
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private float scale;
    private int growthTracker;
    /** The optimizer this scaler is attached to, or null: see {@link Optimizer#setLossScaler}. */
    private Optimizer<?> owner;

    private LossScaler(Builder b) {
        this.scale = (float) b.initScale;
        this.growthFactor = b.growthFactor;
        this.backoffFactor = b.backoffFactor;
        this.growthInterval = b.growthInterval;
    }

    /**
     * {@return a builder with PyTorch's defaults: scale 65536, growth 2, backoff 0.5, interval
     * 2000}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the factor to multiply the loss by before computing gradients} The steps of the
     * optimizer it is attached to grow it and back it off, as the class describes, possibly to
     * 0.
     */
    public float scale() {
        return scale;
    }

    /**
     * {@return the clean steps counted towards the next growth, in
     * {@code [0, growthInterval)}} A step with an inf or NaN gradient resets it to 0.
     */
    public int growthTracker() {
        return growthTracker;
    }

    /** {@return the factor the scale grows by after {@link #growthInterval()} clean steps} */
    public double growthFactor() {
        return growthFactor;
    }

    /** {@return the factor the scale backs off by after a step with an inf or NaN gradient} */
    public double backoffFactor() {
        return backoffFactor;
    }

    /** {@return the number of clean steps in a row after which the scale grows} */
    public int growthInterval() {
        return growthInterval;
    }

    /**
     * Restores the scale and tracker, e.g. from a checkpoint. A scale of 0 is accepted because
     * backing off can reach it (166 halvings in a row from the default 2^16), as in PyTorch.
     *
     * @param scale the scale, finite and {@code >= 0}
     * @param growthTracker the clean steps counted towards the next growth, in
     *     {@code [0, growthInterval)}
     * @throws IllegalArgumentException if {@code scale} is negative, NaN or infinite, or the
     *     tracker is outside {@code [0, growthInterval)}
     */
    public void restore(float scale, int growthTracker) {
        if (!(scale >= 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be a finite float >= 0, got " + scale);
        }
        if (growthTracker < 0 || growthTracker >= growthInterval) {
            throw new IllegalArgumentException("growthTracker must be in [0, " + growthInterval
                    + "), got " + growthTracker);
        }
        this.scale = scale;
        this.growthTracker = growthTracker;
    }

    /**
     * Attaches this scaler to {@code optimizer}, unless another optimizer holds it (a closed one
     * has let it go).
     *
     * @throws IllegalArgumentException if another optimizer holds it
     */
    void attachTo(Optimizer<?> optimizer) {
        if (owner != null && owner != optimizer) {
            throw new IllegalArgumentException("lossScaler is attached to another optimizer ("
                    + owner.getClass().getSimpleName() + "); a scaler belongs to one optimizer,"
                    + " since each step updates it: detach it there (setLossScaler(null)) or"
                    + " build a scaler per optimizer");
        }
        owner = optimizer;
    }

    /** Detaches this scaler from {@code optimizer}, if that is its owner. */
    void detachFrom(Optimizer<?> optimizer) {
        if (owner == optimizer) {
            owner = null;
        }
    }

    /** The factor the optimizer applies to gradients: {@code 1/scale}, computed in double. */
    float inverseScale() {
        return (float) (1.0 / scale);
    }

    /**
     * PyTorch's {@code _amp_update_scale_}, after one step that found inf or NaN or did not: the
     * float scale times the factor in double, rounded once to float (a float product with the
     * factor rounded to float rounds twice, and differs for factors such as 0.9).
     */
    void update(boolean foundNonFinite) {
        if (foundNonFinite) {
            scale = (float) (scale * backoffFactor);
            growthTracker = 0;
            return;
        }
        if (++growthTracker == growthInterval) {
            final float grown = (float) (scale * growthFactor);
            if (Float.isFinite(grown)) {
                scale = grown;
            }
            growthTracker = 0;
        }
    }

    /** Sets the scaler's parameters; every setter checks its argument at once. */
    public static final class Builder {
        private double initScale = INIT_SCALE_DEFAULT;
        private double growthFactor = GROWTH_FACTOR_DEFAULT;
        private double backoffFactor = BACKOFF_FACTOR_DEFAULT;
        private int growthInterval = GROWTH_INTERVAL_DEFAULT;

        private Builder() {
        }

        /**
         * Sets the scale the scaler starts at; default 65536.
         *
         * @param initScale the initial scale, finite and {@code > 0}, also when rounded to a
         *     float
         * @return this builder
         * @throws IllegalArgumentException if {@code initScale} is not finite, or not above 0,
         *     as a float
         */
        public Builder initScale(double initScale) {
            this.initScale = Checks.positiveFinite("initScale", initScale);
            return this;
        }

        /**
         * Growth factor, {@code > 1} and finite as a float (the scale is a float: 1 + 1e-9 would
         * be 1 and never grow it); default 2.
         *
         * @param growthFactor the growth factor
         * @return this builder
         * @throws IllegalArgumentException if {@code growthFactor} rounds to a float that is not
         *     above 1 or not finite
         */
        public Builder growthFactor(double growthFactor) {
            final float asFloat = (float) growthFactor;
            if (!(asFloat > 1) || !Float.isFinite(asFloat)) {
                throw new IllegalArgumentException("growthFactor must be > 1 and finite when"
                        + " rounded to float (from " + Math.nextUp(1f) + " to " + Float.MAX_VALUE
                        + "), got " + growthFactor);
            }
            this.growthFactor = growthFactor;
            return this;
        }

        /**
         * Backoff factor, in (0, 1) also when rounded to float (the scale is a float: a factor
         * within half a float spacing of 1, such as 0.99999999999, would never shrink it);
         * default 0.5.
         *
         * @param backoffFactor the backoff factor
         * @return this builder
         * @throws IllegalArgumentException if {@code backoffFactor} rounds to a float outside
         *     (0, 1)
         */
        public Builder backoffFactor(double backoffFactor) {
            final float asFloat = (float) backoffFactor;
            if (!(asFloat > 0 && asFloat < 1)) {
                throw new IllegalArgumentException("backoffFactor must be in (0, 1) when rounded to"
                        + " float (from " + Float.MIN_VALUE + " to " + Math.nextDown(1f) + "), got "
                        + backoffFactor);
            }
            this.backoffFactor = backoffFactor;
            return this;
        }

        /**
         * Sets how many clean steps in a row grow the scale; default 2000.
         *
         * @param growthInterval the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code growthInterval} is below 1
         */
        public Builder growthInterval(int growthInterval) {
            if (growthInterval < 1) {
                throw new IllegalArgumentException("growthInterval must be >= 1, got "
                        + growthInterval);
            }
            this.growthInterval = growthInterval;
            return this;
        }

        /** {@return a new scaler at its initial scale, attached to no optimizer} */
        public LossScaler build() {
            return new LossScaler(this);
        }
    }
}
