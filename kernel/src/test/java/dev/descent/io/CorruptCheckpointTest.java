package dev.descent.io;

import static dev.descent.io.Runs.assertSameBits;
import static dev.descent.io.Runs.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Adam;
import dev.descent.AdamW;
import dev.descent.LossScaler;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad checkpoint is refused with a {@link CheckpointException} whose message says
 * what is wrong, and the optimizer it was loaded into keeps every bit of its values, state, step
 * count, learning rates and momenta.
 */
class CorruptCheckpointTest {

    /** The Adam setup: groups [fc.weight, fc.bias, head] and [emb.weight, empty], state exp_avg, exp_avg_sq. */
    private static final Runs.Setup ADAM = Runs.setup("Adam");
    private static final Runs.Setup ADAGRAD = Runs.setup("AdaGrad");
    private static final Runs.Setup SCALED = Runs.setup("Adam, loss scaling, clipping by norm");

    @TempDir
    Path dir;
    private Arena arena;
    private Path good;
    private Path bad;

    /** Makes a bad file from the good one. */
    @FunctionalInterface
    interface Corruption {
        void write(SafetensorsFile good, Path bad) throws IOException;
    }

    @BeforeEach
    void saveAGoodCheckpoint() throws IOException {
        arena = Arena.ofShared();
        good = dir.resolve("good.safetensors");
        bad = dir.resolve("bad.safetensors");
        try (Optimizer<?> o = ADAM.build(Runs.parameters(arena, 99))) {
            Runs.train(o, 0, 5);
            Checkpoints.save(o, good);
        }
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    static Stream<Arguments> corruptions() {
        return Stream.of(
                // The file's frame: header length and sizes.
                bad("empty file", (f, p) -> Files.write(p, new byte[0]),
                        "0 bytes, fewer than the 8-byte header length"),
                bad("5-byte file", (f, p) -> Files.write(p, new byte[5]), "5 bytes, fewer than"),
                bad("truncated data", (f, p) -> truncate(f, p, 4),
                        "ends past the data section", "truncated", "4 bytes missing"),
                bad("data truncated to nothing", (f, p) -> truncate(f, p, f.data.length),
                        "truncated"),
                bad("truncated header", (f, p) -> {
                    final byte[] all = bytes(f);
                    Files.write(p, Arrays.copyOf(all, 8 + (int) f.headerLength / 2));
                }, "header length is", "the header is truncated"),
                bad("header length larger than the file", (f, p) -> {
                    final byte[] all = bytes(f);
                    ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, all.length);
                    Files.write(p, all);
                }, "bytes follow it", "header is truncated"),
                bad("header length above 2^63", (f, p) -> {
                    final byte[] all = bytes(f);
                    ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
                    Files.write(p, all);
                }, "18446744073709551615"),
                bad("trailing bytes after the last tensor", (f, p) -> {
                    final byte[] data = Arrays.copyOf(f.data, f.data.length + 4);
                    SafetensorsFile.write(p, f.header, data);
                }, "4 trailing bytes belong to no tensor"),
                bad("flipped data bit", (f, p) -> {
                    final byte[] data = f.data.clone();
                    data[1000] ^= 0x10;
                    SafetensorsFile.write(p, f.header, data);
                }, "data is corrupt", "CRC-32C"),
                bad("malformed checksum", (f, p) -> edit(f, p, s -> s.replaceFirst(
                        "\"data_crc32c\":\"[0-9a-f]{8}\"", "\"data_crc32c\":\"xyz\"")),
                        "data_crc32c is 'xyz'"),

                // The header's checksum: an edit that does not recompute it (the others above and
                // below do, as a consistent tool would, to reach the check they test).
                bad("step count changed", (f, p) -> editUnsealed(f, p,
                        s -> s.replace("\"step_count\":\"5\"", "\"step_count\":\"4\"")),
                        "the header is corrupt: its CRC-32C is", "but it records"),
                bad("learning rate changed", (f, p) -> editUnsealed(f, p,
                        s -> s.replaceFirst("\"group\\.0\\.lr\":\"[^\"]*\"", "\"group.0.lr\":\"0.5\"")),
                        "the header is corrupt"),
                bad("a tensor's offsets changed", (f, p) -> editUnsealed(f, p,
                        s -> s.replaceFirst("\"data_offsets\":\\[0,", "\"data_offsets\":[4,")),
                        "the header is corrupt"),
                bad("format entry changed", (f, p) -> editUnsealed(f, p,
                        s -> s.replace("\"format\":\"descent.checkpoint\"", "\"format\":\"descent.checkpoinu\"")),
                        "the header is corrupt: its CRC-32C is"),
                bad("header checksum missing", (f, p) -> editUnsealed(f, p,
                        s -> s.replaceFirst(",\"header_crc32c\":\"[0-9a-f]{8}\"", "")),
                        "format_version 2 or later records header_crc32c in its metadata, and this one does not"),
                bad("header checksum malformed", (f, p) -> editUnsealed(f, p,
                        s -> s.replaceFirst("\"header_crc32c\":\"[0-9a-f]{8}\"", "\"header_crc32c\":\"xyz\"")),
                        "header_crc32c is 'xyz'; expected 8 lowercase hex digits"),
                // Valid JSON, and a well-formed value, but not the bytes a save writes.
                bad("header checksum entry reformatted", (f, p) -> editUnsealed(f, p,
                        s -> s.replace("\"header_crc32c\":\"", "\"header_crc32c\": \"")),
                        "the header is corrupt or was reformatted",
                        "its header_crc32c entry is not stored as a save writes it"),
                bad("header checksum key escaped", (f, p) -> editUnsealed(f, p,
                        s -> s.replace("\"header_crc32c\":\"", "\"header_crc32\\u0063\":\"")),
                        "the header is corrupt or was reformatted"),
                bad("data checksum missing", (f, p) -> edit(f, p,
                        s -> s.replaceFirst("\"data_crc32c\":\"[0-9a-f]{8}\",", "")),
                        "every Descent checkpoint records data_crc32c"),

                // The header's JSON and structure.
                bad("invalid JSON: trailing comma", (f, p) -> edit(f, p,
                        s -> s.replace("\"step_count\":\"5\",", "\"step_count\":\"5\",,")),
                        "not valid JSON", "at character", "expected a string key"),
                bad("invalid JSON: not JSON at all", (f, p) -> SafetensorsFile.write(p, "hello", f.data),
                        "not valid JSON", "at character 0", "expected a JSON value"),
                bad("invalid JSON: unterminated", (f, p) -> edit(f, p,
                        s -> s.substring(0, s.lastIndexOf('}'))),
                        "not valid JSON", "expected ',' or '}'"),
                bad("invalid JSON: duplicate key", (f, p) -> edit(f, p,
                        s -> s.replace("\"format\":", "\"step_count\":\"1\",\"format\":")),
                        "duplicate key \"step_count\""),
                bad("invalid UTF-8", (f, p) -> {
                    final byte[] h = f.header.replace("descent.checkpoint", "descent.checkpoint\u00e9")
                            .getBytes(StandardCharsets.UTF_8);
                    final int i = f.header.indexOf("descent.checkpoint") + "descent.checkpoint".length();
                    h[i + 1] = (byte) 0x28; // 0xC3 0x28: a lead byte without its continuation
                    SafetensorsFile.write(p, h, f.data);
                }, "not valid UTF-8", "at byte"),
                bad("header is an array", (f, p) -> SafetensorsFile.write(p, "[]", new byte[0]),
                        "must be a JSON object, found an array"),
                bad("metadata value not a string", (f, p) -> edit(f, p,
                        s -> s.replace("\"step_count\":\"5\"", "\"step_count\":5")),
                        "metadata entry 'step_count' is a number (5)", "must be strings"),
                bad("tensor without data_offsets", (f, p) -> edit(f, p,
                        s -> s.replace(",\"data_offsets\":[0,444]", "")),
                        "tensor 'fc.weight' has no 'data_offsets'"),
                bad("tensor with an unknown key", (f, p) -> edit(f, p,
                        s -> s.replace("\"shape\":[111]", "\"shape\":[111],\"strides\":[1]")),
                        "unknown key 'strides'"),
                bad("negative offset", (f, p) -> edit(f, p,
                        s -> s.replace("[0,444]", "[-4,444]")),
                        "data_offsets must hold non-negative integers", "-4"),

                // Offsets: the tensors must tile the data section.
                bad("overlapping offsets", (f, p) -> edit(f, p,
                        s -> s.replace("[444,888]", "[440,888]")),
                        "'fc.weight' (data_offsets [0, 444])", "overlap"),
                bad("gap between tensors", (f, p) -> edit(f, p,
                        s -> s.replace("[0,444]", "[0,440]")),
                        "bytes [440, 444) of the data section belong to no tensor"),
                bad("offsets out of range", (f, p) -> edit(f, p,
                        s -> s.replace("[0,444]", "[0,99999444]")),
                        "'fc.weight' (data_offsets [0, 99999444]) ends past the data section"),
                bad("offsets ending before they begin", (f, p) -> edit(f, p,
                        s -> s.replace("[444,888]", "[888,444]")),
                        "data_offsets [888, 444] end before they begin"),

                // Tensors against the live optimizer.
                bad("dtype F16", (f, p) -> edit(f, p,
                        s -> s.replaceFirst("\"dtype\":\"F32\"", "\"dtype\":\"F16\"")),
                        "tensor 'fc.weight' has dtype F16; expected F32"),
                bad("dtype BF16 on a state tensor", (f, p) -> edit(f, p,
                        s -> s.replace("\"fc.bias.exp_avg\":{\"dtype\":\"F32\"",
                                "\"fc.bias.exp_avg\":{\"dtype\":\"BF16\"")),
                        "tensor 'fc.bias.exp_avg' has dtype BF16"),
                bad("wrong shape", (f, p) -> edit(f, p,
                        s -> s.replace("\"shape\":[111]", "\"shape\":[112]")),
                        "tensor 'fc.weight' has shape [112]; expected [111]"),
                bad("2-D shape", (f, p) -> edit(f, p,
                        s -> s.replace("\"shape\":[111]", "\"shape\":[37,3]")),
                        "has shape [37, 3]; expected [111]", "flat"),
                bad("missing empty tensor", (f, p) -> retile(f, p, tensors -> {
                    tensors.removeIf(t -> t.name.equals("empty.exp_avg_sq"));
                    return tensors;
                }), "missing tensor 'empty.exp_avg_sq'"),
                bad("missing tensor", (f, p) -> retile(f, p, tensors -> {
                    tensors.removeIf(t -> t.name.equals("emb.weight.exp_avg"));
                    return tensors;
                }), "missing tensor 'emb.weight.exp_avg'"),
                bad("extra tensor", (f, p) -> retile(f, p, tensors -> {
                    tensors.add(new Tensor("fc.weight.momentum_buffer", "F32", "111", new byte[444]));
                    return tensors;
                }), "unexpected tensor 'fc.weight.momentum_buffer'"),
                bad("renamed tensor", (f, p) -> edit(f, p,
                        s -> s.replace("\"head.exp_avg\":", "\"head.exp_avg2\":")),
                        "missing tensor 'head.exp_avg'; unexpected tensor 'head.exp_avg2'"),

                // Metadata against the live optimizer.
                bad("no metadata (another tool's file)", (f, p) -> edit(f, p,
                        s -> s.replaceFirst("\"__metadata__\":\\{[^}]*\\},", "")),
                        "not a Descent checkpoint", "format is absent"),
                bad("newer format version", (f, p) -> edit(f, p,
                        s -> s.replace("\"format_version\":\"3\"", "\"format_version\":\"4\"")),
                        "format_version is '4'", "reads format_version 1 to 3"),
                bad("wrong optimizer kind", (f, p) -> edit(f, p,
                        s -> s.replace("\"optimizer\":\"Adam\"", "\"optimizer\":\"RmsProp\"")),
                        "the checkpoint's optimizer is RmsProp but this optimizer is Adam"),
                bad("mismatched hyperparameter", (f, p) -> edit(f, p,
                        s -> s.replace("\"group.1.config.beta2\":\"0.99\"",
                                "\"group.1.config.beta2\":\"0.98\"")),
                        "group 1 hyperparameter beta2 differs: the checkpoint has 0.98,"
                                + " this optimizer has 0.99"),
                bad("missing hyperparameter", (f, p) -> edit(f, p,
                        s -> s.replace("\"group.0.config.amsgrad\":\"false\",", "")),
                        "group 0 hyperparameter amsgrad is missing"),
                bad("unknown hyperparameter", (f, p) -> edit(f, p,
                        s -> s.replace("\"group.0.config.amsgrad\":\"false\",",
                                "\"group.0.config.amsgrad\":\"false\",\"group.0.config.nesterov\":\"true\",")),
                        "unexpected metadata entry 'group.0.config.nesterov'"),
                bad("other group count", (f, p) -> edit(f, p,
                        s -> s.replace("\"group_count\":\"2\"", "\"group_count\":\"3\"")),
                        "has 3 parameter groups but this optimizer has 2"),
                bad("parameters in other groups", (f, p) -> edit(f, p,
                        s -> s.replace("\"group.0.params\":\"[\\\"fc.weight\\\",\\\"fc.bias\\\",\\\"head\\\"]\"",
                                "\"group.0.params\":\"[\\\"fc.bias\\\",\\\"fc.weight\\\",\\\"head\\\"]\"")),
                        "group 0 holds parameters [fc.bias, fc.weight, head] in the checkpoint but"
                                + " [fc.weight, fc.bias, head] in this optimizer"),
                bad("negative step count", (f, p) -> edit(f, p,
                        s -> s.replace("\"step_count\":\"5\"", "\"step_count\":\"-5\"")),
                        "'step_count' is '-5'; expected a non-negative integer"),
                bad("learning rate not a number", (f, p) -> edit(f, p,
                        s -> s.replaceFirst("\"group.1.lr\":\"[^\"]*\"", "\"group.1.lr\":\"NaN\"")),
                        "'group.1.lr' is 'NaN'; expected a finite decimal number >= 0"),
                bad("negative learning rate", (f, p) -> edit(f, p,
                        s -> s.replaceFirst("\"group.0.lr\":\"[^\"]*\"", "\"group.0.lr\":\"-0.5\"")),
                        "'group.0.lr' is '-0.5'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptions")
    void refusedAndTheOptimizerIsUntouched(String name, Corruption corruption, String[] fragments)
            throws IOException {
        corruption.write(SafetensorsFile.read(good), bad);
        try (Optimizer<?> live = ADAM.build(Runs.parameters(arena, 42))) {
            Runs.train(live, 0, 3);
            refuses(live, bad, fragments);
            // The optimizer still works, and the good file still loads.
            Checkpoints.load(live, good);
            assertEquals(5, live.stepCount());
        }
    }

    @Test
    void checkpointOfAnotherKindIsRefused() throws IOException {
        final Path sgd = dir.resolve("sgd.safetensors");
        try (Optimizer<?> o = Runs.setup("Sgd momentum, dampening, weight decay, maximize")
                .build(Runs.parameters(arena, 1))) {
            Runs.train(o, 0, 2);
            Checkpoints.save(o, sgd);
        }
        try (Optimizer<?> live = ADAM.build(Runs.parameters(arena, 42))) {
            Runs.train(live, 0, 3);
            refuses(live, sgd, "the checkpoint's optimizer is Sgd but this optimizer is Adam");
        }
        // AdamW is Adam with decoupled weight decay, yet another kind.
        try (Optimizer<?> live = AdamW.builder().lr(0.01).build(Runs.parameters(arena, 42))) {
            live.step();
            refuses(live, good, "the checkpoint's optimizer is Adam but this optimizer is AdamW");
        }
    }

    @Test
    void otherHyperparametersAreRefusedNamingTheFieldAndBothValues() throws IOException {
        final List<Parameter> ps = Runs.parameters(arena, 42);
        try (Optimizer<?> live = Adam.builder().lr(0.01).eps(1e-7)
                .group(ps.subList(0, 3)).group(ps.subList(3, 5), b -> b.weightDecay(0.01).betas(0.8, 0.99))
                .build()) {
            live.step();
            refuses(live, good, "group 0 hyperparameter eps differs: the checkpoint has 1.0E-8,"
                    + " this optimizer has 1.0E-7");
        }
        try (Optimizer<?> live = Adam.builder().lr(0.01).build(ps)) {
            refuses(live, good, "has 2 parameter groups but this optimizer has 1");
        }
    }

    @Test
    void lossScalersMustMatch() throws IOException {
        final Path withScaler = saveScaled(5);
        try (Optimizer<?> live = ADAM.build(Runs.parameters(arena, 42))) {
            Runs.train(live, 0, 2);
            refuses(live, withScaler, "the checkpoint has a loss scaler but this optimizer has none");
        }
        try (Optimizer<?> live = SCALED.build(Runs.parameters(arena, 42))) {
            Runs.train(live, 0, 2);
            refuses(live, good, "this optimizer has a loss scaler but the checkpoint has none");
            final SafetensorsFile f = SafetensorsFile.read(withScaler);
            edit(f, bad, s -> s.replace("\"loss_scaler.growth_tracker\":\"1\"",
                    "\"loss_scaler.growth_tracker\":\"3\""));
            refuses(live, bad, "'loss_scaler.growth_tracker' is 3; it must be below the growth interval, 3");
            edit(f, bad, s -> s.replaceFirst("\"loss_scaler.scale\":\"[^\"]*\"",
                    "\"loss_scaler.scale\":\"-1.0\""));
            refuses(live, bad, "'loss_scaler.scale' is '-1.0'; a loss scale must be a finite float >= 0");
            edit(f, bad, s -> s.replace("\"loss_scaler.growth_factor\":\"2.0\",", ""));
            refuses(live, bad, "loss scaler setting growth_factor is missing");
            edit(f, bad, s -> s.replace("\"loss_scaler.growth_factor\":\"2.0\",",
                    "\"loss_scaler.growth_factor\":\"2.0\",\"loss_scaler.enabled\":\"true\","));
            refuses(live, bad, "unexpected metadata entry 'loss_scaler.enabled'");
        }
        final List<Parameter> ps = Runs.parameters(arena, 42);
        try (Optimizer<?> live = Adam.builder().lr(0.01).group(ps.subList(0, 3))
                .group(ps.subList(3, 5), b -> b.weightDecay(0.01).betas(0.8, 0.99)).build()) {
            live.setLossScaler(LossScaler.builder().initScale(1024).growthInterval(4).build());
            refuses(live, withScaler, "loss scaler setting growth_interval differs: the checkpoint has 3,"
                    + " this optimizer's has 4");
        }
    }

    /**
     * Files written while the scaler multiplied by its factors rounded to float record them so:
     * they resume a scaler built with the factor as given, and no other.
     */
    @Test
    void factorsRecordedAsFloatsLoadIntoTheFactorsTheyRoundFrom() throws IOException {
        final Path current = dir.resolve("backoff.safetensors");
        try (Optimizer<?> o = ADAM.build(Runs.parameters(arena, 1))) {
            o.setLossScaler(LossScaler.builder().backoffFactor(0.9).growthFactor(1.1).build());
            Runs.train(o, 0, 2);
            Checkpoints.save(o, current);
        }
        final SafetensorsFile f = SafetensorsFile.read(current);
        edit(f, bad, s -> s.replace("\"loss_scaler.backoff_factor\":\"0.9\"",
                "\"loss_scaler.backoff_factor\":\"" + (double) 0.9f + "\"")
                .replace("\"loss_scaler.growth_factor\":\"1.1\"",
                        "\"loss_scaler.growth_factor\":\"" + (double) 1.1f + "\""));
        try (Optimizer<?> live = ADAM.build(Runs.parameters(arena, 42))) {
            final LossScaler scaler = LossScaler.builder().backoffFactor(0.9).growthFactor(1.1).build();
            live.setLossScaler(scaler);
            Checkpoints.load(live, bad);
            assertEquals(2, live.stepCount());
            assertEquals(0.9, scaler.backoffFactor());
        }
        try (Optimizer<?> live = ADAM.build(Runs.parameters(arena, 42))) {
            live.setLossScaler(LossScaler.builder().backoffFactor(0.91).growthFactor(1.1).build());
            refuses(live, bad, "loss scaler setting backoff_factor differs: the checkpoint has "
                    + (double) 0.9f + ", this optimizer's has 0.91");
        }
        try (Optimizer<?> live = ADAM.build(Runs.parameters(arena, 42))) {
            live.setLossScaler(LossScaler.builder().backoffFactor((double) 0.9f).growthFactor(1.1).build());
            refuses(live, current, "loss scaler setting backoff_factor differs: the checkpoint has 0.9,"
                    + " this optimizer's has " + (double) 0.9f);
        }
    }

    @Test
    void parametersOfOtherLengthsAreRefused() throws IOException {
        final List<Parameter> ps = new ArrayList<>(Runs.parameters(arena, 42));
        ps.set(3, Parameter.allocate(arena, "emb.weight", 4098));
        try (Optimizer<?> live = ADAM.build(ps)) {
            refuses(live, good, "tensor 'emb.weight' has shape [4099]; expected [4098]");
        }
    }

    @Test
    void aParametersOnlyFileIsNoOptimizerCheckpoint() throws IOException {
        final Path weights = dir.resolve("weights.safetensors");
        Checkpoints.save(Runs.parameters(arena, 5), weights);
        try (Optimizer<?> live = ADAM.build(Runs.parameters(arena, 42))) {
            refuses(live, weights, "holds parameters only", "Checkpoints.load(List<Parameter>, Path)");
        }
    }

    /** A group value that validation cannot see to be wrong is refused when set, and undone. */
    @Test
    void aRefusedGroupValueUndoesTheGroupsAlreadySet() throws IOException {
        final Path adagrad = dir.resolve("adagrad.safetensors");
        try (Optimizer<?> o = ADAGRAD.build(Runs.parameters(arena, 1))) {
            Runs.train(o, 0, 4);
            Checkpoints.save(o, adagrad);
        }
        // Group 0's lr is set first; group 1 has no momentum, so setting one fails.
        edit(SafetensorsFile.read(adagrad), bad, s -> s.replace("\"group.1.momentum\":\"0.0\"",
                "\"group.1.momentum\":\"0.5\""));
        try (Optimizer<?> live = ADAGRAD.build(Runs.parameters(arena, 42))) {
            Runs.train(live, 0, 2);
            live.groups().get(0).setLr(0.5);
            final CheckpointException e = refuses(live, bad, "group 1:", "no momentum");
            assertTrue(e.getCause() instanceof IllegalArgumentException);
            assertEquals(0.5, live.groups().get(0).lr());
        }
    }

    /**
     * The parameters of an optimizer's checkpoint load on their own, its state skipped, but only
     * all of them: one left out is a tensor the load does not expect, and nothing changes.
     */
    @Test
    void bareParametersLoadFromAnOptimizerCheckpointAllOrNothing() throws IOException {
        final List<Parameter> trained;
        try (Optimizer<?> o = ADAM.build(Runs.parameters(arena, 99))) {
            Runs.train(o, 0, 5);
            trained = o.parameters();
            final List<Parameter> ps = Runs.parameters(arena, 42);
            final List<List<Integer>> before = Runs.valueBits(ps);
            final CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Checkpoints.load(ps.subList(0, 4), good));
            assertTrue(e.getMessage().contains("unexpected tensor 'empty'"), e.getMessage());
            assertEquals(before, Runs.valueBits(ps));
            final List<Parameter> withState = new ArrayList<>(ps);
            withState.add(Parameter.allocate(arena, "fc.weight.exp_avg", 111));
            final CheckpointException state = assertThrows(CheckpointException.class,
                    () -> Checkpoints.load(withState, good));
            assertTrue(state.getMessage().contains("tensor 'fc.weight.exp_avg' is optimizer state"),
                    state.getMessage());
            assertEquals(before, Runs.valueBits(ps));
            Checkpoints.load(ps, good);
            assertEquals(Runs.valueBits(trained), Runs.valueBits(ps));
        }
    }

    @Test
    void bareParameterLoadsAreCheckedToo() throws IOException {
        final List<Parameter> ps = Runs.parameters(arena, 42);

        truncate(SafetensorsFile.read(good), bad, 1);
        assertThrows(CheckpointException.class, () -> Checkpoints.metadata(bad));

        // A parameters-only load reads no optimizer metadata, and the header checksum guards the
        // tensors' offsets there even when the corruption is in the format entry, which marks the
        // file as Descent's.
        final Path weights = dir.resolve("weights.safetensors");
        Checkpoints.save(ps, weights);
        editUnsealed(SafetensorsFile.read(weights), bad, s -> s
                .replace("\"format\":\"descent.checkpoint\"", "\"format\":\"descent.checkpoinu\""));
        final List<Parameter> fresh = Runs.parameters(arena, 7);
        final List<List<Integer>> freshBits = Runs.valueBits(fresh);
        final CheckpointException corrupt = assertThrows(CheckpointException.class,
                () -> Checkpoints.load(fresh, bad));
        assertTrue(corrupt.getMessage().contains("the header is corrupt"), corrupt.getMessage());
        assertThrows(CheckpointException.class, () -> Checkpoints.metadata(bad));
        assertEquals(freshBits, Runs.valueBits(fresh));
    }

    /**
     * A newer format may lay out its tensors otherwise: a bare load of a Descent file refuses an
     * unknown format version as an optimizer's load does, for weights alone and for a checkpoint.
     */
    @Test
    void bareParameterLoadsRefuseANewerFormatVersion() throws IOException {
        final Path weights = dir.resolve("weights.safetensors");
        Checkpoints.save(Runs.parameters(arena, 5), weights);
        for (Path file : List.of(weights, good)) {
            edit(SafetensorsFile.read(file), bad, s -> s.replace("\"format_version\":\"3\"",
                    "\"format_version\":\"4\""));
            final List<Parameter> fresh = Runs.parameters(arena, 7);
            final List<List<Integer>> freshBits = Runs.valueBits(fresh);
            final CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Checkpoints.load(fresh, bad));
            assertTrue(e.getMessage().contains("format_version is '4'; this version of Descent"
                    + " reads format_version 1 to 3"), e.getMessage());
            assertEquals(freshBits, Runs.valueBits(fresh));
        }
    }

