/*
 * The in-cache ceiling of the performance contract: each optimizer update as a plain C loop,
 * which NativeLoop compiles with gcc -O3 -march=native -fno-math-errno when a benchmark needs it
 * and calls through java.lang.foreign. gcc vectorizes these loops at the width it prefers for the
 * CPU (512 bits on AMD's Zen 4 and 5), contracts a*b+c into fused multiply-adds and, without
 * errno, emits the vector square root inline: about as fast as the square root and divide units
 * let an update run. Counts are int64_t, the Java side's long. Same math as
 * Descent's kernels and the benchmarks' plainJava loops, with PyTorch's defaults (SGD without
 * weight decay or dampening, the zeroed buffers that make the first step PyTorch's).
 */
#include <math.h>
#include <stdint.h>

void sgd(float *restrict p, const float *restrict g, int64_t n, float lr) {
    for (int64_t i = 0; i < n; i++) {
        p[i] -= lr * g[i];
    }
}

void sgd_momentum(float *restrict p, const float *restrict g, float *restrict b, int64_t n,
                  float lr, float momentum, int nesterov) {
    if (nesterov) {
        for (int64_t i = 0; i < n; i++) {
            const float bi = momentum * b[i] + g[i];
            b[i] = bi;
            p[i] -= lr * (g[i] + momentum * bi);
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            const float bi = momentum * b[i] + g[i];
            b[i] = bi;
            p[i] -= lr * bi;
        }
    }
}

void adagrad(float *restrict p, const float *restrict g, float *restrict sum, int64_t n,
             float lr, float eps) {
    for (int64_t i = 0; i < n; i++) {
        const float s = sum[i] + g[i] * g[i];
        sum[i] = s;
        p[i] -= lr * g[i] / (sqrtf(s) + eps);
    }
}

void rmsprop(float *restrict p, const float *restrict g, float *restrict square_avg, int64_t n,
             float lr, float alpha, float eps) {
    for (int64_t i = 0; i < n; i++) {
        const float v = alpha * square_avg[i] + (1 - alpha) * g[i] * g[i];
        square_avg[i] = v;
        p[i] -= lr * g[i] / (sqrtf(v) + eps);
    }
}

void rmsprop_centered(float *restrict p, const float *restrict g, float *restrict square_avg,
                      float *restrict grad_avg, int64_t n, float lr, float alpha, float eps) {
    for (int64_t i = 0; i < n; i++) {
        const float v = alpha * square_avg[i] + (1 - alpha) * g[i] * g[i];
        const float a = alpha * grad_avg[i] + (1 - alpha) * g[i];
        square_avg[i] = v;
        grad_avg[i] = a;
        p[i] -= lr * g[i] / (sqrtf(v - a * a) + eps);
    }
}

/* Adam and AdamW (param_decay = 1 - lr * weight_decay; 1 for Adam, whose loop has no multiply
   by it, as Descent's kernel has none). */
void adam(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
          int64_t n, float param_decay, float beta1, float beta2, float denom_scale, float eps,
          float step_size) {
    if (param_decay == 1.0f) {
        for (int64_t i = 0; i < n; i++) {
            const float mi = beta1 * m[i] + (1 - beta1) * g[i];
            const float vi = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            m[i] = mi;
            v[i] = vi;
            p[i] -= step_size * mi / (sqrtf(vi) * denom_scale + eps);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        const float mi = beta1 * m[i] + (1 - beta1) * g[i];
        const float vi = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * param_decay - step_size * mi / (sqrtf(vi) * denom_scale + eps);
    }
}

void amsgrad(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
             float *restrict v_max, int64_t n, float beta1, float beta2, float denom_scale,
             float eps, float step_size) {
    for (int64_t i = 0; i < n; i++) {
        const float mi = beta1 * m[i] + (1 - beta1) * g[i];
        const float vi = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        const float top = v_max[i] > vi ? v_max[i] : vi; /* one vmaxps; fmaxf would not vectorize */
        m[i] = mi;
        v[i] = vi;
        v_max[i] = top;
        p[i] -= step_size * mi / (sqrtf(top) * denom_scale + eps);
    }
}
