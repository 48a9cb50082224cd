package dev.descent.schedule;

/**
 * PyTorch's {@code OneCycleLR} (Smith and Topin, "Super-Convergence"): the learning rate anneals
 * from {@code initialLr = maxLr / divFactor} up to {@code maxLr}, then down to
 * {@code minLr = initialLr / finalDivFactor}; momentum, when cycled, moves the other way between
 * {@code maxMomentum} and {@code baseMomentum}.
 *
 * <p>Phases end at (in PyTorch's double arithmetic, so the ends need not be whole steps):
 * <pre>
 *   phase ends at                          lr                    momentum
 *   two phases (default):
 *     pctStart * totalSteps - 1            initialLr -&gt; maxLr    maxMomentum -&gt; baseMomentum
 *     totalSteps - 1                       maxLr -&gt; minLr        baseMomentum -&gt; maxMomentum
 *   threePhase:
 *     pctStart * totalSteps - 1            initialLr -&gt; maxLr    maxMomentum -&gt; baseMomentum
 *     2 * pctStart * totalSteps - 2        maxLr -&gt; initialLr    baseMomentum -&gt; maxMomentum
 *     totalSteps - 1                       initialLr -&gt; minLr    maxMomentum -&gt; maxMomentum
 * </pre>
 * A step belongs to the first phase whose end it does not pass (the last phase takes all later
 * steps); with {@code start} the previous phase's end (0 for the first),
 * {@code pct = (step - start) / (end - start)} and
 * <pre>
 *   cos:    value = to + (from - to) / 2 * (cos(pi * pct) + 1)
 *   linear: value = (to - from) * pct + from
 * </pre>
 *
 * <h2>The end of the schedule</h2>
 * The schedule covers optimizer steps 1 to {@code totalSteps}, which use {@code lr(0)} to
 * {@code lr(totalSteps - 1)}; {@code lr(totalSteps - 1)} is {@code minLr} (to an ulp of
 * {@code maxLr} with linear annealing, whose {@code (to - from) * 1 + from} rounds) unless the
 * last phase has zero length (below). As in
 * PyTorch, whose scheduler may be stepped {@code totalSteps} times but raises on the next,
 * {@code lr(totalSteps)} is still defined (the last phase continued one step: a little above
 * {@code minLr} with cosine annealing, and below it, possibly negative, with linear annealing) and
 * any later step is refused with an {@link IllegalArgumentException}: running past the planned
 * schedule is a bug to report, not a value to invent.
 *
 * <p>A first phase ending exactly at step 0 ({@code pctStart * totalSteps == 1}), in which PyTorch
 * divides by zero at once, is refused at construction. A last phase may have zero length (e.g.
 * {@code pctStart} 1 with two phases: all warm-up): the phases before it cover every planned
 * step, so {@code lr(totalSteps - 1)} is where they end ({@code maxLr} in that example), as in
 * PyTorch, which divides by zero only at {@code totalSteps}: there {@code lr(totalSteps)} is
 * refused too, and so
 * it is where the last phase is shorter than one step, which PyTorch extrapolates to values far
 * from the schedule's (three phases over 26 steps with {@code pctStart} 27/52 gave an lr of
 * 1.1e12 for a peak of 0.1).
 */
public final class OneCycleLr implements LearningRateSchedule {

    /** PyTorch's default {@code pct_start}. */
    public static final double PCT_START_DEFAULT = 0.3;
    /** PyTorch's default {@code div_factor}. */
    public static final double DIV_FACTOR_DEFAULT = 25.0;
    /** PyTorch's default {@code final_div_factor}. */
    public static final double FINAL_DIV_FACTOR_DEFAULT = 1e4;
    /** PyTorch's default {@code base_momentum}. */
    public static final double BASE_MOMENTUM_DEFAULT = 0.85;
    /** PyTorch's default {@code max_momentum}. */
    public static final double MAX_MOMENTUM_DEFAULT = 0.95;

    /** How a phase moves between its two values ({@code anneal_strategy}). */
    public enum AnnealStrategy {
        /** Half a cosine: slow at both ends. */
        COS,
        /** A straight line. */
        LINEAR
    }

