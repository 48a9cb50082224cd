package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.kernel.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The optimizer's contract apart from its numbers: step counting, zeroGrad, how state is
 * allocated, named and exposed, closing, and builders (PyTorch's defaults, AdamW, per-group
 * overrides).
 */
final class OptimizerBehaviourTest {

    /** Sizes for state checks: empty, one, a vector tail, more than a cache line, large. */
    static final int[] SIZES = {0, 1, 7, 33, 1000};

    /** One configuration, the state names PyTorch gives it, and the value its state starts at. */
    record Spec(String label, Function<List<Parameter>, Optimizer<?>> build, List<String> stateNames,
                float initialState) {
        @Override
        public String toString() {
            return label;
        }
    }

    static Stream<Spec> specs() {
        return Stream.of(
                new Spec("SGD", ps -> Sgd.builder().build(ps), List.of(), 0f),
                new Spec("SGD weightDecay+dampening without momentum",
                        ps -> Sgd.builder().weightDecay(0.1).dampening(0.5).build(ps), List.of(), 0f),
                new Spec("SGD momentum", ps -> Sgd.builder().momentum(0.9).build(ps),
                        List.of("momentum_buffer"), 0f),
                new Spec("SGD nesterov", ps -> Sgd.builder().momentum(0.9).nesterov(true).build(ps),
                        List.of("momentum_buffer"), 0f),
                new Spec("Adam", ps -> Adam.builder().build(ps), List.of("exp_avg", "exp_avg_sq"), 0f),
                new Spec("Adam amsgrad", ps -> Adam.builder().amsgrad(true).build(ps),
                        List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), 0f),
                new Spec("AdamW", ps -> AdamW.builder().build(ps), List.of("exp_avg", "exp_avg_sq"), 0f),
                new Spec("AdamW amsgrad eps-hat",
                        ps -> AdamW.builder().amsgrad(true).epsilonMode(EpsilonMode.EPSILON_HAT).build(ps),
                        List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), 0f),
                new Spec("AdaGrad", ps -> AdaGrad.builder().build(ps), List.of("sum"), 0f),
                new Spec("AdaGrad initialAccumulatorValue",
                        ps -> AdaGrad.builder().initialAccumulatorValue(0.1).build(ps), List.of("sum"),
                        0.1f),
                new Spec("RMSProp", ps -> RmsProp.builder().build(ps), List.of("square_avg"), 0f),
                new Spec("RMSProp centered", ps -> RmsProp.builder().centered(true).build(ps),
                        List.of("square_avg", "grad_avg"), 0f),
                new Spec("RMSProp momentum", ps -> RmsProp.builder().momentum(0.9).build(ps),
                        List.of("square_avg", "momentum_buffer"), 0f),
                new Spec("RMSProp centered+momentum",
                        ps -> RmsProp.builder().centered(true).momentum(0.9).build(ps),
                        List.of("square_avg", "momentum_buffer", "grad_avg"), 0f));
    }

    /** Parameters of every size and every kind of memory, with random values and gradients. */
    private static List<Parameter> parameters(Arena arena, long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<Parameter> ps = new ArrayList<>();
        for (int n : SIZES) {
            ps.add(Parameter.allocate(arena, "alloc" + n, n));
            ps.add(Parameter.wrap("wrap" + n, arena.allocate(4L * n + 4, 4).asSlice(4, 4L * n),
                    arena.allocate(4L * n, 4)));
            ps.add(Parameter.ofArrays("heap" + n, new float[n], new float[n]));
        }
        for (Parameter p : ps) {
            for (long i = 0; i < p.length(); i++) {
                p.setValueAt(i, (float) random.nextDouble(-1, 1));
                p.setGradAt(i, (float) random.nextDouble(-1, 1));
            }
        }
        return ps;
    }

    private static float[] copy(MemorySegment segment) {
        return segment.toArray(JAVA_FLOAT);
    }

    // ---------------------------------------------------------------------------------------------
    // Step counting and zeroGrad
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void stepCountCountsSteps(Spec spec) {
        try (Arena arena = Arena.ofConfined();
             Optimizer<?> opt = spec.build().apply(parameters(arena, 1))) {
            assertEquals(0, opt.stepCount(), spec + ": before any step");
            opt.zeroGrad();
            opt.state(opt.parameters().get(0));
            assertEquals(0, opt.stepCount(), spec + ": zeroGrad and state() are not steps");
            for (int k = 1; k <= 5; k++) {
                opt.step();
                assertEquals(k, opt.stepCount(), spec + ": after step " + k);
            }
            opt.zeroGrad();
            assertEquals(5, opt.stepCount(), spec + ": zeroGrad is not a step");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void zeroGradZeroesEveryGradientAndNothingElse(Spec spec) {
        try (Arena arena = Arena.ofConfined();
             Optimizer<?> opt = spec.build().apply(parameters(arena, 2))) {
            opt.step();
            final List<float[]> values = new ArrayList<>();
            final List<List<float[]>> state = new ArrayList<>();
            for (Parameter p : opt.parameters()) {
                values.add(copy(p.values()));
                final List<float[]> s = new ArrayList<>();
                opt.state(p).values().forEach(seg -> s.add(copy(seg)));
                state.add(s);
            }
            opt.zeroGrad();
            for (int k = 0; k < opt.parameters().size(); k++) {
                final Parameter p = opt.parameters().get(k);
                for (long i = 0; i < p.length(); i++) {
                    // +0.0f exactly, not -0.0f.
                    assertEquals(0, Float.floatToRawIntBits(p.gradAt(i)),
                            spec + ": grad[" + i + "] of '" + p.name() + "' after zeroGrad");
                }
                assertTrue(Arrays.equals(values.get(k), copy(p.values())),
                        spec + ": zeroGrad changed the values of '" + p.name() + "'");
                final List<float[]> before = state.get(k);
                final List<MemorySegment> after = List.copyOf(opt.state(p).values());
                for (int s = 0; s < before.size(); s++) {
                    assertTrue(Arrays.equals(before.get(s), copy(after.get(s))),
                            spec + ": zeroGrad changed state of '" + p.name() + "'");
                }
            }
        }
    }

    @Test
    void zeroGradCoversEveryGroup() {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> ps = parameters(arena, 3);
            final List<Parameter> first = ps.subList(0, 5);
            final List<Parameter> second = ps.subList(5, 11);
            final List<Parameter> third = ps.subList(11, ps.size());
            try (Adam adam = Adam.builder().group(first).group(second, g -> g.lr(0.1))
                    .group(third, g -> g.amsgrad(true)).build()) {
                assertEquals(ps, adam.parameters(), "parameters of all groups, in order");
                adam.zeroGrad();
                for (Parameter p : ps) {
                    for (long i = 0; i < p.length(); i++) {
                        assertEquals(0f, p.gradAt(i), "grad[" + i + "] of '" + p.name() + "'");
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // State: allocation, names, alignment, initial values, read-only views
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void stateIsAllocatedAlignedInitializedAndNamed(Spec spec) {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> ps = parameters(arena, 4);
            try (Optimizer<?> opt = spec.build().apply(ps)) {
                final List<MemorySegment> all = new ArrayList<>();
                for (Parameter p : ps) {
                    final Map<String, MemorySegment> state = opt.state(p);
                    assertEquals(Set.copyOf(spec.stateNames()), state.keySet(),
                            spec + ": state names of '" + p.name() + "'");
                    assertEquals(spec.stateNames().size(), state.size());
                    for (Map.Entry<String, MemorySegment> e : state.entrySet()) {
                        final String what = spec + ": state " + e.getKey() + " of '" + p.name() + "'";
                        final MemorySegment s = e.getValue();
                        assertEquals(p.length() * Float.BYTES, s.byteSize(), what + ": byte size");
                        assertTrue(s.isNative(), what + " must be off-heap");
                        assertEquals(0, s.address() % Optimizer.STATE_ALIGNMENT,
                                what + ": address " + s.address() + " is not 64-byte aligned");
                        for (long i = 0; i < p.length(); i++) {
                            assertEquals(Float.floatToRawIntBits(spec.initialState()),
                                    Float.floatToRawIntBits(s.getAtIndex(JAVA_FLOAT, i)),
                                    what + "[" + i + "] must start at " + spec.initialState());
                        }
                        all.add(s);
                    }
                }
                // Every state tensor has memory of its own: none overlaps another or a parameter.
                for (int a = 0; a < all.size(); a++) {
                    for (int b = a + 1; b < all.size(); b++) {
                        if (all.get(a).byteSize() > 0 && all.get(b).byteSize() > 0) {
                            assertTrue(all.get(a).asOverlappingSlice(all.get(b)).isEmpty(),
                                    spec + ": two state tensors share memory");
                        }
                    }
                    for (Parameter p : ps) {
                        if (all.get(a).byteSize() > 0 && p.length() > 0) {
                            assertTrue(all.get(a).asOverlappingSlice(p.values()).isEmpty()
                                            && all.get(a).asOverlappingSlice(p.grad()).isEmpty(),
                                    spec + ": a state tensor shares memory with '" + p.name() + "'");
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void everyRunsStateLiesBackToBackInParameterOrderTheLargeStaggeredFromItsValues(Spec spec) {
        try (Arena arena = Arena.ofConfined()) {
            // Wrapped memory of their own, with a large parameter in between: six runs.
            final long[] lengths = {5, 33, Parameter.STAGGER_MIN_LENGTH, 16, 0, 1000};
            final List<Parameter> ps = new ArrayList<>();
            for (int i = 0; i < lengths.length; i++) {
                ps.add(Parameter.wrap("w" + i, arena.allocate(lengths[i] * Float.BYTES, 64),
                        arena.allocate(lengths[i] * Float.BYTES, 64)));
            }
            try (Optimizer<?> opt = spec.build().apply(ps)) {
                for (int k = 0; k < spec.stateNames().size(); k++) {
                    final String name = spec.stateNames().get(k);
                    long expected = opt.state(ps.get(0)).get(name).address();
                    for (int i = 0; i < ps.size(); i++) {
                        final long at = opt.state(ps.get(i)).get(name).address();
                        final String what = spec + ": " + name + " of '" + ps.get(i).name() + "'";
                        if (lengths[i] >= Parameter.STAGGER_MIN_LENGTH) {
                            assertEquals((k + 1) * Optimizer.STAGGER_BYTES % Parameter.PAGE_BYTES,
                                    Math.floorMod(at - ps.get(i).values().address(),
                                            Parameter.PAGE_BYTES),
                                    what + " must start further into its page than its values");
                            assertTrue(at >= expected && at < expected + Parameter.PAGE_BYTES,
                                    what + " must follow the previous one's within a page");
                        } else {
                            assertEquals(expected, at, what + " must follow the previous one's");
                        }
                        expected = at + Parameter.paddedLength(lengths[i]) * Float.BYTES;
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void stateViewsAreReadOnlyAndLive(Spec spec) {
        try (Arena arena = Arena.ofConfined()) {
            final Parameter p = Parameter.allocate(arena, "p", 40);
            for (int i = 0; i < 40; i++) {
                p.setValueAt(i, 0.5f);
                p.setGradAt(i, i % 2 == 0 ? 1f : -2f);
            }
            try (Optimizer<?> opt = spec.build().apply(List.of(p))) {
                final Map<String, MemorySegment> views = opt.state(p);
                assertThrows(UnsupportedOperationException.class,
                        () -> views.put("exp_avg", MemorySegment.NULL), spec + ": map is modifiable");
                assertThrows(UnsupportedOperationException.class, views::clear);
                for (Map.Entry<String, MemorySegment> e : views.entrySet()) {
                    final MemorySegment view = e.getValue();
                    assertTrue(view.isReadOnly(), spec + ": " + e.getKey() + " is writable");
                    // The JDK's contract (22+) for writing through a read-only segment.
                    assertThrows(IllegalArgumentException.class,
                            () -> view.setAtIndex(JAVA_FLOAT, 0, 1f), spec + ": " + e.getKey());
                    assertEquals(spec.initialState(), view.getAtIndex(JAVA_FLOAT, 0));
                }
                opt.step();
                // Views taken before the step see its result: they are views, not copies.
                final Map<String, MemorySegment> after = opt.state(p);
                for (String name : views.keySet()) {
                    assertTrue(views.get(name).mismatch(after.get(name)) == -1,
                            spec + ": view of " + name + " is not live");
                    assertNotEquals(spec.initialState(), views.get(name).getAtIndex(JAVA_FLOAT, 0),
                            spec + ": " + name + " was not updated by the step");
                }
            }
        }
    }

    @Test
    void stateOfParameterNotInOptimizerIsRejected() {
        try (Arena arena = Arena.ofConfined()) {
            final Parameter in = Parameter.allocate(arena, "in", 4);
            final Parameter out = Parameter.allocate(arena, "out", 4);
            try (Adam adam = Adam.builder().build(List.of(in))) {
                final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> adam.state(out));
                assertTrue(e.getMessage().contains("out"), e.getMessage());
                // Identity, not name: another parameter called "in" is not in the optimizer.
                assertThrows(IllegalArgumentException.class,
                        () -> adam.state(Parameter.allocate(arena, "in", 4)));
            }
        }
    }

    @Test
    void groupsWithDifferentOptionsGetDifferentState() {
        try (Arena arena = Arena.ofConfined()) {
            final Parameter a = Parameter.allocate(arena, "a", 8);
            final Parameter b = Parameter.allocate(arena, "b", 8);
            final Parameter c = Parameter.allocate(arena, "c", 8);
            try (RmsProp rms = RmsProp.builder().group(List.of(a))
                    .group(List.of(b), g -> g.centered(true).momentum(0.5))
                    .group(List.of(c), g -> g.momentum(0.5)).build()) {
                assertEquals(Set.of("square_avg"), rms.state(a).keySet());
                assertEquals(Set.of("square_avg", "momentum_buffer", "grad_avg"), rms.state(b).keySet());
                assertEquals(Set.of("square_avg", "momentum_buffer"), rms.state(c).keySet());
            }
            try (AdaGrad ada = AdaGrad.builder().initialAccumulatorValue(0.5).group(List.of(a))
                    .group(List.of(b), g -> g.initialAccumulatorValue(0)).build()) {
                assertEquals(0.5f, ada.state(a).get("sum").getAtIndex(JAVA_FLOAT, 7));
                assertEquals(0f, ada.state(b).get("sum").getAtIndex(JAVA_FLOAT, 7));
            }
            try (Sgd sgd = Sgd.builder().group(List.of(a)).group(List.of(b), g -> g.momentum(0.9))
                    .build()) {
                assertEquals(Set.of(), sgd.state(a).keySet());
                assertEquals(Set.of("momentum_buffer"), sgd.state(b).keySet());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // close()
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void closeFreesStateAndMakesLaterUseFail(Spec spec) {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> ps = parameters(arena, 5);
            final Optimizer<?> opt = spec.build().apply(ps);
            opt.step();
            final Parameter p = ps.get(ps.size() - 1);
            final Map<String, MemorySegment> views = opt.state(p);
            opt.close();
            assertThrows(IllegalStateException.class, opt::step, spec + ": step after close");
            assertThrows(IllegalStateException.class, () -> opt.state(p), spec + ": state after close");
            assertThrows(IllegalStateException.class, opt::zeroGrad, spec + ": zeroGrad after close");
            assertEquals(1, opt.stepCount(), spec + ": a failed step must not count");
            assertDoesNotThrow(opt::close, spec + ": second close");
            assertThrows(IllegalStateException.class, opt::step, spec + ": step after second close");
            // The state memory is gone; the parameters, which the optimizer does not own, are not.
            for (MemorySegment view : views.values()) {
                assertFalse(view.scope().isAlive(), spec + ": state still alive after close");
                assertThrows(IllegalStateException.class, () -> view.getAtIndex(JAVA_FLOAT, 0));
            }
            for (Parameter q : ps) {
                if (q.length() > 0) {
                    assertDoesNotThrow(() -> q.setValueAt(0, q.valueAt(0) + q.gradAt(0)));
                }
            }
        }
    }

    @Test
    void stepOnParameterWhoseArenaClosedFailsAndChangesNothing() {
        final Arena mine = Arena.ofConfined();
        final Parameter gone = Parameter.allocate(mine, "gone", 8);
        final float[] values = {1, 2, 3};
        final Parameter kept = Parameter.ofArrays("kept", values, new float[] {1, 1, 1});
        try (Sgd sgd = Sgd.builder().lr(0.5).build(List.of(kept, gone))) {
            mine.close();
            assertThrows(IllegalStateException.class, sgd::step);
            assertEquals(0, sgd.stepCount());
            assertEquals(1f, values[0], "a failed step must change nothing");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Builders: PyTorch's defaults, AdamW, per-group overrides
    // ---------------------------------------------------------------------------------------------

    private static <C extends OptimizerConfig> C configOf(Optimizer<C> opt) {
        assertEquals(1, opt.groups().size());
        final ParameterGroup<C> group = opt.groups().get(0);
        assertEquals(group.config().lr(), group.lr(), "a group starts at its config's lr");
        return group.config();
    }

    @Test
    void builderDefaultsArePyTorchDefaults() {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> ps = List.of(Parameter.allocate(arena, "p", 3));
            // torch.optim.SGD(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)
            try (Sgd sgd = Sgd.builder().build(ps)) {
                assertEquals(new Sgd.Config(1e-3, 0, 0, 0, false, false), configOf(sgd));
            }
            // torch.optim.Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)
            try (Adam adam = Adam.builder().build(ps)) {
                assertEquals(new Adam.Config(1e-3, 0.9, 0.999, 1e-8, 0, false, false, false,
                        EpsilonMode.PYTORCH), configOf(adam));
            }
            // torch.optim.AdamW: as Adam, with weight_decay=1e-2 (decoupled)
            try (Adam adamW = AdamW.builder().build(ps)) {
                assertEquals(new Adam.Config(1e-3, 0.9, 0.999, 1e-8, 1e-2, true, false, false,
                        EpsilonMode.PYTORCH), configOf(adamW));
            }
            // torch.optim.Adagrad(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
            // eps=1e-10)
            try (AdaGrad adaGrad = AdaGrad.builder().build(ps)) {
                assertEquals(new AdaGrad.Config(1e-2, 0, 0, 0, 1e-10, false), configOf(adaGrad));
            }
            // torch.optim.RMSprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
            // centered=False)
            try (RmsProp rmsProp = RmsProp.builder().build(ps)) {
                assertEquals(new RmsProp.Config(1e-2, 0.99, 1e-8, 0, 0, false, false),
                        configOf(rmsProp));
            }
        }
        assertEquals(1e-3, Sgd.LR_DEFAULT);
        assertEquals(1e-3, Adam.LR_DEFAULT);
        assertEquals(0.9, Adam.BETA1_DEFAULT);
        assertEquals(0.999, Adam.BETA2_DEFAULT);
        assertEquals(1e-8, Adam.EPS_DEFAULT);
        assertEquals(1e-2, AdamW.WEIGHT_DECAY_DEFAULT);
        assertEquals(1e-2, AdaGrad.LR_DEFAULT);
        assertEquals(1e-10, AdaGrad.EPS_DEFAULT);
        assertEquals(1e-2, RmsProp.LR_DEFAULT);
        assertEquals(0.99, RmsProp.ALPHA_DEFAULT);
        assertEquals(1e-8, RmsProp.EPS_DEFAULT);
    }

    @Test
    void adamWBuilderBuildsDecoupledAdam() {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> ps = List.of(Parameter.allocate(arena, "p", 3));
            final Optimizer<?> built = AdamW.builder().build(ps);
            try (built) {
                final Adam adam = assertInstanceOf(Adam.class, built);
                final Adam.Config c = configOf(adam);
                assertTrue(c.decoupledWeightDecay(), "AdamW decays the parameter, not the gradient");
                assertEquals(0.01, c.weightDecay());
                assertEquals(Set.of("exp_avg", "exp_avg_sq"), adam.state(ps.get(0)).keySet());
            }
            // Every setter keeps the decoupled flag, including a weight decay of 0 and per group.
            try (Adam adam = AdamW.builder().weightDecay(0).lr(0.1).amsgrad(true)
                    .group(ps, g -> g.weightDecay(0.5)).build()) {
                assertTrue(adam.groups().get(0).config().decoupledWeightDecay());
                assertEquals(0.5, adam.groups().get(0).config().weightDecay());
            }
            try (Adam adam = Adam.builder().build(ps)) {
                assertFalse(configOf(adam).decoupledWeightDecay(), "Adam's weight decay is coupled");
                assertEquals(0, configOf(adam).weightDecay());
            }
        }
    }

    @Test
    void perGroupOverridesDoNotLeak() {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> a = List.of(Parameter.allocate(arena, "a", 3));
            final List<Parameter> b = List.of(Parameter.allocate(arena, "b", 3));
            final List<Parameter> c = List.of(Parameter.allocate(arena, "c", 3));
            final List<Parameter> d = List.of(Parameter.allocate(arena, "d", 3));

            final Adam.Builder adamBuilder = Adam.builder().lr(2e-3);
            try (Adam adam = adamBuilder
                    .group(a, g -> g.lr(0.5).betas(0.5, 0.6).eps(1e-3).weightDecay(0.2).amsgrad(true)
                            .maximize(true).epsilonMode(EpsilonMode.EPSILON_HAT))
                    .group(b)
                    .build()) {
                assertEquals(new Adam.Config(0.5, 0.5, 0.6, 1e-3, 0.2, false, true, true,
                        EpsilonMode.EPSILON_HAT), adam.groups().get(0).config());
                assertEquals(new Adam.Config(2e-3, 0.9, 0.999, 1e-8, 0, false, false, false,
                        EpsilonMode.PYTORCH), adam.groups().get(1).config(),
                        "the first group's overrides leaked into the second");
            }
            // The builder itself keeps its own settings: a new single-group build sees them.
            try (Adam adam = Adam.builder().lr(2e-3).group(a, g -> g.lr(0.5)).group(b).build();
                 Adam fresh = Adam.builder().lr(2e-3).build(c)) {
                assertEquals(configOf(fresh), adam.groups().get(1).config());
            }

            // A group takes the builder's settings as they are when it is added.
            try (Sgd sgd = Sgd.builder().momentum(0.9).group(a)
                    .lr(0.1).group(b, g -> g.nesterov(true).weightDecay(0.3))
                    .group(c).build()) {
                assertEquals(new Sgd.Config(1e-3, 0.9, 0, 0, false, false), sgd.groups().get(0).config());
                assertEquals(new Sgd.Config(0.1, 0.9, 0, 0.3, true, false), sgd.groups().get(1).config());
                assertEquals(new Sgd.Config(0.1, 0.9, 0, 0, false, false), sgd.groups().get(2).config());
            }

            try (AdaGrad ada = AdaGrad.builder()
                    .group(a, g -> g.lr(0.5).lrDecay(0.1).weightDecay(0.2)
                            .initialAccumulatorValue(0.3).eps(1e-3).maximize(true))
                    .group(b).build()) {
                assertEquals(new AdaGrad.Config(0.5, 0.1, 0.2, 0.3, 1e-3, true),
                        ada.groups().get(0).config());
                assertEquals(new AdaGrad.Config(1e-2, 0, 0, 0, 1e-10, false),
                        ada.groups().get(1).config());
            }

            try (RmsProp rms = RmsProp.builder()
                    .group(a, g -> g.lr(0.5).alpha(0.5).eps(1e-3).weightDecay(0.2).momentum(0.4)
                            .centered(true).maximize(true))
                    .group(b).group(c, g -> g.momentum(0.1)).group(d).build()) {
                assertEquals(new RmsProp.Config(0.5, 0.5, 1e-3, 0.2, 0.4, true, true),
                        rms.groups().get(0).config());
                final RmsProp.Config defaults = new RmsProp.Config(1e-2, 0.99, 1e-8, 0, 0, false,
                        false);
                assertEquals(defaults, rms.groups().get(1).config());
                assertEquals(new RmsProp.Config(1e-2, 0.99, 1e-8, 0, 0.1, false, false),
                        rms.groups().get(2).config());
                assertEquals(defaults, rms.groups().get(3).config());
            }
        }
    }

    @Test
    void setLrChangesOneGroupOnly() {
        try (Arena arena = Arena.ofConfined()) {
            final List<Parameter> a = List.of(Parameter.allocate(arena, "a", 3));
            final List<Parameter> b = List.of(Parameter.allocate(arena, "b", 3));
            try (Adam adam = Adam.builder().group(a).group(b, g -> g.lr(0.1)).build()) {
                final ParameterGroup<Adam.Config> first = adam.groups().get(0);
                final ParameterGroup<Adam.Config> second = adam.groups().get(1);
                first.setLr(0.25);
                assertEquals(0.25, first.lr());
                assertEquals(1e-3, first.config().lr(), "config keeps the initial lr");
                assertEquals(0.1, second.lr());
                first.setLr(0);
                assertEquals(0, first.lr());
                for (double bad : new double[] {-1e-3, Double.NaN, Double.POSITIVE_INFINITY}) {
                    final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> first.setLr(bad), "setLr(" + bad + ")");
                    assertTrue(e.getMessage().contains("lr"), e.getMessage());
                    assertEquals(0, first.lr(), "a rejected setLr must change nothing");
                }
                assertSame(a.get(0), first.parameters().get(0));
            }
        }
    }

    @Test
    void kernelIsTheOneThisTestRunExpects() {
        // Each surefire execution names the kernel it means to test; make sure these tests ran on it.
        final String expected = System.getProperty("descent.test.expectedKernel");
        try (Arena arena = Arena.ofConfined();
             Sgd sgd = Sgd.builder().build(List.of(Parameter.allocate(arena, "p", 1)))) {
            assertEquals(Kernels.provider().name(), sgd.kernelName());
            if (expected != null) {
                assertTrue(sgd.kernelName().startsWith(expected),
                        "kernel " + sgd.kernelName() + ", expected " + expected);
            }
        }
    }

    /**
     * Until its first step an optimizer reports the provider's kernels; the step picks those for
     * its working set: values, gradients and every state tensor, per thread.
     */
    @Test
    void theFirstStepPicksTheKernelsForItsWorkingSet() {
        record Case(String what, Function<List<Parameter>, Optimizer<?>> build, long[] lengths,
                    int tensors, boolean divideBound) { }
        final List<Case> cases = List.of(
                new Case("SGD", ps -> Sgd.builder().threads(1).build(ps), new long[] {4096}, 2,
                        false),
                new Case("SGD momentum", ps -> Sgd.builder().momentum(0.9).threads(1).build(ps),
                        new long[] {16384, 112}, 3, false),
                new Case("AdaGrad", ps -> AdaGrad.builder().threads(1).build(ps),
                        new long[] {65536}, 3, true),
                new Case("AMSGrad", ps -> Adam.builder().amsgrad(true).threads(1).build(ps),
                        new long[] {8192, 8192}, 5, true));
        for (Case c : cases) {
            try (Arena arena = Arena.ofConfined()) {
                final List<Parameter> params = new ArrayList<>();
                for (int i = 0; i < c.lengths().length; i++) {
                    params.add(Parameter.allocate(arena, "p" + i, c.lengths()[i]));
                }
                try (Optimizer<?> optimizer = c.build().apply(params)) {
                    assertEquals(Kernels.provider().name(), optimizer.kernelName(), c.what());
                    optimizer.step();
                    final long bytes = Arrays.stream(c.lengths()).sum() * c.tensors() * Float.BYTES;
                    assertEquals(Kernels.forWorkingSet(bytes, c.divideBound()).name(),
                            optimizer.kernelName(), c.what() + ", " + bytes + " bytes");
                }
            }
        }
    }
}
