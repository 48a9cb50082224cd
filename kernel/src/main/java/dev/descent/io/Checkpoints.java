package dev.descent.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.descent.AdaGrad;
import dev.descent.Adam;
import dev.descent.LossScaler;
import dev.descent.Optimizer;
import dev.descent.OptimizerConfig;
import dev.descent.Parameter;
import dev.descent.ParameterGroup;
import dev.descent.RmsProp;
import dev.descent.Sgd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Checkpoints of parameters and optimizer state as
 * <a href="https://github.com/huggingface/safetensors">safetensors</a> files, which PyTorch
 * ({@code safetensors.torch.load_file}), numpy and other tools read directly.
 *
 * <h2>File layout</h2>
 * An 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON (padded with
 * spaces so the data starts 8-byte aligned), then the tensors' raw little-endian bytes, contiguous
 * and in the order listed. Every tensor is {@code F32} of shape {@code [length]}: one tensor per
 * parameter, named as the parameter, and one per state tensor, named
 * {@code <parameter>.<state>} with PyTorch's state names, e.g. {@code fc.weight},
 * {@code fc.weight.exp_avg}, {@code fc.weight.exp_avg_sq}. The header's {@code __metadata__}
 * (string values only, as safetensors requires) holds:
 * <ul>
 *   <li>{@code format} = {@value #FORMAT}, {@code format_version} = {@value #FORMAT_VERSION};</li>
 *   <li>{@code optimizer}: {@code Sgd}, {@code Adam}, {@code AdamW}, {@code AdaGrad} or
 *       {@code RmsProp} (absent in a checkpoint of bare parameters);</li>
 *   <li>{@code step_count}, and {@code group_count};</li>
 *   <li>per group {@code g}: {@code group.g.params} (a JSON array of the parameter names),
 *       {@code group.g.lr} and {@code group.g.momentum} (the current values, where a schedule has
 *       put them), and {@code group.g.config.<name>} for every component of the group's
 *       hyperparameter record ({@link Adam.Config}, {@link Sgd.Config}, ...); for an SGD group
 *       with momentum, {@code group.g.momentum_buffer_started} ({@code true} or {@code false},
 *       {@link Sgd#momentumBufferStarted}; from {@code format_version} 3: older files load with
 *       the buffers started if the step count is above 0);</li>
 *   <li>with a {@link LossScaler} attached: {@code loss_scaler.scale} and
 *       {@code loss_scaler.growth_tracker} (its state), {@code loss_scaler.growth_factor},
 *       {@code loss_scaler.backoff_factor} and {@code loss_scaler.growth_interval} (files
 *       written before 2026-12-07 hold the factors rounded to float, and load into a scaler
 *       built with the factors they round from);</li>
 *   <li>{@code data_crc32c}: the CRC-32C of the data section, 8 lowercase hex digits;</li>
 *   <li>{@code header_crc32c}, the last entry: the CRC-32C of the header's bytes as stored, with
 *       this entry's own 8 hex digits read as {@code 00000000}, so that a changed step count or
 *       learning rate is caught as surely as changed data. Files of {@code format_version} 1,
 *       written before it existed, load without it.</li>
 * </ul>
 * Numbers are written by {@link Double#toString(double)} (the loss scale, a float, by
 * {@link Float#toString(float)}), which read back to the same bits.
 * Schedules are pure functions of the step, so the step count and the groups' current values are
 * all a resumed run needs; a schedule object is not saved and is attached again by the trainer,
 * as is {@link dev.descent.GradientClipping}, which has no state. The one schedule with state of
 * its own, {@link dev.descent.schedule.ReduceLrOnPlateau}, belongs to the trainer, which saves it
 * and restores it ({@link dev.descent.schedule.ReduceLrOnPlateau#restore}). A loss scaler's
 * state is saved, and restored into the scaler attached to the optimizer loaded into.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>A save writes a temporary file in the target's directory through a memory-mapped
 *       segment (tensor data is copied segment to segment, never through the heap), forces it to
 *       disk, and renames it over the target atomically: a crash leaves either the old file or
 *       the new one (a process killed mid-save may also leave its hidden
 *       {@code .<name>.<random>.tmp} file, never read), and a failed save deletes its temporary
 *       file.</li>
 *   <li>A load validates the whole file against the live parameters (and optimizer) first, maps
 *       it read-only and only then copies: a refused file changes nothing. After a load, steps
 *       continue bit for bit as the run that saved the checkpoint would have.</li>
 *   <li>Data is little-endian in the file whatever the platform: on a big-endian machine the
 *       copies swap bytes.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * <ul>
 *   <li>{@link NullPointerException} for a null argument or list element,
 *       {@link IllegalArgumentException} for parameters that cannot form a checkpoint (two
 *       tensors of the same name), {@link IllegalStateException} for a closed optimizer or
 *       parameter memory that is freed or confined to another thread;</li>
 *   <li>{@link CheckpointException} (an {@link IOException}) for a file that is not a valid
 *       checkpoint or does not match: truncated, corrupt (checksum), malformed header, wrong dtype
 *       or shape, missing or unexpected tensors, another optimizer kind or other
 *       hyperparameters; its message names the file and what is wrong;</li>
 *   <li>other {@link IOException}s from the file system: a missing file or directory
 *       ({@link java.nio.file.NoSuchFileException}), a path that is a directory or a disk without
 *       room ({@link FileSystemException}).</li>
 * </ul>
 * A memory-mapped copy that hits an I/O error (a disk failing mid-write) raises an
 * {@link InternalError} in the JVM; a save reports it as an {@link IOException}. The space check
 * before writing keeps a full disk from getting that far.
 */
public final class Checkpoints {

    /** The value of the {@code format} metadata entry. */
    public static final String FORMAT = "descent.checkpoint";
    /** The version of the metadata this class writes; it reads every version from 1 to this. */
    public static final int FORMAT_VERSION = 3;
    /** The first version, still read: its files have no header checksum. */
    private static final String FIRST_FORMAT_VERSION = "1";
    /** The first version that records whether each SGD group's momentum buffers started. */
    private static final int BUFFER_STARTED_VERSION = 3;
    /** The only dtype of Descent tensors. */
    public static final String DTYPE = "F32";
    /** Largest header accepted, in bytes: the reference implementation's limit. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    /**
     * The most characters of a checkpoint's file name in the name of its temporary file: 64
     * characters take at most 192 bytes in UTF-8, which leaves room for the rest of the name
     * within the common limit of 255 bytes.
     */
    private static final int TEMP_NAME_CHARS = 64;

    /** Metadata key: {@link #FORMAT}. */
    public static final String FORMAT_KEY = "format";
    /** Metadata key: {@link #FORMAT_VERSION}. */
    public static final String FORMAT_VERSION_KEY = "format_version";
    /** Metadata key: the optimizer kind. */
    public static final String OPTIMIZER_KEY = "optimizer";
    /** Metadata key: {@link Optimizer#stepCount()}. */
    public static final String STEP_COUNT_KEY = "step_count";
    /** Metadata key: the number of parameter groups. */
    public static final String GROUP_COUNT_KEY = "group_count";
    /** Metadata key: CRC-32C of the data section. */
    public static final String DATA_CRC32C_KEY = "data_crc32c";
    /** Metadata key: CRC-32C of the header, its own value read as {@code 00000000}. */
    public static final String HEADER_CRC32C_KEY = "header_crc32c";
    /** Prefix of the per-group metadata keys, followed by the group index and a dot. */
    public static final String GROUP_KEY_PREFIX = "group.";
    /** Prefix of the loss scaler's metadata keys. */
    public static final String LOSS_SCALER_KEY_PREFIX = "loss_scaler.";

    private static final String METADATA = "__metadata__";
    private static final String PARAMS = "params";
    private static final String LR = "lr";
    private static final String MOMENTUM = "momentum";
    private static final String MOMENTUM_BUFFER_STARTED = "momentum_buffer_started";
    private static final String CONFIG = "config.";
    private static final Set<String> TENSOR_KEYS = Set.of("dtype", "shape", "data_offsets");
    private static final String SCALE = LOSS_SCALER_KEY_PREFIX + "scale";
    private static final String GROWTH_TRACKER = LOSS_SCALER_KEY_PREFIX + "growth_tracker";
    private static final List<String> SCALER_HYPERPARAMETERS = List.of(
            LOSS_SCALER_KEY_PREFIX + "growth_factor", LOSS_SCALER_KEY_PREFIX + "backoff_factor",
            LOSS_SCALER_KEY_PREFIX + "growth_interval");

    private static final long HEADER_LENGTH_BYTES = Long.BYTES;
    private static final long DATA_ALIGNMENT = 8;
    /** Chunk of the data section handed to the checksum at once: a ByteBuffer holds < 2^31 bytes. */
    private static final long CHECKSUM_CHUNK = 1L << 30;
    private static final ValueLayout.OfFloat FILE_FLOAT = JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat MEMORY_FLOAT = JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfLong FILE_LONG = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String CRC_PLACEHOLDER = "00000000";
    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final Pattern COUNT = Pattern.compile("0|[1-9][0-9]{0,18}");
    private static final Pattern CRC_HEX = Pattern.compile("[0-9a-f]{8}");
    /**
     * How the header checksum's entry starts in the header's bytes. Nowhere else can these bytes
     * occur: inside a JSON string its quotes would be escaped.
     */
    private static final byte[] HEADER_CRC_ENTRY = ('"' + HEADER_CRC32C_KEY + "\":\"")
            .getBytes(StandardCharsets.UTF_8);
    private static final int NAMES_IN_MESSAGES = 5;

    /** Test seam: runs after the temporary file is complete and forced, before the rename. */
    interface BeforeRename {
        void run(Path temporaryFile) throws IOException;
    }

    static volatile BeforeRename beforeRenameForTests;

    private Checkpoints() {
    }

    // ------------------------------------------------------------------ public API

    /**
     * Saves the parameters and state of {@code optimizer}, its step count, every group's
     * hyperparameters, current learning rate and momentum, and the state of its loss scaler if
     * it has one, to {@code path}, replacing any file there atomically.
     *
     * @param optimizer the optimizer whose parameters, state and settings are saved
     * @param path the file to write; its directory must exist
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the optimizer is closed or a parameter's memory cannot be
     *     accessed
     * @throws IllegalArgumentException if two tensors would have the same name (a parameter named
     *     like another's state tensor, e.g. {@code w} and {@code w.exp_avg}), a parameter is named
     *     {@code __metadata__}, or the header would be longer than {@link #MAX_HEADER_BYTES} or
     *     hold more values than a load reads (about 600,000 tensors); {@code path} is then
     *     unchanged
     * @throws IOException if the file cannot be written; {@code path} is then unchanged
     */
    public static void save(Optimizer<?> optimizer, Path path) throws IOException {
        notNull("optimizer", optimizer);
        notNull("path", path);
        final Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(FORMAT_KEY, FORMAT);
        metadata.put(FORMAT_VERSION_KEY, Integer.toString(FORMAT_VERSION));
        metadata.put(OPTIMIZER_KEY, kind(optimizer));
        metadata.put(STEP_COUNT_KEY, Long.toString(optimizer.stepCount()));
        metadata.putAll(groupMetadata(optimizer));
        metadata.putAll(lossScalerMetadata(optimizer.lossScaler()));
        final List<Tensor> tensors = new ArrayList<>();
        for (Parameter p : optimizer.parameters()) {
            checkAccessible(p);
            tensors.add(new Tensor(p.name(), p.values()));
            for (Map.Entry<String, MemorySegment> s : optimizer.state(p).entrySet()) {
                tensors.add(new Tensor(stateTensorName(p, s.getKey()), s.getValue()));
            }
        }
        write(path, metadata, tensors);
    }

    /**
     * Saves the values of {@code parameters}, one tensor each, named as the parameter.
     *
     * @param parameters the parameters, in the order their tensors are written
     * @param path the file to write; its directory must exist
     * @throws NullPointerException if an argument or element is null
     * @throws IllegalArgumentException if two parameters have the same name, one is named
     *     {@code __metadata__}, or the header would be longer than {@link #MAX_HEADER_BYTES} or
     *     hold more values than a load reads (about 600,000 tensors); {@code path} is then
     *     unchanged
     * @throws IllegalStateException if a parameter's memory cannot be accessed
     * @throws IOException if the file cannot be written; {@code path} is then unchanged
     */
    public static void save(List<Parameter> parameters, Path path) throws IOException {
        notNull("parameters", parameters);
        notNull("path", path);
        final List<Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            final Parameter p = notNull("parameters[" + i + "]", parameters.get(i));
            checkAccessible(p);
            tensors.add(new Tensor(p.name(), p.values()));
        }
        final Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(FORMAT_KEY, FORMAT);
        metadata.put(FORMAT_VERSION_KEY, Integer.toString(FORMAT_VERSION));
        write(path, metadata, tensors);
    }

    /**
     * Restores {@code optimizer} from a checkpoint written by {@link #save(Optimizer, Path)}:
     * parameter values, state, step count, each group's learning rate and momentum, and the
     * scale and growth tracker of its loss scaler. The file must be of the same optimizer kind,
     * with the same groups of the same parameters (names, lengths, order), the same
     * hyperparameters, and a loss scaler with the same settings exactly if the optimizer has
     * one; everything is checked before anything is written, so a refused file leaves the
     * optimizer, its loss scaler and its parameters as they were.
     *
     * @param optimizer the optimizer to restore, built with the same groups and hyperparameters
     *     as the one saved
     * @param path the checkpoint to read
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the optimizer is closed or a parameter's memory cannot be
     *     accessed
     * @throws IllegalArgumentException if two tensors would have the same name or a parameter is
     *     named {@code __metadata__}, as {@link #save(Optimizer, Path)} refuses them
     * @throws CheckpointException if the file is not a valid checkpoint for this optimizer; the
     *     message says what is wrong
     * @throws IOException if the file cannot be read
     */
    public static void load(Optimizer<?> optimizer, Path path) throws IOException {
        notNull("optimizer", optimizer);
        notNull("path", path);
        final Map<String, Long> expected = new LinkedHashMap<>();
        for (Parameter p : optimizer.parameters()) {
            checkAccessible(p);
            expectTensor(expected, p.name(), p.length());
            for (Map.Entry<String, MemorySegment> s : optimizer.state(p).entrySet()) {
                expectTensor(expected, stateTensorName(p, s.getKey()),
                        s.getValue().byteSize() / Float.BYTES);
            }
        }
        try (FileChannel channel = openForReading(path); Arena arena = Arena.ofConfined()) {
            final Header header = readHeader(channel, path);
            final Resume resume = checkOptimizerMetadata(optimizer, header, path);
            checkTensors(expected, Set.of(), header, path);
            final MemorySegment file = mapForReading(channel, arena);
            checkChecksum(header, file, path);
            apply(optimizer, resume, header, file, path);
        }
    }

    /**
     * Restores the values of {@code parameters} from a safetensors file holding exactly one
     * {@code F32} tensor of shape {@code [length]} per parameter, named as the parameter: one
     * written by {@link #save(List, Path)}, or by any safetensors writer. From a checkpoint of an
     * optimizer ({@link #save(Optimizer, Path)}) it restores the values and skips the state,
     * the tensors that are not among the parameters its groups list: trained weights for
     * evaluation, or to start another optimizer from; the parameters must still be exactly the
     * checkpoint's. A Descent file of a newer {@code format_version} than this version reads is
     * refused, as by {@link #load(Optimizer, Path)}. Everything is checked before anything is
     * written.
     *
     * @param parameters the parameters whose values to restore
     * @param path the file to read
     * @throws NullPointerException if an argument or element is null
     * @throws IllegalArgumentException if two parameters have the same name, or one is named
     *     {@code __metadata__}
     * @throws IllegalStateException if a parameter's memory cannot be accessed
     * @throws CheckpointException if the file is not valid or does not hold exactly these tensors
     * @throws IOException if the file cannot be read
     */
    public static void load(List<Parameter> parameters, Path path) throws IOException {
        notNull("parameters", parameters);
        notNull("path", path);
        final Map<String, Long> expected = new LinkedHashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            final Parameter p = notNull("parameters[" + i + "]", parameters.get(i));
            checkAccessible(p);
            checkNotReserved(p.name());
            if (expected.put(p.name(), p.length()) != null) {
                throw new IllegalArgumentException("two parameters are named '" + p.name()
                        + "'; a checkpoint holds one tensor per name");
            }
        }
        try (FileChannel channel = openForReading(path); Arena arena = Arena.ofConfined()) {
            final Header header = readHeader(channel, path);
            final Set<String> state = optimizerStateTensors(header, path);
            for (String name : expected.keySet()) {
                if (state.contains(name)) {
                    throw new CheckpointException(path, "tensor '" + name + "' is optimizer state"
                            + " in this checkpoint, not one of the parameters its groups list");
                }
            }
            checkTensors(expected, state, header, path);
            final MemorySegment file = mapForReading(channel, arena);
            checkChecksum(header, file, path);
            for (Parameter p : parameters) {
                copyIn(file, header, p.name(), p.values());
            }
        }
    }

    /**
     * The {@code __metadata__} of a safetensors file (empty if it has none), after checking that
     * its header is valid and its tensors tile its data section; the data is not read.
     *
     * @param path the file to read
     * @return the metadata, unmodifiable, in the order of the file
     * @throws CheckpointException if the file is not a valid safetensors file
     * @throws IOException if the file cannot be read
     * @throws NullPointerException if {@code path} is null
     */
    public static Map<String, String> metadata(Path path) throws IOException {
        notNull("path", path);
        try (FileChannel channel = openForReading(path)) {
            return readHeader(channel, path).metadata();
        }
    }

    // ------------------------------------------------------------------ what is saved

    /** A tensor to write: its name and its float32 elements in native order. */
    private record Tensor(String name, MemorySegment segment) {
        long bytes() {
            return segment.byteSize();
        }
    }

    /** The optimizer kind as saved: AdamW is an Adam with decoupled weight decay. */
    static String kind(Optimizer<?> optimizer) {
        return switch (optimizer) {
            case Sgd o -> "Sgd";
            case Adam o -> o.groups().getFirst().config().decoupledWeightDecay() ? "AdamW" : "Adam";
            case AdaGrad o -> "AdaGrad";
            case RmsProp o -> "RmsProp";
        };
    }

    private static String stateTensorName(Parameter p, String state) {
        return p.name() + "." + state;
    }

    /** Every per-group entry of the metadata, in group order. */
    private static Map<String, String> groupMetadata(Optimizer<?> optimizer) {
        final Map<String, String> metadata = new LinkedHashMap<>();
        final List<? extends ParameterGroup<?>> groups = optimizer.groups();
        metadata.put(GROUP_COUNT_KEY, Integer.toString(groups.size()));
        for (int g = 0; g < groups.size(); g++) {
            final ParameterGroup<?> group = groups.get(g);
            final String prefix = GROUP_KEY_PREFIX + g + ".";
            metadata.put(prefix + PARAMS, Json.stringArray(
                    group.parameters().stream().map(Parameter::name).toList()));
            metadata.put(prefix + LR, Double.toString(group.lr()));
            metadata.put(prefix + MOMENTUM, Double.toString(group.momentum()));
            if (optimizer instanceof Sgd sgd && ((Sgd.Config) group.config()).momentum() != 0) {
                metadata.put(prefix + MOMENTUM_BUFFER_STARTED,
                        Boolean.toString(sgd.momentumBufferStarted(g)));
            }
            metadata.putAll(configMetadata(prefix, group.config()));
        }
        return metadata;
    }

    /** The loss scaler's state and settings; nothing without one. */
    private static Map<String, String> lossScalerMetadata(LossScaler scaler) {
        final Map<String, String> metadata = new LinkedHashMap<>();
        if (scaler != null) {
            metadata.put(SCALE, Float.toString(scaler.scale()));
            metadata.put(GROWTH_TRACKER, Integer.toString(scaler.growthTracker()));
            metadata.put(SCALER_HYPERPARAMETERS.get(0), Double.toString(scaler.growthFactor()));
            metadata.put(SCALER_HYPERPARAMETERS.get(1), Double.toString(scaler.backoffFactor()));
            metadata.put(SCALER_HYPERPARAMETERS.get(2), Integer.toString(scaler.growthInterval()));
        }
        return metadata;
    }

    /** {@code <prefix>config.<component>} for every component of the hyperparameter record. */
    private static Map<String, String> configMetadata(String prefix, OptimizerConfig config) {
        final Map<String, String> metadata = new LinkedHashMap<>();
        for (RecordComponent c : config.getClass().getRecordComponents()) {
            final Object value;
            try {
                value = c.getAccessor().invoke(config);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read hyperparameter " + c.getName()
                        + " of " + config.getClass().getName(), e);
            }
            metadata.put(prefix + CONFIG + c.getName(), format(value));
        }
        return metadata;
    }

    private static String format(Object value) {
        return switch (value) {
            case Double d -> Double.toString(d);
            case Float f -> Float.toString(f);
            case Enum<?> e -> e.name();
            default -> String.valueOf(value);
        };
    }

    // ------------------------------------------------------------------ writing

    /**
     * Adds a tensor that loading into an optimizer expects, refusing the names that saving it
     * refuses: two of them alike would read one tensor of the file twice.
     */
    private static void expectTensor(Map<String, Long> expected, String name, long elements) {
        checkNotReserved(name);
        if (expected.put(name, elements) != null) {
            throw duplicateTensorName(name);
        }
    }

    private static void checkNotReserved(String name) {
        if (name.equals(METADATA)) {
            throw new IllegalArgumentException("a parameter may not be named '" + METADATA
                    + "': safetensors reserves that key for metadata");
        }
    }

    private static IllegalArgumentException duplicateTensorName(String name) {
        return new IllegalArgumentException("two tensors would be named '" + name
                + "' (a parameter named like another parameter's state tensor?);"
                + " tensor names in a checkpoint must be unique");
    }

    private static void write(Path path, Map<String, String> metadata, List<Tensor> tensors)
            throws IOException {
        final Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            checkNotReserved(t.name());
            if (!names.add(t.name())) {
                throw duplicateTensorName(t.name());
            }
        }
        if (Files.isDirectory(path)) {
            throw new FileSystemException(path.toString(), null,
                    "is a directory; a checkpoint is written to a file");
        }
        final Path target = path.toAbsolutePath();
        final Path dir = target.getParent();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(path.toString(), null, "its directory " + dir
                    + " does not exist");
        }
        final long values = headerValues(metadata.size(), tensors.size());
        if (values > Json.MAX_VALUES) {
            throw new IllegalArgumentException("the checkpoint's header would hold " + values
                    + " JSON values, more than the " + Json.MAX_VALUES + " load accepts: "
                    + tensors.size() + " tensors at 7 values each; fewer tensors (parameters in"
                    + " fewer, larger tensors)");
        }
        final long[] begins = new long[tensors.size()];
        long dataLength = 0;
        for (int i = 0; i < tensors.size(); i++) {
            begins[i] = dataLength;
            dataLength += tensors.get(i).bytes();
        }
        final long headerLength = header(metadata, CRC_PLACEHOLDER, tensors, begins).length;
        if (headerLength > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the checkpoint's header would be " + headerLength
                    + " bytes, more than the " + MAX_HEADER_BYTES + " a safetensors reader (and"
                    + " load) accepts: " + tensors.size() + " tensors with names of up to "
                    + tensors.stream().mapToInt(t -> t.name().length()).max().orElse(0)
                    + " characters; shorter names or fewer tensors");
        }
        final long dataStart = HEADER_LENGTH_BYTES + headerLength;
        final long fileLength = dataStart + dataLength;

        final Path temp = temporarySibling(target);
        try {
            keepPermissions(target, temp);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ,
                    StandardOpenOption.WRITE); Arena arena = Arena.ofConfined()) {
                checkSpace(path, dir, fileLength);
                final MemorySegment file = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileLength, arena);
                try {
                    for (int i = 0; i < tensors.size(); i++) {
                        final Tensor t = tensors.get(i);
                        MemorySegment.copy(t.segment(), MEMORY_FLOAT, 0, file, FILE_FLOAT,
                                dataStart + begins[i], t.bytes() / Float.BYTES);
                    }
                    final String crc = String.format("%08x", checksum(file, dataStart, dataLength));
                    final byte[] header = sealed(header(metadata, crc, tensors, begins));
                    if (header.length != headerLength) {
                        throw new AssertionError("header length changed with its checksum");
                    }
                    file.set(FILE_LONG, 0, headerLength);
                    MemorySegment.copy(header, 0, file, JAVA_BYTE, HEADER_LENGTH_BYTES, header.length);
                    file.force();
                } catch (InternalError e) {
                    // How the JVM reports an I/O error (SIGBUS) on a mapped page.
                    throw new IOException("writing " + temp + " failed: I/O error or disk full", e);
                }
                channel.force(true);
            }
            final BeforeRename hook = beforeRenameForTests;
            if (hook != null) {
                hook.run(temp);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException | RuntimeException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /**
     * The JSON values in the header {@link #header} writes: the top-level object, the metadata
     * object, its {@code metadataEntries} and two checksums, and per tensor its object, dtype,
     * shape (an array of one number) and offsets (an array of two).
     */
    static long headerValues(int metadataEntries, int tensors) {
        return 4L + metadataEntries + 7L * tensors;
    }

    /** The UTF-8 header, padded with spaces so that the data after it starts 8-byte aligned. */
    private static byte[] header(Map<String, String> metadata, String crc, List<Tensor> tensors,
                                 long[] begins) {
        final StringBuilder json = new StringBuilder("{").append(Json.quote(METADATA)).append(":{");
        boolean first = true;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            json.append(first ? "" : ",").append(Json.quote(e.getKey())).append(':')
                    .append(Json.quote(e.getValue()));
            first = false;
        }
        json.append(first ? "" : ",").append(Json.quote(DATA_CRC32C_KEY)).append(':')
                .append(Json.quote(crc)).append(',').append(Json.quote(HEADER_CRC32C_KEY))
                .append(':').append(Json.quote(CRC_PLACEHOLDER)).append('}');
        for (int i = 0; i < tensors.size(); i++) {
            final Tensor t = tensors.get(i);
            json.append(',').append(Json.quote(t.name())).append(":{\"dtype\":\"").append(DTYPE)
                    .append("\",\"shape\":[").append(t.bytes() / Float.BYTES)
                    .append("],\"data_offsets\":[").append(begins[i]).append(',')
                    .append(begins[i] + t.bytes()).append("]}");
        }
        json.append('}');
        final byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        final int padded = (int) ((bytes.length + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT * DATA_ALIGNMENT);
        final byte[] out = Arrays.copyOf(bytes, padded);
        Arrays.fill(out, bytes.length, padded, (byte) ' ');
        return out;
    }

    /** {@code header}, whose checksum entry holds the placeholder, with its checksum written in. */
    private static byte[] sealed(byte[] header) {
        final int at = headerCrcAt(header);
        final byte[] crc = String.format("%08x", headerChecksum(header, at))
                .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(crc, 0, header, at, crc.length);
        return header;
    }

    /** Where the 8 hex digits of the header checksum start in {@code header}, or -1. */
    private static int headerCrcAt(byte[] header) {
        outer:
        for (int i = 0; i + HEADER_CRC_ENTRY.length <= header.length; i++) {
            for (int j = 0; j < HEADER_CRC_ENTRY.length; j++) {
                if (header[i + j] != HEADER_CRC_ENTRY[j]) {
                    continue outer;
                }
            }
            return i + HEADER_CRC_ENTRY.length;
        }
        return -1;
    }

    /** The CRC-32C of {@code header} with the 8 bytes at {@code at} read as {@code 00000000}. */
    private static int headerChecksum(byte[] header, int at) {
        final CRC32C crc = new CRC32C();
        crc.update(header, 0, at);
        crc.update(CRC_PLACEHOLDER.getBytes(StandardCharsets.US_ASCII));
        final int after = at + CRC_PLACEHOLDER.length();
        crc.update(header, after, header.length - after);
        return (int) crc.getValue();
    }

    /**
     * Creates an empty, new file next to {@code target}, with the directory's default
     * permissions, named after it ({@code .<name>.<random>.tmp}, the name cut to
     * {@value #TEMP_NAME_CHARS} characters so that the temporary name stays within the file
     * system's limit where the target's is).
     */
    private static Path temporarySibling(Path target) throws IOException {
        final Path dir = target.getParent();
        final String name = target.getFileName().toString();
        int keep = Math.min(name.length(), TEMP_NAME_CHARS);
        if (keep < name.length() && Character.isHighSurrogate(name.charAt(keep - 1))) {
            keep--; // not half a character
        }
        final String prefix = "." + name.substring(0, keep) + ".";
        for (int attempt = 0; ; attempt++) {
            final Path temp = dir.resolve(prefix + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Gives {@code temp} the POSIX permissions of {@code target} if it exists, so that replacing
     * a checkpoint (say, one only its owner may read) does not open it to others.
     */
    private static void keepPermissions(Path target, Path temp) throws IOException {
        if (Files.exists(target) && Files.getFileStore(temp)
                .supportsFileAttributeView(PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
        }
    }

    private static void checkSpace(Path path, Path dir, long bytes) throws IOException {
        final long usable = Files.getFileStore(dir).getUsableSpace();
        if (usable < bytes) {
            throw new FileSystemException(path.toString(), null, "a checkpoint of " + bytes
                    + " bytes does not fit: its file store has " + usable + " bytes usable");
        }
    }

    /** Makes the rename durable; not every platform can open a directory, which is no error. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // The file itself is on disk; only the directory entry's durability is best-effort.
        }
    }

    // ------------------------------------------------------------------ reading

    /** One entry of the header. */
    private record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
        String describe() {
            return "'" + name + "' (data_offsets [" + begin + ", " + end + "])";
        }
    }

    /** A parsed and structurally checked header: the tensors tile the data section exactly. */
    private record Header(Map<String, String> metadata, Map<String, TensorInfo> tensors,
                          long dataStart) {
    }

    /**
     * What a load sets besides tensors; {@code buffersStarted} is null but for SGD from a file
     * that records it, {@code scale} is NaN without a loss scaler.
     */
    private record Resume(long stepCount, double[] lrs, double[] momenta,
                          boolean[] buffersStarted, float scale, int growthTracker) {
    }

    private static FileChannel openForReading(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new FileSystemException(path.toString(), null,
                    "is a directory; a checkpoint is a file");
        }
        return FileChannel.open(path, StandardOpenOption.READ);
    }

    private static MemorySegment mapForReading(FileChannel channel, Arena arena) throws IOException {
        return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
    }

    private static Header readHeader(FileChannel channel, Path path) throws IOException {
        final long size = channel.size();
        if (size < HEADER_LENGTH_BYTES) {
            throw new CheckpointException(path, "the file has " + size + " bytes, fewer than the"
                    + " 8-byte header length that starts a safetensors file");
        }
        final ByteBuffer lengthBytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0, path);
        final long headerLength = lengthBytes.getLong(0);
        final long available = size - HEADER_LENGTH_BYTES;
        if (headerLength < 0 || headerLength > available) {
            throw new CheckpointException(path, "the header length is "
                    + Long.toUnsignedString(headerLength) + " bytes but only " + available
                    + " bytes follow it: the header is truncated, or this is not a safetensors file");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(path, "the header length is " + headerLength
                    + " bytes, more than the limit of " + MAX_HEADER_BYTES);
        }
        final ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, HEADER_LENGTH_BYTES, path);
        final String text = decodeUtf8(headerBytes, path);
        final Object root;
        try {
            root = Json.parse(text);
        } catch (Json.SyntaxException e) {
            throw new CheckpointException(path, "the header is not valid JSON: " + e.getMessage()
                    + " of the header (" + excerpt(text, e.position()) + ")", e);
        }
        if (!(root instanceof Map<?, ?> entries)) {
            throw new CheckpointException(path, "the header must be a JSON object, found "
                    + jsonType(root));
        }
        Map<String, String> metadata = Map.of();
        final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            final String name = (String) e.getKey();
            if (name.equals(METADATA)) {
                metadata = metadata(e.getValue(), path);
            } else {
                tensors.put(name, tensorInfo(name, e.getValue(), path));
            }
        }
        checkHeaderChecksum(headerBytes.array(), metadata, path);
        final long dataStart = HEADER_LENGTH_BYTES + headerLength;
        checkLayout(tensors, size - dataStart, path);
        return new Header(metadata, Collections.unmodifiableMap(tensors), dataStart);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path path)
            throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new CheckpointException(path, "the file ended while reading its header");
            }
        }
    }

    private static String decodeUtf8(ByteBuffer bytes, Path path) throws CheckpointException {
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        bytes.rewind();
        final CharBuffer chars = CharBuffer.allocate(bytes.remaining());
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            throw new CheckpointException(path, "the header is not valid UTF-8: malformed bytes at"
                    + " byte " + bytes.position() + " of the header (file offset "
                    + (HEADER_LENGTH_BYTES + bytes.position()) + ")");
        }
        return chars.flip().toString();
    }

    private static String excerpt(String text, int position) {
        final int from = Math.max(0, position - 20);
        final int to = Math.min(text.length(), position + 20);
        return "near " + Json.quote(text.substring(from, to));
    }

    private static Map<String, String> metadata(Object value, Path path) throws CheckpointException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new CheckpointException(path, "'" + METADATA + "' must be a JSON object of"
                    + " strings, found " + jsonType(value));
        }
        final Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new CheckpointException(path, "metadata entry '" + e.getKey() + "' is "
                        + jsonType(e.getValue()) + "; safetensors metadata values must be strings");
            }
            metadata.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo tensorInfo(String name, Object value, Path path)
            throws CheckpointException {
        final String what = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> map)) {
            throw new CheckpointException(path, what + " must be described by a JSON object, found "
                    + jsonType(value));
        }
        for (Object key : map.keySet()) {
            if (!TENSOR_KEYS.contains(key)) {
                throw new CheckpointException(path, what + " has unknown key '" + key
                        + "'; expected dtype, shape and data_offsets");
            }
        }
        for (String key : TENSOR_KEYS) {
            if (!map.containsKey(key)) {
                throw new CheckpointException(path, what + " has no '" + key + "'");
            }
        }
        if (!(map.get("dtype") instanceof String dtype)) {
            throw new CheckpointException(path, what + ": dtype must be a string, found "
                    + jsonType(map.get("dtype")));
        }
        final long[] shape = integers(what + ": shape", map.get("shape"), -1, path);
        final long[] offsets = integers(what + ": data_offsets", map.get("data_offsets"), 2, path);
        if (offsets[0] > offsets[1]) {
            throw new CheckpointException(path, what + ": data_offsets [" + offsets[0] + ", "
                    + offsets[1] + "] end before they begin");
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A JSON array of non-negative integers, of {@code count} elements unless it is -1. */
    private static long[] integers(String what, Object value, int count, Path path)
            throws CheckpointException {
        if (!(value instanceof List<?> list) || count >= 0 && list.size() != count) {
            throw new CheckpointException(path, what + " must be an array of "
                    + (count >= 0 ? count + " " : "") + "non-negative integers, found "
                    + (value instanceof List<?> l ? "an array of " + l.size() : jsonType(value)));
        }
        final long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            final long v = list.get(i) instanceof Json.Number n ? n.nonNegativeLong() : -1;
            if (v < 0) {
                throw new CheckpointException(path, what + " must hold non-negative integers below"
                        + " 2^63, found " + list.get(i) + " at index " + i);
            }
            out[i] = v;
        }
        return out;
    }

    private static String jsonType(Object value) {
        return switch (value) {
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            case String s -> "a string";
            case Json.Number n -> "a number (" + n + ")";
            case Boolean b -> "a boolean (" + b + ")";
            default -> "null";
        };
    }

    /** The tensors must tile the data section: in range, no overlaps, no gaps, nothing after. */
    private static void checkLayout(Map<String, TensorInfo> tensors, long dataLength, Path path)
            throws CheckpointException {
        final List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (TensorInfo t : sorted) {
            if (t.end() > dataLength) {
                throw new CheckpointException(path, "tensor " + t.describe() + " ends past the"
                        + " data section, which has " + dataLength + " bytes: the file is truncated"
                        + " (" + (t.end() - dataLength) + " bytes missing) or the offsets are out of range");
            }
        }
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < covered) {
                throw new CheckpointException(path, "tensors " + previous.describe() + " and "
                        + t.describe() + " overlap");
            }
            if (t.begin() > covered) {
                throw new CheckpointException(path, "bytes [" + covered + ", " + t.begin()
                        + ") of the data section belong to no tensor (a gap "
                        + (previous == null ? "before the first tensor" : "after tensor "
                        + previous.describe()) + ")");
            }
            covered = t.end();
            previous = t;
        }
        if (covered != dataLength) {
            throw new CheckpointException(path, "the data section has " + dataLength
                    + " bytes but its tensors end at byte " + covered + ": "
                    + (dataLength - covered) + " trailing bytes belong to no tensor");
        }
    }

    /**
     * The state tensors of an optimizer's checkpoint, every tensor but the parameters its groups
     * list, which a load of bare parameters skips; none in a file of parameters.
     */
    private static Set<String> optimizerStateTensors(Header header, Path path)
            throws CheckpointException {
        final Map<String, String> m = header.metadata();
        if (!FORMAT.equals(m.get(FORMAT_KEY))) {
            return Set.of(); // another writer's file: its tensors are all there is
        }
        checkFormatVersion(m, path); // a newer format may lay out its tensors otherwise
        if (!m.containsKey(OPTIMIZER_KEY)) {
            return Set.of();
        }
        final Set<String> state = new HashSet<>(header.tensors().keySet());
        final long groups = count(m, GROUP_COUNT_KEY, path);
        for (long g = 0; g < groups; g++) {
            stringList(m, GROUP_KEY_PREFIX + g + "." + PARAMS, path).forEach(state::remove);
        }
        return state;
    }

    /**
     * Exactly the expected tensors besides those {@code skipped}, each F32 of shape [length]
     * spanning length * 4 bytes.
     */
    private static void checkTensors(Map<String, Long> expected, Set<String> skipped,
                                     Header header, Path path) throws CheckpointException {
        final List<String> missing = new ArrayList<>();
        for (String name : expected.keySet()) {
            if (!header.tensors().containsKey(name)) {
                missing.add(name);
            }
        }
        final List<String> unexpected = new ArrayList<>();
        for (String name : header.tensors().keySet()) {
            if (!expected.containsKey(name) && !skipped.contains(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            final List<String> problems = new ArrayList<>();
            if (!missing.isEmpty()) {
                problems.add("missing tensor" + (missing.size() == 1 ? " " : "s ") + names(missing));
            }
            if (!unexpected.isEmpty()) {
                problems.add("unexpected tensor" + (unexpected.size() == 1 ? " " : "s ")
                        + names(unexpected));
            }
            throw new CheckpointException(path, String.join("; ", problems)
                    + " (the checkpoint must hold exactly one tensor per parameter and state tensor)");
        }
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            final TensorInfo t = header.tensors().get(e.getKey());
            final long length = e.getValue();
            if (!t.dtype().equals(DTYPE)) {
                throw new CheckpointException(path, "tensor '" + t.name() + "' has dtype "
                        + t.dtype() + "; expected " + DTYPE);
            }
            if (t.shape().length != 1 || t.shape()[0] != length) {
                throw new CheckpointException(path, "tensor '" + t.name() + "' has shape "
                        + Arrays.toString(t.shape()) + "; expected [" + length + "]"
                        + (t.shape().length != 1 ? " (Descent tensors are flat: 1-D)" : ""));
            }
            if (t.end() - t.begin() != length * Float.BYTES) {
                throw new CheckpointException(path, "tensor " + t.describe() + " spans "
                        + (t.end() - t.begin()) + " bytes but " + length + " F32 elements need "
                        + length * Float.BYTES);
            }
        }
    }

    private static String names(List<String> names) {
        final List<String> shown = names.subList(0, Math.min(names.size(), NAMES_IN_MESSAGES));
        return String.join(", ", shown.stream().map(n -> "'" + n + "'").toList())
                + (names.size() > shown.size() ? " and " + (names.size() - shown.size()) + " more" : "");
    }

    /**
     * A Descent file's header checksum, and that it has both checksums; another tool's file (no
     * {@code format} entry of ours and no checksum entry) has none to check. A checksum entry
     * marks the file as ours too, so corrupting the {@code format} entry does not turn the check
     * off.
     */
    private static void checkHeaderChecksum(byte[] header, Map<String, String> metadata, Path path)
            throws CheckpointException {
        if (!FORMAT.equals(metadata.get(FORMAT_KEY)) && !metadata.containsKey(DATA_CRC32C_KEY)
                && !metadata.containsKey(HEADER_CRC32C_KEY)) {
            return;
        }
        if (!metadata.containsKey(DATA_CRC32C_KEY)) {
            throw new CheckpointException(path, "the header is corrupt: every Descent checkpoint"
                    + " records " + DATA_CRC32C_KEY + " in its metadata, and this one does not");
        }
        final String recorded = metadata.get(HEADER_CRC32C_KEY);
        if (recorded == null) {
            if (FIRST_FORMAT_VERSION.equals(metadata.get(FORMAT_VERSION_KEY))) {
                return; // written before headers had a checksum
            }
            throw new CheckpointException(path, "the header is corrupt: a Descent checkpoint of "
                    + FORMAT_VERSION_KEY + " 2 or later records " + HEADER_CRC32C_KEY
                    + " in its metadata, and this one does not");
        }
        final int at = headerCrcAt(header);
        if (!CRC_HEX.matcher(recorded).matches()) {
            throw new CheckpointException(path, "metadata " + HEADER_CRC32C_KEY + " is '"
                    + recorded + "'; expected 8 lowercase hex digits");
        }
        if (at < 0) {
            throw new CheckpointException(path, "the header is corrupt or was reformatted: its "
                    + HEADER_CRC32C_KEY + " entry is not stored as a save writes it ("
                    + new String(HEADER_CRC_ENTRY, StandardCharsets.UTF_8) + "<8 hex digits>\","
                    + " without spaces or escapes), so the bytes its checksum covers are unknown");
        }
        final String actual = String.format("%08x", headerChecksum(header, at));
        if (!actual.equals(recorded)) {
            throw new CheckpointException(path, "the header is corrupt: its CRC-32C is " + actual
                    + " but it records " + recorded + " (a metadata or tensor entry changed)");
        }
    }

    private static void checkChecksum(Header header, MemorySegment file, Path path)
            throws CheckpointException {
        final String recorded = header.metadata().get(DATA_CRC32C_KEY);
        if (recorded == null) {
            return; // written by another tool
        }
        if (!CRC_HEX.matcher(recorded).matches()) {
            throw new CheckpointException(path, "metadata " + DATA_CRC32C_KEY + " is '" + recorded
                    + "'; expected 8 lowercase hex digits");
        }
        final long dataLength = file.byteSize() - header.dataStart();
        final String actual = String.format("%08x", checksum(file, header.dataStart(), dataLength));
        if (!actual.equals(recorded)) {
            throw new CheckpointException(path, "the data is corrupt: its CRC-32C is " + actual
                    + " but the header records " + recorded);
        }
    }

    private static int checksum(MemorySegment file, long offset, long length) {
        final CRC32C crc = new CRC32C();
        for (long done = 0; done < length; done += CHECKSUM_CHUNK) {
            crc.update(file.asSlice(offset + done, Math.min(CHECKSUM_CHUNK, length - done)).asByteBuffer());
        }
        return (int) crc.getValue();
    }

    // ------------------------------------------------------------------ matching an optimizer

    /** The format version of a Descent file's metadata {@code m}, if this version reads it. */
    private static int checkFormatVersion(Map<String, String> m, Path path)
            throws CheckpointException {
        final String version = m.get(FORMAT_VERSION_KEY);
        final int versionNumber = version != null && version.matches("[1-9]")
                ? Integer.parseInt(version) : -1;
        if (versionNumber < 1 || versionNumber > FORMAT_VERSION) {
            throw new CheckpointException(path, "metadata " + FORMAT_VERSION_KEY + " is "
                    + quoted(version) + "; this version of Descent reads format_version "
                    + FIRST_FORMAT_VERSION + " to " + FORMAT_VERSION);
        }
        return versionNumber;
    }

    private static Resume checkOptimizerMetadata(Optimizer<?> optimizer, Header header, Path path)
            throws CheckpointException {
        final Map<String, String> m = header.metadata();
        final String format = m.get(FORMAT_KEY);
        if (!FORMAT.equals(format)) {
            throw new CheckpointException(path, "not a Descent checkpoint: metadata " + FORMAT_KEY
                    + " is " + quoted(format) + ", expected '" + FORMAT + "'");
        }
        final int versionNumber = checkFormatVersion(m, path);
        final String kind = m.get(OPTIMIZER_KEY);
        if (kind == null) {
            throw new CheckpointException(path, "the checkpoint holds parameters only, no optimizer"
                    + " state (no '" + OPTIMIZER_KEY + "' in its metadata); load it with"
                    + " Checkpoints.load(List<Parameter>, Path)");
        }
        if (!kind.equals(kind(optimizer))) {
            throw new CheckpointException(path, "the checkpoint's optimizer is " + kind
                    + " but this optimizer is " + kind(optimizer));
        }
        final long stepCount = count(m, STEP_COUNT_KEY, path);
        final List<? extends ParameterGroup<?>> groups = optimizer.groups();
        final long groupCount = count(m, GROUP_COUNT_KEY, path);
        if (groupCount != groups.size()) {
            throw new CheckpointException(path, "the checkpoint has " + groupCount
                    + " parameter groups but this optimizer has " + groups.size());
        }
        final Map<String, String> expected = groupMetadata(optimizer);
        final double[] lrs = new double[groups.size()];
        final double[] momenta = new double[groups.size()];
        // Null where the file predates the entry: restore's rule (started after any step) holds.
        boolean[] buffersStarted = optimizer instanceof Sgd
                && versionNumber >= BUFFER_STARTED_VERSION ? new boolean[groups.size()] : null;
        for (int g = 0; g < groups.size(); g++) {
            final String prefix = GROUP_KEY_PREFIX + g + ".";
            final List<String> names = groups.get(g).parameters().stream().map(Parameter::name).toList();
            final List<String> saved = stringList(m, prefix + PARAMS, path);
            if (!saved.equals(names)) {
                throw new CheckpointException(path, "group " + g + " holds parameters " + saved
                        + " in the checkpoint but " + names + " in this optimizer");
            }
            for (Map.Entry<String, String> e : expected.entrySet()) {
                final String key = e.getKey();
                if (key.startsWith(prefix + CONFIG)) {
                    final String name = key.substring((prefix + CONFIG).length());
                    final String value = m.get(key);
                    if (value == null) {
                        throw new CheckpointException(path, "group " + g + " hyperparameter " + name
                                + " is missing from the checkpoint's metadata (" + key
                                + "); this optimizer has " + e.getValue());
                    }
                    if (!value.equals(e.getValue())) {
                        throw new CheckpointException(path, "group " + g + " hyperparameter " + name
                                + " differs: the checkpoint has " + value + ", this optimizer has "
                                + e.getValue());
                    }
                }
            }
            lrs[g] = nonNegativeDouble(m, prefix + LR, path);
            momenta[g] = nonNegativeDouble(m, prefix + MOMENTUM, path);
            if (buffersStarted != null && expected.containsKey(prefix + MOMENTUM_BUFFER_STARTED)) {
                buffersStarted[g] = bool(m, prefix + MOMENTUM_BUFFER_STARTED, path);
            }
        }
        for (String key : m.keySet()) {
            if (key.startsWith(GROUP_KEY_PREFIX) && !expected.containsKey(key)) {
                throw new CheckpointException(path, "unexpected metadata entry '" + key
                        + "': not a hyperparameter of this " + kind + " optimizer's groups");
            }
            if (key.endsWith("." + MOMENTUM_BUFFER_STARTED)
                    && versionNumber < BUFFER_STARTED_VERSION) {
                throw new CheckpointException(path, "unexpected metadata entry '" + key
                        + "' in a file of " + FORMAT_VERSION_KEY + " " + versionNumber + ": it came"
                        + " with " + FORMAT_VERSION_KEY + " " + BUFFER_STARTED_VERSION);
            }
        }
        checkLossScaler(optimizer.lossScaler(), m, path);
        final LossScaler scaler = optimizer.lossScaler();
        if (scaler == null) {
            return new Resume(stepCount, lrs, momenta, buffersStarted, Float.NaN, 0);
        }
        final String scaleText = required(m, SCALE, path);
        // Parsed as a float directly: through a double, rounding twice could change the last bit.
        final float scale = DECIMAL.matcher(scaleText).matches()
                ? Float.parseFloat(scaleText) + 0f : Float.NaN; // + 0f: "-0" is 0
        if (!(scale >= 0) || !Float.isFinite(scale)) { // 0: backing off can reach it
            throw new CheckpointException(path, "metadata entry '" + SCALE + "' is '" + scaleText
                    + "'; a loss scale must be a finite float >= 0");
        }
        final long tracker = count(m, GROWTH_TRACKER, path);
        if (tracker >= scaler.growthInterval()) {
            throw new CheckpointException(path, "metadata entry '" + GROWTH_TRACKER + "' is "
                    + tracker + "; it must be below the growth interval, " + scaler.growthInterval());
        }
        return new Resume(stepCount, lrs, momenta, buffersStarted, scale, (int) tracker);
    }

    /** A loss scaler in the file exactly if the optimizer has one, with the same settings. */
    private static void checkLossScaler(LossScaler scaler, Map<String, String> m, Path path)
            throws CheckpointException {
        final boolean saved = m.keySet().stream().anyMatch(k -> k.startsWith(LOSS_SCALER_KEY_PREFIX));
        if (scaler == null) {
            if (saved) {
                throw new CheckpointException(path, "the checkpoint has a loss scaler but this"
                        + " optimizer has none; attach one with setLossScaler before loading");
            }
            return;
        }
        if (!saved) {
            throw new CheckpointException(path, "this optimizer has a loss scaler but the"
                    + " checkpoint has none; load before setLossScaler, or detach it");
        }
        final Map<String, String> expected = lossScalerMetadata(scaler);
        // Until 2026-12-07 the scaler multiplied by its factors rounded to float, and files
        // recorded them so (0.9 as 0.8999999761581421); such a file resumes a scaler built with
        // the factor as given.
        final Map<String, String> savedAsFloat = Map.of(
                SCALER_HYPERPARAMETERS.get(0), Double.toString((float) scaler.growthFactor()),
                SCALER_HYPERPARAMETERS.get(1), Double.toString((float) scaler.backoffFactor()));
        for (String key : SCALER_HYPERPARAMETERS) {
            final String name = key.substring(LOSS_SCALER_KEY_PREFIX.length());
            final String value = m.get(key);
            if (value == null) {
                throw new CheckpointException(path, "loss scaler setting " + name + " is missing"
                        + " from the checkpoint's metadata (" + key + "); this optimizer's has "
                        + expected.get(key));
            }
            if (!value.equals(expected.get(key)) && !value.equals(savedAsFloat.get(key))) {
                throw new CheckpointException(path, "loss scaler setting " + name + " differs: the"
                        + " checkpoint has " + value + ", this optimizer's has " + expected.get(key));
            }
        }
        for (String key : m.keySet()) {
            if (key.startsWith(LOSS_SCALER_KEY_PREFIX) && !expected.containsKey(key)) {
                throw new CheckpointException(path, "unexpected metadata entry '" + key
                        + "': not a setting of a loss scaler");
            }
        }
    }

    private static String quoted(String s) {
        return s == null ? "absent" : "'" + s + "'";
    }

    private static String required(Map<String, String> m, String key, Path path)
            throws CheckpointException {
        final String value = m.get(key);
        if (value == null) {
            throw new CheckpointException(path, "metadata entry '" + key + "' is missing");
        }
        return value;
    }

    /** A metadata entry holding a JSON array of strings. */
    private static List<String> stringList(Map<String, String> m, String key, Path path)
            throws CheckpointException {
        final String value = required(m, key, path);
        try {
            if (Json.parse(value) instanceof List<?> list
                    && list.stream().allMatch(String.class::isInstance)) {
                return list.stream().map(String.class::cast).toList();
            }
        } catch (Json.SyntaxException e) {
            // refused below
        }
        throw new CheckpointException(path, "metadata entry '" + key + "' is '" + value
                + "'; expected a JSON array of parameter names");
    }

    private static long count(Map<String, String> m, String key, Path path)
            throws CheckpointException {
        final String value = required(m, key, path);
        try {
            if (COUNT.matcher(value).matches()) {
                return Long.parseLong(value);
            }
        } catch (NumberFormatException e) {
            // 19 digits above Long.MAX_VALUE: refused below
        }
        throw new CheckpointException(path, "metadata entry '" + key + "' is '" + value
                + "'; expected a non-negative integer");
    }

    /** A metadata entry holding {@code true} or {@code false}, as written. */
    private static boolean bool(Map<String, String> m, String key, Path path)
            throws CheckpointException {
        final String value = required(m, key, path);
        if (value.equals("true") || value.equals("false")) {
            return value.equals("true");
        }
        throw new CheckpointException(path, "metadata entry '" + key + "' is '" + value
                + "'; expected true or false");
    }

    /** A finite, non-negative decimal that stays finite as a float, as learning rates must. */
    private static double nonNegativeDouble(Map<String, String> m, String key, Path path)
            throws CheckpointException {
        final String value = required(m, key, path);
        if (DECIMAL.matcher(value).matches()) {
            final double d = Double.parseDouble(value);
            if (d >= 0 && Double.isFinite(d) && Float.isFinite((float) d)) {
                return d + 0.0; // "-0" is 0, and is saved again as 0.0
            }
        }
        throw new CheckpointException(path, "metadata entry '" + key + "' is '" + value
                + "'; expected a finite decimal number >= 0");
    }

    // ------------------------------------------------------------------ applying

    /**
     * Sets the groups' values and the loss scaler's state, then writes tensors and the step count
     * through the optimizer's checkpoint hook; a refusal of any undoes the values already set.
     */
    private static void apply(Optimizer<?> optimizer, Resume resume, Header header,
                              MemorySegment file, Path path) throws CheckpointException {
        final List<? extends ParameterGroup<?>> groups = optimizer.groups();
        final double[] oldLrs = new double[groups.size()];
        final double[] oldMomenta = new double[groups.size()];
        final LossScaler scaler = optimizer.lossScaler();
        final float oldScale = scaler == null ? Float.NaN : scaler.scale();
        final int oldTracker = scaler == null ? 0 : scaler.growthTracker();
        int set = 0;
        try {
            for (; set < groups.size(); set++) {
                final ParameterGroup<?> group = groups.get(set);
                oldLrs[set] = group.lr();
                oldMomenta[set] = group.momentum();
                group.setLr(resume.lrs()[set]);
                // Only a group with momentum may set it; one without keeps 0, which matched.
                if (Double.compare(resume.momenta()[set], group.momentum()) != 0) {
                    group.setMomentum(resume.momenta()[set]);
                }
            }
            if (scaler != null) {
                scaler.restore(resume.scale(), resume.growthTracker());
            }
            optimizer.restore(resume.stepCount(), (p, state) -> {
                copyIn(file, header, p.name(), p.values());
                for (Map.Entry<String, MemorySegment> s : state.entrySet()) {
                    copyIn(file, header, stateTensorName(p, s.getKey()), s.getValue());
                }
            });
            if (optimizer instanceof Sgd sgd && resume.buffersStarted() != null) {
                for (int g = 0; g < groups.size(); g++) {
                    sgd.restoreMomentumBufferStarted(g, resume.buffersStarted()[g]);
                }
            }
        } catch (RuntimeException e) {
            if (scaler != null) {
                scaler.restore(oldScale, oldTracker);
            }
            final int applied = Math.min(set + 1, groups.size());
            for (int g = 0; g < applied; g++) {
                final ParameterGroup<?> group = groups.get(g);
                group.setLr(oldLrs[g]);
                if (Double.compare(oldMomenta[g], group.momentum()) != 0) {
                    group.setMomentum(oldMomenta[g]);
                }
            }
            if (e instanceof IllegalArgumentException && set < groups.size()) {
                throw new CheckpointException(path, "group " + set + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private static void copyIn(MemorySegment file, Header header, String name, MemorySegment to) {
        final TensorInfo t = header.tensors().get(name);
        MemorySegment.copy(file, FILE_FLOAT, header.dataStart() + t.begin(), to, MEMORY_FLOAT, 0,
                to.byteSize() / Float.BYTES);
    }

    // ------------------------------------------------------------------ argument checks

    private static <T> T notNull(String name, T value) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    private static void checkAccessible(Parameter p) {
        final MemorySegment v = p.values();
        if (!v.scope().isAlive() || !v.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalStateException("parameter '" + p.name() + "' cannot be accessed: its"
                    + " memory was freed (arena closed) or is confined to another thread");
        }
    }
}
