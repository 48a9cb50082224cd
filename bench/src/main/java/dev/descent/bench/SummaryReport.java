package dev.descent.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;

/** Turns JMH results of the step and many-tensors suites into the summary's tables and chart. */
final class SummaryReport {

    private static final String DESCENT = "descent";
    private static final String SCALAR = "scalar";
    private static final String PLAIN_JAVA = "plainJava";
    private static final String ROOFLINE = "roofline";
    private static final List<String> VARIANTS = List.of(DESCENT, PLAIN_JAVA, SCALAR, ROOFLINE);
    private static final List<Color> VARIANT_COLORS = List.of(new Color(0x1f77b4),
            new Color(0xff7f0e), new Color(0x7f7f7f), new Color(0x2ca02c));
    private static final String ALLOCATION_METRIC = "gc.alloc.rate.norm";
    /** More than this per step is boxed vectors: kernels that C2 had not compiled yet. */
    private static final double UNCOMPILED_BYTES_PER_STEP = 1024;
    /** JMH's bookkeeping varies from iteration to iteration by up to about this fraction. */
    private static final double BOOKKEEPING_JITTER = 0.25;

    /**
     * One benchmark's result.
     *
     * @param suite the benchmark class's simple name
     * @param variant the benchmark method: descent, scalar, plainJava or roofline
     * @param size parameters stepped per operation
     * @param layout {@code model}, {@code block}, {@code separate} or {@code flat} for the
     *     many-tensors suite, else empty
     * @param width the model width for the many-tensors suite, else 0
     * @param stepsPerSecond the best measurement iteration: on a shared machine other work only
     *     ever slows a run down, so the fastest iteration is the least disturbed one
     * @param bytesPerStep JMH's {@code gc.alloc.rate.norm}, 0 when it reported none
     * @param stepsPerIteration how many steps one measurement iteration held
     */
    record Measurement(String suite, String variant, Kernel kernel, long size, int threads,
                       String layout, int width, double stepsPerSecond, double bytesPerStep,
                       double stepsPerIteration) {

        static Measurement of(RunResult result) {
            final BenchmarkParams params = result.getParams();
            final String name = params.getBenchmark();
            final String[] parts = name.split("\\.");
            final String suite = parts[parts.length - 2];
            final boolean manyTensors = suite.equals(ManyTensorsBenchmark.class.getSimpleName());
            final int width = manyTensors ? Integer.parseInt(params.getParam("width")) : 0;
            final double best = result.getPrimaryResult().getStatistics().getMax();
            final double mean = result.getPrimaryResult().getScore();
            final double seconds = params.getMeasurement().getTime()
                    .convertTo(TimeUnit.NANOSECONDS) / 1e9;
            final double bytes = result.getSecondaryResults().entrySet().stream()
                    .filter(e -> e.getKey().endsWith(ALLOCATION_METRIC))
                    .map(e -> e.getValue().getScore()).findFirst().orElse(0.0);
            return new Measurement(suite, parts[parts.length - 1],
                    Kernel.valueOf(params.getParam("kernel")),
                    manyTensors ? ManyTensorsBenchmark.totalLength(width)
                            : Long.parseLong(params.getParam("size")),
                    Threads.count(params.getParam("threads")),
                    manyTensors ? params.getParam("layout") : "", width, best, bytes,
                    mean * seconds);
        }

        double paramsPerSecond() {
            return stepsPerSecond * size;
        }

        double bytesPerIteration() {
            return bytesPerStep * stepsPerIteration;
        }
    }

    private final List<Measurement> steps = new ArrayList<>();
    private final List<Measurement> tensors = new ArrayList<>();
    private final double bookkeepingPerIteration;

    SummaryReport(Collection<RunResult> results) {
        for (RunResult result : results) {
            final Measurement m = Measurement.of(result);
            (m.width() > 0 ? tensors : steps).add(m);
        }
        // JMH allocates a few KB per iteration on the benchmark thread for its own bookkeeping.
        // The roofline allocates nothing, so what it shows per iteration is exactly that.
        bookkeepingPerIteration = median(steps.stream()
                .filter(m -> m.variant().equals(ROOFLINE))
                .mapToDouble(Measurement::bytesPerIteration).toArray());
    }

