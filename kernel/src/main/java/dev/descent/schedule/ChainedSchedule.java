package dev.descent.schedule;

import java.util.Arrays;
import java.util.List;

/**
 * PyTorch's {@code ChainedScheduler}: several schedules at once, their effects multiplied. Each
 * schedule contributes its factor {@code lr(step) / baseLr()}:
 * <pre>
 *   lr(step) = schedules[0].lr(step) * product over i &gt;= 1 of factor_i(step)
 *   factor_i(step) = schedules[i].lr(step) / schedules[i].baseLr()
 * </pre>
 * so the result is relative to the first schedule's base learning rate. PyTorch steps each
 * scheduler's chainable form on the group's learning rate in turn; for the schedules whose
 * chainable form is a ratio of their own values ({@link ConstantLr}, {@link LinearLr},
 * {@link ExponentialLr}, {@link StepLr}, {@link MultiStepLr}, {@link PolynomialLr}, and
 * {@link CosineAnnealingLr} with {@code etaMin = 0} up to {@code tMax}, after which PyTorch adds
 * instead of multiplying) that is this product, to rounding error. Schedules that set absolute
 * values ({@link CyclicLr}, {@link OneCycleLr}, {@link LambdaLr},
 * {@link CosineAnnealingWarmRestarts}, cosine annealing with {@code etaMin > 0}) overwrite the
 * group's learning rate in PyTorch instead; here they still contribute a factor, which is
 * well-defined but differs from PyTorch.
 *
 * <p>Momentum: that of the last schedule that cycles momentum (PyTorch steps them in order, and the
 * last write wins).
 */
public final class ChainedSchedule implements LearningRateSchedule {

    private final LearningRateSchedule[] schedules;
    private final int momentumSource;

    private ChainedSchedule(LearningRateSchedule[] schedules) {
        this.schedules = schedules;
        int source = -1;
        for (int i = 0; i < schedules.length; i++) {
            if (schedules[i].cyclesMomentum()) {
                source = i;
            }
        }
        this.momentumSource = source;
    }

    /**
     * The product of {@code schedules}' effects, as the class says; the list is copied.
     *
     * @param schedules at least one; every one after the first must have a finite
     *     {@code baseLr() > 0}, since its factor divides by it
     * @return the chained schedule
     * @throws IllegalArgumentException if the list is empty or a later schedule's base learning
     *     rate is not a finite number above 0
     * @throws NullPointerException if the list or a schedule in it is null
     */
    public static ChainedSchedule of(List<? extends LearningRateSchedule> schedules) {
        Args.notNull("schedules", schedules);
        final LearningRateSchedule[] copy = schedules.toArray(new LearningRateSchedule[0]);
        if (copy.length == 0) {
            throw new IllegalArgumentException("schedules must not be empty");
        }
        for (int i = 0; i < copy.length; i++) {
            Args.notNull("schedules[" + i + "]", copy[i]);
            if (i > 0) {
                Args.positiveFinite("schedules[" + i + "].baseLr()", copy[i].baseLr());
            }
        }
        return new ChainedSchedule(copy);
    }

    /**
     * Same as {@link #of(List)}.
     *
     * @param schedules at least one; every one after the first must have a finite
     *     {@code baseLr() > 0}
     * @return the chained schedule
     * @throws IllegalArgumentException as {@link #of(List)}
     * @throws NullPointerException if the array or a schedule in it is null
     */
    public static ChainedSchedule of(LearningRateSchedule... schedules) {
        return of(Arrays.asList(Args.notNull("schedules", schedules)));
    }

    @Override
    public double lr(long step) {
        double lr = schedules[0].lr(step);
        for (int i = 1; i < schedules.length; i++) {
            lr *= schedules[i].lr(step) / schedules[i].baseLr();
        }
        return lr;
    }

    /** {@return the first schedule's base learning rate} */
    @Override
    public double baseLr() {
        return schedules[0].baseLr();
    }

    @Override
    public boolean cyclesMomentum() {
        return momentumSource >= 0;
    }

    @Override
    public double momentum(long step) {
        if (momentumSource < 0) {
            return LearningRateSchedule.super.momentum(step);
        }
        return schedules[momentumSource].momentum(step);
    }

    /** {@return the schedules, in order, as an unmodifiable list} */
    public List<LearningRateSchedule> schedules() {
        return List.of(schedules);
    }

    @Override
    public String toString() {
        return "ChainedSchedule" + Arrays.toString(schedules);
    }
}
