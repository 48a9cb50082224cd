package dev.descent.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;

/**
 * The design's performance targets, each a ratio that {@link PairedBenchmark} measures side by
 * side, and the verdict on a set of its results.
 *
 * <p>The verdict goes by the median of the iterations' ratios. On a machine shared with other
 * tenants, some stretches of a second or so run one side slow, the two-core side most of all
 * (neighbours on the same L3 and memory): a few such iterations move a ratio pooled over all of
 * them, not the median. The report shows both, and the range.
 */
final class Targets {

    private static final String SUBJECT_NANOS = "subjectNanos";
    private static final String BASELINE_NANOS = "baselineNanos";
    private static final String CEILING_NANOS = "ceilingNanos";
    private static final String CEILING_BASELINE_NANOS = "ceilingBaselineNanos";

    /**
     * One group of paired runs and the ratio each must reach.
     *
     * @param title what the target says
     * @param method the {@link PairedBenchmark} method: {@code step}, {@code model} or
     *     {@code scaling}
     * @param variant the {@code against} parameter of {@code step}, the {@code layout} of
     *     {@code model}; null for {@code scaling}, which has neither
     * @param sizes tensor sizes for {@code step} and {@code scaling}, model widths for
     *     {@code model}
     * @param threads thread counts; empty for {@code scaling}, which runs all cores against one
     * @param threshold the least subject-over-baseline ratio that meets the target
     */
    record Target(String title, String method, String variant, List<Kernel> kernels,
                  List<Long> sizes, List<String> threads, double threshold) {

        /** Adds this target's runs to {@code options}. */
        ChainedOptionsBuilder options(ChainedOptionsBuilder options) {
            options.include(Pattern.quote(PairedBenchmark.class.getName() + "." + method) + "$")
                    .param("kernel", kernels.stream().map(Kernel::name).toArray(String[]::new))
                    .param(method.equals(MODEL) ? "width" : "size",
                            sizes.stream().map(String::valueOf).toArray(String[]::new));
            if (!threads.isEmpty()) {
                options.param("threads", threads.toArray(String[]::new));
            }
            if (variant != null) {
                options.param(variantParam(), variant);
            }
            return options;
        }

        private String variantParam() {
            return method.equals(MODEL) ? "layout" : "against";
        }

        int runCount() {
            return kernels.size() * sizes.size() * Math.max(1, threads.size());
        }

        boolean covers(BenchmarkParams params) {
            return params.getBenchmark().endsWith("." + method)
                    && (variant == null || variant.equals(params.getParam(variantParam())));
        }
    }

    static final String STEP = "step";
    static final String MODEL = "model";
    static final String SCALING = "scaling";

    private Targets() {
    }

    /**
     * The targets of the design's performance contract on a machine with {@code cores}; the one
     * against C only {@code withNative} (it needs a C compiler, see {@link NativeLoop}).
     */
    static List<Target> all(int cores, boolean withNative) {
        final List<Target> all = new ArrayList<>(designTargets(cores));
        if (withNative) {
            all.add(new Target("every kernel in L1 and L2, 1 thread: >= 1.0x the same loop in C"
                    + " (" + NativeLoop.COMPILER + " " + String.join(" ", NativeLoop.FLAGS)
                    + ")", STEP,
                    PairedBenchmark.NATIVE, List.of(Kernel.values()), List.of(4_096L, 65_536L),
                    List.of("1"), 1.0));
        }
        return all;
    }

    /** The size of the scaling target. */
    private static final long SCALING_SIZE = 1_048_576L;

    /**
     * The threads a step of {@link #SCALING_SIZE} elements uses on {@code cores} cores: all of
     * them, up to one per 32,768 elements (the optimizer's default minimum per thread), 32 in
     * all; past that a target of 0.9 per core could not be met.
     */
    static int scalingThreads(int cores) {
        return Threads.forElements(cores, SCALING_SIZE);
    }

    /**
     * {@code x} cut, not rounded, to three decimals: a median of 0.9996 against 1.00 shows as
     * 0.999, not as a 1.000 that reads as met.
     */
    static double roundedDown(double x) {
        return Math.floor(x * 1000) / 1000;
    }

