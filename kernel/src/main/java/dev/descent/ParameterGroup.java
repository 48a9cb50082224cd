package dev.descent;

import java.util.List;

/**
 * Parameters that share hyperparameters, as in a PyTorch {@code param_group}: for instance a
 * smaller learning rate for pretrained layers, or no weight decay for biases.
 *
 * @param <C> the optimizer's hyperparameter record, e.g. {@link Adam.Config}
 */
public final class ParameterGroup<C extends OptimizerConfig> {

    private final List<Parameter> parameters;
    private final C config;
    private double lr;

    ParameterGroup(List<Parameter> parameters, C config) {
        this.parameters = List.copyOf(parameters);
        this.config = config;
        this.lr = config.lr();
    }

    /** The parameters, in the order they were given. */
    public List<Parameter> parameters() {
        return parameters;
    }

    /** The hyperparameters the group was built with; {@link #lr()} is the current learning rate. */
    public C config() {
        return config;
    }

    /** The learning rate the next step uses. */
    public double lr() {
        return lr;
    }

    /**
     * Sets the learning rate for the following steps, as a schedule does.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    public void setLr(double lr) {
        this.lr = Checks.finiteAtLeast("lr", lr, 0);
    }
}
