package dev.descent;

/**
 * Where the Adam family adds epsilon: the two conventions differ in early steps and when the second
 * moment is tiny, so a model is matched against one library or the other by choosing the same.
 */
public enum EpsilonMode {
    /**
     * PyTorch (default): {@code p -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)}; epsilon
     * is added to the bias-corrected root.
     */
    PYTORCH,
    /**
     * "Epsilon hat", as TensorFlow, ND4J and the efficient form in the Adam paper:
     * {@code lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t); p -= lr_t * m / (sqrt(v) + eps)}; epsilon is
     * added to the uncorrected root.
     */
    EPSILON_HAT
}
