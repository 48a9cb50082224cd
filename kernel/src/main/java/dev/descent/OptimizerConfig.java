package dev.descent;

/** What every optimizer's hyperparameter record has: the initial learning rate. */
public sealed interface OptimizerConfig permits Sgd.Config, Adam.Config, AdaGrad.Config, RmsProp.Config {

    /** {@return the learning rate a group starts with} */
    double lr();
}