    private static List<Target> designTargets(int cores) {
        final List<Kernel> every = List.of(Kernel.values());
        final double scaling = 0.9 * scalingThreads(cores);
        return List.of(
                new Target("Adam, AdaGrad, RMSProp in L2 and L3, 1 thread: >= 1.0x plainJava",
                        STEP, PairedBenchmark.PLAIN_JAVA,
                        List.of(Kernel.ADAM, Kernel.ADAGRAD, Kernel.RMSPROP),
                        List.of(65_536L, 1_048_576L), List.of("1"), 1.0),
                new Target("every kernel in DRAM: >= 0.9x its roofline", STEP,
                        PairedBenchmark.ROOFLINE, every, List.of(16_777_216L, 67_108_864L),
                        List.of("1", Threads.ALL), 0.9),
                new Target(String.format(Locale.ROOT,
                        "all %d cores vs 1 thread at 1,048,576: >= %.1fx (0.9 per thread used)",
                        cores, scaling), SCALING, null, every, List.of(SCALING_SIZE), List.of(),
                        scaling),
                new Target("many small tensors allocated one by one vs one flat tensor: >= 0.9x",
                        MODEL, ManyTensorsBenchmark.MODEL, every, List.of(32L, 256L),
                        List.of("1", Threads.ALL), 0.9),
                new Target("many small tensors each in memory of its own (wrapped) vs one flat"
                        + " tensor: >= 0.9x", MODEL, ManyTensorsBenchmark.SEPARATE, every,
                        List.of(32L, 256L), List.of("1", Threads.ALL), 0.9),
                new Target("many small tensors in one block vs one flat tensor: >= 0.9x", MODEL,
                        ManyTensorsBenchmark.BLOCK, every, List.of(32L, 256L),
                        List.of("1", Threads.ALL), 0.9));
    }

    /**
     * Baseline time over subject time of one paired run: pooled over all measurement iterations
     * (total over total), and the median, lowest and highest of the iterations' own ratios.
     */
    record Spread(double pooled, double median, double lowest, double highest) {

        /** The spread of paired iteration times: {@code baseline[i]} beside {@code subject[i]}. */
        static Spread of(double[] baseline, double[] subject) {
            if (baseline.length != subject.length || baseline.length == 0) {
                throw new IllegalArgumentException("need one baseline time per subject time and"
                        + " at least one, got " + baseline.length + " and " + subject.length);
            }
            final double[] ratios = new double[baseline.length];
            for (int i = 0; i < ratios.length; i++) {
                ratios[i] = baseline[i] / subject[i];
            }
            Arrays.sort(ratios);
            return new Spread(Arrays.stream(baseline).sum() / Arrays.stream(subject).sum(),
                    medianOfSorted(ratios), ratios[0], ratios[ratios.length - 1]);
        }