    private final double maxLr;
    private final long totalSteps;
    private final double pctStart;
    private final AnnealStrategy annealStrategy;
    private final boolean cycleMomentum;
    private final double baseMomentum;
    private final double maxMomentum;
    private final double divFactor;
    private final double finalDivFactor;
    private final boolean threePhase;
    private final double initialLr;
    private final double minLr;
    /** Per phase: where it ends, and the values it moves between. */
    private final double[] endStep;
    private final double[] startLr;
    private final double[] endLr;
    private final double[] startMomentum;
    private final double[] endMomentum;
    /**
     * The last phase's length in steps. Step {@code totalSteps}, one past its end, extrapolates
     * it by {@code 1 / length}: below one step (zero, or a rounding below zero when the phase
     * before ends at {@code totalSteps - 1}) that divides by zero or lands far from any planned
     * value (an lr of 1.1e12 where the schedule peaks at 0.1).
     */
    private final double lastPhaseLength;

    private OneCycleLr(Builder b, long totalSteps) {
        this.maxLr = b.maxLr;
        this.totalSteps = totalSteps;
        this.pctStart = b.pctStart;
        this.annealStrategy = b.annealStrategy;
        this.cycleMomentum = b.cycleMomentum;
        this.baseMomentum = b.baseMomentum;
        this.maxMomentum = b.maxMomentum;
        this.divFactor = b.divFactor;
        this.finalDivFactor = b.finalDivFactor;
        this.threePhase = b.threePhase;
        this.initialLr = maxLr / divFactor;
        this.minLr = initialLr / finalDivFactor;
        final double firstEnd = pctStart * totalSteps - 1;
        final double lastEnd = totalSteps - 1;
        if (threePhase) {
            endStep = new double[] {firstEnd, 2 * pctStart * totalSteps - 2, lastEnd};
            startLr = new double[] {initialLr, maxLr, initialLr};
            endLr = new double[] {maxLr, initialLr, minLr};
            startMomentum = new double[] {maxMomentum, baseMomentum, maxMomentum};
            endMomentum = new double[] {baseMomentum, maxMomentum, maxMomentum};
        } else {
            endStep = new double[] {firstEnd, lastEnd};
            startLr = new double[] {initialLr, maxLr};
            endLr = new double[] {maxLr, minLr};
            startMomentum = new double[] {maxMomentum, baseMomentum};
            endMomentum = new double[] {baseMomentum, maxMomentum};
        }
        // A middle phase of zero length is never entered; the first is, and PyTorch divides by
        // zero there (ZeroDivisionError), where Java would quietly produce NaN. An empty last
        // phase is entered only at totalSteps: see phase().
        if (firstEnd == 0) {
            throw new IllegalArgumentException("pctStart * totalSteps must not be exactly 1, got "
                    + pctStart + " * " + totalSteps + ": the first phase would have zero length");
        }
        lastPhaseLength = endStep[endStep.length - 1] - endStep[endStep.length - 2];
    }

    /**
     * A builder with PyTorch's defaults: {@code pctStart} 0.3, cosine annealing, {@code divFactor}
     * 25, {@code finalDivFactor} 1e4, two phases, momentum cycled between 0.85 and 0.95. Give
     * {@link Builder#totalSteps}, or {@link Builder#epochs} and {@link Builder#stepsPerEpoch}.
     *
     * @param maxLr the peak learning rate, finite and {@code >= 0}
     * @return a builder
     * @throws IllegalArgumentException if {@code maxLr} is negative or not finite
     */
    public static Builder builder(double maxLr) {
        return new Builder(maxLr);
    }

    @Override
    public double lr(long step) {
        final int phase = phase(step);
        return anneal(startLr[phase], endLr[phase], pct(step, phase));
    }

    @Override
    public boolean cyclesMomentum() {
        return cycleMomentum;
    }

    @Override
    public double momentum(long step) {
        if (!cycleMomentum) {
            return LearningRateSchedule.super.momentum(step);
        }
        final int phase = phase(step);
        return anneal(startMomentum[phase], endMomentum[phase], pct(step, phase));
    }

    /** The first phase whose end {@code step} does not pass; the last phase takes the rest. */
    private int phase(long step) {
        Args.checkStep(step);
        if (step > totalSteps) {
            throw new IllegalArgumentException("step must be <= totalSteps (" + totalSteps
                    + "), got " + step + ": the one-cycle schedule has ended");
        }
        if (step == totalSteps && lastPhaseLength < 1
                && step > endStep[endStep.length - 2]) {
            throw new IllegalArgumentException("step must be < totalSteps (" + totalSteps
                    + ") where the last phase is shorter than one step (" + lastPhaseLength
                    + " steps; pctStart " + pctStart + (threePhase ? ", three phases" : "")
                    + "), got " + step + ": PyTorch divides by zero there, or extrapolates the"
                    + " phase far past its values");
        }
        final int last = endStep.length - 1;
        int i = 0;
        while (i < last && step > endStep[i]) {
            i++;
        }
        return i;
    }

