package dev.descent;

/**
 * Gradient clipping applied by {@link Optimizer#step()} before the update, with the semantics of
 * PyTorch's {@code clip_grad_norm_} (L2 norm over all parameters) and {@code clip_grad_value_}.
 *
 * <p>By norm, the gradients are not rewritten: the factor
 * {@code min(1, maxNorm / (totalNorm + 1e-6))} enters the fused update as a scale of the gradient.
 * The total norm is a reduction in double over fixed blocks in a fixed order, so it is the same
 * number for every vector width and thread count. PyTorch's is float32, and overflows to inf
 * once the squares sum past {@link Float#MAX_VALUE} (one gradient of 1.9e19 does it): PyTorch
 * then scales every gradient by 0 (or raises, with {@code error_if_nonfinite=True}), where
 * Descent's norm stays finite and clips as usual. By value, the gradients are clamped in place
 * to {@code [-clipValue, clipValue]}, as PyTorch does. A non-finite total norm (an inf or NaN
 * gradient) either fails the step or skips it ({@link NonFinite}); nothing is written either way.
 * PyTorch's defaults go on instead: {@code clip_grad_norm_} scales by {@code maxNorm/inf = 0}
 * (an inf gradient becomes NaN) or by NaN, {@code clip_grad_value_} clamps an inf and passes a
 * NaN on.
 *
 * <p>Instances are immutable; the {@code with...} methods return changed copies.
 */
public final class GradientClipping {

    /** PyTorch's {@code clip_grad_norm_} adds this to the total norm before dividing. */
    public static final double NORM_EPSILON = 1e-6;

    /** What a step does when the gradients hold an inf or NaN. */
    public enum NonFinite {
        /**
         * Throw {@link ArithmeticException}, as {@code error_if_nonfinite=True}; nothing changes.
         * An optimizer with a loss scaler skips the step instead: there an inf or NaN means the
         * scale was too large.
         */
        THROW,
        /** Leave parameters, state and the step count as they are, and report it. */
        SKIP_STEP
    }

    private final boolean byNorm;
    private final double limit;
    private final boolean onlyAboveThreshold;
    private final NonFinite onNonFinite;

    private GradientClipping(boolean byNorm, double limit, boolean onlyAboveThreshold,
                             NonFinite onNonFinite) {
        this.byNorm = byNorm;
        this.limit = limit;
        this.onlyAboveThreshold = onlyAboveThreshold;
        this.onNonFinite = onNonFinite;
    }

    /**
     * Scales all gradients together by {@code min(1, maxNorm / (totalNorm + 1e-6))}, where
     * {@code totalNorm} is the L2 norm of all of them as one vector. Non-finite totals fail the
     * step ({@link NonFinite#THROW}) unless changed with {@link #withOnNonFinite} or a loss
     * scaler is attached.
     *
     * @param maxNorm the total norm the gradients are scaled down to, finite and {@code >= 0}
     * @return clipping by norm
     * @throws IllegalArgumentException if {@code maxNorm} is negative or not finite as a float
     */
    public static GradientClipping byNorm(double maxNorm) {
        return new GradientClipping(true, Checks.finiteAtLeast("maxNorm", maxNorm, 0), false,
                NonFinite.THROW);
    }

    /**
     * Clamps every gradient element to {@code [-clipValue, clipValue]}, in place.
     *
     * @param clipValue the largest magnitude an element keeps, finite and {@code >= 0}
     * @return clipping by value
     * @throws IllegalArgumentException if {@code clipValue} is negative or not finite as a float
     */
    public static GradientClipping byValue(double clipValue) {
        return new GradientClipping(false, Checks.finiteAtLeast("clipValue", clipValue, 0), false,
                NonFinite.THROW);
    }

    /**
     * By norm only: scale only when the total norm exceeds {@code maxNorm}, leaving gradients
     * whose norm is just under it exactly as they are (PyTorch's rule scales those by a factor a
     * hair below 1, because of the 1e-6).
     *
     * @param onlyAboveThreshold true to leave gradients whose total norm is at most
     *     {@code maxNorm} unscaled; false for PyTorch's rule
     * @return a copy with that setting
     * @throws IllegalArgumentException if {@code onlyAboveThreshold} is true and this clips by
     *     value
     */
    public GradientClipping withOnlyAboveThreshold(boolean onlyAboveThreshold) {
        if (!byNorm && onlyAboveThreshold) {
            throw new IllegalArgumentException("onlyAboveThreshold applies to clipping by norm,"
                    + " not by value");
        }
        return new GradientClipping(byNorm, limit, onlyAboveThreshold, onNonFinite);
    }

    /**
     * What to do when a gradient is inf or NaN; default {@link NonFinite#THROW}.
     *
     * @param onNonFinite what a step does then
     * @return a copy with that setting
     * @throws NullPointerException if {@code onNonFinite} is null
     */
    public GradientClipping withOnNonFinite(NonFinite onNonFinite) {
        return new GradientClipping(byNorm, limit, onlyAboveThreshold,
                Checks.notNull("onNonFinite", onNonFinite));
    }

    /** {@return whether this clips by total norm (else by value)} */
    public boolean byNorm() {
        return byNorm;
    }

    /** {@return {@code maxNorm}, or {@code clipValue} when clipping by value} */
    public double limit() {
        return limit;
    }

    /**
     * {@return whether gradients whose total norm is at most {@code maxNorm} are left unscaled}
     * See {@link #withOnlyAboveThreshold}.
     */
    public boolean onlyAboveThreshold() {
        return onlyAboveThreshold;
    }

    /** {@return what a step does when a gradient is inf or NaN} See {@link #withOnNonFinite}. */
    public NonFinite onNonFinite() {
        return onNonFinite;
    }

    /** The factor applied to gradients whose total L2 norm is {@code totalNorm} (finite). */
    double coefficient(double totalNorm) {
        if (onlyAboveThreshold && totalNorm <= limit) {
            return 1;
        }
        return Math.min(1, limit / (totalNorm + NORM_EPSILON));
    }

    @Override
    public String toString() {
        return byNorm ? "GradientClipping[maxNorm=" + limit + ", onlyAboveThreshold="
                + onlyAboveThreshold + ", onNonFinite=" + onNonFinite + "]"
                : "GradientClipping[clipValue=" + limit + ", onNonFinite=" + onNonFinite + "]";
    }
}
