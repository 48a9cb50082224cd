package dev.descent.schedule;

import java.util.function.DoubleUnaryOperator;

/**
 * PyTorch's {@code CyclicLR} (Smith, "Cyclical Learning Rates for Training Neural Networks"): the
 * learning rate climbs from {@code baseLr} towards {@code maxLr} over {@code stepSizeUp} steps and
 * comes back over {@code stepSizeDown}, the amplitude scaled by a policy; momentum, when cycled,
 * moves the other way between {@code maxMomentum} and {@code baseMomentum}.
 * <pre>
 *   total  = stepSizeUp + stepSizeDown;  ratio = stepSizeUp / total
 *   cycle  = floor(1 + step / total)
 *   x      = 1 + step / total - cycle                      (position in the cycle, [0, 1))
 *   s      = x &lt;= ratio ? x / ratio : (x - 1) / (ratio - 1)   (0 at the ends, 1 at the peak)
 *   scale  = triangular: 1;  triangular2: 1 / 2^(cycle - 1);  exp_range: gamma^step
 *            (or scaleFn(cycle) / scaleFn(step) for a custom policy, by scaleMode)
 *   lr(step)       = baseLr + (maxLr - baseLr) * s * scale
 *   momentum(step) = maxMomentum - (maxMomentum - baseMomentum) * s * scale
 * </pre>
 * As in PyTorch, {@code cycleMomentum} is on by default and the built-in modes fix the scale mode
 * ({@code cycle} for the triangular modes, {@code iterations} for {@code exp_range});
 * {@link Builder#scaleMode} only matters with {@link Builder#scaleFn}. PyTorch sets the group's
 * momentum (or beta1) to {@code maxMomentum} at construction, which is {@code momentum(0)}.
 */
public final class CyclicLr implements LearningRateSchedule {

    /** PyTorch's default {@code step_size_up}. */
    public static final long STEP_SIZE_UP_DEFAULT = 2000;
    /** PyTorch's default {@code gamma} (for {@link Mode#EXP_RANGE}). */
    public static final double GAMMA_DEFAULT = 1.0;
    /** PyTorch's default {@code base_momentum}. */
    public static final double BASE_MOMENTUM_DEFAULT = 0.8;
    /** PyTorch's default {@code max_momentum}. */
    public static final double MAX_MOMENTUM_DEFAULT = 0.9;

    /** The built-in amplitude policies ({@code mode}). */
    public enum Mode {
        /** Constant amplitude. */
        TRIANGULAR,
        /** Amplitude halved each cycle: {@code 1 / 2^(cycle - 1)}. */
        TRIANGULAR2,
        /** Amplitude {@code gamma^step}. */
        EXP_RANGE
    }

    /** What a custom {@code scaleFn} is evaluated on ({@code scale_mode}). */
    public enum ScaleMode {
        /** The cycle number, from 1. */
        CYCLE,
        /** The step. */
        ITERATIONS
    }

    private final double baseLr;
    private final double maxLr;
    private final long stepSizeUp;
    private final long stepSizeDown;
    private final Mode mode;
    private final double gamma;
    private final DoubleUnaryOperator scaleFn;
    private final ScaleMode scaleMode;
    private final boolean cycleMomentum;
    private final double baseMomentum;
    private final double maxMomentum;
    /** PyTorch's {@code total_size} and {@code step_ratio}, in the same double arithmetic. */
    private final double totalSize;
    private final double stepRatio;

    private CyclicLr(Builder b) {
        this.baseLr = b.baseLr;
        this.maxLr = b.maxLr;
        this.stepSizeUp = b.stepSizeUp;
        this.stepSizeDown = b.stepSizeDown < 0 ? b.stepSizeUp : b.stepSizeDown;
        this.mode = b.mode;
        this.gamma = b.gamma;
        this.scaleFn = b.scaleFn;
        this.scaleMode = b.scaleFn != null ? b.scaleMode
                : mode == Mode.EXP_RANGE ? ScaleMode.ITERATIONS : ScaleMode.CYCLE;
        this.cycleMomentum = b.cycleMomentum;
        this.baseMomentum = b.baseMomentum;
        this.maxMomentum = b.maxMomentum;
        this.totalSize = (double) stepSizeUp + (double) stepSizeDown;
        this.stepRatio = stepSizeUp / totalSize;
    }

