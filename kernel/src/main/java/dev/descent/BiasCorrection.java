package dev.descent;

/**
 * A bias correction {@code 1 - beta^step} in double, as PyTorch computes it, that stops calling
 * {@link Math#pow} once the power can no longer change the result.
 *
 * <p>Why: two {@code Math.pow} calls with a large integer exponent cost about 80 ns, as much as
 * updating several hundred elements. Once {@code pow(beta, step)} is at most 2^-54,
 * {@code 1 - pow} rounds to exactly 1 (2^-54 is half an ulp below 1, and a tie rounds to the even
 * 1.0), and it stays so for every later step with the same beta: {@code Math.pow} is
 * semi-monotonic, and even a pow merely within its 1-ulp bound of a smaller exact power could
 * not climb back above 2^-54 for any beta further than 2^-51 from 1. So the results are the
 * bits {@code 1 - Math.pow(beta, step)} gives, from step 1 on (with PyTorch's default 0.9 and
 * 0.999 the powers settle after about 350 and 37,000 steps).
 *
 * <p>One instance per group and beta; not thread-safe (an optimizer steps on one thread).
 */
final class BiasCorrection {

    /** The beta whose power was seen to be negligible, and the earliest step it was seen at. */
    private double settledBeta = Double.NaN;
    private long settledFrom = Long.MAX_VALUE;

    /** {@code 1 - Math.pow(beta, step)}, bit for bit. */
    double at(double beta, long step) {
        if (beta == settledBeta && step >= settledFrom) {
            return 1;
        }
        final double correction = 1 - Math.pow(beta, step);
        if (correction == 1) {
            // A new beta (a schedule may change beta1), or an earlier step (restore), or both.
            settledFrom = beta == settledBeta ? Math.min(settledFrom, step) : step;
            settledBeta = beta;
        }
        return correction;
    }
}