    /** Both tables, the allocation verdict and how to read them. */
    String text() {
        final StringBuilder out = new StringBuilder();
        out.append(stepTable()).append('\n');
        if (!tensors.isEmpty()) {
            out.append(tensorTable()).append('\n');
        }
        out.append(allocationVerdict()).append('\n');
        out.append("""
                params/s: steps per second x tensor size, from each run's best iteration (other
                work on a shared machine only ever slows a run down).
                GB/s: the bytes a step must move per parameter: read the gradient, read and write
                the value and each state tensor (SGD 12, momentum, Nesterov, AdaGrad, RMSProp 20,
                centered RMSProp, Adam, AdamW 28, AMSGrad 36).
                roofline: descent / a trivial pass with the same reads and writes on the same
                threads, in a fork of its own (PairedBenchmark alternates them: --targets). It
                binds beyond the caches; in cache, Adam, AdaGrad and RMSProp are bound by the
                vector square root and divide instead.
                plainJava, scalar: descent's speedup over the float[] loop a Java developer writes
                (auto-vectorized by C2) and over Descent's own scalar kernels.
                B/op: JMH -prof gc less JMH's own bookkeeping (%s per iteration, plus 25%% for
                its jitter: what the allocation-free roofline shows), which is all there is when
                an iteration holds few steps; JMH's raw value in parentheses.
                """.formatted(bytes(bookkeepingPerIteration)));
        return out.toString();
    }

