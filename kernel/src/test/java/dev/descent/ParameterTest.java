package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The three ways to make a {@link Parameter}, its accessors, and that steps write the caller's memory. */
class ParameterTest {

    private Arena arena;

    @BeforeEach
    void openArena() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @Test
    void allocateBlockPacksAlignedZeroedDisjointSlicesInOrder() {
        final long[] lengths = {17, 0, 16, 1, 4099, 3};
        final List<String> names = List.of("a", "b", "c", "d", "e", "f");
        final List<Parameter> block = Parameter.allocateBlock(arena, names, lengths);
        assertEquals(names, block.stream().map(Parameter::name).toList());
        long expectedOffset = 0;
        for (int i = 0; i < block.size(); i++) {
            final Parameter p = block.get(i);
            assertEquals(lengths[i], p.length());
            assertEquals(expectedOffset, p.blockOffset(), p.name());
            expectedOffset += (lengths[i] + 15) / 16 * 16;
            for (MemorySegment s : List.of(p.values(), p.grad())) {
                assertEquals(lengths[i] * Float.BYTES, s.byteSize());
                assertEquals(0, s.address() % Parameter.ALLOCATION_ALIGNMENT, p.name());
                assertEquals(-1, s.mismatch(MemorySegment.ofArray(new float[(int) lengths[i]])),
                        p.name() + " is not zeroed");
            }
            assertTrue(p.values().asOverlappingSlice(p.grad()).isEmpty());
            for (int j = 0; j < i; j++) {
                assertTrue(p.values().asOverlappingSlice(block.get(j).values()).isEmpty());
                assertTrue(p.grad().asOverlappingSlice(block.get(j).grad()).isEmpty());
            }
        }
        // Writing through one parameter never shows in its neighbours.
        block.get(0).values().fill((byte) 0x7f);
        block.get(2).grad().fill((byte) 0x7f);
        assertEquals(0f, block.get(2).valueAt(0));
        assertEquals(0f, block.get(3).gradAt(0));
        assertEquals(0f, block.get(0).gradAt(16));
    }

    @Test
    void allocateBlockRejectsBadInputNamingIt() {
        final List<String> two = List.of("w", "b");
        assertMessage(IllegalArgumentException.class, "2 names and 1 lengths",
                () -> Parameter.allocateBlock(arena, two, 4));
        assertMessage(IllegalArgumentException.class, "'w' appears twice",
                () -> Parameter.allocateBlock(arena, List.of("w", "w"), 4, 4));
        assertMessage(IllegalArgumentException.class, "lengths[1] (parameter 'b')",
                () -> Parameter.allocateBlock(arena, two, 4, -1));
        assertMessage(IllegalArgumentException.class, "non-blank",
                () -> Parameter.allocateBlock(arena, List.of("w", " "), 4, 4));
        assertMessage(IllegalArgumentException.class, "would exceed",
                () -> Parameter.allocateBlock(arena, two, Parameter.MAX_LENGTH / 2,
                        Parameter.MAX_LENGTH / 2));
        assertMessage(NullPointerException.class, "arena",
                () -> Parameter.allocateBlock(null, two, 4, 4));
        final Arena closed = Arena.ofConfined();
        closed.close();
        assertMessage(IllegalStateException.class, "already closed",
                () -> Parameter.allocateBlock(closed, two, 4, 4));
    }

