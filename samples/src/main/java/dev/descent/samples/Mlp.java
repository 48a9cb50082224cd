package dev.descent.samples;

import dev.descent.Parameter;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A multilayer perceptron for the digits: 64 pixels, a hidden layer with ReLU, 10 outputs with
 * softmax, trained on cross-entropy. Forward and backward passes are written out, one image at a
 * time, so that every gradient an optimizer sees is computed in plain sight; weights and gradients
 * are Descent {@link Parameter}s off-heap.
 */
final class Mlp implements AutoCloseable {

    // Confined: one thread trains; closing the model frees every weight at once.
    private final Arena arena = Arena.ofConfined();
    private final Dense hidden;
    private final Dense output;
    // Scratch for one image: activations and their gradients, reused so training allocates nothing.
    private final float[] h;
    private final float[] a;
    private final float[] z;
    private final float[] gradZ;
    private final float[] gradA;
    private final double[] p;

    /**
     * A network with weights drawn as PyTorch's {@code nn.Linear} draws them, uniform in
     * ±1/√inputs, from a seeded generator, so that two optimizers can start from the same point.
     */
    Mlp(int inputs, int hiddenUnits, int classes, long seed) {
        final Random random = new Random(seed);
        hidden = new Dense(arena, "hidden", inputs, hiddenUnits, random);
        output = new Dense(arena, "output", hiddenUnits, classes, random);
        h = new float[hiddenUnits];
        a = new float[hiddenUnits];
        z = new float[classes];
        gradZ = new float[classes];
        gradA = new float[hiddenUnits];
        p = new double[classes];
    }

    /** Weights and biases of both layers, for the optimizer. */
    List<Parameter> parameters() {
        return List.of(hidden.weight, hidden.bias, output.weight, output.bias);
    }

    /**
     * Adds the gradient of the mean cross-entropy over the batch {@code rows[from..to)} to the
     * parameters' gradients (zero them first, as in PyTorch) and returns that mean loss.
     */
    double backward(Digits data, int[] rows, int from, int to) {
        final float scale = 1f / (to - from); // the mean over the batch
        double loss = 0;
        for (int k = from; k < to; k++) {
            final float[] x = data.images()[rows[k]];
            final int label = data.labels()[rows[k]];
            final double[] p = forward(x);
            loss -= Math.log(p[label]);
            // Softmax with cross-entropy: dLoss/dz = p - onehot(label).
            for (int c = 0; c < z.length; c++) {
                gradZ[c] = (float) (c == label ? p[c] - 1 : p[c]) * scale;
            }
            output.backward(a, gradZ, gradA);
            // ReLU passes the gradient where it was active and blocks it where it was clipped.
            for (int j = 0; j < gradA.length; j++) {
                if (h[j] <= 0) {
                    gradA[j] = 0;
                }
            }
            hidden.backward(x, gradA, null);
        }
        return loss / (to - from);
    }

    /** The digit with the highest score. */
    int predict(float[] image) {
        final double[] p = forward(image);
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    /** The share of {@code data} classified correctly. */
    double accuracy(Digits data) {
        int correct = 0;
        for (int i = 0; i < data.size(); i++) {
            if (predict(data.images()[i]) == data.labels()[i]) {
                correct++;
            }
        }
        return (double) correct / data.size();
    }

    /** Mean cross-entropy over {@code data}, without touching the gradients. */
    double loss(Digits data) {
        double loss = 0;
        for (int i = 0; i < data.size(); i++) {
            loss -= Math.log(forward(data.images()[i])[data.labels()[i]]);
        }
        return loss / data.size();
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Computes h, a = relu(h), z; returns softmax(z), the class probabilities, valid until the next call. */
    private double[] forward(float[] x) {
        hidden.forward(x, h);
        for (int j = 0; j < h.length; j++) {
            a[j] = Math.max(h[j], 0f);
        }
        output.forward(a, z);
        // Shift by the largest score so that exp cannot overflow; softmax is unchanged by it.
        float max = z[0];
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int c = 0; c < z.length; c++) {
            p[c] = Math.exp(z[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < z.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /** A fully connected layer, {@code out = W·in + b}, W stored row by row (one row per output). */
    private static final class Dense {
        final Parameter weight;
        final Parameter bias;
        final int inputs;
        final int outputs;

        Dense(Arena arena, String name, int inputs, int outputs, Random random) {
            this.inputs = inputs;
            this.outputs = outputs;
            weight = Parameter.allocate(arena, name + ".weight", (long) inputs * outputs);
            bias = Parameter.allocate(arena, name + ".bias", outputs);
            final double bound = 1 / Math.sqrt(inputs);
            for (long i = 0; i < weight.length(); i++) {
                weight.setValueAt(i, (float) ((2 * random.nextDouble() - 1) * bound));
            }
            for (int o = 0; o < outputs; o++) {
                bias.setValueAt(o, (float) ((2 * random.nextDouble() - 1) * bound));
            }
        }

        void forward(float[] in, float[] out) {
            for (int o = 0; o < outputs; o++) {
                float s = bias.valueAt(o);
                final long row = (long) o * inputs;
                for (int i = 0; i < inputs; i++) {
                    s += weight.valueAt(row + i) * in[i];
                }
                out[o] = s;
            }
        }

        /**
         * Given dLoss/dout, adds dLoss/dW = gradOut·inᵀ and dLoss/db = gradOut to the gradients
         * and, unless {@code gradIn} is null, writes dLoss/din = Wᵀ·gradOut.
         */
        void backward(float[] in, float[] gradOut, float[] gradIn) {
            if (gradIn != null) {
                Arrays.fill(gradIn, 0f);
            }
            for (int o = 0; o < outputs; o++) {
                final float g = gradOut[o];
                bias.setGradAt(o, bias.gradAt(o) + g);
                final long row = (long) o * inputs;
                for (int i = 0; i < inputs; i++) {
                    weight.setGradAt(row + i, weight.gradAt(row + i) + g * in[i]);
                    if (gradIn != null) {
                        gradIn[i] += weight.valueAt(row + i) * g;
                    }
                }
            }
        }
    }
}
