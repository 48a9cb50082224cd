package dev.descent.bench;

import dev.descent.AllocationSequence;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * How often a fresh JVM's optimizer steps allocate: the sequence of {@code
 * AllocationFreeStepTest} ({@link AllocationSequence}: seven optimizers with their heaviest
 * options, one after the other in one JVM, 30,000 warm-up steps and windows of 10,000), run in
 * many JVMs one after the other. Where the test stops at the first clean window, this measures
 * all of them. What C2 compiles depends on the order and timing of everything the JVM ran before,
 * so an allocation may show in one JVM in twenty and not in the test's single JVM: this counts
 * how many. On a CPU with 512-bit vectors whose cache sizes Linux reports, the sequence steps
 * both widths (plain SGD at 512 bits, the others at 256).
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.descent.bench.AllocationRepeat [--jvms=40]
 *     [--jvm-args=-XX:+UnlockDiagnosticVMOptions,-XX:+PrintInlining]
 * </pre>
 *
 * {@code -XX:+PrintInlining} slows the compiler and has made a timing-dependent allocation
 * several times more frequent. Exit status 1 if any JVM allocated.
 */
public final class AllocationRepeat {

    /**
     * Runs the sequence and writes its results to the file named after the '=': a file, since
     * flags such as {@code -XX:+PrintInlining} print into the child's output mid-line.
     */
    private static final String CHILD = "--child=";

    private AllocationRepeat() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length == 1 && args[0].startsWith(CHILD)) {
            Files.write(Path.of(args[0].substring(CHILD.length())), runSequence(),
                    StandardCharsets.UTF_8);
            return;
        }
        int jvms = 20;
        List<String> jvmArgs = List.of();
        for (String arg : args) {
            if (arg.startsWith("--jvms=")) {
                final String value = arg.substring("--jvms=".length());
                try {
                    jvms = Integer.parseInt(value.strip());
                } catch (NumberFormatException e) {
                    jvms = 0; // refused below, naming the value
                }
                if (jvms < 1) {
                    System.err.println("--jvms must be a whole number of at least 1, got '" + value
                            + "'");
                    System.exit(2);
                }
            } else if (arg.startsWith("--jvm-args=")) {
                // An empty flag would reach the child JVM as an argument it cannot start with.
                jvmArgs = Arrays.stream(arg.substring("--jvm-args=".length()).split(","))
                        .map(String::strip).filter(f -> !f.isEmpty()).toList();
            } else {
                System.err.println("unknown option '" + arg + "'; options: --jvms=N,"
                        + " --jvm-args=FLAG,FLAG,...");
                System.exit(2);
            }
        }
        int allocating = 0;
        for (int jvm = 1; jvm <= jvms; jvm++) {
            final List<String> results = runChild(jvmArgs);
            final List<String> dirty = results.stream().filter(r -> !r.endsWith(" clean")).toList();
            if (!dirty.isEmpty()) {
                allocating++;
                System.out.println("JVM " + jvm + " allocated:");
                dirty.forEach(r -> System.out.println("  " + r));
            }
        }
        System.out.println(allocating + " of " + jvms + " JVMs allocated in every window of some"
                + " optimizer (flags: " + (jvmArgs.isEmpty() ? "none" : String.join(" ", jvmArgs))
                + ")");
        System.exit(allocating == 0 ? 0 : 1);
    }

    /** One child JVM's result lines, one per optimizer. */
    private static List<String> runChild(List<String> jvmArgs)
            throws IOException, InterruptedException {
        final Path results = Files.createTempFile("descent-allocation", ".txt");
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        // The flags of the test's surefire run: the same memory, huge pages included.
        command.add(StepBenchmark.VECTOR_MODULE);
        command.add(StepBenchmark.NATIVE_ACCESS);
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                AllocationRepeat.class.getName(), CHILD + results));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        final int status = child.waitFor();
        final List<String> lines = Files.readAllLines(results, StandardCharsets.UTF_8);
        Files.delete(results);
        final int expected = AllocationSequence.heaviestOptions().size();
        if (status != 0 || lines.size() != expected) {
            throw new IllegalStateException("the child JVM exited with " + status + " after "
                    + lines.size() + " of " + expected + " results: " + command);
        }
        return lines;
    }

    /** The test's sequence, in this JVM; one result line per optimizer. */
    private static List<String> runSequence() {
        final List<String> results = new ArrayList<>();
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
        for (Map.Entry<String, Function<List<Parameter>, Optimizer<?>>> entry
                : AllocationSequence.heaviestOptions().entrySet()) {
            try (Arena arena = Arena.ofShared();
                 Optimizer<?> optimizer = entry.getValue()
                         .apply(AllocationSequence.parameters(arena))) {
                for (int chunk = 0; chunk < AllocationSequence.WARMUP_CHUNKS; chunk++) {
                    steps(optimizer, AllocationSequence.WARMUP_STEPS
                            / AllocationSequence.WARMUP_CHUNKS, threads);
                }
                final long[] windows = new long[AllocationSequence.MAX_WINDOWS];
                boolean clean = false;
                for (int w = 0; w < windows.length; w++) {
                    windows[w] = steps(optimizer, AllocationSequence.MEASURED_STEPS, threads);
                    clean |= windows[w] < AllocationSequence.MEASURED_STEPS;
                }
                results.add(entry.getKey() + " on " + optimizer.kernelName() + ": "
                        + Arrays.toString(windows) + " bytes per "
                        + AllocationSequence.MEASURED_STEPS + " steps, "
                        + (clean ? "clean" : "allocating"));
            }
        }
        return results;
    }

    /** Bytes this thread allocated while taking {@code count} steps. */
    private static long steps(Optimizer<?> optimizer, int count,
                              com.sun.management.ThreadMXBean threads) {
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < count; i++) {
            optimizer.step();
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }
}
