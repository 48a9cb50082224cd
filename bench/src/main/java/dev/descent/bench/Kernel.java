package dev.descent.bench;

import dev.descent.AdaGrad;
import dev.descent.Adam;
import dev.descent.AdamW;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.RmsProp;
import dev.descent.Sgd;
import java.util.List;
import java.util.Locale;

/**
 * The optimizer updates under test, each with PyTorch's defaults plus the one switch that makes it
 * that kernel. A JMH {@code @Param} of this type runs every constant unless {@code -p kernel=...}
 * narrows it.
 */
public enum Kernel {
    SGD(0) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return Sgd.builder();
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.Sgd(values, grads, threads, 0, false);
        }
    },
    MOMENTUM(1) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return Sgd.builder().momentum(MOMENTUM_FACTOR);
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.Sgd(values, grads, threads, MOMENTUM_FACTOR, false);
        }
    },
    NESTEROV(1) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return Sgd.builder().momentum(MOMENTUM_FACTOR).nesterov(true);
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.Sgd(values, grads, threads, MOMENTUM_FACTOR, true);
        }
    },
    ADAGRAD(1) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return AdaGrad.builder();
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.AdaGrad(values, grads, threads);
        }
    },
    RMSPROP(1) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return RmsProp.builder();
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.RmsProp(values, grads, threads, false);
        }
    },
    RMSPROP_CENTERED(2) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return RmsProp.builder().centered(true);
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.RmsProp(values, grads, threads, true);
        }
    },
    ADAM(2) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return Adam.builder();
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.Adam(values, grads, threads, 0, false);
        }
    },
    ADAMW(2) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return AdamW.builder();
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.Adam(values, grads, threads,
                    AdamW.WEIGHT_DECAY_DEFAULT, false);
        }
    },
    AMSGRAD(3) {
        @Override
        Optimizer.Builder<?, ?, ?> builder() {
            return Adam.builder().amsgrad(true);
        }

        @Override
        PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads) {
            return new PlainJavaOptimizer.Adam(values, grads, threads, 0, true);
        }
    };

    /** Momentum of the momentum and Nesterov kernels (PyTorch's default, 0, means none). */
    static final double MOMENTUM_FACTOR = 0.9;

    private final int stateTensors;

    Kernel(int stateTensors) {
        this.stateTensors = stateTensors;
    }

    /** The optimizer state tensors per parameter tensor (momentum buffer, moments, ...). */
    public int stateTensors() {
        return stateTensors;
    }

    /**
     * Bytes one step moves per parameter in float32: the gradient is read, and the value and each
     * state element are read and written. SGD 12, momentum 20, Adam 28, AMSGrad 36.
     */
    public int bytesPerParameter() {
        return Float.BYTES + 2 * Float.BYTES * (1 + stateTensors);
    }

    /** The kernel's name as tables show it, e.g. {@code rmsprop-centered}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A builder with this kernel's hyperparameters. */
    abstract Optimizer.Builder<?, ?, ?> builder();

    /** The same update written as a Java developer would, over heap arrays. */
    abstract PlainJavaOptimizer plainJava(float[] values, float[] grads, int threads);

    /** An optimizer over {@code parameters} that steps on {@code threads} threads. */
    Optimizer<?> newOptimizer(List<Parameter> parameters, int threads) {
        return builder().threads(threads).build(parameters);
    }
}