    private double pct(long step, int phase) {
        final double start = phase == 0 ? 0.0 : endStep[phase - 1];
        return (step - start) / (endStep[phase] - start);
    }

    private double anneal(double from, double to, double pct) {
        if (annealStrategy == AnnealStrategy.COS) {
            final double cosOut = Math.cos(Math.PI * pct) + 1;
            return to + (from - to) / 2.0 * cosOut;
        }
        return (to - from) * pct + from;
    }

    /** {@return PyTorch's {@code initial_lr}, {@code maxLr / divFactor}: the value at step 0} */
    @Override
    public double baseLr() {
        return initialLr;
    }

    /** {@return the peak learning rate} */
    public double maxLr() {
        return maxLr;
    }

    /**
     * {@return PyTorch's {@code min_lr}, {@code initialLr / finalDivFactor}, where the last phase
     * ends} That is {@code lr(totalSteps - 1)}, unless the phases before the last already reach
     * that step: with {@code pctStart} 1 and two phases, {@code lr(totalSteps - 1)} is
     * {@code maxLr}.
     */
    public double minLr() {
        return minLr;
    }

    /** {@return the number of optimizer steps the schedule covers} */
    public long totalSteps() {
        return totalSteps;
    }

    @Override
    public String toString() {
        return "OneCycleLr[maxLr=" + maxLr + ", totalSteps=" + totalSteps + ", pctStart=" + pctStart
                + ", annealStrategy=" + annealStrategy + ", cycleMomentum=" + cycleMomentum
                + ", baseMomentum=" + baseMomentum + ", maxMomentum=" + maxMomentum
                + ", divFactor=" + divFactor + ", finalDivFactor=" + finalDivFactor
                + ", threePhase=" + threePhase + "]";
    }

    /** Builds a {@link OneCycleLr}; setters check their argument, {@link #build()} the combination. */
    public static final class Builder {
        private final double maxLr;
        /** Zero: not given. */
        private long totalSteps;
        private long epochs;
        private long stepsPerEpoch;
        private double pctStart = PCT_START_DEFAULT;
        private AnnealStrategy annealStrategy = AnnealStrategy.COS;
        private boolean cycleMomentum = true;
        private double baseMomentum = BASE_MOMENTUM_DEFAULT;
        private double maxMomentum = MAX_MOMENTUM_DEFAULT;
        private double divFactor = DIV_FACTOR_DEFAULT;
        private double finalDivFactor = FINAL_DIV_FACTOR_DEFAULT;
        private boolean threePhase;

        private Builder(double maxLr) {
            this.maxLr = Args.finiteAtLeast("maxLr", maxLr, 0);
        }

        /**
         * Sets the number of steps in the cycle; give this, or {@link #epochs} and
         * {@link #stepsPerEpoch}.
         *
         * @param totalSteps the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code totalSteps} is below 1
         */
        public Builder totalSteps(long totalSteps) {
            this.totalSteps = Args.atLeast("totalSteps", totalSteps, 1);
            return this;
        }

        /**
         * Sets the number of epochs: with {@link #stepsPerEpoch}, instead of {@link #totalSteps}.
         *
         * @param epochs the number of epochs, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code epochs} is below 1
         */
        public Builder epochs(long epochs) {
            this.epochs = Args.atLeast("epochs", epochs, 1);
            return this;
        }

        /**
         * Sets the steps per epoch: with {@link #epochs}, instead of {@link #totalSteps}.
         *
         * @param stepsPerEpoch the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code stepsPerEpoch} is below 1
         */
        public Builder stepsPerEpoch(long stepsPerEpoch) {
            this.stepsPerEpoch = Args.atLeast("stepsPerEpoch", stepsPerEpoch, 1);
            return this;
        }

        /**
         * Sets the fraction of the cycle spent raising the learning rate; default 0.3.
         *
         * @param pctStart the fraction, in [0, 1]
         * @return this builder
         * @throws IllegalArgumentException if {@code pctStart} is outside [0, 1]
         */
        public Builder pctStart(double pctStart) {
            this.pctStart = Args.unitClosed("pctStart", pctStart);
            return this;
        }