    private static void assertMessage(Class<? extends RuntimeException> type, String part,
                                      Executable call) {
        final RuntimeException e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 3, 15, 16, 17, 1000, 4099})
    void allocateGivesZeroedCacheLineAlignedSegments(long length) {
        final Parameter p = Parameter.allocate(arena, "fc.weight", length);
        assertEquals("fc.weight", p.name());
        assertEquals(length, p.length());
        for (MemorySegment s : List.of(p.values(), p.grad())) {
            assertEquals(length * Float.BYTES, s.byteSize());
            assertTrue(s.isNative());
            assertFalse(s.isReadOnly());
            assertEquals(0, s.address() % Parameter.ALLOCATION_ALIGNMENT, "address " + s.address());
            for (long i = 0; i < length; i++) {
                final long at = i;
                assertEquals(0, Float.floatToRawIntBits(s.getAtIndex(JAVA_FLOAT, i)),
                        () -> "element " + at + " is not +0.0");
            }
        }
        assertTrue(p.values().asOverlappingSlice(p.grad()).isEmpty(), "values and grad overlap");
        assertTrue(p.toString().contains("fc.weight"));
    }

    @Test
    void allocatePacksSmallParametersOfOneArenaBackToBack() {
        final long[] lengths = {17, 1, 16, 300, 0, 5};
        final Parameter[] params = new Parameter[lengths.length];
        for (int i = 0; i < lengths.length; i++) {
            params[i] = Parameter.allocate(arena, "p" + i, lengths[i]);
        }
        // 17 + 1 + 16 + 300 padded = 32 + 16 + 16 + 304 = 368 floats: more than the first chunk
        // of 256, so the 300-float one starts a chunk of its own, and 5 follows it there.
        final long[] offsets = {0, 32, 48, 0, -1, 304};
        for (int i = 0; i < lengths.length; i++) {
            final Parameter p = params[i];
            if (lengths[i] == 0) {
                assertEquals(null, p.valuesBlock(), "an empty parameter needs no chunk");
                continue;
            }
            assertEquals(offsets[i], p.blockOffset(), p.name());
            assertEquals(p.values().address(), p.valuesBlock().address() + offsets[i] * 4);
            assertEquals(p.grad().address(), p.gradBlock().address() + offsets[i] * 4);
            for (MemorySegment seg : List.of(p.values(), p.grad())) {
                assertEquals(0, seg.address() % Parameter.ALLOCATION_ALIGNMENT, p.name());
                assertEquals(-1, seg.mismatch(MemorySegment.ofArray(new float[(int) lengths[i]])),
                        p.name() + " is not zeroed");
            }
        }
        assertSame(params[0].valuesBlock(), params[2].valuesBlock());
        assertSame(params[3].valuesBlock(), params[5].valuesBlock());
        assertFalse(params[0].valuesBlock() == params[3].valuesBlock());
        assertEquals(256 * Float.BYTES, params[0].valuesBlock().byteSize(), "the first chunk");
        assertEquals(512 * Float.BYTES, params[3].valuesBlock().byteSize(), "twice the last");
        for (int i = 0; i < lengths.length; i++) {
            for (int j = 0; j < i; j++) {
                assertTrue(params[i].values().asOverlappingSlice(params[j].values()).isEmpty());
                assertTrue(params[i].grad().asOverlappingSlice(params[j].grad()).isEmpty());
                assertTrue(params[i].values().asOverlappingSlice(params[j].grad()).isEmpty());
            }
        }
        params[0].values().fill((byte) 0x7f);
        params[0].grad().fill((byte) 0x7f);
        assertEquals(0f, params[1].valueAt(0));
        assertEquals(0f, params[1].gradAt(0));
    }

    @Test
    void stepsOverPackedParametersLeaveThePaddingBetweenThemZero() {
        final long[] lengths = {5, 17, 1, 33};
        final List<Parameter> params = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            final Parameter p = Parameter.allocate(arena, "p" + i, lengths[i]);
            p.values().fill((byte) 0x3f);
            p.grad().fill((byte) 0x3e);
            params.add(p);
        }
        try (Optimizer<?> adagrad = AdaGrad.builder().lr(0.1).weightDecay(0.01)
                .initialAccumulatorValue(0.5).threads(1).build(params)) {
            assertEquals(1, adagrad.runCount(), "four packed parameters, one run");
            for (int step = 0; step < 3; step++) {
                adagrad.step();
            }
        }
        final MemorySegment values = params.get(0).valuesBlock();
        final MemorySegment grad = params.get(0).gradBlock();
        for (Parameter p : params) {
            final long end = p.blockOffset() + p.length();
            final long next = p.blockOffset() + (p.length() + 15) / 16 * 16;
            for (long e = end; e < next; e++) {
                assertEquals(0, values.getAtIndex(JAVA_FLOAT, e), "values padding after " + p);
                assertEquals(0, grad.getAtIndex(JAVA_FLOAT, e), "grad padding after " + p);
            }
            assertTrue(p.valueAt(0) != Float.intBitsToFloat(0x3f3f3f3f), p + " was updated");
        }
    }

    @Test
    void allocateGivesLargeParametersTheirOwnMemoryAndKeepsPackingAround() {
        final Parameter small = Parameter.allocate(arena, "small", 16);
        final Parameter large = Parameter.allocate(arena, "large", Parameter.POOLED_MAX_LENGTH + 1);
        final Parameter next = Parameter.allocate(arena, "next", 16);
        assertEquals(null, large.valuesBlock());
        assertSame(small.valuesBlock(), next.valuesBlock());
        assertEquals(16, next.blockOffset());
        final Parameter largest = Parameter.allocate(arena, "largest", Parameter.POOLED_MAX_LENGTH);
        assertTrue(largest.valuesBlock() != null, "a parameter of the largest packed length");
        try (Arena other = Arena.ofShared()) {
            final Parameter elsewhere = Parameter.allocate(other, "elsewhere", 16);
            assertFalse(elsewhere.valuesBlock() == next.valuesBlock(), "arenas never share");
            assertEquals(0, elsewhere.blockOffset());
        }
    }

    @Test
    void largeAllocationsStaggerTheGradientAgainstTheValuesInTheirPages() {
        final long large = Parameter.STAGGER_MIN_LENGTH;
        final Parameter alone = Parameter.allocate(arena, "alone", Parameter.POOLED_MAX_LENGTH + 1);
        assertStaggered("a large parameter", alone.values(), alone.grad());
        final List<Parameter> block = Parameter.allocateBlock(arena, List.of("a", "b"), 16, large);
        assertStaggered("a large block", block.get(0).valuesBlock(), block.get(0).gradBlock());
        final List<Parameter> held = new ArrayList<>();
        // Fill chunks until one is as long as a large parameter: that one is staggered too.
        MemorySegment chunk = null;
        for (int i = 0; chunk == null || chunk.byteSize() < large * Float.BYTES; i++) {
            final Parameter p = Parameter.allocate(arena, "p" + i, 4096);
            held.add(p);
            chunk = p.valuesBlock();
        }
        assertStaggered("a large chunk", chunk, held.getLast().gradBlock());
    }

    private static void assertStaggered(String what, MemorySegment values, MemorySegment grad) {
        assertEquals(0, values.address() % Parameter.PAGE_BYTES,
                what + ": values at address " + values.address() + " start a page");
        assertEquals(512, grad.address() % Parameter.PAGE_BYTES,
                what + ": gradient at address " + grad.address() + " starts 512 bytes into a page");
    }

    @Test
    void chunksDoubleUpToTheLargest() {
        final long[] sizes = new long[15];
        int chunks = 0;
        MemorySegment chunk = null;
        // Held, as a trainer holds its parameters: a chunk none of whose parameters is reachable
        // any more is forgotten, and the next one starts small again.
        final List<Parameter> held = new ArrayList<>();
        // 16-float parameters fill every chunk exactly, so each chunk's size shows.
        for (int i = 0; chunks < sizes.length; i++) {
            final Parameter p = Parameter.allocate(arena, "p" + i, 16);
            held.add(p);
            if (p.valuesBlock() != chunk) {
                chunk = p.valuesBlock();
                assertEquals(0, p.blockOffset());
                sizes[chunks++] = chunk.byteSize() / Float.BYTES;
            }
        }
        final long m = 1L << 20;
        assertArrayEquals(new long[] {256, 512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536,
            131_072, 262_144, 524_288, m, m, m}, sizes);
        assertEquals(Arrays.stream(sizes, 0, 14).sum() / 16 + 1, held.size(),
                "every parameter right after the one before, no chunk left part-filled");
    }

    @Test
    void anArenaOfTheCallersOwnThatHandsOutUsedMemoryStillGivesZeroedParameters() {
        // Arena.allocate's contract does not promise zeroed memory (only the JDK's arenas do):
        // an arena that recycles memory, as this one pretends to, may return what was there.
        final Arena recycling = new Arena() {
            @Override
            public MemorySegment allocate(long byteSize, long byteAlignment) {
                return arena.allocate(byteSize, byteAlignment).fill((byte) 0x7f);
            }

            @Override
            public MemorySegment.Scope scope() {
                return arena.scope();
            }

            @Override
            public void close() {
                arena.close();
            }
        };
        final List<Parameter> made = new ArrayList<>();
        made.add(Parameter.allocate(recycling, "packed", 17));
        made.add(Parameter.allocate(recycling, "large", Parameter.POOLED_MAX_LENGTH + 1));
        made.addAll(Parameter.allocateBlock(recycling, List.of("a", "b"), 5, 33));
        for (Parameter p : made) {
            for (MemorySegment s : List.of(p.values(), p.grad())) {
                assertEquals(-1, s.mismatch(MemorySegment.ofArray(new float[(int) p.length()])),
                        p.name() + " is not zeroed");
            }
        }
        // The padding after a packed parameter is zero too, as the optimizer's runs rely on.
        final Parameter packed = made.getFirst();
        assertEquals(0f, packed.valuesBlock().getAtIndex(JAVA_FLOAT, packed.length()));
        assertEquals(0f, packed.gradBlock().getAtIndex(JAVA_FLOAT, packed.length()));
    }

    @Test
    void allocateFromAConfinedArenaOfAnotherThreadFails() throws Exception {
        try (Arena confined = Arena.ofConfined()) {
            final Parameter first = Parameter.allocate(confined, "first", 16); // room left
            final Throwable[] thrown = new Throwable[3];
            final Thread other = new Thread(() -> {
                try {
                    Parameter.allocate(confined, "packed", 16);
                } catch (Throwable t) {
                    thrown[0] = t;
                }
                try {
                    Parameter.allocate(confined, "large", Parameter.POOLED_MAX_LENGTH * 2);
                } catch (Throwable t) {
                    thrown[1] = t;
                }
                try {
                    Parameter.allocateBlock(confined, List.of("block"), 16);
                } catch (Throwable t) {
                    thrown[2] = t;
                }
            });
            other.start();
            other.join();
            assertTrue(thrown[0] instanceof WrongThreadException, String.valueOf(thrown[0]));
            assertTrue(thrown[0].getMessage().contains("'packed'"), thrown[0].getMessage());
            assertTrue(thrown[1] instanceof WrongThreadException, String.valueOf(thrown[1]));
            assertTrue(thrown[2] instanceof WrongThreadException, String.valueOf(thrown[2]));
            final Parameter second = Parameter.allocate(confined, "second", 16);
            assertSame(first.valuesBlock(), second.valuesBlock());
            assertEquals(16, second.blockOffset(), "the failed calls took nothing");
        }
    }

    @Test
    void wrapKeepsTheCallersMemory() {
        final int n = 37;
        final MemorySegment values = arena.allocate(n * Float.BYTES, 16);
        final MemorySegment grad = arena.allocate(n * Float.BYTES, 16);
        for (int i = 0; i < n; i++) {
            values.setAtIndex(JAVA_FLOAT, i, 1f + i);
            grad.setAtIndex(JAVA_FLOAT, i, 0.25f * (i % 5 - 2));
        }
        final Parameter p = Parameter.wrap("fc.bias", values, grad);
        assertEquals("fc.bias", p.name());
        assertEquals(n, p.length());
        assertEquals(values.address(), p.values().address());
        assertEquals(grad.address(), p.grad().address());
        assertEquals(values.byteSize(), p.values().byteSize());
        // Contents are used as they are, not cleared.
        assertEquals(1f + 36, p.valueAt(36));
        assertEquals(0.5f, p.gradAt(4));

        try (Sgd sgd = Sgd.builder().lr(0.5).build(List.of(p))) {
            sgd.step();
        }
        for (int i = 0; i < n; i++) {
            // p - 0.5 * g with g a multiple of 0.25: exact in float.
            assertEquals(1f + i - 0.5f * (0.25f * (i % 5 - 2)), values.getAtIndex(JAVA_FLOAT, i),
                    "element " + i + " seen through the caller's segment");
        }
        // Writes through the parameter reach the caller's segments, and back.
        p.setValueAt(3, 42f);
        p.setGradAt(4, -7f);
        assertEquals(42f, values.getAtIndex(JAVA_FLOAT, 3));
        assertEquals(-7f, grad.getAtIndex(JAVA_FLOAT, 4));
        grad.setAtIndex(JAVA_FLOAT, 5, 9f);
        assertEquals(9f, p.gradAt(5));
    }

    @Test
    void wrapAcceptsFloatArraySegmentsAndUpdatesTheArray() {
        final float[] values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
        final float[] grads = new float[values.length];
        Arrays.fill(grads, 2f);
        final Parameter p = Parameter.wrap("heap", MemorySegment.ofArray(values),
                MemorySegment.ofArray(grads));
        try (Sgd sgd = Sgd.builder().lr(0.25).build(List.of(p))) {
            sgd.step();
        }
        for (int i = 0; i < values.length; i++) {
            assertEquals(i + 1 - 0.5f, values[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void ofArraysUpdatesTheCallersArrayInPlace(Function<List<Parameter>, Optimizer<?>> build) {
        final int n = 53; // several vectors of any width, plus a tail
        final SplittableRandom random = new SplittableRandom(42);
        final float[] values = new float[n];
        final float[] grads = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
            grads[i] = (float) random.nextDouble(-1, 1);
        }
        final float[] valuesBefore = values.clone();
        final float[] gradsBefore = grads.clone();

        // The same numbers in off-heap memory: what the step must produce in the arrays.
        final Parameter reference = Parameter.allocate(arena, "reference", n);
        MemorySegment.copy(values, 0, reference.values(), JAVA_FLOAT, 0, n);
        MemorySegment.copy(grads, 0, reference.grad(), JAVA_FLOAT, 0, n);

        final Parameter p = Parameter.ofArrays("emb", values, grads);
        assertEquals("emb", p.name());
        assertEquals(n, p.length());
        assertEquals(n * (long) Float.BYTES, p.values().byteSize());
        assertEquals(values[7], p.valueAt(7));
        assertEquals(grads[9], p.gradAt(9));

        try (Optimizer<?> onArrays = build.apply(List.of(p));
             Optimizer<?> offHeap = build.apply(List.of(reference))) {
            for (int step = 0; step < 3; step++) {
                onArrays.step();
                offHeap.step();
            }
        }
        assertArrayEquals(reference.values().toArray(JAVA_FLOAT), values);
        assertArrayEquals(gradsBefore, grads, "the step must not write the gradient");
        int moved = 0;
        for (int i = 0; i < n; i++) {
            moved += values[i] != valuesBefore[i] ? 1 : 0;
        }
        assertEquals(n, moved, "every element of the caller's array should have moved");

        // The parameter is a view of the arrays in both directions.
        p.setValueAt(0, 123f);
        assertEquals(123f, values[0]);
        grads[1] = -4f;
        assertEquals(-4f, p.gradAt(1));
        p.zeroGrad();
        assertArrayEquals(new float[n], grads);
    }

    @Test
    void elementAccessorsReadAndWriteTheSegments() {
        final Parameter p = Parameter.allocate(arena, "w", 10);
        for (int i = 0; i < 10; i++) {
            p.setValueAt(i, i * 1.5f);
            p.setGradAt(i, -i);
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(i * 1.5f, p.valueAt(i));
            assertEquals(i * 1.5f, p.values().getAtIndex(JAVA_FLOAT, i));
            assertEquals(-i, p.gradAt(i));
            assertEquals(-i, p.grad().getAtIndex(JAVA_FLOAT, i));
        }
        assertEquals(13.5f, p.valueAt(9));
        p.setValueAt(9, Float.NaN);
        assertTrue(Float.isNaN(p.valueAt(9)));

        p.zeroGrad();
        for (int i = 0; i < 10; i++) {
            assertEquals(0f, p.gradAt(i));
        }
        assertEquals(1.5f, p.valueAt(1), "zeroGrad must leave the values alone");
    }

    @Test
    void optimizerZeroGradClearsEveryParameter() {
        final Parameter a = Parameter.allocate(arena, "a", 5);
        final Parameter b = Parameter.ofArrays("b", new float[] {1, 2}, new float[] {3, 4});
        a.setGradAt(4, 1f);
        a.setValueAt(4, 2f);
        try (Adam adam = Adam.builder().build(List.of(a, b))) {
            adam.zeroGrad();
        }
        assertArrayEquals(new float[5], a.grad().toArray(JAVA_FLOAT));
        assertArrayEquals(new float[2], b.grad().toArray(JAVA_FLOAT));
        assertEquals(2f, a.valueAt(4));
        assertArrayEquals(new float[] {1, 2}, b.values().toArray(JAVA_FLOAT));
    }

    static Stream<Named<Function<List<Parameter>, Optimizer<?>>>> optimizers() {
        return Stream.of(
                Named.of("Sgd", ps -> Sgd.builder().lr(0.1).weightDecay(0.01).build(ps)),
                Named.of("Sgd nesterov", ps -> Sgd.builder().lr(0.1).momentum(0.9).nesterov(true)
                        .build(ps)),
                Named.of("Adam amsgrad", ps -> Adam.builder().lr(0.01).amsgrad(true).build(ps)),
                Named.of("AdamW", ps -> AdamW.builder().lr(0.01).build(ps)),
                Named.of("AdaGrad", ps -> AdaGrad.builder().initialAccumulatorValue(0.1).build(ps)),
                Named.of("RmsProp centered momentum", ps -> RmsProp.builder().momentum(0.9)
                        .centered(true).build(ps)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void emptyParametersAreAllowedAndAStepLeavesThemAlone(
            Function<List<Parameter>, Optimizer<?>> build) {
        final Parameter allocated = Parameter.allocate(arena, "allocated", 0);
        final Parameter wrapped = Parameter.wrap("wrapped", arena.allocate(0, 64),
                arena.allocate(0, 64));
        final Parameter arrays = Parameter.ofArrays("arrays", new float[0], new float[0]);
        final Parameter real = Parameter.allocate(arena, "real", 3);
        real.setValueAt(1, 1f);
        real.setGradAt(1, 1f);
        for (Parameter e : List.of(allocated, wrapped, arrays)) {
            assertEquals(0, e.length());
            assertEquals(0, e.values().byteSize());
            assertEquals(0, e.grad().byteSize());
        }

        try (Optimizer<?> onlyEmpty = build.apply(List.of(allocated, wrapped, arrays))) {
            onlyEmpty.step();
            onlyEmpty.step();
            onlyEmpty.zeroGrad();
            assertEquals(2, onlyEmpty.stepCount());
            for (Map.Entry<String, MemorySegment> s : onlyEmpty.state(allocated).entrySet()) {
                assertEquals(0, s.getValue().byteSize(), s.getKey());
            }
        }

        try (Optimizer<?> mixed = build.apply(List.of(allocated, real, arrays, wrapped))) {
            mixed.step();
            assertEquals(1, mixed.stepCount());
        }
        assertEquals(0f, real.valueAt(0));
        assertTrue(real.valueAt(1) < 1f, "the non-empty parameter should have moved");
        assertEquals(0, allocated.length());
    }

    @Test
    void parametersListsAreKeptInOrder() {
        final Parameter a = Parameter.allocate(arena, "a", 1);
        final Parameter b = Parameter.allocate(arena, "b", 2);
        final Parameter c = Parameter.allocate(arena, "c", 3);
        try (Sgd sgd = Sgd.builder().group(List.of(c, a)).group(List.of(b), g -> g.lr(0.5)).build()) {
            assertEquals(List.of(c, a, b), sgd.parameters());
            assertSame(b, sgd.groups().get(1).parameters().get(0));
            assertEquals(0.5, sgd.groups().get(1).lr());
            assertEquals(Sgd.LR_DEFAULT, sgd.groups().get(0).lr());
        }
    }
}
