package dev.descent.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The fused update loops, one per optimizer family: each reads every element of its segments once
 * and writes it once, in place, and allocates nothing.
 *
 * <p>All segments hold native-order float32 values and are indexed alike: elements
 * {@code [offset, offset + count)} of each are updated together. Per-step scalars arrive already
 * computed (in double, rounded once to float) by the optimizer; a kernel knows nothing of groups,
 * schedules or threads. Implementations trust their arguments: validation belongs to the public
 * API, which checks everything before the first write.
 *
 * <p>Every implementation performs the same float operations in the same order (the sequences are
 * spelled out in {@link ScalarUpdateKernels}), so that all of them produce the same bits, NaNs
 * aside: a NaN result is NaN in every implementation, but its sign and payload are not part of
 * that promise, since Java leaves them to the hardware and the JIT (centered RMSProp's
 * {@code -a*a + v} gave a NaN of either sign from the same inputs, depending on how far the JIT
 * had compiled the loop).
 * The gradient enters every update as {@code gradScale * grad}, which carries the sign for
 * {@code maximize} (and later loss-scale and clipping factors) without a separate pass. A scale of
 * exactly 1, the common case, is no multiply at all, and neither is a {@code gradCoef} or Adam's
 * {@code paramDecay} of 1: a product with 1 has the bits of the other factor (but for a signaling
 * NaN, which on x86 the next operation quiets alike), so skipping it changes no result. Without
 * them Adam at 65,536 floats ran at 1.00-1.02 of the same loop in C instead of 0.93-0.99 (three
 * forks each).
 *
 * <p>Pass native memory only. A segment over a Java array is accepted and gives the same bits,
 * but once one reaches a vector kernel, C2 compiles every load and store of that kernel for both
 * kinds of memory, and every later call in the JVM pays for it, native memory's included (Adam
 * over native memory fell from 2.3 to 0.3-0.6 G params/s on an AMD EPYC Zen 3). The optimizers
 * step Java arrays through off-heap copies of {@link #REDUCTION_BLOCK} elements for that reason;
 * a trainer calling the kernels itself should do the same.
 *
 * <p>A segment that is too short, freed, or not accessible from the calling thread fails as
 * {@link MemorySegment} access does ({@link IndexOutOfBoundsException},
 * {@link IllegalStateException}, {@link WrongThreadException}), possibly after part of the range
 * has been written.
 */
public interface UpdateKernels {

    /** {@return a short name for logs and benchmarks, e.g. {@code scalar} or {@code panama-256}} */
    String name();

    /** {@return the width in bits of the vectors the main loop uses; 32 for the scalar loop} */
    int vectorBitSize();

    /**
     * Plain SGD: {@code g = gradScale*grad; if weightDecay != 0: g = fma(weightDecay, p, g);
     * p = fma(-lr, g, p)}.
     *
     * @param param the values, updated in place
     * @param grad the gradient, read only
     * @param offset the first element to update, counted in floats (not bytes)
     * @param count how many elements to update, from {@code offset}
     * @param gradScale the factor applied to each gradient element first
     * @param weightDecay the L2 coefficient; 0 for none
     * @param lr the learning rate of this step
     */
    void sgd(MemorySegment param, MemorySegment grad, long offset, long count,
             float gradScale, float weightDecay, float lr);

    /**
     * SGD with a momentum buffer {@code b}: {@code b = fma(bufferDecay, b, gradCoef*g)}, then
     * {@code g = fma(momentum, b, g)} when {@code nesterov}, else {@code g = b}, then
     * {@code p = fma(-lr, g, p)}. On the buffer's first step the optimizer passes
     * {@code bufferDecay = -0, gradCoef = 1} over a zeroed buffer, which is PyTorch's {@code b = g}
     * (with -0 the sign of a zero gradient survives, as in a copy).
     *
     * @param param the values, updated in place
     * @param grad the gradient, read only
     * @param momentumBuffer the momentum buffer {@code b}, updated in place
     * @param offset the first element to update, counted in floats (not bytes)
     * @param count how many elements to update, from {@code offset}
     * @param gradScale the factor applied to each gradient element first
     * @param weightDecay the L2 coefficient; 0 for none
     * @param lr the learning rate of this step
     * @param bufferDecay the factor of the old buffer: the momentum, or -0 on the buffer's
     *     first step
     * @param gradCoef the factor of the gradient in the buffer: {@code 1 - dampening}, or 1 on
     *     the buffer's first step
     * @param momentum the momentum of Nesterov's look-ahead; unused without {@code nesterov}
     * @param nesterov whether to step along {@code g + momentum*b} rather than {@code b}
     */
    void sgdMomentum(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
                     long offset, long count, float gradScale, float weightDecay, float lr,
                     float bufferDecay, float gradCoef, float momentum, boolean nesterov);

    /**
     * AdaGrad: {@code s = fma(g, g, s); p = fma(-clr, g / (sqrt(s) + eps), p)}, where {@code clr} is
     * the decayed learning rate of this step.
     *
     * @param param the values, updated in place
     * @param grad the gradient, read only
     * @param sum the sum of squared gradients {@code s}, updated in place
     * @param offset the first element to update, counted in floats (not bytes)
     * @param count how many elements to update, from {@code offset}
     * @param gradScale the factor applied to each gradient element first
     * @param weightDecay the L2 coefficient; 0 for none
     * @param clr the decayed learning rate {@code lr / (1 + (t-1)*lrDecay)} of step {@code t}
     * @param eps the term added to the root, {@code > 0}
     */
    void adagrad(MemorySegment param, MemorySegment grad, MemorySegment sum,
                 long offset, long count, float gradScale, float weightDecay, float clr, float eps);

    /**
     * RMSProp: {@code v = fma(alpha, v, oneMinusAlpha*(g*g))}; when {@code gradAvg} is non-null
     * (centered) {@code a = fma(alpha, a, oneMinusAlpha*g)} and {@code d = sqrt(fma(-a, a, v)) + eps},
     * else {@code d = sqrt(v) + eps}; when {@code momentumBuffer} is non-null
     * {@code b = fma(momentum, b, g/d); p = fma(-lr, b, p)}, else {@code p = fma(-lr, g/d, p)}.
     *
     * @param param the values, updated in place
     * @param grad the gradient, read only
     * @param squareAvg the running average of squared gradients {@code v}, updated in place
     * @param gradAvg the running average of gradients {@code a}, updated in place; null when not
     *     centered
     * @param momentumBuffer the momentum buffer {@code b}, updated in place; null to step without
     *     momentum (which leaves an existing buffer as it is)
     * @param offset the first element to update, counted in floats (not bytes)
     * @param count how many elements to update, from {@code offset}
     * @param gradScale the factor applied to each gradient element first
     * @param weightDecay the L2 coefficient; 0 for none
     * @param lr the learning rate of this step
     * @param alpha the smoothing constant
     * @param oneMinusAlpha {@code 1 - alpha}, as the caller rounded it
     * @param eps the term added to the root, {@code > 0}
     * @param momentum the momentum factor; unused when {@code momentumBuffer} is null
     */
    void rmsprop(MemorySegment param, MemorySegment grad, MemorySegment squareAvg,
                 MemorySegment gradAvg, MemorySegment momentumBuffer, long offset, long count,
                 float gradScale, float weightDecay, float lr, float alpha, float oneMinusAlpha,
                 float eps, float momentum);

    /**
     * Adam and its variants: {@code m = fma(beta1, m, oneMinusBeta1*g);
     * v = fma(beta2, v, oneMinusBeta2*(g*g))}; with a non-null {@code maxExpAvgSq} (AMSGrad)
     * {@code vmax = max(vmax, v)} and {@code vmax} replaces {@code v} below;
     * {@code d = fma(sqrt(v), denomScale, eps); p = fma(-stepSize, m / d, p * paramDecay)}.
     * {@code weightDecay} is the coupled (L2) term added to the gradient; {@code paramDecay} is
     * AdamW's decoupled factor {@code 1 - lr*wd} (1 for Adam). {@code denomScale} is
     * {@code 1/sqrt(1-beta2^t)} in PyTorch's epsilon convention and 1 in the epsilon-hat one,
     * where the correction is folded into {@code stepSize} instead.
     *
     * @param param the values, updated in place
     * @param grad the gradient, read only
     * @param expAvg the first moment {@code m}, updated in place
     * @param expAvgSq the second moment {@code v}, updated in place
     * @param maxExpAvgSq AMSGrad's running maximum of {@code v}, updated in place; null without
     *     AMSGrad
     * @param offset the first element to update, counted in floats (not bytes)
     * @param count how many elements to update, from {@code offset}
     * @param gradScale the factor applied to each gradient element first
     * @param weightDecay the coupled L2 coefficient; 0 for none, and for AdamW
     * @param paramDecay the factor applied to {@code p} before the step; 1 for none
     * @param beta1 the first-moment decay of this step
     * @param oneMinusBeta1 {@code 1 - beta1}, as the caller rounded it
     * @param beta2 the second-moment decay
     * @param oneMinusBeta2 {@code 1 - beta2}, as the caller rounded it
     * @param denomScale the factor of {@code sqrt(v)} in the denominator
     * @param eps the term added to the denominator, {@code > 0}
     * @param stepSize the learning rate of this step, bias-corrected
     */
    void adam(MemorySegment param, MemorySegment grad, MemorySegment expAvg,
              MemorySegment expAvgSq, MemorySegment maxExpAvgSq, long offset, long count,
              float gradScale, float weightDecay, float paramDecay, float beta1,
              float oneMinusBeta1, float beta2, float oneMinusBeta2, float denomScale, float eps,
              float stepSize);

    /**
     * Elements one {@link #sumOfSquares} call reduces at most. Callers cut each tensor into blocks
     * of this size from its first element and add the block sums in order, so the total depends
     * on neither the vector width nor the number of threads.
     */
    int REDUCTION_BLOCK = 4096;

    /**
     * The sum of {@code x*x} over {@code x = gradScale*grad[i]} (rounded to float, as an unscaled
     * gradient), for {@code count <= REDUCTION_BLOCK} elements, in double and in one canonical
     * order: 16 partial sums, partial sum {@code j} taking elements {@code offset+j},
     * {@code offset+j+16}, ... in turn, then combined by a fixed tree ({@code s[j] += s[j+8]},
     * then {@code +4}, {@code +2}, {@code +1}). A non-finite element makes the sum non-finite;
     * squares of finite floats cannot overflow a double.
     *
     * @param grad the gradient, read only
     * @param offset the first element of the block
     * @param count how many elements to sum, at most {@link #REDUCTION_BLOCK}
     * @param gradScale the factor applied to each element before it is squared
     * @return the sum of squares, the same bits from every implementation (a NaN sum aside,
     *     whose sign and payload may differ, as above)
     */
    double sumOfSquares(MemorySegment grad, long offset, long count, float gradScale);

    /**
     * Rewrites the gradient in place as {@code min(max(gradScale*g, -limit), limit)}: PyTorch's
     * {@code clip_grad_value_} on a gradient unscaled by {@code gradScale}.
     *
     * @param grad the gradient, rewritten in place
     * @param offset the first element to clamp
     * @param count how many elements to clamp, from {@code offset}
     * @param gradScale the factor applied to each element before it is clamped
     * @param limit the bound, {@code >= 0}: PyTorch's {@code clip_value}
     */
    void clamp(MemorySegment grad, long offset, long count, float gradScale, float limit);
}