    private String stepTable() {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-17s %12s %7s %10s %7s %8s %9s %8s  %s%n",
                "kernel", "size", "threads", "params/s", "GB/s", "roofline", "plainJava",
                "scalar", "B/op"));
        steps.stream().filter(m -> m.variant().equals(DESCENT))
                .sorted(Comparator.comparing(Measurement::kernel)
                        .thenComparingLong(Measurement::size)
                        .thenComparingInt(Measurement::threads))
                .forEach(d -> out.append(String.format(Locale.ROOT,
                        "%-17s %,12d %7d %10s %7.1f %8s %9s %8s  %s%n",
                        d.kernel().label(), d.size(), d.threads(), si(d.paramsPerSecond()),
                        d.paramsPerSecond() * d.kernel().bytesPerParameter() / 1e9,
                        ratio(d, ROOFLINE, "%.2f"), ratio(d, PLAIN_JAVA, "%.2fx"),
                        ratio(d, SCALAR, "%.2fx"), allocation(d))));
        return out.toString();
    }

    private String tensorTable() {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Many small tensors: a %d-layer GPT-style decoder"
                + " (%d tensors) against one flat tensor of the same size%n",
                ManyTensorsBenchmark.LAYERS, ManyTensorsBenchmark.TENSORS));
        out.append("(model: allocated one by one, which packs small tensors back to back; block:"
                + " in one block; separate: each in memory of its own. Descent steps adjacent"
                + " tensors as one run.)\n");
        out.append(String.format(Locale.ROOT, "%-17s %6s %12s %7s %8s %12s %12s %10s  %s%n",
                "kernel", "width", "params", "threads", "layout", "layout p/s", "flat p/s",
                "vs flat", "B/op"));
        tensors.stream().filter(m -> !m.layout().equals(ManyTensorsBenchmark.FLAT))
                .sorted(Comparator.comparing(Measurement::kernel)
                        .thenComparingInt(Measurement::width)
                        .thenComparingInt(Measurement::threads)
                        .thenComparing(Measurement::layout, Comparator.reverseOrder()))
                .forEach(model -> {
                    final Optional<Measurement> flat = tensors.stream()
                            .filter(m -> m.layout().equals(ManyTensorsBenchmark.FLAT)
                                    && m.kernel() == model.kernel() && m.width() == model.width()
                                    && m.threads() == model.threads())
                            .findFirst();
                    out.append(String.format(Locale.ROOT,
                            "%-17s %6d %,12d %7d %8s %12s %12s %10s  %s%n",
                            model.kernel().label(), model.width(), model.size(), model.threads(),
                            model.layout(), si(model.paramsPerSecond()),
                            flat.map(f -> si(f.paramsPerSecond())).orElse("-"),
                            flat.map(f -> String.format(Locale.ROOT, "%.2f",
                                    model.stepsPerSecond() / f.stepsPerSecond())).orElse("-"),
                            allocation(model)));
                });
        return out.toString();
    }

    private String allocationVerdict() {
        final List<Measurement> descent = new ArrayList<>(tensors);
        steps.stream().filter(m -> !m.variant().equals(PLAIN_JAVA)
                && !m.variant().equals(ROOFLINE)).forEach(descent::add);
        final List<Measurement> allocating = descent.stream()
                .filter(m -> netBytesPerStep(m) >= 1).toList();
        if (allocating.isEmpty()) {
            return "Allocation: 0 B/op in all " + descent.size()
                    + " Descent runs (descent, scalar, many tensors).\n";
        }
        final StringBuilder out = new StringBuilder("Allocation: " + allocating.size() + " of "
                + descent.size() + " Descent runs allocate:\n");
        allocating.forEach(m -> out.append(String.format(Locale.ROOT,
                "  %s.%s %s size %,d threads %d%s: %s B/op%n", m.suite(), m.variant(),
                m.kernel().label(), m.size(), m.threads(),
                m.layout().isEmpty() ? "" : " " + m.layout(), allocation(m))));
        if (allocating.stream().anyMatch(m -> netBytesPerStep(m) >= UNCOMPILED_BYTES_PER_STEP)) {
            out.append("  Kilobytes per step mean the vector kernels still ran interpreted, boxing"
                    + " every vector: the warmup was too short for this machine's load.\n");
        }
        return out.toString();
    }

    /**
     * A PNG with one log-log panel per kernel: params/s against size for every variant; false,
     * writing nothing, when no step benchmark gave a result.
     */
    boolean writeChart(Path png) throws IOException {
        final List<XYChart> charts = new ArrayList<>();
        for (Kernel kernel : Kernel.values()) {
            final List<Measurement> ofKernel = steps.stream()
                    .filter(m -> m.kernel() == kernel).toList();
            if (ofKernel.isEmpty()) {
                continue;
            }
            final XYChart chart = new XYChartBuilder().width(720).height(420)
                    .title(kernel.label() + " (" + kernel.bytesPerParameter() + " B/param)")
                    .xAxisTitle("tensor size (floats)").yAxisTitle("params/s").build();
            // Labels between the decades too: a kernel's speeds often span less than one decade,
            // which would leave its axis with one label or none.
            chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                    .setYAxisLogarithmicDecadeOnly(false)
                    .setYAxisDecimalPattern("0.#E0").setXAxisDecimalPattern("0.#E0");
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            for (int v = 0; v < VARIANTS.size(); v++) {
                for (int threads : ofKernel.stream().mapToInt(Measurement::threads).distinct()
                        .sorted().toArray()) {
                    addSeries(chart, ofKernel, VARIANTS.get(v), threads, VARIANT_COLORS.get(v));
                }
            }
            charts.add(chart);
        }
        if (charts.isEmpty()) {
            return false;
        }
        final int columns = Math.min(3, charts.size());
        final int rows = Math.ceilDiv(charts.size(), columns);
        BitmapEncoder.saveBitmap(charts, rows, columns, png.toString(),
                BitmapEncoder.BitmapFormat.PNG);
        return true;
    }

    private static void addSeries(XYChart chart, List<Measurement> ofKernel, String variant,
                                  int threads, Color color) {
        final List<Measurement> points = ofKernel.stream()
                .filter(m -> m.variant().equals(variant) && m.threads() == threads)
                .sorted(Comparator.comparingLong(Measurement::size)).toList();
        if (points.isEmpty()) {
            return;
        }
        final XYSeries series = chart.addSeries(variant + " " + threads + "t",
                points.stream().mapToDouble(Measurement::size).toArray(),
                points.stream().mapToDouble(Measurement::paramsPerSecond).toArray());
        series.setLineColor(color);
        series.setMarkerColor(color);
        series.setMarker(threads == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
        if (threads != 1) {
            series.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                    10f, new float[] {6f, 4f}, 0f));
        }
    }

    /** descent's throughput divided by the same-configuration {@code variant}'s. */
    private String ratio(Measurement descent, String variant, String format) {
        return steps.stream()
                .filter(m -> m.variant().equals(variant) && m.kernel() == descent.kernel()
                        && m.size() == descent.size() && m.threads() == descent.threads())
                .findFirst()
                .map(m -> String.format(Locale.ROOT, format,
                        descent.stepsPerSecond() / m.stepsPerSecond()))
                .orElse("-");
    }

    /**
     * What the benchmark itself allocated per step. At small sizes an iteration holds millions of
     * steps and the bookkeeping vanishes; at DRAM sizes it holds a few dozen and the bookkeeping
     * is all JMH reports. Allocation in a step does not depend on the tensor size, so the small
     * sizes are where a real allocation shows.
     */
    private double netBytesPerStep(Measurement m) {
        final double bookkeeping = bookkeepingPerIteration * (1 + BOOKKEEPING_JITTER);
        return Math.max(0, m.bytesPerIteration() - bookkeeping) / m.stepsPerIteration();
    }

    private String allocation(Measurement m) {
        final double net = netBytesPerStep(m);
        final String shown = net < 1 ? "0" : String.format(Locale.ROOT, "%.0f", net);
        return m.bytesPerStep() < 1 ? shown
                : shown + String.format(Locale.ROOT, " (%.0f)", m.bytesPerStep());
    }

    private static String si(double value) {
        final String[] prefixes = {"", "k", "M", "G", "T"};
        int p = 0;
        while (value >= 1000 && p < prefixes.length - 1) {
            value /= 1000;
            p++;
        }
        return String.format(Locale.ROOT, "%.2f %s", value, prefixes[p]);
    }

    private static String bytes(double value) {
        return value >= 1024 ? String.format(Locale.ROOT, "%.1f KiB", value / 1024)
                : String.format(Locale.ROOT, "%.0f B", value);
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        return Targets.Spread.medianOfSorted(sorted);
    }
}
