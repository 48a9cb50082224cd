package dev.descent.schedule;

import java.util.Arrays;
import java.util.List;

/**
 * PyTorch's {@code SequentialLR}: one schedule after another, switching at milestones; each
 * schedule starts from its own step 0 at its milestone.
 * <pre>
 *   i = number of milestones &lt;= step
 *   lr(step) = schedules[0].lr(step)                          if i == 0
 *              schedules[i].lr(step - milestones[i - 1])      otherwise
 * </pre>
 * PyTorch passes {@code step - milestone} too: at a milestone it resets the next scheduler to its
 * epoch 0 ({@code _update_lr(0)}) and steps it from there. {@link LinearWarmup} is the common case
 * {@code [LinearLr, main]} with one milestone.
 *
 * <p>Momentum: when any schedule cycles momentum, this one does. At a step whose schedule does not,
 * the momentum is the one last set, as in PyTorch: the value of the nearest earlier schedule that
 * cycles, at its last step; before any such schedule has run, the value of the last one in the
 * list at its step 0 (PyTorch sets the momentum when constructing each {@link CyclicLr} or
 * {@link OneCycleLr}, so the one built last, for a list built in order the last, stands).
 */
public final class SequentialLr implements LearningRateSchedule {

    private final LearningRateSchedule[] schedules;
    private final long[] milestones;
    private final boolean cyclesMomentum;

    private SequentialLr(LearningRateSchedule[] schedules, long[] milestones) {
        this.schedules = schedules;
        this.milestones = milestones;
        boolean any = false;
        for (LearningRateSchedule s : schedules) {
            any |= s.cyclesMomentum();
        }
        this.cyclesMomentum = any;
    }

    /**
     * The schedules one after another, as the class says; the list and the array are copied.
     *
     * @param schedules the schedules, in order; at least one
     * @param milestones the steps at which the next schedule takes over: one fewer than the
     *     schedules, strictly increasing, each {@code >= 1}
     * @return the sequence
     * @throws IllegalArgumentException if {@code schedules} is empty, or the milestones do not
     *     number one fewer than the schedules or are not strictly increasing and {@code >= 1}
     * @throws NullPointerException if {@code schedules}, a schedule in it, or
     *     {@code milestones} is null
     */
    public static SequentialLr of(List<? extends LearningRateSchedule> schedules, long... milestones) {
        Args.notNull("schedules", schedules);
        final LearningRateSchedule[] copy = schedules.toArray(new LearningRateSchedule[0]);
        if (copy.length == 0) {
            throw new IllegalArgumentException("schedules must not be empty");
        }
        for (int i = 0; i < copy.length; i++) {
            Args.notNull("schedules[" + i + "]", copy[i]);
        }
        Args.notNull("milestones", milestones);
        if (milestones.length != copy.length - 1) {
            throw new IllegalArgumentException("milestones must number one fewer than schedules ("
                    + copy.length + "), got " + milestones.length + ": " + Arrays.toString(milestones));
        }
        final long[] checked = milestones.length == 0 ? new long[0]
                : Args.ordered("milestones", milestones, 1, true);
        return new SequentialLr(copy, checked);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        final int i = Args.countAtMost(milestones, step);
        return schedules[i].lr(step - offset(i));
    }

    /**
     * {@return the first schedule's base learning rate} PyTorch's schedulers share their
     * group's.
     */
    @Override
    public double baseLr() {
        return schedules[0].baseLr();
    }

    @Override
    public boolean cyclesMomentum() {
        return cyclesMomentum;
    }

    @Override
    public double momentum(long step) {
        if (!cyclesMomentum) {
            return LearningRateSchedule.super.momentum(step);
        }
        Args.checkStep(step);
        final int i = Args.countAtMost(milestones, step);
        if (schedules[i].cyclesMomentum()) {
            return schedules[i].momentum(step - offset(i));
        }
        for (int j = i - 1; j >= 0; j--) {
            if (schedules[j].cyclesMomentum()) {
                return schedules[j].momentum(milestones[j] - 1 - offset(j));
            }
        }
        for (int j = schedules.length - 1; ; j--) { // cyclesMomentum says one exists
            if (schedules[j].cyclesMomentum()) {
                return schedules[j].momentum(0);
            }
        }
    }

    /** The step at which schedule {@code i} starts. */
    private long offset(int i) {
        return i == 0 ? 0 : milestones[i - 1];
    }

    /** {@return the schedules, in order, as an unmodifiable list} */
    public List<LearningRateSchedule> schedules() {
        return List.of(schedules);
    }

    /** {@return a copy of the milestones} */
    public long[] milestones() {
        return milestones.clone();
    }

    @Override
    public String toString() {
        return "SequentialLr[schedules=" + Arrays.toString(schedules) + ", milestones="
                + Arrays.toString(milestones) + "]";
    }
}
