package dev.descent.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.descent.kernel.Kernels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.incubator.vector.FloatVector;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The one-command performance summary: runs {@link StepBenchmark} (descent, scalar, plainJava and
 * roofline at one thread and at all cores) and {@link ManyTensorsBenchmark} with {@code -prof gc},
 * prints a table, and writes the JMH JSON, the JMH log, the table and a PNG chart.
 *
 * <pre>
 *   mvn -q -pl bench -am -DskipTests package exec:exec [-Dsummary.args="--full"]
 *   java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *       -cp bench/target/benchmarks.jar dev.descent.bench.Summary [options]
 * </pre>
 * The default is a short suite, a few minutes on two cores; {@code --full} runs every kernel at
 * every size with the benchmarks' own iteration counts, then the targets (about two and a half
 * hours). See {@link #USAGE}.
 */
public final class Summary {

    static final String USAGE = """
            Options:
              --full                  every kernel, sizes up to 67,108,864, both model widths, and
                                      the benchmarks' own warmup and measurement, then --targets
                                      (about two and a half hours)
              --targets               only the design's performance targets, each ratio measured
                                      with both sides alternating (PairedBenchmark; about half
                                      an hour; ignores the options below but --vector-bits, --out)
              --kernels=SGD,ADAM|all  kernels to run (default SGD,ADAM; --full: all)
              --sizes=4096,65536,...  tensor sizes in floats (default 4096,1048576,16777216)
              --threads=1,all         thread counts, 'all' = every core (default 1,all)
              --widths=32,256         model widths for the many-tensors comparison (default 32)
              --vector-bits=256       force the kernels' vector width (128, 256 or 512, at most
                                      the JVM's preferred width)
              --out=DIR               where the files go (default bench/target)
            """;

    private static final List<Kernel> SHORT_KERNELS = List.of(Kernel.SGD, Kernel.ADAM);
    /** L1, L3 and DRAM: the divider-bound, the cache-bound and the memory-bound regime. */
    private static final List<Long> SHORT_SIZES = List.of(4_096L, 1_048_576L, 16_777_216L);
    private static final List<Long> FULL_SIZES = List.of(4_096L, 65_536L, 1_048_576L,
            16_777_216L, 67_108_864L);
    /**
     * Short runs. Until C2 compiles them, vector kernels run interpreted and box every vector,
     * hundreds of times slower: three seconds of warmup get every kernel compiled, even on a
     * busy machine.
     */
    private static final int SHORT_WARMUPS = 3;
    private static final TimeValue SHORT_WARMUP = TimeValue.seconds(1);
    private static final int SHORT_MEASUREMENTS = 3;
    private static final TimeValue SHORT_MEASUREMENT = TimeValue.milliseconds(500);
    /** Rough cost of starting a fork and filling its tensors, for the time estimate. */
    private static final double FORK_SECONDS = 1.5;
    /** {@link PairedBenchmark}'s warmup and measurement, plus its second side's setup. */
    private static final double TARGET_RUN_SECONDS = 10;

    private Summary() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
        // Before any AWT class loads: the chart renders without a display.
        System.setProperty("java.awt.headless", "true");
        final Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (settings.vectorBits() != null) {
            System.setProperty(Kernels.VECTOR_BITS_PROP_NAME, settings.vectorBits());
        }
        final Machine machine = Machine.current();
        System.out.println(machine.describe());
        Files.createDirectories(settings.out());
        final Path log = settings.out().resolve("summary-jmh.log");
        final List<RunResult> results = new ArrayList<>();
        final String loadBefore = Machine.load();
        final long minutes = Math.round(settings.seconds() / 60);
        System.out.printf("Running %d benchmarks, about %d minutes; JMH's output goes to %s%n",
                settings.runCount(), minutes, log);
        final List<Targets.Target> targets = settings.targets()
                ? Targets.all(Runtime.getRuntime().availableProcessors(), settings.withNative())
                : List.of();
        if (settings.targets() && !settings.withNative()) {
            System.out.println("No C compiler ('" + NativeLoop.COMPILER + "' did not start):"
                    + " the target against the same loops in C is left out.");
        }
        try (PrintStream logStream = new PrintStream(Files.newOutputStream(log), true, UTF_8)) {
            final OutputFormat format = OutputFormatFactory.createFormatInstance(logStream,
                    VerboseMode.NORMAL);
            if (settings.suite()) {
                for (Kernel kernel : settings.kernels()) {
                    System.out.printf("  %s ...%n", kernel.label());
                    results.addAll(new Runner(settings.stepOptions(kernel).build(), format)
                            .run());
                }
                System.out.println("  many small tensors ...");
                results.addAll(new Runner(settings.manyTensorsOptions().build(), format).run());
            }
            for (Targets.Target target : targets) {
                System.out.printf("  target: %s ...%n", target.title());
                results.addAll(new Runner(settings.targetOptions(target).build(), format).run());
            }
        }
        final Path json = settings.out().resolve("summary.json");
        ResultFormatFactory.getInstance(ResultFormatType.JSON, json.toString()).writeOut(results);

        final List<RunResult> paired = results.stream().filter(r -> r.getParams().getBenchmark()
                .startsWith(PairedBenchmark.class.getName() + ".")).toList();
        final List<RunResult> unpaired = results.stream().filter(r -> !paired.contains(r))
                .toList();
        final SummaryReport report = new SummaryReport(unpaired);
        final String text = (settings.suite() ? report.text() + "\n" : "")
                + (targets.isEmpty() ? "" : Targets.report(targets,
                        Targets.ratios(targets, paired)) + "\n")
                + "Load average: " + loadBefore + " before the runs, " + Machine.load()
                + " after; other work on the machine slows the multi-threaded columns most.\n";
        System.out.println();
        System.out.print(text);
        final Path table = settings.out().resolve("summary.txt");
        Files.writeString(table, machine.describe() + "\n\n" + text);
        final Path chart = settings.out().resolve("summary.png");
        if (settings.suite() && report.writeChart(chart)) {
            System.out.printf("%nWrote %s, %s, %s and %s%n", json, table, chart, log);
        } else {
            Files.deleteIfExists(chart); // an earlier run's chart must not pass for this run's
            System.out.printf("%nWrote %s, %s and %s%n", json, table, log);
        }
        if (results.size() < settings.runCount()) {
            System.out.printf("%d of %d benchmarks failed: see %s%n",
                    settings.runCount() - results.size(), settings.runCount(), log);
            System.exit(1);
        }
    }

    /** What to run, from the command line. */
    record Settings(List<Kernel> kernels, List<Long> sizes, List<String> threads,
                    List<Integer> widths, boolean full, boolean suite, boolean targets,
                    String vectorBits, Path out) {

        static Settings parse(String[] args) {
            final List<String> given = Arrays.stream(args).filter(a -> !a.isBlank())
                    .flatMap(a -> Arrays.stream(a.strip().split("\\s+"))).toList();
            final boolean full = given.contains("--full");
            final boolean targetsOnly = given.contains("--targets") && !full;
            List<Kernel> kernels = full ? List.of(Kernel.values()) : SHORT_KERNELS;
            List<Long> sizes = full ? FULL_SIZES : SHORT_SIZES;
            List<String> threads = List.of("1", Threads.ALL);
            List<Integer> widths = full ? List.of(32, 256) : List.of(32);
            String vectorBits = null;
            Path out = Path.of("bench", "target");
            for (String arg : given) {
                final String value = arg.substring(arg.indexOf('=') + 1);
                if (arg.equals("--full") || arg.equals("--targets")) {
                    continue;
                } else if (arg.startsWith("--kernels=")) {
                    kernels = value.strip().equalsIgnoreCase("all") ? List.of(Kernel.values())
                            : list("--kernels", value, Settings::kernel, "kernels ("
                                    + Arrays.stream(Kernel.values()).map(Kernel::name)
                                            .collect(Collectors.joining(", ")) + ") or 'all'");
                } else if (arg.startsWith("--sizes=")) {
                    sizes = list("--sizes", value, s -> positive(Long.parseLong(s)),
                            "tensor sizes in floats, each at least 1");
                } else if (arg.startsWith("--threads=")) {
                    threads = list("--threads", value, t -> {
                        Threads.count(t);
                        return t;
                    }, "thread counts, each at least 1, or '" + Threads.ALL + "'");
                } else if (arg.startsWith("--widths=")) {
                    widths = list("--widths", value, w -> (int) positive(Integer.parseInt(w)),
                            "model widths, each at least 1");
                } else if (arg.startsWith("--vector-bits=")) {
                    vectorBits = checkedVectorBits(value, FloatVector.SPECIES_PREFERRED.vectorBitSize());
                } else if (arg.startsWith("--out=")) {
                    if (value.isBlank()) {
                        throw new IllegalArgumentException("--out must name a directory, got '"
                                + value + "'");
                    }
                    out = Path.of(value);
                } else {
                    throw new IllegalArgumentException("unknown option '" + arg + "'");
                }
            }
            return new Settings(kernels, sizes, distinctCounts(threads), widths, full,
                    !targetsOnly, full || targetsOnly, vectorBits, out);
        }

        /**
         * {@code value} of {@code --vector-bits} if the kernels can run at it: the library's own
         * rule ({@link Kernels#vectorBits(String, int)}), beyond which Descent would refuse the
         * width and step on the scalar kernels.
         */
        static String checkedVectorBits(String value, int preferredBits) {
            try {
                Kernels.vectorBits(value, preferredBits);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--vector-bits: " + e.getMessage(), e);
            }
            return value.strip();
        }

        /**
         * {@code threads} without a value that counts as many threads as one before it ('all'
         * on one core is 1; '2' and 'all' on two cores are the same), whose rows could not be
         * told apart.
         */
        static List<String> distinctCounts(List<String> threads) {
            final Set<Integer> counts = new HashSet<>();
            return threads.stream().filter(t -> counts.add(Threads.count(t))).toList();
        }

        /** The step suite for one kernel: every variant, size and thread count. */
        ChainedOptionsBuilder stepOptions(Kernel kernel) {
            return common()
                    .include(Pattern.quote(StepBenchmark.class.getName()) + "\\.")
                    .param("kernel", kernel.name())
                    .param("size", sizes.stream().map(String::valueOf).toArray(String[]::new));
        }

        /** The model-shaped list against one flat tensor, for every kernel. */
        ChainedOptionsBuilder manyTensorsOptions() {
            return common()
                    .include(Pattern.quote(ManyTensorsBenchmark.class.getName()) + "\\.")
                    .param("kernel", kernels.stream().map(Kernel::name).toArray(String[]::new))
                    .param("width", widths.stream().map(String::valueOf).toArray(String[]::new));
        }

        /** One target's paired runs, with the benchmark's own warmup and measurement. */
        ChainedOptionsBuilder targetOptions(Targets.Target target) {
            return target.options(forks());
        }

        int runCount() {
            return suiteRunCount() + targetRunCount();
        }

        private int suiteRunCount() {
            final int stepRuns = kernels.size() * sizes.size() * threads.size() * 4;
            final int tensorRuns = kernels.size() * widths.size() * ManyTensorsBenchmark.LAYOUTS
                    * threads.size();
            return suite ? stepRuns + tensorRuns : 0;
        }

        private int targetRunCount() {
            return targets ? Targets.runCount(Targets.all(
                    Runtime.getRuntime().availableProcessors(), withNative())) : 0;
        }

        /** Whether the targets include the one against C: whether a C compiler starts. */
        boolean withNative() {
            return targets && NativeLoop.compilerAvailable();
        }

        /** Roughly how long the runs take. */
        double seconds() {
            return suiteRunCount() * secondsPerRun()
                    + targetRunCount() * (FORK_SECONDS + TARGET_RUN_SECONDS);
        }

        private double secondsPerRun() {
            final long millis = full ? 8_000
                    : SHORT_WARMUPS * SHORT_WARMUP.convertTo(TimeUnit.MILLISECONDS)
                            + SHORT_MEASUREMENTS
                                    * SHORT_MEASUREMENT.convertTo(TimeUnit.MILLISECONDS);
            return FORK_SECONDS + millis / 1000.0;
        }

        /** What every run shares: one fork each, the vector width, going on after a failure. */
        private ChainedOptionsBuilder forks() {
            final ChainedOptionsBuilder options = new OptionsBuilder().forks(1)
                    .shouldFailOnError(false);
            if (vectorBits != null) {
                // Prepend: a jvmArgsAppend here would replace the benchmarks' own module flag.
                options.jvmArgsPrepend("-D" + Kernels.VECTOR_BITS_PROP_NAME + "=" + vectorBits);
            }
            return options;
        }

        /** The suite's runs: allocation profiled, short iterations unless {@code --full}. */
        private ChainedOptionsBuilder common() {
            final ChainedOptionsBuilder options = forks()
                    .param("threads", threads.toArray(String[]::new))
                    .addProfiler(GCProfiler.class);
            if (!full) {
                options.warmupIterations(SHORT_WARMUPS).warmupTime(SHORT_WARMUP)
                        .measurementIterations(SHORT_MEASUREMENTS)
                        .measurementTime(SHORT_MEASUREMENT);
            }
            return options;
        }

        /** A kernel by constant or label: {@code RMSPROP_CENTERED} or {@code rmsprop-centered}. */
        private static Kernel kernel(String name) {
            return Kernel.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }

        /**
         * The comma-separated {@code value} of {@code option}, each element parsed by {@code parse};
         * an empty list or an element {@code parse} refuses is an error that says what the option
         * takes. An empty list must not pass: JMH would run the benchmarks' own defaults instead.
         */
        private static <T> List<T> list(String option, String value, Function<String, T> parse,
                                         String expected) {
            final IllegalArgumentException bad = new IllegalArgumentException(option
                    + " must be a comma-separated list of " + expected + ", got '" + value + "'");
            final List<String> elements = split(value);
            if (elements.isEmpty()) {
                throw bad;
            }
            try {
                // Once each: JMH would run a repeated value again and the table print it twice.
                return elements.stream().map(parse).distinct().toList();
            } catch (IllegalArgumentException e) {
                bad.initCause(e);
                throw bad;
            }
        }

        private static long positive(long n) {
            if (n < 1) {
                throw new IllegalArgumentException("not positive: " + n);
            }
            return n;
        }

        private static List<String> split(String list) {
            return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .toList();
        }
    }
}