    /**
     * A builder with PyTorch's defaults: {@code stepSizeUp} 2000, {@code stepSizeDown} equal to
     * it, mode triangular, {@code gamma} 1, momentum cycled between 0.8 and 0.9.
     *
     * @param baseLr the lower learning rate, at the start of each cycle, finite and {@code >= 0}
     * @param maxLr the upper learning rate, at the peak (before scaling), finite and {@code >= 0}
     * @return a builder
     * @throws IllegalArgumentException if {@code baseLr} or {@code maxLr} is negative or not
     *     finite
     */
    public static Builder builder(double baseLr, double maxLr) {
        return new Builder(baseLr, maxLr);
    }

    @Override
    public double lr(long step) {
        Args.checkStep(step);
        final double cycle = cycle(step);
        final double baseHeight = (maxLr - baseLr) * scaleFactor(step, cycle);
        return baseLr + baseHeight * scale(step, cycle);
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
        Args.checkStep(step);
        final double cycle = cycle(step);
        final double baseHeight = (maxMomentum - baseMomentum) * scaleFactor(step, cycle);
        return maxMomentum - baseHeight * scale(step, cycle);
    }

    private double cycle(long step) {
        return Math.floor(1 + step / totalSize);
    }

    /** Where in the triangle the step is: 0 at the start and end of a cycle, 1 at the peak. */
    private double scaleFactor(long step, double cycle) {
        final double x = 1.0 + step / totalSize - cycle;
        return x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    }

    private double scale(long step, double cycle) {
        if (scaleFn != null) {
            return scaleFn.applyAsDouble(scaleMode == ScaleMode.CYCLE ? cycle : step);
        }
        return switch (mode) {
            case TRIANGULAR -> 1.0;
            case TRIANGULAR2 -> 1 / Math.pow(2.0, cycle - 1);
            case EXP_RANGE -> Math.pow(gamma, step);
        };
    }

    /** {@return the lower learning rate ({@code base_lr}), at the start of each cycle} */
    @Override
    public double baseLr() {
        return baseLr;
    }

    /** {@return the upper learning rate ({@code max_lr})} */
    public double maxLr() {
        return maxLr;
    }

    /** {@return the steps of the rising half} */
    public long stepSizeUp() {
        return stepSizeUp;
    }

    /** {@return the steps of the falling half} */
    public long stepSizeDown() {
        return stepSizeDown;
    }

    /** {@return the amplitude policy; ignored when a custom {@code scaleFn} was given} */
    public Mode mode() {
        return mode;
    }

    /**
     * {@return what the amplitude policy is evaluated on} Without a custom {@code scaleFn}, the
     * one the mode implies.
     */
    public ScaleMode scaleMode() {
        return scaleMode;
    }

    @Override
    public String toString() {
        return "CyclicLr[baseLr=" + baseLr + ", maxLr=" + maxLr + ", stepSizeUp=" + stepSizeUp
                + ", stepSizeDown=" + stepSizeDown + ", mode=" + (scaleFn == null ? mode : "scaleFn")
                + ", gamma=" + gamma + ", scaleMode=" + scaleMode + ", cycleMomentum=" + cycleMomentum
                + ", baseMomentum=" + baseMomentum + ", maxMomentum=" + maxMomentum + "]";
    }

    /** Builds a {@link CyclicLr}; setters check their argument, {@link #build()} the combination. */
    public static final class Builder {
        private final double baseLr;
        private final double maxLr;
        private long stepSizeUp = STEP_SIZE_UP_DEFAULT;
        /** Negative: not given, so equal to {@code stepSizeUp} (PyTorch's {@code None}). */
        private long stepSizeDown = -1;
        private Mode mode = Mode.TRIANGULAR;
        private double gamma = GAMMA_DEFAULT;
        private DoubleUnaryOperator scaleFn;
        private ScaleMode scaleMode = ScaleMode.CYCLE;
        private boolean scaleModeGiven;
        private boolean cycleMomentum = true;
        private double baseMomentum = BASE_MOMENTUM_DEFAULT;
        private double maxMomentum = MAX_MOMENTUM_DEFAULT;

