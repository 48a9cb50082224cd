package dev.descent.bench;

/**
 * The peer to beat: each optimizer as a Java developer would write it over {@code float[]}, with
 * the same hyperparameters as Descent and plain expressions that C2 auto-vectorizes. More than one
 * thread splits the arrays into one chunk per thread, on as many threads as Descent would use for
 * the size, run by the persistent workers that run the roofline ({@link WorkerPool}): the textbook
 * executor ({@code invokeAll} on a fixed thread pool) allocated every step and woke parked threads,
 * which cost more than the loop itself in cache (Descent ran 8 times as fast at 65,536 elements on
 * two threads), so the column measured the executor rather than the loop.
 */
abstract class PlainJavaOptimizer implements Stepper {

    final float[] p;
    final float[] g;
    /** Null on one thread. */
    private final WorkerPool pool;
    private final WorkerPool.RangeTask pass = (from, to) -> update((int) from, (int) to);
    private long t;

    PlainJavaOptimizer(float[] values, float[] grads, int maxThreads) {
        this.p = values;
        this.g = grads;
        final int threads = Threads.forElements(maxThreads, values.length);
        this.pool = threads > 1 ? new WorkerPool("plainJava", threads) : null;
    }

    /** One step over all elements. */
    @Override
    public final void step() {
        t++;
        beginStep(t);
        if (pool == null) {
            update(0, p.length);
        } else {
            pool.run(pass, p.length);
        }
    }

    /** Computes the scalars of step {@code t} (from 1) that every element uses. */
    void beginStep(long t) {
    }

    /** Updates elements {@code [from, to)}. */
    abstract void update(int from, int to);

    @Override
    public final void close() {
        if (pool != null) {
            pool.close();
        }
    }

    /** SGD, with momentum or Nesterov momentum when {@code momentum > 0} (no dampening). */
    static final class Sgd extends PlainJavaOptimizer {
        private final float lr = (float) dev.descent.Sgd.LR_DEFAULT;
        private final float momentum;
        private final boolean nesterov;
        private final float[] buf;

        Sgd(float[] values, float[] grads, int threads, double momentum, boolean nesterov) {
            super(values, grads, threads);
            this.momentum = (float) momentum;
            this.nesterov = nesterov;
            this.buf = momentum > 0 ? new float[values.length] : null;
        }

        @Override
        void update(int from, int to) {
            if (buf == null) {
                for (int i = from; i < to; i++) {
                    p[i] -= lr * g[i];
                }
                return;
            }
            // A zeroed buffer makes the first step's buffer equal to the gradient, as PyTorch's.
            for (int i = from; i < to; i++) {
                final float b = momentum * buf[i] + g[i];
                buf[i] = b;
                p[i] -= lr * (nesterov ? g[i] + momentum * b : b);
            }
        }
    }

    /** AdaGrad without learning-rate decay. */
    static final class AdaGrad extends PlainJavaOptimizer {
        private final float lr = (float) dev.descent.AdaGrad.LR_DEFAULT;
        private final float eps = (float) dev.descent.AdaGrad.EPS_DEFAULT;
        private final float[] sum;

        AdaGrad(float[] values, float[] grads, int threads) {
            super(values, grads, threads);
            this.sum = new float[values.length];
        }

        @Override
        void update(int from, int to) {
            for (int i = from; i < to; i++) {
                sum[i] += g[i] * g[i];
                p[i] -= lr * g[i] / ((float) Math.sqrt(sum[i]) + eps);
            }
        }
    }

    /** RMSProp without momentum, centered or not. */
    static final class RmsProp extends PlainJavaOptimizer {
        private final float lr = (float) dev.descent.RmsProp.LR_DEFAULT;
        private final float alpha = (float) dev.descent.RmsProp.ALPHA_DEFAULT;
        private final float eps = (float) dev.descent.RmsProp.EPS_DEFAULT;
        private final float[] squareAvg;
        private final float[] gradAvg;

        RmsProp(float[] values, float[] grads, int threads, boolean centered) {
            super(values, grads, threads);
            this.squareAvg = new float[values.length];
            this.gradAvg = centered ? new float[values.length] : null;
        }

        @Override
        void update(int from, int to) {
            if (gradAvg == null) {
                for (int i = from; i < to; i++) {
                    squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g[i] * g[i];
                    p[i] -= lr * g[i] / ((float) Math.sqrt(squareAvg[i]) + eps);
                }
                return;
            }
            for (int i = from; i < to; i++) {
                squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g[i] * g[i];
                gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g[i];
                final float variance = squareAvg[i] - gradAvg[i] * gradAvg[i];
                p[i] -= lr * g[i] / ((float) Math.sqrt(variance) + eps);
            }
        }
    }

    /**
     * Adam, AdamW ({@code decoupledWeightDecay > 0}) or AMSGrad (without decoupled decay), in
     * PyTorch's epsilon form.
     */
    static final class Adam extends PlainJavaOptimizer {
        private final float beta1 = (float) dev.descent.Adam.BETA1_DEFAULT;
        private final float beta2 = (float) dev.descent.Adam.BETA2_DEFAULT;
        private final float eps = (float) dev.descent.Adam.EPS_DEFAULT;
        private final float decay;
        private final float[] m;
        private final float[] v;
        private final float[] vMax;
        private final AdamScalars scalars = new AdamScalars();

        Adam(float[] values, float[] grads, int threads, double decoupledWeightDecay,
             boolean amsgrad) {
            super(values, grads, threads);
            if (amsgrad && decoupledWeightDecay != 0) {
                throw new IllegalArgumentException("the AMSGrad loop has no decoupled weight"
                        + " decay, got " + decoupledWeightDecay);
            }
            this.decay = (float) (1 - dev.descent.Adam.LR_DEFAULT * decoupledWeightDecay);
            this.m = new float[values.length];
            this.v = new float[values.length];
            this.vMax = amsgrad ? new float[values.length] : null;
        }

        @Override
        void beginStep(long t) {
            scalars.at(t);
        }

        @Override
        void update(int from, int to) {
            final float stepSize = scalars.stepSize();
            final float denomScale = scalars.denomScale();
            // Adam and AMSGrad have no multiply by a decay of 1, as Descent's kernel has none.
            if (vMax != null) {
                for (int i = from; i < to; i++) {
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                    vMax[i] = Math.max(vMax[i], v[i]);
                    p[i] -= stepSize * m[i] / ((float) Math.sqrt(vMax[i]) * denomScale + eps);
                }
            } else if (decay == 1f) {
                for (int i = from; i < to; i++) {
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                    p[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) * denomScale + eps);
                }
            } else {
                for (int i = from; i < to; i++) {
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                    p[i] = p[i] * decay
                            - stepSize * m[i] / ((float) Math.sqrt(v[i]) * denomScale + eps);
                }
            }
        }
    }
}
