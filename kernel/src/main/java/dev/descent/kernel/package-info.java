/**
 * The fused update loops behind the optimizers: the {@link dev.descent.kernel.UpdateKernels}
 * interface, its scalar reference implementation {@link dev.descent.kernel.ScalarUpdateKernels},
 * and {@link dev.descent.kernel.Kernels}, which chooses between it and the vector loops of
 * {@link dev.descent.kernel.panama}. The optimizers choose their kernels themselves; a trainer
 * needs this package only to call the loops directly or to see which run.
 */
package dev.descent.kernel;
