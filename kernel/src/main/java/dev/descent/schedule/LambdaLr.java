package dev.descent.schedule;

import java.util.function.LongToDoubleFunction;

/**
 * PyTorch's {@code LambdaLR}: the base learning rate times a factor the trainer computes from the
 * step, for the schedules no class here names, such as the Transformer's warm-up followed by an
 * inverse square root decay:
 * <pre>
 *   lr(step) = baseLr * factor(step)
 *
 *   LambdaLr.of(1e-3, step -&gt; Math.min((step + 1) / 4000.0, Math.sqrt(4000.0 / (step + 1))))
 * </pre>
 * The factor must be a pure function of the step, as every schedule here is: a checkpoint saves
 * the step count, not the schedule, and a resumed run asks for the same steps again. A factor
 * over primitives allocates nothing, so the step stays allocation-free. A factor that makes the
 * learning rate negative or not finite fails the optimizer step that asks for it, before anything
 * is written.
 */
public final class LambdaLr implements LearningRateSchedule {

    private final double baseLr;
    private final LongToDoubleFunction factor;

    private LambdaLr(double baseLr, LongToDoubleFunction factor) {
        this.baseLr = baseLr;
        this.factor = factor;
    }

    /**
     * A schedule of {@code baseLr * factor(step)}.
     *
     * @param baseLr the learning rate the factor scales, finite and {@code >= 0}
     * @param factor the factor at each step, from 0 (PyTorch's {@code lr_lambda}); pure, as the
     *     class says
     * @return the schedule
     * @throws IllegalArgumentException if {@code baseLr} is negative or not finite
     * @throws NullPointerException if {@code factor} is null
     */
    public static LambdaLr of(double baseLr, LongToDoubleFunction factor) {
        return new LambdaLr(Args.finiteAtLeast("baseLr", baseLr, 0),
                Args.notNull("factor", factor));
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        return baseLr * factor.applyAsDouble(step);
    }

    @Override
    public double baseLr() {
        return baseLr;
    }

    @Override
    public String toString() {
        return "LambdaLr[baseLr=" + baseLr + ", factor=" + factor + "]";
    }
}
