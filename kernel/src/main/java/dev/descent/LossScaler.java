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
 * <p>The scale is a float, as PyTorch's scale tensor is. Not thread-safe: it belongs to one
 * optimizer.
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

    private final float growthFactor;
    private final float backoffFactor;
    private final int growthInterval;
    private float scale;
    private int growthTracker;

    private LossScaler(Builder b) {
        this.scale = (float) b.initScale;
        this.growthFactor = (float) b.growthFactor;
        this.backoffFactor = (float) b.backoffFactor;
        this.growthInterval = b.growthInterval;
    }

    /** A builder with PyTorch's defaults: scale 65536, growth 2, backoff 0.5, interval 2000. */
    public static Builder builder() {
        return new Builder();
    }

    /** The factor to multiply the loss by before computing gradients. */
    public float scale() {
        return scale;
    }

    /** Clean steps since the scale last changed. */
    public int growthTracker() {
        return growthTracker;
    }

    /** Growth factor. */
    public double growthFactor() {
        return growthFactor;
    }

    /** Backoff factor. */
    public double backoffFactor() {
        return backoffFactor;
    }

    /** Clean steps between growths. */
    public int growthInterval() {
        return growthInterval;
    }

    /**
     * Restores the scale and tracker, e.g. from a checkpoint.
     *
     * @throws IllegalArgumentException if {@code scale} is not a finite float {@code > 0} or the
     *     tracker is outside {@code [0, growthInterval)}
     */
    public void restore(float scale, int growthTracker) {
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be a finite float > 0, got " + scale);
        }
        if (growthTracker < 0 || growthTracker >= growthInterval) {
            throw new IllegalArgumentException("growthTracker must be in [0, " + growthInterval
                    + "), got " + growthTracker);
        }
        this.scale = scale;
        this.growthTracker = growthTracker;
    }

    /** The factor the optimizer applies to gradients: {@code 1/scale}, computed in double. */
    float inverseScale() {
        return (float) (1.0 / scale);
    }

    /** PyTorch's {@code _amp_update_scale_}, after one step that found inf or NaN or did not. */
    void update(boolean foundNonFinite) {
        if (foundNonFinite) {
            scale = scale * backoffFactor;
            growthTracker = 0;
            return;
        }
        if (++growthTracker == growthInterval) {
            final float grown = scale * growthFactor;
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

        /** Initial scale, finite and {@code > 0} as a float; default 65536. */
        public Builder initScale(double initScale) {
            this.initScale = Checks.positiveFinite("initScale", initScale);
            return this;
        }

        /** Growth factor, finite and {@code > 1}; default 2. */
        public Builder growthFactor(double growthFactor) {
            if (!(growthFactor > 1)) {
                throw new IllegalArgumentException("growthFactor must be > 1, got " + growthFactor);
            }
            this.growthFactor = Checks.finite("growthFactor", growthFactor);
            return this;
        }

        /** Backoff factor, in (0, 1); default 0.5. */
        public Builder backoffFactor(double backoffFactor) {
            if (!(backoffFactor > 0 && backoffFactor < 1)) {
                throw new IllegalArgumentException("backoffFactor must be in (0, 1), got "
                        + backoffFactor);
            }
            this.backoffFactor = backoffFactor;
            return this;
        }

        /** Clean steps between growths, {@code >= 1}; default 2000. */
        public Builder growthInterval(int growthInterval) {
            if (growthInterval < 1) {
                throw new IllegalArgumentException("growthInterval must be >= 1, got "
                        + growthInterval);
            }
            this.growthInterval = growthInterval;
            return this;
        }

        /** A scaler at its initial scale. */
        public LossScaler build() {
            return new LossScaler(this);
        }
    }
}
