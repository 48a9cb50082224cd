package dev.descent;

/**
 * AdamW, PyTorch's {@code torch.optim.AdamW}: Adam with decoupled weight decay, where each step
 * first scales the parameter by {@code 1 - lr*weightDecay} and the gradient carries no L2 term.
 * The optimizer it builds is an {@link Adam} whose {@link Adam.Config#decoupledWeightDecay()} is
 * true.
 */
public final class AdamW {

    /** Default weight decay (PyTorch's AdamW). */
    public static final double WEIGHT_DECAY_DEFAULT = 1e-2;

    private AdamW() {
    }

    /**
     * {@return a builder with PyTorch's {@code AdamW} defaults: lr 1e-3, betas (0.9, 0.999), eps
     * 1e-8, weight decay 1e-2}
     */
    public static Adam.Builder builder() {
        return new Adam.Builder(true, WEIGHT_DECAY_DEFAULT);
    }
}
