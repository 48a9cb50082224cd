package dev.descent.bench;

/**
 * Adam's per-step scalars with the default lr and betas, for the baselines: PyTorch's
 * {@code lr / (1 - beta1^t)} and {@code 1 / sqrt(1 - beta2^t)}, with {@link Math#pow} skipped
 * once a power no longer changes its correction, as Descent's optimizer skips it. Two
 * {@code pow} calls cost about 80 ns, 5-12% of an Adam step over 4,096 elements: a baseline that
 * paid them every step would be slower by work that is not its loop. Steps only count up in a
 * benchmark, so a correction that has reached 1 stays there.
 */
final class AdamScalars {

    private boolean beta1Settled;
    private boolean beta2Settled;
    private float stepSize;
    private float denomScale;

    /** Computes the scalars of step {@code t}, from 1, each step after the one before. */
    void at(long t) {
        final double correction1 = beta1Settled ? 1
                : 1 - Math.pow(dev.descent.Adam.BETA1_DEFAULT, t);
        final double correction2 = beta2Settled ? 1
                : 1 - Math.pow(dev.descent.Adam.BETA2_DEFAULT, t);
        beta1Settled = correction1 == 1;
        beta2Settled = correction2 == 1;
        stepSize = (float) (dev.descent.Adam.LR_DEFAULT / correction1);
        denomScale = (float) (1 / Math.sqrt(correction2));
    }

    /** {@code lr / (1 - beta1^t)}. */
    float stepSize() {
        return stepSize;
    }

    /** {@code 1 / sqrt(1 - beta2^t)}, which scales {@code sqrt(v)}. */
    float denomScale() {
        return denomScale;
    }
}
