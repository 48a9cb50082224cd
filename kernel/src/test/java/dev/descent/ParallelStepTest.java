package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A step spread over worker threads gives the same bits as a step on one thread, whatever the
 * thread count, however the tensors are shaped and however they are laid out: each in memory of
 * its own, allocated one by one (small ones packed back to back), in one block or in Java arrays;
 * adjacent packed or block parameters are updated as one run. Workers stop on close.
 */
class ParallelStepTest {

    private static final int STEPS = 5;
    /** The name of an optimizer's worker thread: its class's simple name, then the worker's number. */
    private static final Pattern OPTIMIZER_WORKER =
            Pattern.compile("(Sgd|Adam|AdaGrad|RmsProp)-worker-[0-9]+");

    /** How the parameters of a test are laid out in memory. */
    enum Layout {
        /** Each tensor's values and gradient in memory of their own ({@link Parameter#wrap}). */
        SEPARATE,
        /** {@link Parameter#allocate} one by one, which packs small tensors back to back. */
        ONE_BY_ONE,
        /** {@link Parameter#allocateBlock}. */
        BLOCK,
        /** Java arrays ({@link Parameter#ofArrays}), which a step copies off-heap chunk by chunk. */
        ARRAYS
    }

    /** An optimizer kind: a fresh builder with its hyperparameters set. */
    record Kind(String name, Supplier<Optimizer.Builder<?, ?, ?>> builder) {
        /** The optimizer over {@code params} in one group, stepping on {@code threads}. */
        Optimizer<?> build(List<Parameter> params, int threads) {
            return builder.get().threads(threads).build(params);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Kind> kinds() {
        return List.of(
                new Kind("sgd", () -> Sgd.builder().lr(0.01).weightDecay(1e-3)),
                new Kind("nesterov", () -> Sgd.builder().lr(0.01).momentum(0.9).nesterov(true)),
                new Kind("adagrad", () -> AdaGrad.builder().lrDecay(0.01)
                        .initialAccumulatorValue(0.1)),
                new Kind("rmsprop centered momentum", () -> RmsProp.builder().centered(true)
                        .momentum(0.5)),
                new Kind("adam amsgrad", () -> Adam.builder().amsgrad(true)),
                new Kind("adamw", () -> AdamW.builder()));
    }

    /** One large tensor with a ragged end, a model-shaped list of many small ones, and a mix. */
    static List<long[]> shapes() {
        final long[] many = new long[300];
        for (int i = 0; i < many.length; i++) {
            many[i] = i % 3 == 0 ? 1027 : i % 3 == 1 ? 64 : 513;
        }
        return List.of(new long[] {200_003}, many, new long[] {3, 100_000, 1, 70_001, 17, 0, 40_000});
    }

    static Stream<Arguments> kindsAndShapes() {
        final List<Arguments> all = new ArrayList<>();
        for (Kind k : kinds()) {
            for (long[] shape : shapes()) {
                all.add(Arguments.of(k, shape));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, {1} tensors")
    @MethodSource("kindsAndShapes")
    void everyThreadCountAndLayoutGivesTheSameBits(Kind kind, long[] shape) {
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> reference = parameters(arena, shape, Layout.SEPARATE);
            try (Optimizer<?> single = kind.build(reference, 1)) {
                run(single, reference);
                for (Layout layout : Layout.values()) {
                    final int[] threadCounts = layout == Layout.SEPARATE ? new int[] {2, 3, 4}
                            : new int[] {1, 2, 3};
                    for (int threads : threadCounts) {
                        final List<Parameter> params = parameters(arena, shape, layout);
                        try (Optimizer<?> other = kind.build(params, threads)) {
                            assertEquals(expectedRuns(params), other.runCount(), layout
                                    + ": one run per stretch of adjacent parameters");
                            run(other, params);
                            assertSameResults(kind + " " + layout + " threads " + threads, single,
                                    reference, other, params);
                        }
                    }
                }
            }
        }
    }

    @Test
    void runsFollowTheLayout() {
        final long[] many = shapes().get(1);
        try (Arena arena = Arena.ofShared()) {
            final Kind sgd = kinds().get(0);
            try (Optimizer<?> separate = sgd.build(parameters(arena, many, Layout.SEPARATE), 1);
                 Optimizer<?> oneByOne = sgd.build(parameters(arena, many, Layout.ONE_BY_ONE), 1);
                 Optimizer<?> block = sgd.build(parameters(arena, many, Layout.BLOCK), 1)) {
                assertEquals(many.length, separate.runCount());
                // 300 tensors, 160,400 floats: a few chunks, each one run.
                assertTrue(oneByOne.runCount() <= 12, oneByOne.runCount() + " runs");
                assertEquals(1, block.runCount());
            }
        }
    }

    /**
     * The stretches of parameters that lie back to back in the same blocks, from the layout the
     * allocation reports, independently of how the optimizer finds them.
     */
    private static int expectedRuns(List<Parameter> params) {
        int runs = params.isEmpty() ? 0 : 1;
        for (int i = 1; i < params.size(); i++) {
            final Parameter a = params.get(i - 1);
            final Parameter b = params.get(i);
            final boolean adjacent = a.valuesBlock() != null && a.valuesBlock() == b.valuesBlock()
                    && b.blockOffset() == a.blockOffset() + (a.length() + 15) / 16 * 16;
            runs += adjacent ? 0 : 1;
        }
        return runs;
    }

    /**
     * Runs merge only within a group: a block split over interleaved groups, with clipping and
     * loss scaling (whose pre-pass works per parameter), on two threads, steps as separately
     * allocated tensors do on one: the same norm and the same bits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void blockSplitOverGroupsWithClippingAndLossScaling(Kind kind) {
        final long[] shape = {1027, 64, 513, 0, 40_000, 3, 33_000, 16};
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> reference = parameters(arena, shape, Layout.SEPARATE);
            final List<Parameter> block = parameters(arena, shape, Layout.BLOCK);
            try (Optimizer<?> expected = grouped(kind, reference, 1);
                 Optimizer<?> actual = grouped(kind, block, 2)) {
                assertEquals(shape.length, expected.runCount());
                // Group order: {0, 1, 2} merge, 5 and 6 merge (3 and 4 are in between), then
                // {3, 4} merge and 7 stands alone.
                assertEquals(4, actual.runCount());
                run(expected, reference);
                run(actual, block);
                assertEquals(expected.lastGradNorm(), actual.lastGradNorm());
                assertSameResults(kind + " grouped block", expected, reference, actual, block);
            }
        }
    }

    /**
     * Java arrays are stepped through off-heap copies of a chunk at a time: tensors that end
     * inside a chunk, on its end and past it, clipped by norm (the pre-pass sums each reduction
     * block of a copy) or by value (the clamp writes back to the array), with loss scaling, on one
     * thread and on two, give the bits of the same tensors in native memory.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void arraysGiveTheBitsOfNativeMemoryWithClippingAndLossScaling(Kind kind) {
        final long[] shape = {4095, 4096, 4097, 0, 1, 40_000, 12_289, 33_000};
        for (GradientClipping clipping : List.of(GradientClipping.byNorm(0.5),
                GradientClipping.byValue(0.25))) {
            for (int threads : new int[] {1, 2}) {
                try (Arena arena = Arena.ofShared()) {
                    final List<Parameter> reference = parameters(arena, shape, Layout.SEPARATE);
                    final List<Parameter> arrays = parameters(arena, shape, Layout.ARRAYS);
                    try (Optimizer<?> expected = kind.build(reference, 1);
                         Optimizer<?> actual = kind.build(arrays, threads)) {
                        for (Optimizer<?> o : List.of(expected, actual)) {
                            o.setGradientClipping(clipping);
                            o.setLossScaler(LossScaler.builder().initScale(1024).build());
                        }
                        run(expected, reference);
                        run(actual, arrays);
                        assertEquals(expected.lastGradNorm(), actual.lastGradNorm());
                        assertSameResults(kind + " arrays " + clipping + " threads " + threads,
                                expected, reference, actual, arrays);
                        for (int i = 0; i < shape.length; i++) {
                            assertSameBits(arrays.get(i) + " grad", reference.get(i).grad(),
                                    arrays.get(i).grad());
                        }
                    }
                }
            }
        }
    }

    /** Parameters 0, 1, 2, 5, 6 in one group (half the lr), 3, 4, 7 in another; clipped, scaled. */
    private static Optimizer<?> grouped(Kind kind, List<Parameter> params, int threads) {
        final Optimizer<?> built = twoGroups(kind.builder().get(),
                List.of(params.get(0), params.get(1), params.get(2), params.get(5), params.get(6)),
                List.of(params.get(3), params.get(4), params.get(7)), threads);
        built.setGradientClipping(GradientClipping.byNorm(0.5));
        built.setLossScaler(LossScaler.builder().initScale(1024).build());
        return built;
    }

    private static <B extends Optimizer.Builder<B, ?, ?>> Optimizer<?> twoGroups(
            Optimizer.Builder<B, ?, ?> builder, List<Parameter> first, List<Parameter> second,
            int threads) {
        return builder.threads(threads).group(first, g -> g.lr(0.0005)).group(second).build();
    }

    @Test
    void workersStopOnClose() {
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> params = parameters(arena, new long[] {300_000});
            final Optimizer<?> adam = Adam.builder().threads(2).build(params);
            adam.step();
            assertTrue(workerThreads().size() >= 1, "a step this large starts a worker");
            adam.close();
            assertEquals(List.of(), workerThreads());
        }
    }

    @Test
    void aStepStartsTheWorkersItsSizeWantsNotAllThreadsAllows() {
        // 3 * 32,768 elements: worth three threads at the default minimum per thread, not eight.
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> params = parameters(arena,
                    new long[] {3 * Optimizer.MIN_ELEMENTS_PER_THREAD_DEFAULT});
            try (Optimizer<?> sgd = Sgd.builder().threads(8).build(params)) {
                sgd.step();
                assertEquals(List.of("Sgd-worker-1", "Sgd-worker-2"),
                        workerThreads().stream().sorted().toList());
            }
        }
    }

    @Test
    void memoryConfinedToTheCallerIsSteppedOnTheCallerAlone() {
        try (Arena shared = Arena.ofShared(); Arena confined = Arena.ofConfined()) {
            final List<Parameter> params = new ArrayList<>(parameters(shared, new long[] {200_000}));
            final Parameter local = Parameter.allocate(confined, "local", 100_000);
            local.grad().fill((byte) 0x3f);
            params.add(local);
            try (Optimizer<?> sgd = Sgd.builder().lr(0.5).threads(2).build(params)) {
                sgd.step();
                assertEquals(-0.5f * local.gradAt(99_999), local.valueAt(99_999));
                assertEquals(List.of(), workerThreads(), "no worker may touch confined memory,"
                        + " so none is kept");
            }
        }
    }

    @Test
    void threadsIsCheckedAndBelongsToTheWholeOptimizer() {
        final IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> Sgd.builder().threads(0));
        assertTrue(zero.getMessage().contains("threads") && zero.getMessage().contains("0"),
                zero.getMessage());
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> params = parameters(arena, new long[] {4});
            final IllegalArgumentException perGroup = assertThrows(IllegalArgumentException.class,
                    () -> Adam.builder().group(params, g -> g.threads(3)));
            assertTrue(perGroup.getMessage().contains("whole optimizer"), perGroup.getMessage());
            try (Optimizer<?> adam = Adam.builder().threads(3).build(params)) {
                assertEquals(3, adam.threads());
            }
            try (Optimizer<?> adam = Adam.builder().build(params)) {
                assertEquals(Runtime.getRuntime().availableProcessors(), adam.threads());
            }
        }
    }

