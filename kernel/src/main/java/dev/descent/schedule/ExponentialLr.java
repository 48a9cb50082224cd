package dev.descent.schedule;

/**
 * PyTorch's {@code ExponentialLR}: the learning rate decays by {@code gamma} every step.
 * <pre>
 *   lr(step) = baseLr * gamma^step
 * </pre>
 */
public final class ExponentialLr implements LearningRateSchedule {

    private final double baseLr;
    private final double gamma;

    private ExponentialLr(double baseLr, double gamma) {
        this.baseLr = baseLr;
        this.gamma = gamma;
    }

    /**
     * A schedule that multiplies the learning rate by {@code gamma} every step.
     *
     * @param baseLr the learning rate at step 0, finite and {@code >= 0}
     * @param gamma the factor per step, finite and {@code > 0} (PyTorch has no default); above 1
     *     the learning rate grows
     * @return the schedule
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite, or
     *     {@code gamma} is not a finite number above 0
     */
    public static ExponentialLr of(double baseLr, double gamma) {
        return new ExponentialLr(Args.finiteAtLeast("baseLr", baseLr, 0),
                Args.positiveFinite("gamma", gamma));
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return baseLr * Math.pow(gamma, step);
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the factor per step} */
    public double gamma() {
        return gamma;
    }

    @Override
    public String toString() {
        return "ExponentialLr[baseLr=" + baseLr + ", gamma=" + gamma + "]";
    }
}