        /**
         * Sets cosine or linear annealing; default {@link AnnealStrategy#COS}.
         *
         * @param annealStrategy how each phase moves between its values
         * @return this builder
         * @throws NullPointerException if {@code annealStrategy} is null
         */
        public Builder annealStrategy(AnnealStrategy annealStrategy) {
            this.annealStrategy = Args.notNull("annealStrategy", annealStrategy);
            return this;
        }

        /**
         * Sets whether momentum (or beta1) is cycled inversely to the learning rate; default
         * true, as in PyTorch.
         *
         * @param cycleMomentum false for a schedule of the learning rate only, which a group
         *     without momentum (AdaGrad, or SGD or RMSProp built without it) requires
         * @return this builder
         */
        public Builder cycleMomentum(boolean cycleMomentum) {
            this.cycleMomentum = cycleMomentum;
            return this;
        }

        /**
         * Sets the momentum at the peak learning rate; default 0.85.
         *
         * @param baseMomentum the momentum, in [0, 1)
         * @return this builder
         * @throws IllegalArgumentException if {@code baseMomentum} is outside [0, 1)
         */
        public Builder baseMomentum(double baseMomentum) {
            this.baseMomentum = Args.unitHalfOpen("baseMomentum", baseMomentum);
            return this;
        }

        /**
         * Sets the momentum at the start and the end; default 0.95.
         *
         * @param maxMomentum the momentum, in [0, 1)
         * @return this builder
         * @throws IllegalArgumentException if {@code maxMomentum} is outside [0, 1)
         */
        public Builder maxMomentum(double maxMomentum) {
            this.maxMomentum = Args.unitHalfOpen("maxMomentum", maxMomentum);
            return this;
        }

        /**
         * Sets {@code divFactor}, where {@code initialLr = maxLr / divFactor}; default 25.
         *
         * @param divFactor the divisor, finite and {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code divFactor} is not a finite number above 0
         */
        public Builder divFactor(double divFactor) {
            this.divFactor = Args.positiveFinite("divFactor", divFactor);
            return this;
        }

        /**
         * Sets {@code finalDivFactor}, where {@code minLr = initialLr / finalDivFactor}; default
         * 1e4.
         *
         * @param finalDivFactor the divisor, finite and {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code finalDivFactor} is not a finite number
         *     above 0
         */
        public Builder finalDivFactor(double finalDivFactor) {
            this.finalDivFactor = Args.positiveFinite("finalDivFactor", finalDivFactor);
            return this;
        }

        /**
         * A third phase, as in the paper: up to {@code maxLr}, back down to {@code initialLr}
         * symmetrically, then to {@code minLr}. Default false (fastai's two phases).
         *
         * @param threePhase true for three phases
         * @return this builder
         */
        public Builder threePhase(boolean threePhase) {
            this.threePhase = threePhase;
            return this;
        }

        /**
         * Builds the schedule.
         *
         * @return a {@link OneCycleLr} with these settings
         * @throws IllegalArgumentException if neither {@code totalSteps} nor both {@code epochs}
         *     and {@code stepsPerEpoch} were given, if both ways were, if their product overflows,
         *     or if the phases include one of zero length that PyTorch would divide by
         */
        public OneCycleLr build() {
            final boolean byEpochs = epochs != 0 || stepsPerEpoch != 0;
            if (totalSteps != 0 && byEpochs) {
                throw new IllegalArgumentException("give totalSteps, or epochs and stepsPerEpoch, "
                        + "not both: got totalSteps " + totalSteps + ", epochs " + epochs
                        + ", stepsPerEpoch " + stepsPerEpoch);
            }
            if (totalSteps != 0) {
                return new OneCycleLr(this, totalSteps);
            }
            if (epochs == 0 || stepsPerEpoch == 0) {
                throw new IllegalArgumentException("totalSteps, or epochs and stepsPerEpoch, must be"
                        + " given: got epochs " + epochs + ", stepsPerEpoch " + stepsPerEpoch);
            }
            final long product;
            try {
                product = Math.multiplyExact(epochs, stepsPerEpoch);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("epochs * stepsPerEpoch must fit in a long, got "
                        + epochs + " * " + stepsPerEpoch, e);
            }
            return new OneCycleLr(this, product);
        }
    }
}
