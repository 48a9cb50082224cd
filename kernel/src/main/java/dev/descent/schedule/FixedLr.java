package dev.descent.schedule;

/** A learning rate that never changes: {@code lr(step) = lr}. */
public final class FixedLr implements LearningRateSchedule {

    private final double lr;

    private FixedLr(double lr) {
        this.lr = lr;
    }

    /**
     * A schedule that always gives {@code lr}.
     *
     * @param lr the learning rate, finite and {@code >= 0}
     * @return the schedule
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    public static FixedLr of(double lr) {
        return new FixedLr(Args.finiteAtLeast("lr", lr, 0));
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return lr;
    }

    @Override
    public double baseLr() {
        return lr;
    }

    @Override
    public String toString() {
        return "FixedLr[lr=" + lr + "]";
    }
}