    @Test
    void negativeZeroLoadsAsZero() throws IOException {
        final Path withScaler = saveScaled(3);
        edit(SafetensorsFile.read(withScaler), bad, s -> s
                .replaceFirst("\"group\\.0\\.lr\":\"[^\"]*\"", "\"group.0.lr\":\"-0\"")
                .replaceFirst("\"loss_scaler\\.scale\":\"[^\"]*\"", "\"loss_scaler.scale\":\"-0.0\""));
        try (Optimizer<?> live = SCALED.build(Runs.parameters(arena, 42))) {
            Checkpoints.load(live, bad);
            assertEquals(0L, Double.doubleToRawLongBits(live.groups().get(0).lr()), "+0.0");
            assertEquals(0, Float.floatToRawIntBits(live.lossScaler().scale()), "+0.0f");
            Checkpoints.save(live, withScaler);
        }
        final String header = SafetensorsFile.read(withScaler).header;
        assertTrue(header.contains("\"group.0.lr\":\"0.0\""), header);
        assertTrue(header.contains("\"loss_scaler.scale\":\"0.0\""), header);
    }

    // ------------------------------------------------------------------ helpers

    /** A checkpoint of the loss-scaled setup after {@code steps} steps. */
    private Path saveScaled(int steps) throws IOException {
        final Path withScaler = dir.resolve("scaled.safetensors");
        try (Optimizer<?> o = SCALED.build(Runs.parameters(arena, 1))) {
            Runs.train(o, 0, steps);
            Checkpoints.save(o, withScaler);
        }
        return withScaler;
    }