    /**
     * The live worker threads of optimizers ({@code Sgd-worker-1}, ...): named exactly, since other
     * code in the test JVM has workers too, such as the common pool's
     * ({@code ForkJoinPool.commonPool-worker-1}, left alive for a minute by another test class).
     */
    private static List<String> workerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> OPTIMIZER_WORKER.matcher(t.getName()).matches() && t.isAlive())
                .map(Thread::getName).toList();
    }

    private static void assertSameResults(String what, Optimizer<?> expectedOptimizer,
                                          List<Parameter> expected, Optimizer<?> actualOptimizer,
                                          List<Parameter> actual) {
        for (int i = 0; i < actual.size(); i++) {
            final String which = what + " " + actual.get(i);
            assertSameBits(which + " values", expected.get(i).values(), actual.get(i).values());
            final Map<String, MemorySegment> e = expectedOptimizer.state(expected.get(i));
            final Map<String, MemorySegment> a = actualOptimizer.state(actual.get(i));
            assertEquals(e.keySet(), a.keySet());
            for (String name : e.keySet()) {
                assertSameBits(which + " " + name, e.get(name), a.get(name));
            }
        }
    }

    private static List<Parameter> parameters(Arena arena, long[] shape) {
        return parameters(arena, shape, Layout.SEPARATE);
    }

    /** Parameters of {@code shape} with the same values, laid out as {@code layout} says. */
    private static List<Parameter> parameters(Arena arena, long[] shape, Layout layout) {
        final List<Parameter> params = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(7);
        final List<String> names = IntStream.range(0, shape.length).mapToObj(i -> "p" + i)
                .toList();
        final List<Parameter> block = layout == Layout.BLOCK
                ? Parameter.allocateBlock(arena, names, shape) : null;
        for (int i = 0; i < shape.length; i++) {
            final long bytes = shape[i] * Float.BYTES;
            final Parameter p = switch (layout) {
                case SEPARATE -> Parameter.wrap(names.get(i), arena.allocate(bytes, 64),
                        arena.allocate(bytes, 64));
                case ONE_BY_ONE -> Parameter.allocate(arena, names.get(i), shape[i]);
                case BLOCK -> block.get(i);
                case ARRAYS -> Parameter.ofArrays(names.get(i), new float[(int) shape[i]],
                        new float[(int) shape[i]]);
            };
            for (long e = 0; e < shape[i]; e++) {
                p.setValueAt(e, (float) random.nextGaussian());
            }
            params.add(p);
        }
        return params;
    }

    /** Steps with gradients that depend on the step and the element, the same for every run. */
    private static void run(Optimizer<?> optimizer, List<Parameter> params) {
        for (int step = 0; step < STEPS; step++) {
            final SplittableRandom random = new SplittableRandom(1000 + step);
            for (Parameter p : params) {
                for (long e = 0; e < p.length(); e++) {
                    p.setGradAt(e, (float) random.nextGaussian());
                }
            }
            optimizer.step();
        }
    }

    private static void assertSameBits(String what, MemorySegment expected, MemorySegment actual) {
        final long mismatch = expected.mismatch(actual);
        if (mismatch != -1) {
            final long i = mismatch / Float.BYTES;
            fail(what + ": first difference at element " + i + ": "
                    + expected.getAtIndex(JAVA_FLOAT, i) + " vs " + actual.getAtIndex(JAVA_FLOAT, i));
        }
    }
}
