package dev.descent.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The reference loops: one element at a time, in exactly the float operation order that the vector
 * kernels follow lane by lane. Also the tail loop of the vector kernels, so a tail can never drift
 * from the body.
 *
 * <p>{@code Math.fma} and {@code Math.sqrt} round exactly once, as the vector instructions do, which
 * is what makes the results of all implementations bit-identical, but for the sign and payload of
 * a NaN ({@link UpdateKernels} says why).
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
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final float negLr = -lr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, plain, gradScale, decay, weightDecay);
            param.set(JAVA_FLOAT, at, Math.fma(negLr, g, p));
        }
    }

    @Override
    public void sgdMomentum(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
                            long offset, long count, float gradScale, float weightDecay, float lr,
                            float bufferDecay, float gradCoef, float momentum, boolean nesterov) {
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final boolean damped = gradCoef != 1f;
        final float negLr = -lr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, plain, gradScale, decay, weightDecay);
            final float b = Math.fma(bufferDecay, momentumBuffer.get(JAVA_FLOAT, at),
                    damped ? gradCoef * g : g);
            momentumBuffer.set(JAVA_FLOAT, at, b);
            g = nesterov ? Math.fma(momentum, b, g) : b;
            param.set(JAVA_FLOAT, at, Math.fma(negLr, g, p));
        }
    }

    @Override
    public void adagrad(MemorySegment param, MemorySegment grad, MemorySegment sum,
                        long offset, long count, float gradScale, float weightDecay, float clr,
                        float eps) {
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final float negLr = -clr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, plain, gradScale, decay, weightDecay);
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
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final boolean centered = gradAvg != null;
        final boolean withMomentum = momentumBuffer != null;
        final float negLr = -lr;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, plain, gradScale, decay, weightDecay);
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
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final boolean amsgrad = maxExpAvgSq != null;
        final boolean decoupled = paramDecay != 1f;
        final float negStep = -stepSize;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float p = param.get(JAVA_FLOAT, at);
            float g = gradient(grad, at, p, plain, gradScale, decay, weightDecay);
            final float m = Math.fma(beta1, expAvg.get(JAVA_FLOAT, at), oneMinusBeta1 * g);
            expAvg.set(JAVA_FLOAT, at, m);
            float v = Math.fma(beta2, expAvgSq.get(JAVA_FLOAT, at), oneMinusBeta2 * (g * g));
            expAvgSq.set(JAVA_FLOAT, at, v);
            if (amsgrad) {
                // Math.max for every state AMSGrad can reach, as a compare and a blend where
                // Math.max's NaN and signed-zero rules cost the vector loop six instructions
                // (C2's code at 512 bits): v is never -0 (a sum with the +0 or more of
                // (1-beta2)*g*g), and the maximum becomes NaN only through a NaN v, which stays
                // NaN. Only a restored NaN maximum beside a finite v differs.
                final float top = maxExpAvgSq.get(JAVA_FLOAT, at);
                v = top > v ? top : v;
                maxExpAvgSq.set(JAVA_FLOAT, at, v);
            }
            final float d = Math.fma(sqrt(v), denomScale, eps);
            param.set(JAVA_FLOAT, at, Math.fma(negStep, m / d, decoupled ? p * paramDecay : p));
        }
    }

    @Override
    public double sumOfSquares(MemorySegment grad, long offset, long count, float gradScale) {
        // Sixteen named partial sums keep the canonical order without an array.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        double s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0;
        final long end = offset + count;
        long i = offset;
        for (; i + 16 <= end; i += 16) {
            s0 += square(grad, i, end, gradScale);
            s1 += square(grad, i + 1, end, gradScale);
            s2 += square(grad, i + 2, end, gradScale);
            s3 += square(grad, i + 3, end, gradScale);
            s4 += square(grad, i + 4, end, gradScale);
            s5 += square(grad, i + 5, end, gradScale);
            s6 += square(grad, i + 6, end, gradScale);
            s7 += square(grad, i + 7, end, gradScale);
            s8 += square(grad, i + 8, end, gradScale);
            s9 += square(grad, i + 9, end, gradScale);
            s10 += square(grad, i + 10, end, gradScale);
            s11 += square(grad, i + 11, end, gradScale);
            s12 += square(grad, i + 12, end, gradScale);
            s13 += square(grad, i + 13, end, gradScale);
            s14 += square(grad, i + 14, end, gradScale);
            s15 += square(grad, i + 15, end, gradScale);
        }
        return finishSumOfSquares(grad, i, end, gradScale, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9,
                s10, s11, s12, s13, s14, s15);
    }

    /**
     * Ends every {@link #sumOfSquares}, whatever the vector width: adds the last, partial group
     * of 16 elements (from {@code tail} to {@code end}, possibly none) to the 16 partial sums,
     * then combines them by the fixed tree.
     *
     * @param grad the gradient, read only
     * @param tail where the last group of 16 elements starts: the first element not yet summed
     * @param end one past the last element to sum, at most {@code tail + 16}
     * @param gradScale the factor applied to each element before it is squared
     * @param s0 partial sum 0 so far: element {@code tail} goes to it
     * @param s1 partial sum 1 so far: element {@code tail + 1} goes to it
     * @param s2 partial sum 2 so far
     * @param s3 partial sum 3 so far
     * @param s4 partial sum 4 so far
     * @param s5 partial sum 5 so far
     * @param s6 partial sum 6 so far
     * @param s7 partial sum 7 so far
     * @param s8 partial sum 8 so far
     * @param s9 partial sum 9 so far
     * @param s10 partial sum 10 so far
     * @param s11 partial sum 11 so far
     * @param s12 partial sum 12 so far
     * @param s13 partial sum 13 so far
     * @param s14 partial sum 14 so far
     * @param s15 partial sum 15 so far
     * @return the sum of squares of the whole range, as {@link #sumOfSquares} returns it
     */
    public static double finishSumOfSquares(MemorySegment grad, long tail, long end,
                                            float gradScale, double s0, double s1, double s2,
                                            double s3, double s4, double s5, double s6, double s7,
                                            double s8, double s9, double s10, double s11,
                                            double s12, double s13, double s14, double s15) {
        final double a0 = s0 + square(grad, tail, end, gradScale);
        final double a1 = s1 + square(grad, tail + 1, end, gradScale);
        final double a2 = s2 + square(grad, tail + 2, end, gradScale);
        final double a3 = s3 + square(grad, tail + 3, end, gradScale);
        final double a4 = s4 + square(grad, tail + 4, end, gradScale);
        final double a5 = s5 + square(grad, tail + 5, end, gradScale);
        final double a6 = s6 + square(grad, tail + 6, end, gradScale);
        final double a7 = s7 + square(grad, tail + 7, end, gradScale);
        final double a8 = s8 + square(grad, tail + 8, end, gradScale);
        final double a9 = s9 + square(grad, tail + 9, end, gradScale);
        final double a10 = s10 + square(grad, tail + 10, end, gradScale);
        final double a11 = s11 + square(grad, tail + 11, end, gradScale);
        final double a12 = s12 + square(grad, tail + 12, end, gradScale);
        final double a13 = s13 + square(grad, tail + 13, end, gradScale);
        final double a14 = s14 + square(grad, tail + 14, end, gradScale);
        final double a15 = s15 + square(grad, tail + 15, end, gradScale);
        // The tree: s[j] += s[j+8], then s[j] += s[j+4], then s[j] += s[j+2], then s[0] + s[1].
        final double b0 = a0 + a8;
        final double b1 = a1 + a9;
        final double b2 = a2 + a10;
        final double b3 = a3 + a11;
        final double b4 = a4 + a12;
        final double b5 = a5 + a13;
        final double b6 = a6 + a14;
        final double b7 = a7 + a15;
        final double c0 = b0 + b4;
        final double c1 = b1 + b5;
        final double c2 = b2 + b6;
        final double c3 = b3 + b7;
        return (c0 + c2) + (c1 + c3);
    }

    @Override
    public void clamp(MemorySegment grad, long offset, long count, float gradScale, float limit) {
        final float low = -limit;
        for (long i = offset, end = offset + count; i < end; i++) {
            final long at = i * Float.BYTES;
            final float g = gradScale * grad.get(JAVA_FLOAT, at);
            grad.set(JAVA_FLOAT, at, Math.min(Math.max(g, low), limit));
        }
    }

    /** {@code x*x} of the scaled gradient at {@code i}, exact in double; 0 past {@code end}. */
    private static double square(MemorySegment grad, long i, long end, float gradScale) {
        if (i >= end) {
            return 0;
        }
        final double x = gradScale * grad.get(JAVA_FLOAT, i * Float.BYTES);
        return x * x;
    }

    /**
     * The gradient as every update sees it: scaled (sign, unscale, clip), plus the L2 term. A
     * {@code plain} gradient (scale 1, no L2 term) is the stored one as it is: the multiply by 1
     * it skips would give the same bits.
     */
    private static float gradient(MemorySegment grad, long at, float p, boolean plain,
                                  float gradScale, boolean decay, float weightDecay) {
        final float raw = grad.get(JAVA_FLOAT, at);
        if (plain) {
            return raw;
        }
        final float g = gradScale * raw;
        return decay ? Math.fma(weightDecay, p, g) : g;
    }

    /** Correctly rounded float square root (the double root of a float rounds to the float root). */
    private static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }
}
