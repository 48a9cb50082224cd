package dev.descent.schedule;

/**
 * Inverse-time decay:
 * <pre>
 *   lr(step) = lr / (1 + lrDecay * step)
 * </pre>
 * the decay AdaGrad applies with its {@code lr_decay} (PyTorch: {@code clr = lr / (1 + (t-1) *
 * lr_decay)} with {@code t} from 1, which is {@code step = t - 1} here), and TensorFlow's
 * {@code InverseTimeDecay} with {@code decay_steps = 1}, {@code staircase = False}.
 */
public final class InverseTimeDecay implements LearningRateSchedule {

    private final double lr;
    private final double lrDecay;

    private InverseTimeDecay(double lr, double lrDecay) {
        this.lr = lr;
        this.lrDecay = lrDecay;
    }

    /**
     * A schedule that divides the learning rate by {@code 1 + lrDecay * step}.
     *
     * @param lr the learning rate at step 0, finite and {@code >= 0}
     * @param lrDecay the decay rate, finite and {@code >= 0}; 0 keeps {@code lr} for ever
     * @return the schedule
     * @throws IllegalArgumentException if {@code lr} or {@code lrDecay} is negative or not
     *     finite
     */
    public static InverseTimeDecay of(double lr, double lrDecay) {
        return new InverseTimeDecay(Args.finiteAtLeast("lr", lr, 0),
                Args.finiteAtLeast("lrDecay", lrDecay, 0));
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return lr / (1 + step * lrDecay);
    }

    @Override
    public double baseLr() {
        return lr;
    }

    /** {@return the decay rate} */
    public double lrDecay() {
        return lrDecay;
    }

    @Override
    public String toString() {
        return "InverseTimeDecay[lr=" + lr + ", lrDecay=" + lrDecay + "]";
    }
}
