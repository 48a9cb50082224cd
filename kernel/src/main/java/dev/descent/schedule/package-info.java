/**
 * Learning-rate schedules: each a pure function of the step with PyTorch's
 * {@code torch.optim.lr_scheduler} values, plus {@link dev.descent.schedule.ReduceLrOnPlateau},
 * which follows a metric and so keeps state.
 *
 * <p>The step convention, the contract every schedule keeps and the list of schedules are on
 * {@link dev.descent.schedule.LearningRateSchedule}.
 */
package dev.descent.schedule;
