package dev.descent.schedule;

/**
 * A linear warm-up, then another schedule from its step 0:
 * <pre>
 *   step &lt; warmupSteps:  lr(step) = base * (startFactor + (1 - startFactor) * step / warmupSteps)
 *   otherwise:            lr(step) = after.lr(step - warmupSteps)
 *   with base = after.baseLr()
 * </pre>
 * This is PyTorch's usual recipe {@code SequentialLR([LinearLR(start_factor, 1.0, warmup_steps),
 * after], milestones=[warmup_steps])}, value for value: the same as
 * {@code SequentialLr.of(List.of(LinearLr...startFactor(f).totalIters(w).build(), after), w)},
 * except that {@code startFactor} may be 0 (PyTorch's {@code LinearLR} needs it {@code > 0} only
 * for its chainable form), so the first step can use a learning rate of 0 as in Hugging Face's
 * {@code get_*_schedule_with_warmup}. The schedule after the warm-up is shifted, not truncated:
 * a cosine over {@code tMax} steps still takes {@code tMax} steps once the warm-up is over.
 *
 * <p>Momentum, when {@code after} cycles it: {@code after.momentum(0)} during the warm-up, then
 * {@code after.momentum(step - warmupSteps)}.
 */
public final class LinearWarmup implements LearningRateSchedule {

    private final LearningRateSchedule after;
    private final long warmupSteps;
    private final double startFactor;

    private LinearWarmup(LearningRateSchedule after, long warmupSteps, double startFactor) {
        this.after = after;
        this.warmupSteps = warmupSteps;
        this.startFactor = startFactor;
    }

    /**
     * A warm-up of {@code warmupSteps} steps before {@code after}.
     *
     * @param after the schedule that follows the warm-up; the ramp ends at its {@code baseLr()}
     * @param warmupSteps the length of the ramp, {@code >= 1}
     * @param startFactor the fraction of {@code after.baseLr()} at step 0, in [0, 1]
     * @return the schedule
     * @throws IllegalArgumentException if {@code warmupSteps} is below 1 or {@code startFactor}
     *     is outside [0, 1]
     * @throws NullPointerException if {@code after} is null
     */
    public static LinearWarmup of(LearningRateSchedule after, long warmupSteps, double startFactor) {
        return new LinearWarmup(Args.notNull("after", after),
                Args.atLeast("warmupSteps", warmupSteps, 1),
                Args.unitClosed("startFactor", startFactor));
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        if (step >= warmupSteps) {
            return after.lr(step - warmupSteps);
        }
        // LinearLr's expression with endFactor 1, so both give the same bits.
        return after.baseLr() * (startFactor + (1.0 - startFactor) * (double) step / warmupSteps);
    }

    /** {@return the base learning rate of the schedule after the warm-up} */
    @Override
    public double baseLr() {
        return after.baseLr();
    }

    @Override
    public boolean cyclesMomentum() {
        return after.cyclesMomentum();
    }

    @Override
    public double momentum(long step) {
        if (!after.cyclesMomentum()) {
            return LearningRateSchedule.super.momentum(step);
        }
        Args.checkStep(step);
        return after.momentum(step >= warmupSteps ? step - warmupSteps : 0);
    }

    /** {@return the schedule after the warm-up} */
    public LearningRateSchedule after() {
        return after;
    }

    /** {@return the length of the ramp, in steps} */
    public long warmupSteps() {
        return warmupSteps;
    }

    /** {@return the fraction of {@code after.baseLr()} at step 0} */
    public double startFactor() {
        return startFactor;
    }

    @Override
    public String toString() {
        return "LinearWarmup[warmupSteps=" + warmupSteps + ", startFactor=" + startFactor
                + ", after=" + after + "]";
    }
}