    private static CheckpointException refuses(Optimizer<?> live, Path file, String... fragments) {
        final Runs.Snapshot before = snapshot(live);
        final CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoints.load(live, file));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment),
                    "message lacks '" + fragment + "': " + e.getMessage());
        }
        assertTrue(e.getMessage().startsWith("checkpoint " + file + ": "), e.getMessage());
        assertEquals(file, e.file());
        assertSameBits(before, snapshot(live), "after a refused load");
        return e;
    }

    private static Arguments bad(String name, Corruption corruption, String... fragments) {
        return Arguments.of(name, corruption, fragments);
    }

    private static byte[] bytes(SafetensorsFile f) {
        final byte[] h = f.header.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer out = ByteBuffer.allocate(8 + h.length + f.data.length).order(ByteOrder.LITTLE_ENDIAN);
        return out.putLong(h.length).put(h).put(f.data).array();
    }

    private static void truncate(SafetensorsFile f, Path p, int bytesLess) throws IOException {
        SafetensorsFile.write(p, f.header, Arrays.copyOf(f.data, f.data.length - bytesLess));
    }

    /** As {@link #edit}, leaving the header's checksum as it was. */
    private static void editUnsealed(SafetensorsFile f, Path p, Function<String, String> edit)
            throws IOException {
        final String header = edit.apply(f.header);
        if (header.equals(f.header)) {
            throw new AssertionError("the edit changed nothing in " + f.header);
        }
        SafetensorsFile.writeUnsealed(p, header.getBytes(StandardCharsets.UTF_8), f.data);
    }

    /** Rewrites the header (the edit must change it), resealing its checksum, and keeps the data. */
    private static void edit(SafetensorsFile f, Path p, Function<String, String> edit) throws IOException {
        final String header = edit.apply(f.header);
        if (header.equals(f.header)) {
            throw new AssertionError("the edit changed nothing in " + f.header);
        }
        SafetensorsFile.write(p, header, f.data);
    }

    /** A tensor taken out of a file, to be laid out again. */
    record Tensor(String name, String dtype, String shape, byte[] bytes) {
    }

    /** Takes the tensors apart, lets {@code change} edit the list, and lays them out contiguously. */
    private static void retile(SafetensorsFile f, Path p, Function<List<Tensor>, List<Tensor>> change)
            throws IOException {
        final List<Tensor> tensors = new ArrayList<>();
        for (Map.Entry<String, SafetensorsFile.Entry> e : f.tensors().entrySet()) {
            final SafetensorsFile.Entry t = e.getValue();
            tensors.add(new Tensor(e.getKey(), t.dtype(),
                    Arrays.stream(t.shape()).mapToObj(Long::toString).reduce((a, b) -> a + "," + b).orElse(""),
                    Arrays.copyOfRange(f.data, (int) t.begin(), (int) t.end())));
        }
        final int metadataEnd = f.header.indexOf('}') + 1;
        final StringBuilder header = new StringBuilder(f.header.substring(0, metadataEnd));
        final java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (Tensor t : change.apply(tensors)) {
            header.append(",\"").append(t.name()).append("\":{\"dtype\":\"").append(t.dtype())
                    .append("\",\"shape\":[").append(t.shape()).append("],\"data_offsets\":[")
                    .append(data.size()).append(',').append(data.size() + t.bytes().length).append("]}");
            data.writeBytes(t.bytes());
        }
        SafetensorsFile.write(p, header.append('}').toString(), data.toByteArray());
    }
}