        /** The median of values sorted in ascending order: the mean of the middle two if even. */
        static double medianOfSorted(double[] sorted) {
            final int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    /**
     * One paired run: Descent against its baseline, and for {@code scaling} the roofline on all
     * cores against the roofline on one thread in the same iterations (else null).
     */
    record Ratio(Target target, Kernel kernel, long size, int threads, Spread ratio,
                 Spread ceiling) {

        boolean met() {
            return ratio.median() >= target.threshold();
        }

        boolean metPooled() {
            return ratio.pooled() >= target.threshold();
        }
    }

    /** The ratios of {@code results} that belong to one of {@code targets}. */
    static List<Ratio> ratios(List<Target> targets, Collection<RunResult> results) {
        final List<Ratio> ratios = new ArrayList<>();
        for (RunResult result : results) {
            final BenchmarkParams params = result.getParams();
            final Target target = targets.stream().filter(t -> t.covers(params)).findFirst()
                    .orElse(null);
            if (target == null) {
                continue;
            }
            final boolean scaling = target.method().equals(SCALING);
            final List<IterationResult> iterations = result.getBenchmarkResults().stream()
                    .flatMap(fork -> fork.getIterationResults().stream()).toList();
            final boolean model = target.method().equals(MODEL);
            ratios.add(new Ratio(target, Kernel.valueOf(params.getParam("kernel")),
                    Long.parseLong(params.getParam(model ? "width" : "size")),
                    scaling ? Threads.count(Threads.ALL) : Threads.count(params.getParam("threads")),
                    spread(iterations, BASELINE_NANOS, SUBJECT_NANOS),
                    scaling ? spread(iterations, CEILING_BASELINE_NANOS, CEILING_NANOS) : null));
        }
        ratios.sort(Comparator.comparing((Ratio r) -> r.target().title())
                .thenComparing(Ratio::kernel).thenComparingLong(Ratio::size)
                .thenComparingInt(Ratio::threads));
        return ratios;
    }

    private static Spread spread(List<IterationResult> iterations, String baseline,
                                 String subject) {
        return Spread.of(iterations.stream().mapToDouble(i -> secondary(i, baseline)).toArray(),
                iterations.stream().mapToDouble(i -> secondary(i, subject)).toArray());
    }

    private static double secondary(IterationResult iteration, String name) {
        final Result<?> result = iteration.getSecondaryResults().get(name);
        if (result == null) {
            throw new IllegalStateException("a " + PairedBenchmark.class.getSimpleName()
                    + " iteration has no '" + name + "' counter; it has "
                    + iteration.getSecondaryResults().keySet());
        }
        return result.getScore();
    }

    /** One table per target, each ratio with its verdict, and the count of targets met. */
    static String report(List<Target> targets, List<Ratio> ratios) {
        final StringBuilder out = new StringBuilder(
                "Targets: Descent / baseline, the two alternating within every iteration"
                        + " (PairedBenchmark). median: of the iterations' ratios, which the"
                        + " verdict goes by; pooled: total time over total time; then the"
                        + " lowest and highest iteration.\n");
        for (Target target : targets) {
            final List<Ratio> of = ratios.stream().filter(r -> r.target() == target).toList();
            if (of.isEmpty()) {
                continue;
            }
            final boolean scaling = target.method().equals(SCALING);
            out.append('\n').append(target.title()).append('\n');
            if (scaling) {
                out.append("  (roofline: the trivial pass with the same traffic, all cores over"
                        + " one thread, in the same rotation: what the memory allows)\n");
            }
            out.append(String.format(Locale.ROOT, "  %-17s %12s %7s %7s %7s %11s%s  %s%n",
                    "kernel", target.method().equals(MODEL) ? "width" : "size", "threads",
                    "median", "pooled", "iterations",
                    scaling ? "  roofline median pooled" : "", "verdict"));
            for (Ratio r : of) {
                final Spread x = r.ratio();
                out.append(String.format(Locale.ROOT,
                        "  %-17s %,12d %7d %7.2f %7.2f %5.2f-%-5.2f%s  %s%n",
                        r.kernel().label(), r.size(), r.threads(), x.median(), x.pooled(),
                        x.lowest(), x.highest(), scaling ? String.format(Locale.ROOT,
                                "  %15.2f %6.2f", r.ceiling().median(), r.ceiling().pooled()) : "",
                        r.met() ? "met" : String.format(Locale.ROOT, "MISSED (%.3f < %.2f)",
                                roundedDown(x.median()), target.threshold())));
            }
        }
        final long met = ratios.stream().filter(Ratio::met).count();
        final long metPooled = ratios.stream().filter(Ratio::metPooled).count();
        // A run that failed has no ratio (JMH keeps no results of a failed fork): it is one of
        // the targets all the same, and not met.
        final int runs = Math.max(runCount(targets), ratios.size());
        out.append(String.format(Locale.ROOT, "%n%d of %d target ratios met by the median"
                + " iteration (%d by the pooled ratio).%n", met, runs, metPooled));
        if (ratios.size() < runs) {
            out.append(String.format(Locale.ROOT, "%d of the %d runs failed and gave no ratio:"
                    + " see the JMH log.%n", runs - ratios.size(), runs));
        }
        return out.toString();
    }

    /** How many paired runs {@code targets} take, for the time estimate. */
    static int runCount(List<Target> targets) {
        return targets.stream().mapToInt(Target::runCount).sum();
    }
}
