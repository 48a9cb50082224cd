package dev.descent.kernel.panama;

import dev.descent.kernel.Kernels;
import dev.descent.kernel.ScalarUpdateKernels;
import dev.descent.kernel.UpdateKernels;
import java.io.IOException;
import java.io.InputStream;
import java.lang.constant.ConstantDescs;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The update loops on {@code jdk.incubator.vector}: the body of each is the scalar loop of
 * {@link ScalarUpdateKernels} lane by lane, the tail is that scalar loop itself.
 *
 * <p>The species is a static final so C2 can intrinsify every operation: one width per class.
 * This class has the JVM's width, {@value Kernels#VECTOR_BITS_PROP_NAME} or the preferred one
 * (see {@link Kernels#vectorBits}); {@link #withBits} makes a copy of the class at another width.
 * Loaded by name only after the incubator module is known to be present.
 */
public final class PanamaUpdateKernels implements UpdateKernels {

    private static final VectorSpecies<Float> SPECIES = VectorSpecies.of(float.class,
            VectorShape.forBitSize(bitsOfThisCopy()));
    private static final int LANES = SPECIES.length();
    /** Doubles of the kernel's width, for reductions, and floats of as many lanes (half the bits). */
    private static final VectorSpecies<Double> WIDE = VectorSpecies.of(double.class, SPECIES.vectorShape());
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class,
            VectorShape.forBitSize(SPECIES.vectorBitSize() / 2));
    /**
     * The concrete classes of those vectors. Every vector the JDK makes (a load, a broadcast, a
     * zero, a conversion) is cast to one of them before use: see {@link #load}.
     */
    private static final Class<? extends FloatVector> VECTOR =
            SPECIES.vectorType().asSubclass(FloatVector.class);
    private static final Class<? extends FloatVector> HALF_VECTOR =
            HALF.vectorType().asSubclass(FloatVector.class);
    private static final Class<? extends DoubleVector> WIDE_VECTOR =
            WIDE.vectorType().asSubclass(DoubleVector.class);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final long FLOAT_BYTES = Float.BYTES;
    private static final ScalarUpdateKernels TAIL = ScalarUpdateKernels.INSTANCE;

    /** Called reflectively by {@link Kernels} once the module check has passed. */
    public PanamaUpdateKernels() {
    }

    /**
     * These kernels at {@code bits} wide vectors, whatever this JVM's width; called reflectively
     * by {@link Kernels}. A width needs a class of its own, since C2 compiles vector code only for
     * a species it knows as a constant: the copy is a hidden class defined from this class's own
     * bytes, with the width as its class data, so the loops exist once in the source.
     *
     * @param bits the vector width: 128, 256 or 512, and at most the JVM's preferred width
     * @return the kernels at that width; each call defines another hidden class, so keep the
     *     result rather than calling again
     * @throws IllegalArgumentException if {@code bits} is not 128, 256 or 512, or wider than the
     *     JVM's preferred vectors (which C2 would not compile to vector instructions)
     * @throws IllegalStateException if this class's bytes cannot be read or the copy cannot be
     *     made
     */
    public static UpdateKernels withBits(int bits) {
        final int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if ((bits != 128 && bits != 256 && bits != 512) || bits > preferred) {
            throw new IllegalArgumentException("bits must be 128, 256 or 512 and at most the"
                    + " JVM's preferred vector width, " + preferred + ", got " + bits);
        }
        final String file = PanamaUpdateKernels.class.getSimpleName() + ".class";
        try (InputStream in = PanamaUpdateKernels.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("cannot read " + file + " to copy it");
            }
            final MethodHandles.Lookup copy = MethodHandles.lookup()
                    .defineHiddenClassWithClassData(in.readAllBytes(), bits, true);
            return (UpdateKernels) copy.lookupClass().getConstructor().newInstance();
        } catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make the " + bits + "-bit kernels", e);
        }
    }

    /** The width of this class: a copy's class data (see {@link #withBits}), else the JVM's. */
    private static int bitsOfThisCopy() {
        final MethodHandles.Lookup self = MethodHandles.lookup();
        if (self.lookupClass().isHidden()) {
            try {
                return MethodHandles.classData(self, ConstantDescs.DEFAULT_NAME, Integer.class);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("a class can read its own class data", e);
            }
        }
        return checkedBits(Kernels.vectorBits(FloatVector.SPECIES_PREFERRED.vectorBitSize()));
    }

    @Override
    public String name() {
        return "panama-" + SPECIES.vectorBitSize();
    }

    @Override
    public int vectorBitSize() {
        return SPECIES.vectorBitSize();
    }

    @Override
    public void sgd(MemorySegment param, MemorySegment grad, long offset, long count,
                    float gradScale, float weightDecay, float lr) {
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final FloatVector vScale = broadcast(gradScale);
        final FloatVector vDecay = broadcast(weightDecay);
        final FloatVector vNegLr = broadcast(-lr);
        final long bodyEnd = offset + SPECIES.loopBound(count);
        long i = offset;
        for (; i < bodyEnd; i += LANES) {
            final long at = i * FLOAT_BYTES;
            final FloatVector p = load(param, at);
            FloatVector g = gradient(grad, at, p, plain, vScale, decay, vDecay);
            g.fma(vNegLr, p).intoMemorySegment(param, at, ORDER);
        }
        TAIL.sgd(param, grad, i, offset + count - i, gradScale, weightDecay, lr);
    }

    @Override
    public void sgdMomentum(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer,
                            long offset, long count, float gradScale, float weightDecay, float lr,
                            float bufferDecay, float gradCoef, float momentum, boolean nesterov) {
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final boolean damped = gradCoef != 1f;
        final FloatVector vScale = broadcast(gradScale);
        final FloatVector vDecay = broadcast(weightDecay);
        final FloatVector vNegLr = broadcast(-lr);
        final FloatVector vBufferDecay = broadcast(bufferDecay);
        final FloatVector vGradCoef = broadcast(gradCoef);
        final FloatVector vMomentum = broadcast(momentum);
        final long bodyEnd = offset + SPECIES.loopBound(count);
        long i = offset;
        for (; i < bodyEnd; i += LANES) {
            final long at = i * FLOAT_BYTES;
            final FloatVector p = load(param, at);
            FloatVector g = gradient(grad, at, p, plain, vScale, decay, vDecay);
            final FloatVector b = load(momentumBuffer, at).fma(vBufferDecay,
                    damped ? g.mul(vGradCoef) : g);
            b.intoMemorySegment(momentumBuffer, at, ORDER);
            g = nesterov ? b.fma(vMomentum, g) : b;
            g.fma(vNegLr, p).intoMemorySegment(param, at, ORDER);
        }
        TAIL.sgdMomentum(param, grad, momentumBuffer, i, offset + count - i, gradScale,
                weightDecay, lr, bufferDecay, gradCoef, momentum, nesterov);
    }

    @Override
    public void adagrad(MemorySegment param, MemorySegment grad, MemorySegment sum,
                        long offset, long count, float gradScale, float weightDecay, float clr,
                        float eps) {
        final boolean plain = gradScale == 1f && weightDecay == 0f;
        final boolean decay = weightDecay != 0f;
        final FloatVector vScale = broadcast(gradScale);
        final FloatVector vDecay = broadcast(weightDecay);
        final FloatVector vNegLr = broadcast(-clr);
        final FloatVector vEps = broadcast(eps);
        final long bodyEnd = offset + SPECIES.loopBound(count);
        long i = offset;
        for (; i < bodyEnd; i += LANES) {
            final long at = i * FLOAT_BYTES;
            final FloatVector p = load(param, at);
            FloatVector g = gradient(grad, at, p, plain, vScale, decay, vDecay);
            final FloatVector s = g.fma(g, load(sum, at));
            s.intoMemorySegment(sum, at, ORDER);
            final FloatVector d = s.lanewise(VectorOperators.SQRT).add(vEps);
            g.div(d).fma(vNegLr, p).intoMemorySegment(param, at, ORDER);
        }
        TAIL.adagrad(param, grad, sum, i, offset + count - i, gradScale, weightDecay, clr, eps);
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
        final FloatVector vScale = broadcast(gradScale);
        final FloatVector vDecay = broadcast(weightDecay);
        final FloatVector vNegLr = broadcast(-lr);
        final FloatVector vAlpha = broadcast(alpha);
        final FloatVector vOneMinusAlpha = broadcast(oneMinusAlpha);
        final FloatVector vEps = broadcast(eps);
        final FloatVector vMomentum = broadcast(momentum);
        final long bodyEnd = offset + SPECIES.loopBound(count);
        long i = offset;
        for (; i < bodyEnd; i += LANES) {
            final long at = i * FLOAT_BYTES;
            final FloatVector p = load(param, at);
            FloatVector g = gradient(grad, at, p, plain, vScale, decay, vDecay);
            final FloatVector v = load(squareAvg, at).fma(vAlpha, g.mul(g).mul(vOneMinusAlpha));
            v.intoMemorySegment(squareAvg, at, ORDER);
            FloatVector variance = v;
            if (centered) {
                final FloatVector a = load(gradAvg, at).fma(vAlpha, g.mul(vOneMinusAlpha));
                a.intoMemorySegment(gradAvg, at, ORDER);
                variance = a.neg().fma(a, v);
            }
            final FloatVector d = variance.lanewise(VectorOperators.SQRT).add(vEps);
            FloatVector step = g.div(d);
            if (withMomentum) {
                step = load(momentumBuffer, at).fma(vMomentum, step);
                step.intoMemorySegment(momentumBuffer, at, ORDER);
            }
            step.fma(vNegLr, p).intoMemorySegment(param, at, ORDER);
        }
        TAIL.rmsprop(param, grad, squareAvg, gradAvg, momentumBuffer, i, offset + count - i,
                gradScale, weightDecay, lr, alpha, oneMinusAlpha, eps, momentum);
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
        final FloatVector vScale = broadcast(gradScale);
        final FloatVector vDecay = broadcast(weightDecay);
        final FloatVector vParamDecay = broadcast(paramDecay);
        final FloatVector vBeta1 = broadcast(beta1);
        final FloatVector vOneMinusBeta1 = broadcast(oneMinusBeta1);
        final FloatVector vBeta2 = broadcast(beta2);
        final FloatVector vOneMinusBeta2 = broadcast(oneMinusBeta2);
        final FloatVector vDenomScale = broadcast(denomScale);
        final FloatVector vEps = broadcast(eps);
        final FloatVector vNegStep = broadcast(-stepSize);
        final long bodyEnd = offset + SPECIES.loopBound(count);
        long i = offset;
        for (; i < bodyEnd; i += LANES) {
            final long at = i * FLOAT_BYTES;
            final FloatVector p = load(param, at);
            FloatVector g = gradient(grad, at, p, plain, vScale, decay, vDecay);
            final FloatVector m = load(expAvg, at).fma(vBeta1, g.mul(vOneMinusBeta1));
            m.intoMemorySegment(expAvg, at, ORDER);
            FloatVector v = load(expAvgSq, at).fma(vBeta2, g.mul(g).mul(vOneMinusBeta2));
            v.intoMemorySegment(expAvgSq, at, ORDER);
            if (amsgrad) {
                final FloatVector top = load(maxExpAvgSq, at); // not max(): see the scalar loop
                v = v.blend(top, top.compare(VectorOperators.GT, v));
                v.intoMemorySegment(maxExpAvgSq, at, ORDER);
            }
            final FloatVector d = v.lanewise(VectorOperators.SQRT).fma(vDenomScale, vEps);
            m.div(d).fma(vNegStep, decoupled ? p.mul(vParamDecay) : p)
                    .intoMemorySegment(param, at, ORDER);
        }
        TAIL.adam(param, grad, expAvg, expAvgSq, maxExpAvgSq, i, offset + count - i, gradScale,
                weightDecay, paramDecay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, denomScale,
                eps, stepSize);
    }

    @Override
    public double sumOfSquares(MemorySegment grad, long offset, long count, float gradScale) {
        // LANES is a constant, so C2 keeps one of these and drops the others.
        return switch (LANES) {
            case 16 -> sumOfSquares16(grad, offset, offset + count, gradScale);
            case 8 -> sumOfSquares8(grad, offset, offset + count, gradScale);
            default -> sumOfSquares4(grad, offset, offset + count, gradScale);
        };
    }

    /*
     * The canonical order keeps 16 double partial sums, partial sum j for elements j, j+16, ...
     * Each width holds them in as many double vectors of its size as it takes, and fills each from
     * a float vector of half the size (same lane count), which widens in one instruction. The
     * last, partial group of 16 goes through the scalar code, which also combines the sums.
     */

    private static double sumOfSquares16(MemorySegment grad, long from, long end, float gradScale) {
        final FloatVector scale = halfBroadcast(gradScale);
        DoubleVector a0 = zeroWide();
        DoubleVector a1 = zeroWide();
        long i = from;
        for (; i + 16 <= end; i += 16) {
            final DoubleVector x0 = widened(grad, i, scale);
            final DoubleVector x1 = widened(grad, i + 8, scale);
            a0 = x0.fma(x0, a0);
            a1 = x1.fma(x1, a1);
        }
        return ScalarUpdateKernels.finishSumOfSquares(grad, i, end, gradScale,
                a0.lane(0), a0.lane(1), a0.lane(2), a0.lane(3),
                a0.lane(4), a0.lane(5), a0.lane(6), a0.lane(7), a1.lane(0), a1.lane(1),
                a1.lane(2), a1.lane(3), a1.lane(4), a1.lane(5), a1.lane(6), a1.lane(7));
    }

    private static double sumOfSquares8(MemorySegment grad, long from, long end, float gradScale) {
        final FloatVector scale = halfBroadcast(gradScale);
        DoubleVector a0 = zeroWide();
        DoubleVector a1 = zeroWide();
        DoubleVector a2 = zeroWide();
        DoubleVector a3 = zeroWide();
        long i = from;
        for (; i + 16 <= end; i += 16) {
            final DoubleVector x0 = widened(grad, i, scale);
            final DoubleVector x1 = widened(grad, i + 4, scale);
            final DoubleVector x2 = widened(grad, i + 8, scale);
            final DoubleVector x3 = widened(grad, i + 12, scale);
            a0 = x0.fma(x0, a0);
            a1 = x1.fma(x1, a1);
            a2 = x2.fma(x2, a2);
            a3 = x3.fma(x3, a3);
        }
        return ScalarUpdateKernels.finishSumOfSquares(grad, i, end, gradScale,
                a0.lane(0), a0.lane(1), a0.lane(2), a0.lane(3),
                a1.lane(0), a1.lane(1), a1.lane(2), a1.lane(3), a2.lane(0), a2.lane(1),
                a2.lane(2), a2.lane(3), a3.lane(0), a3.lane(1), a3.lane(2), a3.lane(3));
    }

    private static double sumOfSquares4(MemorySegment grad, long from, long end, float gradScale) {
        final FloatVector scale = halfBroadcast(gradScale);
        DoubleVector a0 = zeroWide();
        DoubleVector a1 = zeroWide();
        DoubleVector a2 = zeroWide();
        DoubleVector a3 = zeroWide();
        DoubleVector a4 = zeroWide();
        DoubleVector a5 = zeroWide();
        DoubleVector a6 = zeroWide();
        DoubleVector a7 = zeroWide();
        long i = from;
        for (; i + 16 <= end; i += 16) {
            final DoubleVector x0 = widened(grad, i, scale);
            final DoubleVector x1 = widened(grad, i + 2, scale);
            final DoubleVector x2 = widened(grad, i + 4, scale);
            final DoubleVector x3 = widened(grad, i + 6, scale);
            final DoubleVector x4 = widened(grad, i + 8, scale);
            final DoubleVector x5 = widened(grad, i + 10, scale);
            final DoubleVector x6 = widened(grad, i + 12, scale);
            final DoubleVector x7 = widened(grad, i + 14, scale);
            a0 = x0.fma(x0, a0);
            a1 = x1.fma(x1, a1);
            a2 = x2.fma(x2, a2);
            a3 = x3.fma(x3, a3);
            a4 = x4.fma(x4, a4);
            a5 = x5.fma(x5, a5);
            a6 = x6.fma(x6, a6);
            a7 = x7.fma(x7, a7);
        }
        return ScalarUpdateKernels.finishSumOfSquares(grad, i, end, gradScale,
                a0.lane(0), a0.lane(1), a1.lane(0), a1.lane(1),
                a2.lane(0), a2.lane(1), a3.lane(0), a3.lane(1), a4.lane(0), a4.lane(1),
                a5.lane(0), a5.lane(1), a6.lane(0), a6.lane(1), a7.lane(0), a7.lane(1));
    }

    /**
     * {@code scale * grad[i ..]} for the lanes of {@link #WIDE}, widened to double; the load and
     * the conversion cast to their concrete classes for the reason given at {@link #load}.
     */
    private static DoubleVector widened(MemorySegment grad, long i, FloatVector scale) {
        final FloatVector g = HALF_VECTOR.cast(
                FloatVector.fromMemorySegment(HALF, grad, i * FLOAT_BYTES, ORDER));
        return WIDE_VECTOR.cast(g.mul(scale).convertShape(VectorOperators.F2D, WIDE, 0));
    }

    @Override
    public void clamp(MemorySegment grad, long offset, long count, float gradScale, float limit) {
        final FloatVector vScale = broadcast(gradScale);
        final FloatVector vLow = broadcast(-limit);
        final FloatVector vHigh = broadcast(limit);
        final long bodyEnd = offset + SPECIES.loopBound(count);
        long i = offset;
        for (; i < bodyEnd; i += LANES) {
            final long at = i * FLOAT_BYTES;
            load(grad, at).mul(vScale).max(vLow).min(vHigh).intoMemorySegment(grad, at, ORDER);
        }
        TAIL.clamp(grad, i, offset + count - i, gradScale, limit);
    }

    /**
     * The scalar {@code gradient} of {@link ScalarUpdateKernels}, lane by lane. C2 takes a
     * loop-invariant test out of a loop by making a copy of the loop for each outcome, at most
     * three times per loop ({@code LoopNode::_unswitch_max}), the first test in the body first.
     * {@code plain} comes first and stands for two options, so that with each kernel's own one
     * or two the common case runs a loop without a test in it.
     */
    private static FloatVector gradient(MemorySegment grad, long at, FloatVector p,
                                        boolean plain, FloatVector scale, boolean decay,
                                        FloatVector weightDecay) {
        final FloatVector raw = load(grad, at);
        if (plain) {
            return raw;
        }
        final FloatVector g = raw.mul(scale);
        return decay ? p.fma(weightDecay, g) : g;
    }

    /** Below 128 bits (no SIMD, e.g. {@code -XX:UseAVX=0} on old CPUs) the scalar loop is faster. */
    private static int checkedBits(int bits) {
        if (bits < 128) {
            throw new UnsupportedOperationException("the JVM's preferred vector width is " + bits
                    + " bits; the vector kernels need at least 128");
        }
        return bits;
    }

    /** {@code value} in every lane, cast to its concrete class as at {@link #load}. */
    private static FloatVector broadcast(float value) {
        return VECTOR.cast(FloatVector.broadcast(SPECIES, value));
    }

    /** {@code value} in every lane of {@link #HALF}, cast as at {@link #load}. */
    private static FloatVector halfBroadcast(float value) {
        return HALF_VECTOR.cast(FloatVector.broadcast(HALF, value));
    }

    /** Doubles of {@link #WIDE}, all zero, cast to their concrete class as at {@link #load}. */
    private static DoubleVector zeroWide() {
        return WIDE_VECTOR.cast(DoubleVector.zero(WIDE));
    }

    /**
     * A vector from memory, cast to its concrete class. The JDK's load returns the abstract
     * {@code FloatVector}, and C2 learns the concrete class only once it has inlined the load's
     * intrinsic, after it has parsed the code that uses the vector. Until then every call on the
     * vector ({@code v.mul(w)} and the JDK's own calls inside it) is resolved from the type
     * profiles of the JDK's shared vector code, which every width in the JVM writes to: with the
     * 512- and 256-bit kernels both running, or any other vector code in the program, those
     * profiles can name the other width. C2 then speculates wrongly ({@code speculate_class_check}
     * traps in {@code FloatVector.mul} and at the AMSGrad {@code compare}), the step deoptimizes,
     * and after a few such traps C2 compiles code that keeps the vector as a heap object: 48 bytes,
     * the AMSGrad load's payload, allocated per loop iteration, in about one JVM in twenty (one in
     * five with {@code -XX:+PrintInlining}) that ran both widths. The cast names the class before
     * anything uses the vector, so no call on it depends on a profile; C2 folds the check away.
     */
    private static FloatVector load(MemorySegment segment, long byteOffset) {
        return VECTOR.cast(FloatVector.fromMemorySegment(SPECIES, segment, byteOffset, ORDER));
    }
}
