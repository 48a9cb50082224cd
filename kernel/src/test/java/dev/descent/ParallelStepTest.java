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
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A step spread over worker threads gives the same bits as a step on one thread, whatever the
 * thread count and however the tensors are shaped; workers stop on close.
 */
class ParallelStepTest {

    private static final int STEPS = 5;

    /** Builds an optimizer kind over parameters with a given thread count. */
    record Kind(String name, BiFunction<List<Parameter>, Integer, Optimizer<?>> build) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Kind> kinds() {
        return List.of(
                new Kind("sgd", (ps, t) -> Sgd.builder().lr(0.01).weightDecay(1e-3).threads(t).build(ps)),
                new Kind("nesterov", (ps, t) -> Sgd.builder().lr(0.01).momentum(0.9).nesterov(true)
                        .threads(t).build(ps)),
                new Kind("adagrad", (ps, t) -> AdaGrad.builder().lrDecay(0.01).threads(t).build(ps)),
                new Kind("rmsprop centered momentum", (ps, t) -> RmsProp.builder().centered(true)
                        .momentum(0.5).threads(t).build(ps)),
                new Kind("adam amsgrad", (ps, t) -> Adam.builder().amsgrad(true).threads(t).build(ps)),
                new Kind("adamw", (ps, t) -> AdamW.builder().threads(t).build(ps)));
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
    void everyThreadCountGivesTheSameBits(Kind kind, long[] shape) {
        try (Arena arena = Arena.ofShared()) {
            final List<Parameter> reference = parameters(arena, shape);
            try (Optimizer<?> single = kind.build().apply(reference, 1)) {
                run(single, reference);
                for (int threads : new int[] {2, 3, 4}) {
                    final List<Parameter> params = parameters(arena, shape);
                    try (Optimizer<?> parallel = kind.build().apply(params, threads)) {
                        run(parallel, params);
                        for (int i = 0; i < params.size(); i++) {
                            final String what = kind + " threads " + threads + " " + params.get(i);
                            assertSameBits(what + " values", reference.get(i).values(),
                                    params.get(i).values());
                            final Map<String, MemorySegment> expected = single.state(reference.get(i));
                            final Map<String, MemorySegment> actual = parallel.state(params.get(i));
                            assertEquals(expected.keySet(), actual.keySet());
                            for (String name : expected.keySet()) {
                                assertSameBits(what + " " + name, expected.get(name), actual.get(name));
                            }
                        }
                    }
                }
            }
        }
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
    void memoryConfinedToTheCallerIsSteppedOnTheCallerAlone() {
        try (Arena shared = Arena.ofShared(); Arena confined = Arena.ofConfined()) {
            final List<Parameter> params = new ArrayList<>(parameters(shared, new long[] {200_000}));
            final Parameter local = Parameter.allocate(confined, "local", 100_000);
            local.grad().fill((byte) 0x3f);
            params.add(local);
            try (Optimizer<?> sgd = Sgd.builder().lr(0.5).threads(2).build(params)) {
                sgd.step();
                assertEquals(-0.5f * local.gradAt(99_999), local.valueAt(99_999));
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

    private static List<String> workerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().contains("-worker-") && t.isAlive())
                .map(Thread::getName).toList();
    }

    private static List<Parameter> parameters(Arena arena, long[] shape) {
        final List<Parameter> params = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < shape.length; i++) {
            final Parameter p = Parameter.allocate(arena, "p" + i, shape[i]);
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
