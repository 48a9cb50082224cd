package dev.descent;

import dev.descent.schedule.LearningRateSchedule;
import java.util.List;

/**
 * Parameters that share hyperparameters, as in a PyTorch {@code param_group}: for instance a
 * smaller learning rate for pretrained layers, or no weight decay for biases.
 *
 * <p>The learning rate, and the momentum (SGD's and RMSProp's {@code momentum}, Adam's
 * {@code beta1}), may change between steps: set directly, or from a
 * {@link LearningRateSchedule} attached with {@link #setSchedule}.
 *
 * @param <C> the optimizer's hyperparameter record, e.g. {@link Adam.Config}
 */
public final class ParameterGroup<C extends OptimizerConfig> {

    private final List<Parameter> parameters;
    private final C config;
    private double lr;
    private double momentum;
    private LearningRateSchedule schedule;

    ParameterGroup(List<Parameter> parameters, C config) {
        this.parameters = List.copyOf(parameters);
        this.config = config;
        this.lr = config.lr();
        this.momentum = initialMomentum(config);
    }

    /** {@return the parameters, in the order they were given, as an unmodifiable list} */
    public List<Parameter> parameters() {
        return parameters;
    }

    /**
     * {@return the hyperparameters the group was built with} {@link #lr()} and
     * {@link #momentum()} are the current learning rate and momentum.
     */
    public C config() {
        return config;
    }

    /**
     * {@return the learning rate the next step uses} A schedule, if one is attached, sets it anew
     * before that step.
     */
    public double lr() {
        return lr;
    }

    /**
     * Sets the learning rate for the following steps. An attached schedule overwrites it before
     * each step.
     *
     * @param lr the learning rate, finite and {@code >= 0} (also as a float)
     * @throws IllegalArgumentException if {@code lr} is negative or not finite as a float
     */
    public void setLr(double lr) {
        this.lr = Checks.finiteAtLeast("lr", lr, 0);
    }

    /**
     * {@return the momentum the next step uses: SGD's or RMSProp's {@code momentum}, Adam's
     * {@code beta1}; 0 for AdaGrad, which has none}
     */
    public double momentum() {
        return momentum;
    }

    /**
     * Sets the momentum (Adam: {@code beta1}) for the following steps, as a cyclical schedule
     * does. Only where the group was built with one: momentum cannot be switched on later, as its
     * buffer does not exist.
     *
     * @param momentum the momentum: finite and {@code >= 0} (also as a float) for SGD and
     *     RMSProp, where 0 steps without momentum and leaves the buffer as it is; for Adam's
     *     {@code beta1}, in [0, 1) and below 1 as a float
     * @throws IllegalArgumentException if the group has no momentum, or the value is out of range
     */
    public void setMomentum(double momentum) {
        checkMomentum(momentum);
        this.momentum = momentum;
    }

    /** {@return the attached schedule, or null} */
    public LearningRateSchedule schedule() {
        return schedule;
    }

    /**
     * Attaches a schedule: before optimizer step {@code t} (counted from 1) the group's learning
     * rate becomes {@code schedule.lr(t - 1)}, and, if the schedule cycles momentum, its momentum
     * {@code schedule.momentum(t - 1)}. Null detaches it; the last values stay.
     *
     * @param schedule the schedule, or null to detach the current one
     * @throws IllegalArgumentException if the schedule cycles momentum and the group has none,
     *     or its momentum at step 0 is out of the group's range (Adam's {@code beta1} must stay
     *     below 1 as a float); later steps are checked as they come, before anything is written
     */
    public void setSchedule(LearningRateSchedule schedule) {
        if (schedule != null && schedule.cyclesMomentum()) {
            if (!hasMomentum(config)) {
                throw new IllegalArgumentException("the schedule cycles momentum but this "
                        + config.getClass().getEnclosingClass().getSimpleName()
                        + " group has none; "
                        + (config instanceof AdaGrad.Config ? "AdaGrad has no momentum to cycle"
                                : "build it with momentum > 0")
                        + ", or cycle the learning rate only");
            }
            try { // where a cycle starts, at its largest for CyclicLr and OneCycleLr
                checkMomentum(schedule.momentum(0));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the schedule's momentum at step 0 does not fit"
                        + " this group: " + e.getMessage(), e);
            }
        }
        this.schedule = schedule;
    }

    /** Checks what {@link #applySchedule} would set for {@code step}, so a step fails before writing. */
    void checkSchedule(long step) {
        if (schedule != null) {
            Checks.finiteAtLeast("scheduled lr", schedule.lr(step - 1), 0);
            if (schedule.cyclesMomentum()) {
                checkMomentum(schedule.momentum(step - 1));
            }
        }
    }

    /** Sets the scheduled values for optimizer step {@code step}; {@link #checkSchedule} passed. */
    void applySchedule(long step) {
        if (schedule != null) {
            lr = schedule.lr(step - 1);
            if (schedule.cyclesMomentum()) {
                momentum = schedule.momentum(step - 1);
            }
        }
    }

    private void checkMomentum(double value) {
        if (!hasMomentum(config)) {
            throw new IllegalArgumentException("this group has no momentum to set (got " + value + ")");
        }
        if (config instanceof Adam.Config) {
            Checks.unitHalfOpen("beta1", value);
        } else {
            Checks.finiteAtLeast("momentum", value, 0);
        }
    }

    private static boolean hasMomentum(OptimizerConfig config) {
        return switch (config) {
            case Sgd.Config c -> c.momentum() > 0;
            case RmsProp.Config c -> c.momentum() > 0;
            case Adam.Config c -> true;
            case AdaGrad.Config c -> false;
        };
    }

    private static double initialMomentum(OptimizerConfig config) {
        return switch (config) {
            case Sgd.Config c -> c.momentum();
            case RmsProp.Config c -> c.momentum();
            case Adam.Config c -> c.beta1();
            case AdaGrad.Config c -> 0;
        };
    }
}
