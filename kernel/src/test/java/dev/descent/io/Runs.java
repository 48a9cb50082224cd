package dev.descent.io;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.descent.AdaGrad;
import dev.descent.Adam;
import dev.descent.AdamW;
import dev.descent.EpsilonMode;
import dev.descent.GradientClipping;
import dev.descent.LossScaler;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.ParameterGroup;
import dev.descent.RmsProp;
import dev.descent.Sgd;
import dev.descent.schedule.LearningRateSchedule;
import dev.descent.schedule.OneCycleLr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/** Deterministic training runs over awkwardly sized parameters, and exact snapshots of them. */
final class Runs {

    private Runs() {
    }

    /** Iterations of the runs (steps, some skipped with a loss scaler); a one-cycle schedule covers them. */
    static final long TOTAL_STEPS = 9;
    /** The iteration whose gradients hold an inf when a loss scaler is attached. */
    static final long INF_ITERATION = 4;

    /** How to build one optimizer over two groups: a named kind and its hyperparameters. */
    record Setup(String name, Function<List<List<Parameter>>, Optimizer<?>> build) {
        Optimizer<?> build(List<Parameter> parameters) {
            return build.apply(List.of(parameters.subList(0, 3), parameters.subList(3, 5)));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Every optimizer kind, with the variants whose state differs (AMSGrad, centered, Nesterov, ...). */
    static List<Setup> setups() {
        return List.of(
                new Setup("Sgd", g -> Sgd.builder().lr(0.05)
                        .group(g.get(0)).group(g.get(1), b -> b.lr(0.01).weightDecay(0.01)).build()),
                new Setup("Sgd momentum, dampening, weight decay, maximize", g -> Sgd.builder()
                        .lr(0.05).momentum(0.9).dampening(0.1).weightDecay(1e-3)
                        .group(g.get(0)).group(g.get(1), b -> b.maximize(true).momentum(0.5)).build()),
                new Setup("Sgd momentum in group 0 only", g -> Sgd.builder().lr(0.05).momentum(0.9)
                        .group(g.get(0)).group(g.get(1), b -> b.momentum(0)).build()),
                new Setup("Sgd nesterov", g -> Sgd.builder().lr(0.02).momentum(0.9).nesterov(true)
                        .group(g.get(0)).group(g.get(1), b -> b.lr(0.03)).build()),
                new Setup("Sgd momentum, one-cycle schedule", g -> {
                    final Sgd sgd = Sgd.builder().lr(0.05).momentum(0.9)
                            .group(g.get(0)).group(g.get(1)).build();
                    sgd.groups().get(0).setSchedule(
                            OneCycleLr.builder(0.1).totalSteps(TOTAL_STEPS).build());
                    return sgd;
                }),
                new Setup(SGD_MOMENTUM_LATER, g -> {
                    final Sgd sgd = Sgd.builder().lr(0.05).momentum(0.9).dampening(0.5)
                            .group(g.get(0)).group(g.get(1)).build();
                    sgd.groups().get(0).setSchedule(momentumFromStep(MOMENTUM_FROM_STEP, 0.05, 0.9));
                    return sgd;
                }),
                new Setup("Adam, one-cycle schedule of lr and beta1", g -> {
                    final Adam adam = Adam.builder().lr(0.01).group(g.get(0)).group(g.get(1)).build();
                    adam.groups().get(1).setSchedule(
                            OneCycleLr.builder(0.02).totalSteps(TOTAL_STEPS).build());
                    return adam;
                }),
                new Setup("Adam", g -> Adam.builder().lr(0.01)
                        .group(g.get(0)).group(g.get(1), b -> b.weightDecay(0.01).betas(0.8, 0.99)).build()),
                new Setup("Adam amsgrad", g -> Adam.builder().lr(0.01).amsgrad(true)
                        .group(g.get(0)).group(g.get(1), b -> b.maximize(true)).build()),
                new Setup("Adam epsilon hat", g -> Adam.builder().lr(0.01).eps(1e-6)
                        .epsilonMode(EpsilonMode.EPSILON_HAT).group(g.get(0)).group(g.get(1)).build()),
                new Setup("AdamW amsgrad", g -> AdamW.builder().lr(0.01).amsgrad(true)
                        .group(g.get(0)).group(g.get(1), b -> b.weightDecay(0.1)).build()),
                new Setup("AdaGrad", g -> AdaGrad.builder().lr(0.05).lrDecay(0.01)
                        .initialAccumulatorValue(0.1).group(g.get(0))
                        .group(g.get(1), b -> b.weightDecay(0.01)).build()),
                new Setup("RmsProp", g -> RmsProp.builder().lr(0.01)
                        .group(g.get(0)).group(g.get(1), b -> b.alpha(0.9)).build()),
                new Setup("RmsProp centered, momentum", g -> RmsProp.builder().lr(0.01)
                        .centered(true).momentum(0.9).weightDecay(1e-3)
                        .group(g.get(0)).group(g.get(1), b -> b.centered(false)).build()),
                new Setup("Adam, loss scaling, clipping by norm", g -> {
                    final Adam adam = Adam.builder().lr(0.01).group(g.get(0))
                            .group(g.get(1), b -> b.weightDecay(0.01).betas(0.8, 0.99)).build();
                    adam.setLossScaler(LossScaler.builder().initScale(1024).growthInterval(3).build());
                    adam.setGradientClipping(GradientClipping.byNorm(5.0));
                    return adam;
                }),
                new Setup("Sgd momentum, clipping by value", g -> {
                    final Sgd sgd = Sgd.builder().lr(0.05).momentum(0.9).group(g.get(0)).group(g.get(1)).build();
                    sgd.setGradientClipping(GradientClipping.byValue(0.5));
                    return sgd;
                }));
    }

    /**
     * Group 0 steps at momentum 0 until step {@link #MOMENTUM_FROM_STEP}, so its buffers start
     * there, with dampening, which makes a buffer's first step differ from the later ones.
     */
    static final String SGD_MOMENTUM_LATER = "Sgd momentum from step 4 in group 0, dampening";
    static final long MOMENTUM_FROM_STEP = 4;

    /** Learning rate {@code lr} throughout, momentum 0 before step {@code from} (from 1), then {@code momentum}. */
    static LearningRateSchedule momentumFromStep(long from, double lr, double momentum) {
        return new LearningRateSchedule() {
            @Override
            public double lr(long step) {
                return lr;
            }

            @Override
            public double baseLr() {
                return lr;
            }

            @Override
            public boolean cyclesMomentum() {
                return true;
            }

            @Override
            public double momentum(long step) {
                return step + 1 < from ? 0 : momentum;
            }
        };
    }

    /** The setup of that name. */
    static Setup setup(String name) {
        return setups().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * Five parameters, seeded: lengths 111, 1, 17, 4099 and 0. Groups take the first three and the
     * last two.
     */
    static List<Parameter> parameters(Arena arena, long seed) {
        return parameters(arena, seed, false);
    }

    /**
     * The same parameters, all on the heap ({@link Parameter#ofArrays}) if {@code onHeap}. Such
     * parameters are saved and loaded here but never stepped: a vector kernel that has seen heap
     * and native segments at one call site falls back to allocating code for both (profile
     * pollution), which {@code AllocationFreeStepTest}, run later in the same JVM, would catch.
     */
    static List<Parameter> parameters(Arena arena, long seed, boolean onHeap) {
        final List<Parameter> ps = new ArrayList<>();
        final String[] names = {"fc.weight", "fc.bias", "head", "emb.weight", "empty"};
        final int[] lengths = {111, 1, 17, 4099, 0};
        for (int k = 0; k < names.length; k++) {
            ps.add(onHeap ? Parameter.ofArrays(names[k], new float[lengths[k]], new float[lengths[k]])
                    : Parameter.allocate(arena, names[k], lengths[k]));
        }
        final SplittableRandom random = new SplittableRandom(seed);
        for (Parameter p : ps) {
            for (long i = 0; i < p.length(); i++) {
                p.setValueAt(i, (float) random.nextDouble(-1, 1));
            }
        }
        return ps;
    }

    /**
     * Runs iterations {@code from + 1 .. to}: gradients from the iteration number and the current
     * values (with a loss scaler: scaled, and one inf at {@link #INF_ITERATION}, so that step is
     * skipped and the scale backs off), and, where no schedule drives a group, a learning rate and
     * momentum that decay recursively, so the resumed run depends on the restored values.
     */
    static void train(Optimizer<?> optimizer, long from, long to) {
        for (long t = from + 1; t <= to; t++) {
            final SplittableRandom random = new SplittableRandom(1000 + t);
            final LossScaler scaler = optimizer.lossScaler();
            final float scale = scaler == null ? 1f : scaler.scale();
            for (Parameter p : optimizer.parameters()) {
                for (long i = 0; i < p.length(); i++) {
                    p.setGradAt(i, scale * ((float) random.nextDouble(-1, 1) + 0.1f * p.valueAt(i)));
                }
            }
            if (scaler != null && t == INF_ITERATION) {
                optimizer.parameters().getFirst().setGradAt(7, Float.POSITIVE_INFINITY);
            }
            for (ParameterGroup<?> group : optimizer.groups()) {
                if (group.schedule() == null) {
                    if (t % 3 == 0) {
                        group.setLr(group.lr() * 0.7);
                    }
                    if (t % 4 == 0 && group.momentum() > 0) {
                        group.setMomentum(group.momentum() * 0.99);
                    }
                }
            }
            final long before = optimizer.stepCount();
            optimizer.step();
            assertEquals(before + (optimizer.lastStepSkipped() ? 0 : 1), optimizer.stepCount());
        }
    }

    /** Every bit of values, state, step count, learning rates, momenta and loss scaler state. */
    record Snapshot(Map<String, List<Integer>> tensors, long stepCount, List<Long> lrs, List<Long> momenta,
                    List<Integer> lossScaler) {
    }

    static Snapshot snapshot(Optimizer<?> optimizer) {
        final Map<String, List<Integer>> tensors = new LinkedHashMap<>();
        for (Parameter p : optimizer.parameters()) {
            tensors.put(p.name(), bits(p.values()));
            for (Map.Entry<String, MemorySegment> s : optimizer.state(p).entrySet()) {
                tensors.put(p.name() + "." + s.getKey(), bits(s.getValue()));
            }
        }
        final List<Long> lrs = new ArrayList<>();
        final List<Long> momenta = new ArrayList<>();
        for (ParameterGroup<?> g : optimizer.groups()) {
            lrs.add(Double.doubleToRawLongBits(g.lr()));
            momenta.add(Double.doubleToRawLongBits(g.momentum()));
        }
        final LossScaler scaler = optimizer.lossScaler();
        final List<Integer> lossScaler = scaler == null ? List.of()
                : List.of(Float.floatToRawIntBits(scaler.scale()), scaler.growthTracker());
        return new Snapshot(tensors, optimizer.stepCount(), lrs, momenta, lossScaler);
    }

    /** The values of {@code parameters}, bit for bit, one list per parameter. */
    static List<List<Integer>> valueBits(List<Parameter> parameters) {
        return parameters.stream().map(p -> bits(p.values())).toList();
    }

    static List<Integer> bits(MemorySegment floats) {
        final List<Integer> out = new ArrayList<>();
        for (long i = 0; i < floats.byteSize() / Float.BYTES; i++) {
            out.add(Float.floatToRawIntBits(floats.getAtIndex(JAVA_FLOAT, i)));
        }
        return out;
    }

    /** Equal bit for bit, with a message naming the first difference. */
    static void assertSameBits(Snapshot expected, Snapshot actual, String what) {
        assertEquals(expected.tensors().keySet(), actual.tensors().keySet(), what + ": tensors");
        for (String name : expected.tensors().keySet()) {
            final List<Integer> e = expected.tensors().get(name);
            final List<Integer> a = actual.tensors().get(name);
            assertEquals(e.size(), a.size(), what + ": length of " + name);
            for (int i = 0; i < e.size(); i++) {
                if (!e.get(i).equals(a.get(i))) {
                    throw new AssertionError(what + ": " + name + "[" + i + "] is "
                            + Float.intBitsToFloat(a.get(i)) + ", expected "
                            + Float.intBitsToFloat(e.get(i)));
                }
            }
        }
        assertEquals(expected.stepCount(), actual.stepCount(), what + ": step count");
        assertEquals(expected.lrs(), actual.lrs(), what + ": learning rates (bits)");
        assertEquals(expected.momenta(), actual.momenta(), what + ": momenta (bits)");
        assertEquals(expected.lossScaler(), actual.lossScaler(), what + ": loss scale (bits) and growth tracker");
    }
}
