package dev.descent.samples;

import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;

/**
 * One linear layer, {@code prediction = x · weight + bias}, trained on mean squared error, with
 * the gradient written out by hand: no autograd, so every number the optimizer sees is visible.
 * Several samples use it: one neuron on three points, a polynomial (a linear model in the
 * features x² and x), and the diabetes regressions.
 *
 * <p>The weight and bias are float32 {@link Parameter}s off-heap, as a larger model's would be;
 * sums over the data are taken in double so that the loss itself adds no rounding worth noticing.
 */
public final class LinearRegression implements AutoCloseable {

    // Confined: one thread trains, and closing it frees the weights at once.
    private final Arena arena = Arena.ofConfined();
    private final Parameter weight;
    private final Parameter bias;

    /** A model with {@code features} weights and one bias, all starting at zero. */
    public LinearRegression(int features) {
        weight = Parameter.allocate(arena, "fc.weight", features);
        bias = Parameter.allocate(arena, "fc.bias", 1);
    }

    /** The parameters to hand to an optimizer: weight, then bias. */
    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }

    /** The weights, one per feature. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, a single element. */
    public Parameter bias() {
        return bias;
    }

    /** The model's output for one row of features. */
    public double predict(double[] x) {
        return predict(x, weights(), bias.valueAt(0));
    }

    /** Mean squared error over every row of {@code data}. */
    public double mse(Dataset data) {
        final double[] w = weights();
        final double b = bias.valueAt(0);
        double sum = 0;
        for (int i = 0; i < data.rows(); i++) {
            final double r = predict(data.features()[i], w, b) - data.target()[i];
            sum += r * r;
        }
        return sum / data.rows();
    }

    /** {@link #backward(Dataset, int[], int, int)} over every row: one full batch. */
    public double backward(Dataset data) {
        return backward(data, null, 0, data.rows());
    }

    /**
     * Writes the gradient of the MSE over a batch of rows into the parameters' grad segments, and
     * returns that batch's MSE at the current values.
     *
     * <p>With residual {@code r_i = prediction_i - y_i} and {@code L = (1/n) Σ r_i²} over the n rows
     * of the batch: {@code dL/dweight_j = (2/n) Σ r_i x_ij} and {@code dL/dbias = (2/n) Σ r_i}.
     * Every gradient is overwritten, so unlike PyTorch's accumulating {@code backward()} there is
     * no need to zero them between steps.
     *
     * @param rows the order of the rows, or null for 0, 1, 2, ...
     * @param from first position in {@code rows} of the batch
     * @param to one past its last position
     */
    public double backward(Dataset data, int[] rows, int from, int to) {
        final double[] w = weights();
        final double b = bias.valueAt(0);
        final int n = to - from;
        final double[] gradW = new double[w.length];
        double gradB = 0;
        double sum = 0;
        for (int k = from; k < to; k++) {
            final int i = rows == null ? k : rows[k];
            final double[] x = data.features()[i];
            final double r = predict(x, w, b) - data.target()[i];
            sum += r * r;
            for (int j = 0; j < w.length; j++) {
                gradW[j] += r * x[j];
            }
            gradB += r;
        }
        for (int j = 0; j < w.length; j++) {
            weight.setGradAt(j, (float) (2 * gradW[j] / n));
        }
        bias.setGradAt(0, (float) (2 * gradB / n));
        return sum / n;
    }

    /**
     * One epoch of mini-batch gradient descent: the rows in a random order (or in order when
     * {@code random} is null), cut into batches of {@code batchSize} (the last may be smaller),
     * one optimizer step per batch.
     *
     * @return the mean of the batch losses seen during the epoch, the number a training loop
     *     usually prints: cheap, but measured while the weights were still moving
     */
    public double trainEpoch(Dataset data, Optimizer<?> optimizer, int batchSize, Random random) {
        final int[] rows = random == null ? null : Shuffle.permutation(data.rows(), random);
        double lossSum = 0;
        int batches = 0;
        for (int from = 0; from < data.rows(); from += batchSize) {
            lossSum += backward(data, rows, from, Math.min(from + batchSize, data.rows()));
            optimizer.step();
            batches++;
        }
        return lossSum / batches;
    }

    /**
     * The best MSE any linear model reaches on {@code data}: solves the normal equations
     * {@code (Aᵀ A) c = Aᵀ y}, with {@code A} the features plus a column of ones for the bias, by
     * Gaussian elimination in double. The reference the optimizers are measured against.
     */
    public static double leastSquaresMse(Dataset data) {
        final double[] coef = leastSquares(data);
        double sum = 0;
        for (int i = 0; i < data.rows(); i++) {
            final double[] a = withOne(data.features()[i]);
            double prediction = 0;
            for (int c = 0; c < a.length; c++) {
                prediction += a[c] * coef[c];
            }
            final double r = prediction - data.target()[i];
            sum += r * r;
        }
        return sum / data.rows();
    }

    /** The least-squares weights, then the bias, in double. */
    public static double[] leastSquares(Dataset data) {
        final int n = data.rows();
        final int k = data.columns() + 1;
        // Augmented matrix [AᵀA | Aᵀy]; column k-1 of A is the constant 1.
        final double[][] m = new double[k][k + 1];
        for (int i = 0; i < n; i++) {
            final double[] a = withOne(data.features()[i]);
            for (int r = 0; r < k; r++) {
                for (int c = 0; c < k; c++) {
                    m[r][c] += a[r] * a[c];
                }
                m[r][k] += a[r] * data.target()[i];
            }
        }
        for (int p = 0; p < k; p++) {
            // Partial pivoting: some diabetes features (s1, s2) are strongly correlated.
            int best = p;
            for (int r = p + 1; r < k; r++) {
                if (Math.abs(m[r][p]) > Math.abs(m[best][p])) {
                    best = r;
                }
            }
            final double[] swap = m[p];
            m[p] = m[best];
            m[best] = swap;
            for (int r = p + 1; r < k; r++) {
                final double f = m[r][p] / m[p][p];
                for (int c = p; c <= k; c++) {
                    m[r][c] -= f * m[p][c];
                }
            }
        }
        final double[] coef = new double[k];
        for (int r = k - 1; r >= 0; r--) {
            double s = m[r][k];
            for (int c = r + 1; c < k; c++) {
                s -= m[r][c] * coef[c];
            }
            coef[r] = s / m[r][r];
        }
        return coef;
    }

    /** Frees the weights; the optimizer using them must be closed first or not stepped again. */
    @Override
    public void close() {
        arena.close();
    }

    private double[] weights() {
        final double[] w = new double[(int) weight.length()];
        for (int j = 0; j < w.length; j++) {
            w[j] = weight.valueAt(j);
        }
        return w;
    }

    private static double predict(double[] x, double[] w, double b) {
        double s = b;
        for (int j = 0; j < w.length; j++) {
            s += x[j] * w[j];
        }
        return s;
    }

    private static double[] withOne(double[] x) {
        final double[] a = new double[x.length + 1];
        System.arraycopy(x, 0, a, 0, x.length);
        a[x.length] = 1;
        return a;
    }
}