        private Builder(double baseLr, double maxLr) {
            this.baseLr = Args.finiteAtLeast("baseLr", baseLr, 0);
            this.maxLr = Args.finiteAtLeast("maxLr", maxLr, 0);
        }

        /**
         * Sets the length of the rising half; default 2000.
         *
         * @param stepSizeUp the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code stepSizeUp} is below 1
         */
        public Builder stepSizeUp(long stepSizeUp) {
            this.stepSizeUp = Args.atLeast("stepSizeUp", stepSizeUp, 1);
            return this;
        }

        /**
         * Sets the length of the falling half; default {@code stepSizeUp}.
         *
         * @param stepSizeDown the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code stepSizeDown} is below 1
         */
        public Builder stepSizeDown(long stepSizeDown) {
            this.stepSizeDown = Args.atLeast("stepSizeDown", stepSizeDown, 1);
            return this;
        }

        /**
         * Sets the amplitude policy; default {@link Mode#TRIANGULAR}. {@link #scaleFn} overrides
         * it.
         *
         * @param mode the policy
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder mode(Mode mode) {
            this.mode = Args.notNull("mode", mode);
            return this;
        }

        /**
         * Sets the base of {@link Mode#EXP_RANGE}'s {@code gamma^step}; default 1. Other modes
         * ignore it.
         *
         * @param gamma the base, finite and {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code gamma} is not a finite number above 0
         */
        public Builder gamma(double gamma) {
            this.gamma = Args.positiveFinite("gamma", gamma);
            return this;
        }

        /**
         * A custom amplitude policy replacing {@code mode}, evaluated on the cycle number or the
         * step according to {@link #scaleMode}. It should be pure, return values in [0, 1] and
         * not allocate, or the schedule will not be either.
         *
         * @param scaleFn the amplitude as a function of the cycle number (from 1) or the step
         *     (from 0)
         * @return this builder
         * @throws NullPointerException if {@code scaleFn} is null
         */
        public Builder scaleFn(DoubleUnaryOperator scaleFn) {
            this.scaleFn = Args.notNull("scaleFn", scaleFn);
            return this;
        }

        /**
         * What a custom {@code scaleFn} is evaluated on; default {@link ScaleMode#CYCLE}. Only
         * meaningful with {@link #scaleFn}: {@link #build()} refuses a scale mode that
         * contradicts the built-in mode (PyTorch silently overrides it).
         *
         * @param scaleMode what {@code scaleFn} is evaluated on
         * @return this builder
         * @throws NullPointerException if {@code scaleMode} is null
         */
        public Builder scaleMode(ScaleMode scaleMode) {
            this.scaleMode = Args.notNull("scaleMode", scaleMode);
            this.scaleModeGiven = true;
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
         * Sets the momentum at the peak of the learning rate; default 0.8.
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
         * Sets the momentum at the start of each cycle; default 0.9.
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
         * Builds the schedule.
         *
         * @return a {@link CyclicLr} with these settings
         * @throws IllegalArgumentException if a scale mode was given without a {@code scaleFn} and
         *     differs from the one the built-in mode implies
         */
        public CyclicLr build() {
            if (scaleFn == null && scaleModeGiven) {
                final ScaleMode implied =
                        mode == Mode.EXP_RANGE ? ScaleMode.ITERATIONS : ScaleMode.CYCLE;
                if (scaleMode != implied) {
                    throw new IllegalArgumentException("scaleMode " + scaleMode
                            + " applies only with a custom scaleFn; mode " + mode + " implies "
                            + implied);
                }
            }
            return new CyclicLr(this);
        }
    }
}
