package dev.descent;

import dev.descent.schedule.OneCycleLr;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The single-threaded sequence of {@link AllocationFreeStepTest}: which optimizers it steps, over
 * which parameters, for how many steps. Shared with the bench's {@code AllocationRepeat}, which
 * runs the same sequence in many fresh JVMs (through this module's test jar), so the two cannot
 * drift apart. No JUnit here: the bench's shaded jar carries this class alone.
 */
public final class AllocationSequence {

    /** Long enough for C2 to compile step() and the kernels it calls. */
    public static final int WARMUP_STEPS = 30_000;
    /** The warm-up runs in this many chunks, each between two allocation readings. */
    public static final int WARMUP_CHUNKS = 3;
    /** Steps per measured window. */
    public static final int MEASURED_STEPS = 10_000;
    /** Windows measured at most: a JIT event can allocate once, a per-step allocation every time. */
    public static final int MAX_WINDOWS = 3;
    /** Parameters of awkward sizes: one element, a vector plus one, a tail, more than 4096. */
    private static final long[] SIZES = {1, 17, 1000, 4099};
    /** The Java-array parameter: past a staging chunk, with a ragged end. */
    private static final int ARRAY_SIZE = 4099;
    private static final long SEED = 2024;

    private AllocationSequence() {
    }

    /** Every optimizer kind with its heaviest options, on the caller's thread only, in order. */
    public static Map<String, Function<List<Parameter>, Optimizer<?>>> heaviestOptions() {
        final Map<String, Function<List<Parameter>, Optimizer<?>>> all = new LinkedHashMap<>();
        all.put("Sgd nesterov weightDecay", ps -> Sgd.builder().lr(1e-3).momentum(0.9)
                .nesterov(true).weightDecay(1e-2).threads(1).build(ps));
        all.put("Sgd weightDecay maximize", ps -> Sgd.builder().lr(1e-3).weightDecay(1e-2)
                .maximize(true).threads(1).build(ps));
        all.put("Adam amsgrad weightDecay", ps -> Adam.builder().lr(1e-4).amsgrad(true)
                .weightDecay(1e-2).threads(1).build(ps));
        all.put("AdamW amsgrad epsilon-hat", ps -> AdamW.builder().lr(1e-4).amsgrad(true)
                .epsilonMode(EpsilonMode.EPSILON_HAT).threads(1).build(ps));
        all.put("AdaGrad lrDecay weightDecay", ps -> AdaGrad.builder().lr(1e-3).lrDecay(1e-3)
                .weightDecay(1e-2).initialAccumulatorValue(0.1).threads(1).build(ps));
        all.put("RmsProp centered momentum weightDecay", ps -> RmsProp.builder().lr(1e-5)
                .centered(true).momentum(0.9).weightDecay(1e-2).threads(1).build(ps));
        all.put("Adam with a one-cycle schedule, clipping and loss scaling",
                AllocationSequence::adamWithEverything);
        return all;
    }

    /** A step that also evaluates a schedule (lr and beta1), the pre-pass and the scaler. */
    private static Optimizer<?> adamWithEverything(List<Parameter> ps) {
        final Adam adam = Adam.builder().lr(1e-5).threads(1).build(ps);
        adam.groups().get(0)
                .setSchedule(OneCycleLr.builder(1e-5).totalSteps(1_000_000).build());
        adam.setGradientClipping(GradientClipping.byNorm(1.0));
        adam.setLossScaler(LossScaler.builder().initScale(1).build());
        return adam;
    }

    /** The parameters every optimizer of the sequence steps, allocated in {@code arena}, filled. */
    public static List<Parameter> parameters(Arena arena) {
        final List<Parameter> parameters = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(SEED);
        for (long size : SIZES) {
            parameters.add(randomize(Parameter.allocate(arena, "p" + size, size), random));
        }
        parameters.add(randomize(Parameter.ofArrays("array", new float[ARRAY_SIZE],
                new float[ARRAY_SIZE]), random));
        return parameters;
    }

    /** Values and gradients drawn uniformly from [-1, 1). */
    static Parameter randomize(Parameter p, SplittableRandom random) {
        for (long i = 0; i < p.length(); i++) {
            p.setValueAt(i, (float) random.nextDouble(-1, 1));
            p.setGradAt(i, (float) random.nextDouble(-1, 1));
        }
        return p;
    }
}
