/**
 * Optimizers over tensors in off-heap memory, with PyTorch's update rules and defaults:
 * {@link dev.descent.Sgd}, {@link dev.descent.Adam} and {@link dev.descent.AdamW},
 * {@link dev.descent.AdaGrad} and {@link dev.descent.RmsProp}. Each
 * {@link dev.descent.Optimizer#step() step} updates every {@link dev.descent.Parameter} in place
 * in one fused pass, and from the second step on allocates nothing.
 *
 * <p>Parameters share hyperparameters in {@link dev.descent.ParameterGroup}s;
 * {@link dev.descent.GradientClipping} and {@link dev.descent.LossScaler} act inside the step.
 * Learning-rate schedules are in {@link dev.descent.schedule}, checkpoints in
 * {@link dev.descent.io}, and the update loops in {@link dev.descent.kernel}.
 *
 * <p>Arguments are checked before anything is written, so a rejected call changes nothing. A
 * hyperparameter said to be finite must stay finite when rounded to a float, since the updates
 * compute in float.
 */
package dev.descent;
