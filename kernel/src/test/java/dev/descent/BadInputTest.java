package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every input the public API must refuse: the exception type, a message that names the argument,
 * its value and what was expected, and no change of state (DESIGN.md, "Bad input": a failed call
 * changes nothing).
 */
class BadInputTest {

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<IllegalStateException> ISE = IllegalStateException.class;
    private static final Class<NullPointerException> NPE = NullPointerException.class;

    private Arena arena;

    @BeforeEach
    void openArena() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** Asserts the type of the exception {@code call} throws and that its message has every fragment. */
    static <T extends Throwable> T rejects(Class<T> type, Executable call, String... fragments) {
        final T e = assertThrows(type, call);
        final String message = e.getMessage();
        assertNotNull(message, () -> type.getSimpleName() + " without a message");
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment),
                    () -> "message \"" + message + "\" should mention \"" + fragment + "\"");
        }
        return e;
    }

    // ---------------------------------------------------------------- hyperparameters

    /** A rejected setter call, checked on a builder whose values are not all defaults. */
    record Rejection<B extends Optimizer.Builder<B, C, O>, C extends OptimizerConfig,
            O extends Optimizer<C>>(Supplier<B> fresh, Consumer<B> bad,
                                    Class<? extends Throwable> type, String[] fragments) {

        void check(Parameter parameter) {
            final B builder = fresh.get();
            final C before = builder.config();
            rejects(type, () -> bad.accept(builder), fragments);
            assertEquals(before, builder.config(), "a rejected setter changed the builder");
            // The builder is still usable and builds with the values it had before the bad call.
            try (O optimizer = builder.build(List.of(parameter))) {
                assertEquals(before, optimizer.groups().get(0).config());
                assertEquals(before.lr(), optimizer.groups().get(0).lr());
                optimizer.step();
                assertEquals(1, optimizer.stepCount());
            }
        }
    }

    static <B extends Optimizer.Builder<B, C, O>, C extends OptimizerConfig, O extends Optimizer<C>>
            Arguments reject(String label, Supplier<B> fresh, Consumer<B> bad,
                             Class<? extends Throwable> type, String... fragments) {
        return Arguments.of(Named.of(label, new Rejection<>(fresh, bad, type, fragments)));
    }

    private static Sgd.Builder sgd() {
        return Sgd.builder().lr(0.25).momentum(0.5).dampening(0.125).weightDecay(0.01);
    }

    private static Adam.Builder adam() {
        return Adam.builder().lr(0.002).betas(0.8, 0.99).eps(1e-6).weightDecay(0.01).amsgrad(true)
                .epsilonMode(EpsilonMode.EPSILON_HAT);
    }

    private static Adam.Builder adamW() {
        return AdamW.builder().lr(0.003).betas(0.85, 0.995).eps(1e-7).weightDecay(0.02);
    }

    private static AdaGrad.Builder adaGrad() {
        return AdaGrad.builder().lr(0.05).lrDecay(0.01).weightDecay(0.001)
                .initialAccumulatorValue(0.1).eps(1e-9);
    }

    private static RmsProp.Builder rmsProp() {
        return RmsProp.builder().lr(0.02).alpha(0.9).eps(1e-7).weightDecay(0.001).momentum(0.5)
                .centered(true);
    }

    static Stream<Arguments> rejectedHyperparameters() {
        final List<Arguments> cases = new ArrayList<>();
        // lr: every kind, negative, NaN and both infinities.
        addLrCases(cases, "Sgd", BadInputTest::sgd, Sgd.Builder::lr);
        addLrCases(cases, "Adam", BadInputTest::adam, Adam.Builder::lr);
        addLrCases(cases, "AdamW", BadInputTest::adamW, Adam.Builder::lr);
        addLrCases(cases, "AdaGrad", BadInputTest::adaGrad, AdaGrad.Builder::lr);
        addLrCases(cases, "RmsProp", BadInputTest::rmsProp, RmsProp.Builder::lr);

        // eps <= 0 or not finite, for every kind that has one.
        for (double eps : new double[] {0.0, -1e-8, NAN, INF}) {
            final String v = Double.toString(eps);
            cases.add(reject("Adam.eps(" + v + ")", BadInputTest::adam, b -> b.eps(eps), IAE,
                    "eps", v, "> 0"));
            cases.add(reject("AdamW.eps(" + v + ")", BadInputTest::adamW, b -> b.eps(eps), IAE,
                    "eps", v, "> 0"));
            cases.add(reject("AdaGrad.eps(" + v + ")", BadInputTest::adaGrad, b -> b.eps(eps), IAE,
                    "eps", v, "> 0"));
            cases.add(reject("RmsProp.eps(" + v + ")", BadInputTest::rmsProp, b -> b.eps(eps), IAE,
                    "eps", v, "> 0"));
        }

        // betas outside [0, 1), each of them; the other one valid.
        for (double beta : new double[] {1.0, -0.1, NAN, INF, 1.5}) {
            final String v = Double.toString(beta);
            cases.add(reject("Adam.betas(" + v + ", 0.999)", BadInputTest::adam,
                    b -> b.betas(beta, 0.999), IAE, "beta1", v, "[0, 1)"));
            cases.add(reject("Adam.betas(0.9, " + v + ")", BadInputTest::adam,
                    b -> b.betas(0.9, beta), IAE, "beta2", v, "[0, 1)"));
            cases.add(reject("AdamW.betas(" + v + ", 0.999)", BadInputTest::adamW,
                    b -> b.betas(beta, 0.999), IAE, "beta1", v, "[0, 1)"));
            cases.add(reject("AdamW.betas(0.9, " + v + ")", BadInputTest::adamW,
                    b -> b.betas(0.9, beta), IAE, "beta2", v, "[0, 1)"));
        }

        // momentum < 0 or not finite.
        for (double momentum : new double[] {-0.1, NAN, INF}) {
            final String v = Double.toString(momentum);
            cases.add(reject("Sgd.momentum(" + v + ")", BadInputTest::sgd,
                    b -> b.momentum(momentum), IAE, "momentum", v, ">= 0"));
            cases.add(reject("RmsProp.momentum(" + v + ")", BadInputTest::rmsProp,
                    b -> b.momentum(momentum), IAE, "momentum", v, ">= 0"));
        }

        // weightDecay < 0 or not finite, every kind.
        for (double wd : new double[] {-1e-4, NAN, INF}) {
            final String v = Double.toString(wd);
            cases.add(reject("Sgd.weightDecay(" + v + ")", BadInputTest::sgd,
                    b -> b.weightDecay(wd), IAE, "weightDecay", v, ">= 0"));
            cases.add(reject("Adam.weightDecay(" + v + ")", BadInputTest::adam,
                    b -> b.weightDecay(wd), IAE, "weightDecay", v, ">= 0"));
            cases.add(reject("AdamW.weightDecay(" + v + ")", BadInputTest::adamW,
                    b -> b.weightDecay(wd), IAE, "weightDecay", v, ">= 0"));
            cases.add(reject("AdaGrad.weightDecay(" + v + ")", BadInputTest::adaGrad,
                    b -> b.weightDecay(wd), IAE, "weightDecay", v, ">= 0"));
            cases.add(reject("RmsProp.weightDecay(" + v + ")", BadInputTest::rmsProp,
                    b -> b.weightDecay(wd), IAE, "weightDecay", v, ">= 0"));
        }

        // dampening may be any finite number.
        for (double dampening : new double[] {NAN, INF, Double.NEGATIVE_INFINITY}) {
            final String v = Double.toString(dampening);
            cases.add(reject("Sgd.dampening(" + v + ")", BadInputTest::sgd,
                    b -> b.dampening(dampening), IAE, "dampening", v, "finite"));
        }

        // AdaGrad's decay and initial accumulator.
        for (double x : new double[] {-0.5, NAN, INF}) {
            final String v = Double.toString(x);
            cases.add(reject("AdaGrad.lrDecay(" + v + ")", BadInputTest::adaGrad,
                    b -> b.lrDecay(x), IAE, "lrDecay", v, ">= 0"));
            cases.add(reject("AdaGrad.initialAccumulatorValue(" + v + ")", BadInputTest::adaGrad,
                    b -> b.initialAccumulatorValue(x), IAE, "initialAccumulatorValue", v, ">= 0"));
        }

        // RMSProp's alpha in [0, 1].
        for (double alpha : new double[] {-0.1, 1.0000001, NAN, INF}) {
            final String v = Double.toString(alpha);
            cases.add(reject("RmsProp.alpha(" + v + ")", BadInputTest::rmsProp,
                    b -> b.alpha(alpha), IAE, "alpha", v, "[0, 1]"));
        }

        cases.add(reject("Adam.epsilonMode(null)", BadInputTest::adam, b -> b.epsilonMode(null),
                NPE, "epsilonMode", "null"));
        cases.add(reject("AdamW.epsilonMode(null)", BadInputTest::adamW, b -> b.epsilonMode(null),
                NPE, "epsilonMode", "null"));
        return cases.stream();
    }

    private static <B extends Optimizer.Builder<B, C, O>, C extends OptimizerConfig,
            O extends Optimizer<C>> void addLrCases(List<Arguments> cases, String kind,
                                                      Supplier<B> fresh, LrSetter<B> setter) {
        cases.add(reject(kind + ".lr(-1)", fresh, b -> setter.lr(b, -1), IAE, "lr", "-1.0", ">= 0"));
        cases.add(reject(kind + ".lr(-1e-12)", fresh, b -> setter.lr(b, -1e-12), IAE,
                "lr", "-1.0E-12", ">= 0"));
        cases.add(reject(kind + ".lr(NaN)", fresh, b -> setter.lr(b, NAN), IAE,
                "lr", "NaN", "finite"));
        cases.add(reject(kind + ".lr(Infinity)", fresh, b -> setter.lr(b, INF), IAE,
                "lr", "Infinity", "finite"));
        cases.add(reject(kind + ".lr(-Infinity)", fresh, b -> setter.lr(b, -INF), IAE,
                "lr", "-Infinity", "finite"));
    }

    @FunctionalInterface
    interface LrSetter<B> {
        B lr(B builder, double lr);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedHyperparameters")
    void rejectsHyperparameterAndKeepsPreviousValues(Rejection<?, ?, ?> rejection) {
        rejection.check(Parameter.allocate(arena, "w", 19));
    }

    /**
     * Hyperparameters reach the kernels as float32 (DESIGN.md: scalars "rounded once to float"). A
     * finite double that rounds to an infinite float, or an eps that rounds to 0f, is as far out of
     * range as Infinity or 0: accepted, it turns parameters into NaN on the first step (for lr 1e39
     * even the elements whose gradient is zero, as -Infinity * 0 is NaN).
     */
    static Stream<Arguments> hyperparametersOutsideFloatRange() {
        return Stream.of(
                reject("Sgd.lr(1e39)", BadInputTest::sgd, b -> b.lr(1e39), IAE, "lr", "1.0E39"),
                reject("Adam.lr(1e39)", BadInputTest::adam, b -> b.lr(1e39), IAE, "lr", "1.0E39"),
                reject("Sgd.weightDecay(1e39)", BadInputTest::sgd, b -> b.weightDecay(1e39), IAE,
                        "weightDecay", "1.0E39"),
                reject("Sgd.momentum(1e39)", BadInputTest::sgd, b -> b.momentum(1e39), IAE,
                        "momentum", "1.0E39"),
                reject("Adam.eps(1e-50)", BadInputTest::adam, b -> b.eps(1e-50), IAE,
                        "eps", "1.0E-50"),
                reject("AdaGrad.eps(1e-50)", BadInputTest::adaGrad, b -> b.eps(1e-50), IAE,
                        "eps", "1.0E-50"),
                reject("RmsProp.eps(1e-50)", BadInputTest::rmsProp, b -> b.eps(1e-50), IAE,
                        "eps", "1.0E-50"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hyperparametersOutsideFloatRange")
    void rejectsHyperparameterOutsideFloatRange(Rejection<?, ?, ?> rejection) {
        rejection.check(Parameter.allocate(arena, "w", 19));
    }

    @Test
    void rejectedLrLeavesBuilderStepping() {
        final Parameter p = Parameter.allocate(arena, "w", 5);
        p.setValueAt(3, 1f);
        p.setGradAt(3, 0.5f);
        final Sgd.Builder builder = Sgd.builder().lr(0.25);
        rejects(IAE, () -> builder.lr(-1), "lr", "-1.0");
        try (Sgd sgd = builder.build(List.of(p))) {
            sgd.step();
        }
        // 1 - 0.25 * 0.5, exact in float: the step used the lr set before the rejected call.
        assertEquals(0.875f, p.valueAt(3));
    }

    @Test
    void nesterovWithoutMomentumIsRejectedAtBuild() {
        final Parameter p = Parameter.allocate(arena, "w", 4);
        final Sgd.Builder builder = Sgd.builder().nesterov(true);
        rejects(IAE, () -> builder.build(List.of(p)), "nesterov", "momentum", "0.0");
        rejects(IAE, () -> builder.group(List.of(p)), "nesterov", "momentum", "0.0");
        // The rejected group() added nothing: build(list) is still allowed once momentum is set.
        try (Sgd sgd = builder.momentum(0.9).build(List.of(p))) {
            assertTrue(sgd.groups().get(0).config().nesterov());
        }
    }

    @Test
    void nesterovWithDampeningIsRejectedAtBuild() {
        final Parameter p = Parameter.allocate(arena, "w", 4);
        final Sgd.Builder builder = Sgd.builder().momentum(0.9).dampening(0.1).nesterov(true);
        rejects(IAE, () -> builder.build(List.of(p)), "nesterov", "dampening", "0.1");
        rejects(IAE, () -> builder.group(List.of(p), g -> g.lr(0.5)), "nesterov", "dampening", "0.1");
        try (Sgd sgd = builder.dampening(0).build(List.of(p))) {
            assertEquals(0.0, sgd.groups().get(0).config().dampening());
        }
    }

    @Test
    void rejectedGroupOverrideAddsNoGroup() {
        final Parameter p = Parameter.allocate(arena, "w", 4);
        final Adam.Builder builder = Adam.builder().lr(0.01);
        rejects(IAE, () -> builder.group(List.of(p), g -> g.lr(-1)), "lr", "-1.0");
        rejects(IAE, () -> builder.group(List.of(p), g -> g.betas(0.9, 1.0)), "beta2", "1.0");
        try (Adam adam = builder.build(List.of(p))) {
            assertEquals(0.01, adam.groups().get(0).lr());
        }
    }

    @Test
    void threadsOutOfRangeIsRejectedAndKept() {
        final Parameter p = Parameter.allocate(arena, "w", 4);
        final int max = StepWorkers.MAX_SHARES;
        final Sgd.Builder builder = Sgd.builder().threads(3);
        rejects(IAE, () -> builder.threads(0), "threads", "0", "[1, " + max + "]");
        rejects(IAE, () -> builder.threads(-1), "threads", "-1", "[1, " + max + "]");
        rejects(IAE, () -> builder.threads(max + 1), "threads", Integer.toString(max + 1));
        rejects(IAE, () -> builder.threads(Integer.MIN_VALUE), "threads",
                Integer.toString(Integer.MIN_VALUE));
        // threads is for the whole optimizer: a group may not override it, and the refused group
        // is not added.
        rejects(IAE, () -> builder.group(List.of(p), g -> g.threads(2)), "threads", "2", "group");
        try (Sgd sgd = builder.build(List.of(p))) {
            assertEquals(3, sgd.threads());
        }
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badStepProperties")
    void badStepPropertyIsRejectedAtBuild(String property, String value, String expected) {
        final Parameter p = Parameter.allocate(arena, "w", 4);
        final String before = System.setProperty(property, value);
        try {
            rejects(IAE, () -> Sgd.builder().build(List.of(p)), property, "'" + value + "'",
                    expected);
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
        try (Sgd sgd = Sgd.builder().build(List.of(p))) {
            sgd.step(); // with the property gone, the same build succeeds
        }
    }

    static Stream<Arguments> badStepProperties() {
        final String minElements = Optimizer.MIN_ELEMENTS_PER_THREAD_PROP_NAME;
        final String spin = Optimizer.WORKER_SPIN_MICROS_PROP_NAME;
        return Stream.of(
                Arguments.of(minElements, "0", ">= 1"),
                Arguments.of(minElements, "-5", ">= 1"),
                Arguments.of(minElements, "many", ">= 1"),
                Arguments.of(minElements, "", ">= 1"),
                Arguments.of(spin, "-1", ">= 0"),
                Arguments.of(spin, "1.5", ">= 0"),
                Arguments.of(spin, "99999999999999999999", ">= 0"));
    }

    @Test
    void parameterGroupSetLrRejectsNegativeAndNonFinite() {
        final Parameter p = Parameter.allocate(arena, "w", 4);
        p.setValueAt(0, 1f);
        p.setGradAt(0, 1f);
        try (Sgd sgd = Sgd.builder().lr(0.5).build(List.of(p))) {
            final ParameterGroup<Sgd.Config> group = sgd.groups().get(0);
            rejects(IAE, () -> group.setLr(-1), "lr", "-1.0", ">= 0");
            rejects(IAE, () -> group.setLr(NAN), "lr", "NaN", "finite");
            rejects(IAE, () -> group.setLr(INF), "lr", "Infinity", "finite");
            assertEquals(0.5, group.lr());
            sgd.step();
            assertEquals(0.5f, p.valueAt(0));
        }
    }

    /**
     * The checkpoint hook for SGD's buffer flag refuses what no checkpoint could hold: a group
     * that does not exist, a started buffer in a group built without momentum, a closed optimizer;
     * and changes nothing then.
     */
    @Test
    void sgdBufferFlagHookRejectsWhatNoCheckpointHolds() {
        final Parameter a = Parameter.allocate(arena, "a", 4);
        final Parameter b = Parameter.allocate(arena, "b", 4);
        final Sgd sgd = Sgd.builder().momentum(0.9).group(List.of(a))
                .group(List.of(b), g -> g.momentum(0)).build();
        try (sgd) {
            sgd.step();
            assertTrue(sgd.momentumBufferStarted(0));
            assertFalse(sgd.momentumBufferStarted(1), "a group without momentum has no buffer");
            rejects(IndexOutOfBoundsException.class,
                    () -> sgd.restoreMomentumBufferStarted(2, false), "2");
            rejects(IndexOutOfBoundsException.class, () -> sgd.momentumBufferStarted(-1), "-1");
            rejects(IAE, () -> sgd.restoreMomentumBufferStarted(1, true), "group 1",
                    "without momentum", "started must be false");
            assertFalse(sgd.momentumBufferStarted(1));
            sgd.restoreMomentumBufferStarted(0, false);
            assertFalse(sgd.momentumBufferStarted(0));
        }
        rejects(IllegalStateException.class, () -> sgd.restoreMomentumBufferStarted(0, true),
                "closed");
    }

    // ---------------------------------------------------------------- Parameter.allocate

    @Test
    void allocateRejectsNegativeOrHugeLength() {
        rejects(IAE, () -> Parameter.allocate(arena, "w", -1), "length", "'w'", "-1", "[0, ");
        rejects(IAE, () -> Parameter.allocate(arena, "w", Long.MIN_VALUE), "length",
                Long.toString(Long.MIN_VALUE));
        rejects(IAE, () -> Parameter.allocate(arena, "w", Parameter.MAX_LENGTH + 1), "length",
                Long.toString(Parameter.MAX_LENGTH + 1), Long.toString(Parameter.MAX_LENGTH));
        // Accepted, but no machine has the memory: the error says for what and how much.
        rejects(OutOfMemoryError.class, () -> Parameter.allocate(arena, "huge", Parameter.MAX_LENGTH),
                "cannot allocate parameter 'huge'", Parameter.MAX_LENGTH + " floats");
        rejects(OutOfMemoryError.class, () -> Parameter.allocateBlock(arena, List.of("a", "b"),
                1L << 58, 1L << 58), "cannot allocate a block of 2 parameters",
                (1L << 59) + " floats");
    }

    @Test
    void allocateRejectsBlankOrNullName() {
        rejects(IAE, () -> Parameter.allocate(arena, "", 4), "name", "''", "non-blank");
        rejects(IAE, () -> Parameter.allocate(arena, " \t", 4), "name", "' \t'", "non-blank");
        rejects(IAE, () -> Parameter.allocate(arena, null, 4), "name", "null", "non-blank");
    }

    @Test
    void allocateRejectsClosedOrNullArena() {
        final Arena closed = Arena.ofConfined();
        closed.close();
        rejects(ISE, () -> Parameter.allocate(closed, "w", 4), "arena", "'w'", "closed");
        rejects(NPE, () -> Parameter.allocate(null, "w", 4), "arena", "null");
    }

    // ---------------------------------------------------------------- Parameter.wrap

    @Test
    void wrapRejectsDifferentLengths() {
        rejects(IAE, () -> Parameter.wrap("w", floats(4), floats(5)),
                "'w'", "values has 4", "grad has 5", "same length");
        rejects(IAE, () -> Parameter.wrap("w", floats(5), floats(0)),
                "'w'", "values has 5", "grad has 0", "same length");
    }

    @Test
    void wrapRejectsSizeThatIsNotWholeFloats() {
        final MemorySegment ten = arena.allocate(10, 4);
        rejects(IAE, () -> Parameter.wrap("w", ten, arena.allocate(12, 4)),
                "'w'", "values", "10 bytes", "4 bytes");
        rejects(IAE, () -> Parameter.wrap("w", arena.allocate(12, 4), ten),
                "'w'", "grad", "10 bytes", "4 bytes");
    }

    @Test
    void wrapRejectsReadOnlySegments() {
        rejects(IAE, () -> Parameter.wrap("w", floats(8).asReadOnly(), floats(8)),
                "'w'", "values", "read-only", "writable");
        rejects(IAE, () -> Parameter.wrap("w", floats(8), floats(8).asReadOnly()),
                "'w'", "grad", "read-only", "writable");
    }

    /** An arena of the user's own that hands out memory 2 bytes off the alignment asked for. */
    @Test
    void allocateRejectsAnArenaThatBreaksItsContract() {
        final MemorySegment backing = arena.allocate(1 << 20, 64);
        final Arena misaligning = new Arena() {
            private long used;

            @Override
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                final MemorySegment s = backing.asSlice(2 + used, byteSize);
                used += byteSize + byteAlignment;
                return s;
            }

            @Override
            public MemorySegment.Scope scope() {
                return arena.scope();
            }

            @Override
            public void close() {
            }
        };
        rejects(IAE, () -> Parameter.allocate(misaligning, "b", 3), "breaks Arena.allocate's contract");
        rejects(IAE, () -> Parameter.allocateBlock(misaligning, List.of("c", "d"), 3, 5),
                "breaks Arena.allocate's contract");
    }

    @Test
    void wrapRejectsSegmentsOfClosedArena() {
        final Arena gone = Arena.ofConfined();
        final MemorySegment dead = gone.allocate(32, 64);
        gone.close();
        rejects(IAE, () -> Parameter.wrap("w", dead, floats(8)), "'w'", "values", "closed");
        rejects(IAE, () -> Parameter.wrap("w", floats(8), dead), "'w'", "grad", "closed");
    }

    @Test
    void buildRejectsAParameterWhoseArenaIsAlreadyClosed() {
        final Arena gone = Arena.ofShared();
        final Parameter late = Parameter.allocate(gone, "late", 8);
        gone.close();
        rejects(IAE, () -> Sgd.builder().build(List.of(late)), "'late'", "closed arena");
    }

    @Test
    void wrapRejectsMisalignedSegments() {
        final MemorySegment odd = arena.allocate(4 * 9, 64).asSlice(2, 4 * 8);
        final String address = "address " + odd.address();
        rejects(IAE, () -> Parameter.wrap("w", odd, floats(8)), "'w'", "values", "aligned", address);
        rejects(IAE, () -> Parameter.wrap("w", floats(8), odd), "'w'", "grad", "aligned", address);

        // A heap segment over a byte[] is never float-aligned, whatever its offset: the message
        // names the array's type, not an address that looks aligned.
        final MemorySegment bytes = MemorySegment.ofArray(new byte[32]);
        rejects(IAE, () -> Parameter.wrap("w", bytes, floats(8)), "'w'", "values", "byte[] array",
                "4-byte alignment", "float[]");
        rejects(IAE, () -> Parameter.wrap("w", floats(8), MemorySegment.ofArray(new short[16])),
                "'w'", "grad", "short[] array");

        // A float[] segment sliced at byte 2.
        final MemorySegment heapOdd = MemorySegment.ofArray(new float[9]).asSlice(2, 32);
        rejects(IAE, () -> Parameter.wrap("w", heapOdd, MemorySegment.ofArray(new float[8])),
                "'w'", "values", "aligned", "address 2");
    }

    @Test
    void wrapRejectsOverlappingValuesAndGrad() {
        final MemorySegment one = floats(16);
        rejects(IAE, () -> Parameter.wrap("w", one.asSlice(0, 32), one.asSlice(16, 32)),
                "'w'", "overlap");
        rejects(IAE, () -> Parameter.wrap("w", one, one), "'w'", "overlap");
        final float[] array = new float[8];
        rejects(IAE, () -> Parameter.wrap("w", MemorySegment.ofArray(array).asSlice(0, 28),
                MemorySegment.ofArray(array).asSlice(4, 28)), "'w'", "overlap");
    }

    @Test
    void wrapRejectsNullAndBadNames() {
        rejects(NPE, () -> Parameter.wrap("w", null, floats(4)), "'w'", "values", "null");
        rejects(NPE, () -> Parameter.wrap("w", floats(4), null), "'w'", "grad", "null");
        rejects(IAE, () -> Parameter.wrap(" ", floats(4), floats(4)), "name", "' '");
        rejects(IAE, () -> Parameter.wrap(null, floats(4), floats(4)), "name", "null");
    }

    // ---------------------------------------------------------------- Parameter.ofArrays

    @Test
    void ofArraysRejectsDifferentLengthsOrSameArray() {
        rejects(IAE, () -> Parameter.ofArrays("w", new float[3], new float[4]),
                "'w'", "values has 3", "grads has 4", "same length");
        final float[] same = new float[6];
        rejects(IAE, () -> Parameter.ofArrays("w", same, same), "'w'", "same array");
        rejects(NPE, () -> Parameter.ofArrays("w", null, new float[1]), "values", "null");
        rejects(NPE, () -> Parameter.ofArrays("w", new float[1], null), "grads", "null");
        rejects(IAE, () -> Parameter.ofArrays("", new float[1], new float[1]), "name", "''");
    }

    // ---------------------------------------------------------------- element access

    @Test
    void elementAccessOutOfBoundsIsRejectedAndWritesNothing() {
        final Parameter p = Parameter.allocate(arena, "w", 5);
        final float[] values = {1, 2, 3, 4, 5};
        final float[] grads = {-1, -2, -3, -4, -5};
        MemorySegment.copy(values, 0, p.values(), JAVA_FLOAT, 0, 5);
        MemorySegment.copy(grads, 0, p.grad(), JAVA_FLOAT, 0, 5);
        for (long index : new long[] {-1, 5, 6, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 31}) {
            final String[] fragments = {"index " + index, "'w'", "length 5"};
            rejects(IndexOutOfBoundsException.class, () -> p.valueAt(index), fragments);
            rejects(IndexOutOfBoundsException.class, () -> p.setValueAt(index, 9f), fragments);
            rejects(IndexOutOfBoundsException.class, () -> p.gradAt(index), fragments);
            rejects(IndexOutOfBoundsException.class, () -> p.setGradAt(index, 9f), fragments);
        }
        assertArrayEquals(values, p.values().toArray(JAVA_FLOAT));
        assertArrayEquals(grads, p.grad().toArray(JAVA_FLOAT));

        final Parameter empty = Parameter.allocate(arena, "e", 0);
        rejects(IndexOutOfBoundsException.class, () -> empty.valueAt(0), "index 0", "'e'", "length 0");
        rejects(IndexOutOfBoundsException.class, () -> empty.setGradAt(0, 1f), "index 0", "'e'",
                "length 0");
    }

    // ---------------------------------------------------------------- builders

    /** Each optimizer kind as a fresh builder, so the structural checks run for all of them. */
    static Stream<Named<Supplier<Optimizer.Builder<?, ?, ?>>>> builders() {
        return Stream.of(
                Named.of("Sgd", Sgd::builder),
                Named.of("Sgd momentum", () -> Sgd.builder().momentum(0.9)),
                Named.of("Adam", Adam::builder),
                Named.of("AdamW", AdamW::builder),
                Named.of("AdaGrad", AdaGrad::builder),
                Named.of("RmsProp", RmsProp::builder));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builders")
    void builderRejectsEmptyOrNullParameterLists(Supplier<Optimizer.Builder<?, ?, ?>> fresh) {
        final Parameter a = Parameter.allocate(arena, "a", 3);
        final Parameter b = Parameter.allocate(arena, "b", 3);
        final Optimizer.Builder<?, ?, ?> builder = fresh.get();
        rejects(IAE, () -> builder.build(List.of()), "group 0", "empty");
        rejects(IAE, () -> builder.group(List.of()), "group 0", "empty");
        rejects(NPE, () -> builder.build(Arrays.asList(a, null)), "parameter 1", "group 0", "null");
        rejects(NPE, () -> builder.group(Arrays.asList(null, b)), "parameter 0", "group 0", "null");
        rejects(NPE, () -> builder.build(null), "parameters", "null");
        rejects(NPE, () -> builder.group(null), "parameters", "null");
        // None of the rejected calls added a group or spoiled the builder.
        try (Optimizer<?> optimizer = builder.build(List.of(a, b))) {
            assertEquals(List.of(a, b), optimizer.parameters());
        }
        builder.group(List.of(a));
        rejects(NPE, () -> builder.group(Arrays.asList(b, null)), "parameter 1", "group 1", "null");
        rejects(IAE, () -> builder.group(List.of()), "group 1", "empty");
        try (Optimizer<?> optimizer = builder.build()) {
            assertEquals(1, optimizer.groups().size());
            assertEquals(List.of(a), optimizer.parameters());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builders")
    void builderRejectsTheSameParameterTwice(Supplier<Optimizer.Builder<?, ?, ?>> fresh) {
        final Parameter a = Parameter.allocate(arena, "a", 3);
        final Parameter b = Parameter.allocate(arena, "b", 3);
        final Optimizer.Builder<?, ?, ?> single = fresh.get();
        rejects(IAE, () -> single.build(List.of(a, b, a)), "'a'", "more than once");
        try (Optimizer<?> optimizer = single.build(List.of(a, b))) {
            assertEquals(2, optimizer.parameters().size());
        }

        final Optimizer.Builder<?, ?, ?> grouped = fresh.get();
        grouped.group(List.of(a, b));
        grouped.group(List.of(b));
        rejects(IAE, grouped::build, "'b'", "more than once");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builders")
    void builderRejectsDuplicateNames(Supplier<Optimizer.Builder<?, ?, ?>> fresh) {
        final Parameter a = Parameter.allocate(arena, "dup", 3);
        final Parameter b = Parameter.allocate(arena, "dup", 3);
        final Parameter c = Parameter.ofArrays("c", new float[2], new float[2]);
        final Optimizer.Builder<?, ?, ?> single = fresh.get();
        rejects(IAE, () -> single.build(List.of(a, c, b)), "'dup'", "unique");
        try (Optimizer<?> optimizer = single.build(List.of(a, c))) {
            assertEquals(2, optimizer.parameters().size());
        }
        final Optimizer.Builder<?, ?, ?> grouped = fresh.get();
        grouped.group(List.of(a, c)).group(List.of(b));
        rejects(IAE, grouped::build, "'dup'", "unique");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builders")
    void builderRejectsParametersSharingMemory(Supplier<Optimizer.Builder<?, ?, ?>> fresh) {
        final MemorySegment block = arena.allocate(4 * 64, 64);
        final Parameter a = Parameter.wrap("a", block.asSlice(0, 64), block.asSlice(64, 64));
        // b's values begin in the last float of a's values (and run on into a's grad).
        final Parameter b = Parameter.wrap("b", block.asSlice(60, 64), block.asSlice(128, 64));
        // c's grad is a's values: the optimizer would read a gradient it is writing.
        final Parameter c = Parameter.wrap("c", block.asSlice(192, 64), block.asSlice(0, 64));
        final Parameter d = Parameter.allocate(arena, "d", 16);
        rejects(IAE, () -> fresh.get().build(List.of(a, d, b)), "'a'", "'b'", "share memory");
        rejects(IAE, () -> fresh.get().build(List.of(a, c)), "'a'", "'c'", "share memory");
        rejects(IAE, () -> fresh.get().build(List.of(c, a)), "'c'", "'a'", "share memory");
        rejects(IAE, () -> fresh.get().group(List.of(a)).group(List.of(d, b)).build(),
                "'a'", "'b'", "share memory");

        final float[] shared = new float[8];
        final Parameter e = Parameter.ofArrays("e", shared, new float[8]);
        final Parameter f = Parameter.ofArrays("f", new float[8], shared);
        rejects(IAE, () -> fresh.get().build(List.of(e, f)), "'e'", "'f'", "share memory");

        // Two gradients in one buffer would be unscaled and clipped in place twice.
        final Parameter g = Parameter.wrap("g", block.asSlice(192, 64), block.asSlice(128, 64));
        rejects(IAE, () -> fresh.get().build(List.of(d, g, b)), "'g'", "'b'", "share memory");
        // Touching end to end is not sharing: h starts where a's grad ends.
        final Parameter h = Parameter.wrap("h", block.asSlice(128, 64), block.asSlice(192, 64));
        try (Optimizer<?> built = fresh.get().build(List.of(h, a))) {
            assertEquals(2, built.parameters().size());
        }
    }

    @Test
    void sharedMemoryIsFoundExactlyWhenTwoParametersOverlap() {
        // The build sorts the segments instead of comparing every pair: checked against the
        // pairwise comparison on random layouts in one block, some of them disjoint.
        final MemorySegment block = arena.allocate(4 * 256, 64);
        final SplittableRandom random = new SplittableRandom(20261207);
        int shared = 0;
        for (int trial = 0; trial < 400; trial++) {
            final List<Parameter> params = new ArrayList<>();
            final List<long[]> spans = new ArrayList<>(); // per parameter: values and grad, in floats
            final int count = 2 + random.nextInt(5);
            while (params.size() < count) {
                final long length = 1 + random.nextInt(24);
                final long v = random.nextInt((int) (256 - length));
                final long g = random.nextInt((int) (256 - length));
                if (v < g + length && g < v + length) {
                    continue; // its own values and grad may not overlap: wrap refuses that
                }
                params.add(Parameter.wrap("p" + params.size(), block.asSlice(4 * v, 4 * length),
                        block.asSlice(4 * g, 4 * length)));
                spans.add(new long[] {v, g, length});
            }
            boolean overlaps = false;
            for (int i = 0; i < count; i++) {
                for (int j = i + 1; j < count; j++) {
                    for (int x = 0; x < 2; x++) {
                        for (int y = 0; y < 2; y++) {
                            final long xs = spans.get(i)[x];
                            final long ys = spans.get(j)[y];
                            overlaps |= xs < ys + spans.get(j)[2] && ys < xs + spans.get(i)[2];
                        }
                    }
                }
            }
            if (overlaps) {
                shared++;
                rejects(IAE, () -> Sgd.builder().build(params), "share memory");
            } else {
                Sgd.builder().build(params).close();
            }
        }
        assertTrue(shared > 40 && shared < 360, "both outcomes drawn often: " + shared + " of 400");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builders")
    void buildWithGroupsAndListMixedOrMissingIsIllegalState(
            Supplier<Optimizer.Builder<?, ?, ?>> fresh) {
        final Parameter a = Parameter.allocate(arena, "a", 3);
        final Parameter b = Parameter.allocate(arena, "b", 3);
        final Optimizer.Builder<?, ?, ?> none = fresh.get();
        rejects(ISE, none::build, "no parameter groups", "group(");
        final Optimizer.Builder<?, ?, ?> grouped = fresh.get();
        grouped.group(List.of(a));
        rejects(ISE, () -> grouped.build(List.of(b)), "1 group", "build()");
        // Neither rejected call changed its builder.
        try (Optimizer<?> one = none.build(List.of(b)); Optimizer<?> two = grouped.build()) {
            assertEquals(List.of(b), one.parameters());
            assertEquals(List.of(a), two.parameters());
        }
    }

    // ---------------------------------------------------------------- step-time checks

    /** Optimizer kinds, with state where the kind has some, built over a list of parameters. */
    static Stream<Named<Function<List<Parameter>, Optimizer<?>>>> optimizers() {
        return Stream.of(
                Named.of("Sgd", ps -> Sgd.builder().lr(0.1).weightDecay(0.01).build(ps)),
                Named.of("Sgd nesterov", ps -> Sgd.builder().lr(0.1).momentum(0.9).nesterov(true)
                        .weightDecay(0.01).build(ps)),
                Named.of("Adam amsgrad", ps -> Adam.builder().lr(0.01).amsgrad(true)
                        .weightDecay(0.01).build(ps)),
                Named.of("AdamW", ps -> AdamW.builder().lr(0.01).build(ps)),
                Named.of("AdaGrad", ps -> AdaGrad.builder().lrDecay(0.01).weightDecay(0.01)
                        .initialAccumulatorValue(0.1).build(ps)),
                Named.of("RmsProp centered momentum", ps -> RmsProp.builder().momentum(0.9)
                        .centered(true).weightDecay(0.01).build(ps)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void stepRejectsParameterWhoseArenaWasClosedAndChangesNothing(
            Function<List<Parameter>, Optimizer<?>> build) {
        final Arena doomed = Arena.ofShared();
        // Large enough that a step is split over worker threads when the machine has several.
        final Parameter a = randomParameter(Parameter.allocate(arena, "a", 70_001), 1);
        final Parameter b = randomParameter(Parameter.ofArrays("b", new float[5], new float[5]), 2);
        final Parameter dead = randomParameter(Parameter.allocate(doomed, "dead", 21), 3);
        try (Optimizer<?> optimizer = build.apply(List.of(a, b, dead))) {
            optimizer.step();
            optimizer.step();
            randomGradients(List.of(a, b, dead), 4);
            doomed.close();
            final List<Parameter> alive = List.of(a, b);
            final Snapshot before = Snapshot.of(optimizer, alive);

            rejects(ISE, optimizer::step, "'dead'", "arena closed");
            assertEquals(2, optimizer.stepCount());
            before.assertUnchanged(optimizer, alive);

            rejects(ISE, optimizer::zeroGrad, "'dead'");
            before.assertUnchanged(optimizer, alive);
        } finally {
            if (doomed.scope().isAlive()) {
                doomed.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void stepRejectsClosedParameterInALaterGroupAndChangesNothing(
            Function<List<Parameter>, Optimizer<?>> build) {
        // The same check with the dead parameter in a second group with its own hyperparameters.
        final Arena doomed = Arena.ofShared();
        final Parameter a = randomParameter(Parameter.allocate(arena, "a", 40), 5);
        final Parameter dead = randomParameter(Parameter.allocate(doomed, "dead", 3), 6);
        final Optimizer<?> probe = build.apply(List.of(a));
        final Optimizer<?> optimizer;
        try {
            optimizer = twoGroups(probe, List.of(a), List.of(dead));
        } finally {
            probe.close();
        }
        try (optimizer) {
            optimizer.step();
            randomGradients(List.of(a, dead), 7);
            doomed.close();
            final Snapshot before = Snapshot.of(optimizer, List.of(a));
            rejects(ISE, optimizer::step, "'dead'");
            assertEquals(1, optimizer.stepCount());
            before.assertUnchanged(optimizer, List.of(a));
        } finally {
            if (doomed.scope().isAlive()) {
                doomed.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void stepRejectsParameterConfinedToAnotherThreadAndChangesNothing(
            Function<List<Parameter>, Optimizer<?>> build) throws Exception {
        final ExecutorService owner = Executors.newSingleThreadExecutor();
        try {
            final Arena confined = owner.submit(Arena::ofConfined).get();
            final Parameter foreign = owner.submit(() -> randomParameter(
                    Parameter.allocate(confined, "foreign", 19), 8)).get();
            final Parameter a = randomParameter(Parameter.allocate(arena, "a", 33), 9);
            final Parameter b = randomParameter(Parameter.allocate(arena, "b", 1), 10);
            try (Optimizer<?> optimizer = build.apply(List.of(a, b, foreign))) {
                final List<Parameter> local = List.of(a, b);
                final Snapshot before = Snapshot.of(optimizer, local);
                rejects(ISE, optimizer::step, "'foreign'", "another thread");
                assertEquals(0, optimizer.stepCount());
                before.assertUnchanged(optimizer, local);
                rejects(ISE, optimizer::zeroGrad, "'foreign'");
                before.assertUnchanged(optimizer, local);
            } finally {
                owner.submit(confined::close).get();
            }
        } finally {
            owner.shutdownNow();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void closedOptimizerRejectsEverything(Function<List<Parameter>, Optimizer<?>> build) {
        final Parameter a = randomParameter(Parameter.allocate(arena, "a", 9), 11);
        final Optimizer<?> optimizer = build.apply(List.of(a));
        optimizer.step();
        final float[] values = a.values().toArray(JAVA_FLOAT);
        final float[] grads = a.grad().toArray(JAVA_FLOAT);
        optimizer.close();
        final String kind = optimizer.getClass().getSimpleName();
        rejects(ISE, optimizer::step, kind, "closed");
        rejects(ISE, optimizer::zeroGrad, kind, "closed");
        rejects(ISE, () -> optimizer.state(a), kind, "closed");
        rejects(ISE, () -> optimizer.setGradientClipping(GradientClipping.byNorm(1)), kind, "closed");
        // A closed optimizer that took a scaler would hold it for good: no other could take it.
        final LossScaler scaler = LossScaler.builder().build();
        rejects(ISE, () -> optimizer.setLossScaler(scaler), kind, "closed");
        try (Optimizer<?> other = build.apply(List.of(Parameter.allocate(arena, "b", 3)))) {
            other.setLossScaler(scaler);
        }
        assertEquals(1, optimizer.stepCount());
        assertArrayEquals(values, a.values().toArray(JAVA_FLOAT));
        assertArrayEquals(grads, a.grad().toArray(JAVA_FLOAT));
        optimizer.close(); // closing twice is allowed
    }

    @Test
    void aStepPastTheLargestStepCountIsRejectedAndChangesNothing() {
        final Parameter a = randomParameter(Parameter.allocate(arena, "a", 9), 12);
        try (Adam adam = Adam.builder().build(List.of(a))) {
            adam.restore(Long.MAX_VALUE, (p, state) -> { }); // e.g. from a checkpoint's count
            final Snapshot before = Snapshot.of(adam, List.of(a));
            rejects(ISE, adam::step, "step count is " + Long.MAX_VALUE, "nothing was updated");
            before.assertUnchanged(adam, List.of(a));
            assertEquals(Long.MAX_VALUE, adam.stepCount());
        }
    }

    @Test
    void stateOfUnknownParameterIsRejected() {
        final Parameter a = Parameter.allocate(arena, "a", 2);
        final Parameter stranger = Parameter.allocate(arena, "stranger", 2);
        try (Adam adam = Adam.builder().build(List.of(a))) {
            rejects(IAE, () -> adam.state(stranger), "stranger", "not in this optimizer");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Every value, gradient and state element of some parameters, copied. */
    record Snapshot(List<float[]> values, List<float[]> grads, List<Map<String, float[]>> state) {

        static Snapshot of(Optimizer<?> optimizer, List<Parameter> parameters) {
            final List<float[]> values = new ArrayList<>();
            final List<float[]> grads = new ArrayList<>();
            final List<Map<String, float[]>> state = new ArrayList<>();
            for (Parameter p : parameters) {
                values.add(p.values().toArray(JAVA_FLOAT));
                grads.add(p.grad().toArray(JAVA_FLOAT));
                final Map<String, float[]> copies = new LinkedHashMap<>();
                optimizer.state(p).forEach((name, s) -> copies.put(name, s.toArray(JAVA_FLOAT)));
                state.add(copies);
            }
            return new Snapshot(values, grads, state);
        }

        void assertUnchanged(Optimizer<?> optimizer, List<Parameter> parameters) {
            final Snapshot now = of(optimizer, parameters);
            for (int i = 0; i < parameters.size(); i++) {
                final String name = parameters.get(i).name();
                assertArrayEquals(values.get(i), now.values.get(i), "values of " + name + " changed");
                assertArrayEquals(grads.get(i), now.grads.get(i), "grad of " + name + " changed");
                assertEquals(state.get(i).keySet(), now.state.get(i).keySet());
                for (Map.Entry<String, float[]> e : state.get(i).entrySet()) {
                    assertArrayEquals(e.getValue(), now.state.get(i).get(e.getKey()),
                            "state " + e.getKey() + " of " + name + " changed");
                }
            }
        }
    }

    /** Builds an optimizer of the same kind and hyperparameters as {@code probe}, with two groups. */
    private static Optimizer<?> twoGroups(Optimizer<?> probe, List<Parameter> first,
                                          List<Parameter> second) {
        final OptimizerConfig c = probe.groups().get(0).config();
        return switch (c) {
            case Sgd.Config s -> Sgd.builder().lr(s.lr()).momentum(s.momentum())
                    .dampening(s.dampening()).weightDecay(s.weightDecay()).nesterov(s.nesterov())
                    .group(first).group(second, g -> g.lr(s.lr() / 2)).build();
            case Adam.Config s -> (s.decoupledWeightDecay() ? AdamW.builder() : Adam.builder())
                    .lr(s.lr()).weightDecay(s.weightDecay()).amsgrad(s.amsgrad())
                    .group(first).group(second, g -> g.lr(s.lr() / 2)).build();
            case AdaGrad.Config s -> AdaGrad.builder().lr(s.lr()).lrDecay(s.lrDecay())
                    .weightDecay(s.weightDecay()).initialAccumulatorValue(s.initialAccumulatorValue())
                    .group(first).group(second, g -> g.lr(s.lr() / 2)).build();
            case RmsProp.Config s -> RmsProp.builder().lr(s.lr()).momentum(s.momentum())
                    .centered(s.centered()).weightDecay(s.weightDecay())
                    .group(first).group(second, g -> g.lr(s.lr() / 2)).build();
        };
    }

    private static Parameter randomParameter(Parameter p, long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < p.length(); i++) {
            p.setValueAt(i, (float) random.nextDouble(-1, 1));
            p.setGradAt(i, (float) random.nextDouble(-1, 1));
        }
        return p;
    }

    private static void randomGradients(List<Parameter> parameters, long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        for (Parameter p : parameters) {
            for (long i = 0; i < p.length(); i++) {
                p.setGradAt(i, (float) random.nextDouble(-1, 1));
            }
        }
    }

    private MemorySegment floats(long count) {
        return arena.allocate(count * Float.BYTES, 64);
    }
}
