package dev.descent.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The reference loops: one element at a time, in exactly the float operation order that the vector
 * kernels follow lane by lane. Also the tail loop of the vector kernels, so a tail can never drift
 * from the body.
 *
 * <p>{@code Math.fma} and {@code Math.sqrt} round exactly once, as the vector instructions do, which
 * is what makes the results of all implementations bit-identical.
 */
public final class ScalarUpdateKernels implements UpdateKernels {

    /** The one instance; the class holds no state. */
    public static final ScalarUpdateKernels INSTANCE = new ScalarUpdateKernels();

    private ScalarUpdateKernels() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int vectorBitSize() {
        return Float.SIZE;
    }

    @Override
    public void sgd(MemorySegment param, MemorySegment grad, long offset, long count,
                    float gradScale, float weightDecay, float lr) {
        final boolean decay = weightDecay != 0f;
        final float negLr = -lr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, gradScale, decay, weightDecay);
            param.set(JAVA_FLOAT, at, Math.fma(negLr, g, p));
        }
    }

    @Override
    public void sgdMomentum(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
                            long offset, long count, float gradScale, float weightDecay, float lr,
                            float bufferDecay, float gradCoef, float momentum, boolean nesterov) {
        final boolean decay = weightDecay != 0f;
        final float negLr = -lr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, gradScale, decay, weightDecay);
            final float b = Math.fma(bufferDecay, momentumBuffer.get(JAVA_FLOAT, at), gradCoef * g);
            momentumBuffer.set(JAVA_FLOAT, at, b);
            g = nesterov ? Math.fma(momentum, b, g) : b;
            param.set(JAVA_FLOAT, at, Math.fma(negLr, g, p));
        }
    }

    @Override
    public void adagrad(MemorySegment param, MemorySegment grad, MemorySegment sum,
                        long offset, long count, float gradScale, float weightDecay, float clr,
                        float eps) {
        final boolean decay = weightDecay != 0f;
        final float negLr = -clr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, gradScale, decay, weightDecay);
            final float s = Math.fma(g, g, sum.get(JAVA_FLOAT, at));
            sum.set(JAVA_FLOAT, at, s);
            final float d = sqrt(s) + eps;
            param.set(JAVA_FLOAT, at, Math.fma(negLr, g / d, p));
        }
    }

    @Override
    public void rmsprop(MemorySegment param, MemorySegment grad, MemorySegment squareAvg,
                        MemorySegment gradAvg, MemorySegment momentumBuffer, long offset,
                        long count, float gradScale, float weightDecay, float lr, float alpha,
                        float oneMinusAlpha, float eps, float momentum) {
        final boolean decay = weightDecay != 0f;
        final boolean centered = gradAvg != null;
        final boolean withMomentum = momentumBuffer != null;
        final float negLr = -lr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, gradScale, decay, weightDecay);
            final float v = Math.fma(alpha, squareAvg.get(JAVA_FLOAT, at), oneMinusAlpha * (g * g));
            squareAvg.set(JAVA_FLOAT, at, v);
            final float d;
            if (centered) {
                final float a = Math.fma(alpha, gradAvg.get(JAVA_FLOAT, at), oneMinusAlpha * g);
                gradAvg.set(JAVA_FLOAT, at, a);
                d = sqrt(Math.fma(-a, a, v)) + eps;
            } else {
                d = sqrt(v) + eps;
            }
            float step = g / d;
            if (withMomentum) {
                step = Math.fma(momentum, momentumBuffer.get(JAVA_FLOAT, at), step);
                momentumBuffer.set(JAVA_FLOAT, at, step);
            }
            param.set(JAVA_FLOAT, at, Math.fma(negLr, step, p));
        }
    }

    @Override
    public void adam(MemorySegment param, MemorySegment grad, MemorySegment expAvg,
                     MemorySegment expAvgSq, MemorySegment maxExpAvgSq, long offset, long count,
                     float gradScale, float weightDecay, float paramDecay, float beta1,
                     float oneMinusBeta1, float beta2, float oneMinusBeta2, float denomScale,
                     float eps, float stepSize) {
        final boolean decay = weightDecay != 0f;
        final boolean amsgrad = maxExpAvgSq != null;
        final float negStep = -stepSize;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, gradScale, decay, weightDecay);
            final float m = Math.fma(beta1, expAvg.get(JAVA_FLOAT, at), oneMinusBeta1 * g);
            expAvg.set(JAVA_FLOAT, at, m);
            float v = Math.fma(beta2, expAvgSq.get(JAVA_FLOAT, at), oneMinusBeta2 * (g * g));
            expAvgSq.set(JAVA_FLOAT, at, v);
            if (amsgrad) {
                v = Math.max(maxExpAvgSq.get(JAVA_FLOAT, at), v);
                maxExpAvgSq.set(JAVA_FLOAT, at, v);
            }
            final float d = Math.fma(sqrt(v), denomScale, eps);
            param.set(JAVA_FLOAT, at, Math.fma(negStep, m / d, p * paramDecay));
        }
    }

    /** The gradient as every update sees it: scaled (sign, unscale, clip), plus the L2 term. */
    private static float gradient(MemorySegment grad, long at, float p, float gradScale,
                                  boolean decay, float weightDecay) {
        final float g = gradScale * grad.get(JAVA_FLOAT, at);
        return decay ? Math.fma(weightDecay, p, g) : g;
    }

    /** Correctly rounded float square root (the double root of a float rounds to the float root). */
    private static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }
}
