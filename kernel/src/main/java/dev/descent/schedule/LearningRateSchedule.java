package dev.descent.schedule;

/**
 * A learning rate as a pure function of the step, with the values of PyTorch's
 * {@code torch.optim.lr_scheduler}.
 *
 * <h2>Step convention</h2>
 * {@code step} is PyTorch's {@code last_epoch}: it counts from 0, and {@code lr(s)} is the value a
 * PyTorch scheduler has set on its parameter group after {@code s} calls of
 * {@code scheduler.step()} ({@code s = 0}: the value set at construction). In PyTorch's loop
 * {@code optimizer.step(); scheduler.step()}, optimizer step {@code t} (counted from 1, as bias
 * corrections count it) therefore uses {@code lr(t - 1)}: the first optimizer step uses
 * {@code lr(0)}, which for most schedules is {@link #baseLr()}. Whether the counter means batches
 * or epochs is up to the caller, exactly as in PyTorch.
 *
 * <p>Values follow PyTorch's closed forms ({@code _get_closed_form_lr}, or the recurrences
 * solved exactly where PyTorch has no closed form), evaluated in the same order of operations as
 * PyTorch's Python code. PyTorch's default chainable form multiplies the previous value by a
 * ratio each step, so it agrees with these values to rounding error (a few ulps after thousands
 * of steps). {@code cos} and {@code pow} are {@link Math}'s: HotSpot intrinsics, within an ulp of
 * the exact value like the C library Python calls, and allocation-free ({@link StrictMath#cos}
 * allocates on every call in JDK 25).
 *
 * <h2>Contract</h2>
 * Implementations are immutable and thread-safe, and {@link #lr(long)} is a pure function: the
 * same step gives the same bits, whatever was asked before, so an optimizer may re-evaluate or
 * jump to any step (resuming from a checkpoint needs nothing but the step count). It allocates
 * nothing and throws only for a step outside the schedule's domain: a negative step always, and
 * for {@link OneCycleLr} a step past {@code totalSteps}.
 *
 * <h2>Schedules</h2>
 * <ul>
 *   <li>{@link FixedLr}: one value for ever.</li>
 *   <li>{@link InverseTimeDecay}: {@code lr / (1 + lrDecay * step)} (AdaGrad's {@code lr_decay}).</li>
 *   <li>{@link ConstantLr}, {@link LinearLr}, {@link ExponentialLr}, {@link StepLr},
 *       {@link MultiStepLr}, {@link PolynomialLr}, {@link CosineAnnealingLr},
 *       {@link CosineAnnealingWarmRestarts}, {@link CyclicLr}, {@link OneCycleLr},
 *       {@link SequentialLr}: PyTorch's schedulers of the same names.</li>
 *   <li>{@link ChainedSchedule}: PyTorch's {@code ChainedScheduler}, the product of factors.</li>
 *   <li>{@link LinearWarmup}: a linear ramp, then another schedule (PyTorch's
 *       {@code SequentialLR([LinearLR, ...])} recipe).</li>
 *   <li>{@link LambdaLr}: PyTorch's {@code LambdaLR}, a factor the trainer computes from the step
 *       (pure, and free of allocation, as far as that function is).</li>
 *   <li>{@link ReduceLrOnPlateau} follows a metric, so it is stateful and not a
 *       {@code LearningRateSchedule}.</li>
 * </ul>
 *
 * <h2>Momentum</h2>
 * {@link CyclicLr} and {@link OneCycleLr} also cycle momentum (SGD's {@code momentum}, or Adam's
 * {@code beta1}) inversely to the learning rate, as PyTorch's {@code cycle_momentum} does. A
 * schedule that does so answers {@code true} from {@link #cyclesMomentum()}, and
 * {@link #momentum(long)} gives the value for the same step convention as {@link #lr(long)}.
 */
public interface LearningRateSchedule {

    /**
     * The learning rate after {@code step} scheduler steps, i.e. the one optimizer step
     * {@code step + 1} uses.
     *
     * @param step scheduler steps taken, from 0 (PyTorch's {@code last_epoch})
     * @return the learning rate; a schedule that grows it ({@code gamma > 1}) can overflow to
     *     infinity after enough steps, which the optimizer's step refuses before it writes
     * @throws IllegalArgumentException if {@code step} is negative or past the end of a schedule
     *     that has one
     */
    double lr(long step);

    /**
     * {@return the learning rate the schedule is relative to: PyTorch's {@code base_lrs} entry
     * (the group's {@code initial_lr})} For most schedules {@code lr(0) == baseLr()}; for
     * {@link CyclicLr} it is {@code base_lr}, for {@link OneCycleLr} {@code max_lr / div_factor}.
     * {@link ChainedSchedule} divides by it to get a schedule's factor.
     */
    double baseLr();

    /**
     * {@return whether {@link #momentum(long)} gives a momentum (or beta1) to use with each
     * learning rate} False by default. A group without momentum refuses a schedule that cycles
     * it ({@link dev.descent.ParameterGroup#setSchedule}).
     */
    default boolean cyclesMomentum() {
        return false;
    }

    /**
     * The momentum (SGD's {@code momentum}, Adam's {@code beta1}) for the same step as
     * {@link #lr(long)}, when {@link #cyclesMomentum()} is true.
     *
     * @param step scheduler steps taken, from 0 (PyTorch's {@code last_epoch})
     * @return the momentum, or Adam's {@code beta1}, for that step
     * @throws UnsupportedOperationException if this schedule does not cycle momentum
     * @throws IllegalArgumentException if {@code step} is outside the schedule's domain
     */
    default double momentum(long step) {
        throw new UnsupportedOperationException(
                this + " does not cycle momentum: check cyclesMomentum() first");
    }
}
