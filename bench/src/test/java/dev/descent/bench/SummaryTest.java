package dev.descent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.kernel.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {

    @Test
    void noChartWithoutStepResults(@TempDir Path dir) throws IOException {
        final Path png = dir.resolve("summary.png");
        assertFalse(new SummaryReport(List.of()).writeChart(png));
        assertFalse(Files.exists(png));
    }

    @Test
    void aValueGivenTwiceRunsOnce() {
        final Summary.Settings settings = Summary.Settings.parse(new String[] {
            "--kernels=adam,ADAM,sgd --sizes=4096,4096 --widths=32,32 --threads=1"});
        assertEquals(List.of(Kernel.ADAM, Kernel.SGD), settings.kernels());
        assertEquals(List.of(4096L), settings.sizes());
        assertEquals(List.of(32), settings.widths());
    }

    @Test
    void bytesPerParameterAreTheDesignsTraffic() {
        assertEquals(List.of(12, 20, 20, 20, 20, 28, 28, 28, 36),
                Arrays.stream(Kernel.values()).map(Kernel::bytesPerParameter).toList());
    }

    @Test
    void shortSuiteByDefaultAndEveryKernelWithFull() {
        final Summary.Settings quick = Summary.Settings.parse(new String[] {""});
        assertEquals(List.of(Kernel.SGD, Kernel.ADAM), quick.kernels());
        final Summary.Settings full = Summary.Settings.parse(new String[] {"--full --threads=1"});
        assertEquals(Kernel.values().length, full.kernels().size());
        assertEquals(67_108_864L, full.sizes().getLast());
        assertEquals(List.of("1"), full.threads());
    }

    @Test
    void targetsAloneRunOnlyTheTargetsAndFullRunsBoth() {
        final Summary.Settings targets = Summary.Settings.parse(new String[] {"--targets"});
        assertFalse(targets.suite());
        assertTrue(targets.targets());
        final Summary.Settings quick = Summary.Settings.parse(new String[] {""});
        assertTrue(quick.suite());
        assertFalse(quick.targets());
        final Summary.Settings full = Summary.Settings.parse(new String[] {"--full"});
        assertTrue(full.suite() && full.targets());
        // Every target's runs, with the 2-core threshold of the design for the scaling target.
        final List<Targets.Target> all = Targets.all(2, false);
        assertEquals(6 + 36 + 9 + 36 + 36 + 36, Targets.runCount(all));
        assertEquals(1.8, all.get(2).threshold(), 1e-12);
        assertEquals(Targets.SCALING, all.get(2).method());
        // With a C compiler: every kernel at 4,096 and 65,536 elements on one thread against C.
        final List<Targets.Target> withNative = Targets.all(2, true);
        assertEquals(Targets.runCount(all) + 18, Targets.runCount(withNative));
        assertEquals(PairedBenchmark.NATIVE, withNative.getLast().variant());
        assertEquals(List.of("1"), withNative.getLast().threads());
    }

    @Test
    void aTargetGoesByTheMedianIterationAndReportsThePooledRatioToo() {
        // Three iterations at 2x and two slowed down to 1x: the median is 2, the pooled 1.43.
        final Targets.Spread odd = Targets.Spread.of(new double[] {10, 10, 10, 10, 10},
                new double[] {5, 5, 10, 5, 10});
        assertEquals(2.0, odd.median(), 1e-12);
        assertEquals(50.0 / 35.0, odd.pooled(), 1e-12);
        assertEquals(1.0, odd.lowest(), 1e-12);
        assertEquals(2.0, odd.highest(), 1e-12);
        final Targets.Spread even = Targets.Spread.of(new double[] {4, 3, 2, 1},
                new double[] {1, 1, 1, 1});
        assertEquals(2.5, even.median(), 1e-12, "the mean of the middle two");
        final Targets.Target all = Targets.all(2, false).get(2);
        // The scaling target for one kernel: one run, so one ratio is all of them.
        final Targets.Target scaling = new Targets.Target(all.title(), all.method(),
                all.variant(), List.of(Kernel.SGD), all.sizes(), all.threads(), all.threshold());
        final Targets.Ratio ratio = new Targets.Ratio(scaling, Kernel.SGD, 1_048_576, 2, odd, odd);
        assertTrue(ratio.met());
        assertFalse(ratio.metPooled());
        final String report = Targets.report(List.of(scaling), List.of(ratio));
        assertTrue(report.contains("1 of 1 target ratios met by the median iteration (0 by the"
                + " pooled ratio)"), report);
        assertThrows(IllegalArgumentException.class,
                () -> Targets.Spread.of(new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> Targets.Spread.of(new double[0], new double[0]));
    }

    @Test
    void aRunThatFailedCountsAmongTheTargetsAndNotAsMet() {
        // JMH drops a failed run's results: its ratio is missing, not below the threshold. The
        // scaling target has nine runs, one per kernel; here only SGD's ran, and met.
        final Targets.Target scaling = Targets.all(2, false).get(2);
        final Targets.Spread twice = Targets.Spread.of(new double[] {2, 2, 2},
                new double[] {1, 1, 1});
        final String report = Targets.report(List.of(scaling), List.of(
                new Targets.Ratio(scaling, Kernel.SGD, 1_048_576, 2, twice, twice)));
        assertTrue(report.contains("1 of 9 target ratios met by the median iteration (1 by the"
                + " pooled ratio)"), report);
        assertTrue(report.contains("8 of the 9 runs failed"), report);
    }

    @Test
    void pairedBlocksStepBothSidesEquallyAndTimeEach() {
        final int[] steps = new int[2];
        final PairedBenchmark.Pair pair = new PairedBenchmark.Pair() {
        };
        pair.subject = new CountingStepper(steps, 0);
        pair.baseline = new CountingStepper(steps, 1);
        pair.stepsPerBlock = 3;
        final PairedBenchmark.Times times = new PairedBenchmark.Times();
        PairedBenchmark.alternate(pair, times);
        PairedBenchmark.alternate(pair, times);
        assertEquals(8, steps[0], "three timed steps and one untimed per block");
        assertEquals(8, steps[1]);
        assertTrue(times.subjectNanos > 0 && times.baselineNanos > 0,
                times.subjectNanos + " " + times.baselineNanos);
        times.reset();
        assertEquals(0, times.subjectNanos + times.baselineNanos);
    }

    @Test
    void scalingStepsAllFourSidesEquallyAndTimesEach() {
        final int[] steps = new int[4];
        final PairedBenchmark.ScalingPair pair = new PairedBenchmark.ScalingPair();
        pair.subject = new CountingStepper(steps, 0);
        pair.baseline = new CountingStepper(steps, 1);
        pair.ceiling = new CountingStepper(steps, 2);
        pair.ceilingBaseline = new CountingStepper(steps, 3);
        pair.stepsPerBlock = 2;
        final PairedBenchmark.Times times = new PairedBenchmark.Times();
        final PairedBenchmark.CeilingTimes ceilingTimes = new PairedBenchmark.CeilingTimes();
        new PairedBenchmark().scaling(pair, times, ceilingTimes);
        new PairedBenchmark().scaling(pair, times, ceilingTimes);
        assertEquals(List.of(6, 6, 6, 6), Arrays.stream(steps).boxed().toList());
        assertTrue(times.subjectNanos > 0 && times.baselineNanos > 0
                && ceilingTimes.ceilingNanos > 0 && ceilingTimes.ceilingBaselineNanos > 0);
        ceilingTimes.reset();
        assertEquals(0, ceilingTimes.ceilingNanos + ceilingTimes.ceilingBaselineNanos);
        pair.tearDown();
        assertTrue(pair.subject == null && pair.ceiling == null && pair.ceilingBaseline == null);
    }

    @Test
    void aBlockOfSeveralStepsLeavesItsFirstStepUntimedAndALoneStepTimed() {
        final long slowNanos = 200_000_000;
        assertTrue(PairedBenchmark.timeBlock(new SlowFirstStepper(slowNanos), 3, 0) < slowNanos,
                "the slow first step of a block of three was timed");
        assertTrue(PairedBenchmark.timeBlock(new SlowFirstStepper(slowNanos), 1, 0) >= slowNanos,
                "a block of one step must time that step");
    }

    @Test
    void aGapIsSpentBeforeEveryStepButNotTimed() {
        // Long, so that a timed gap stands out from any pause a busy machine gives the test.
        final long gapNanos = 50_000_000;
        final int[] steps = new int[1];
        final long start = System.nanoTime();
        final long timed = PairedBenchmark.timeBlock(new CountingStepper(steps, 0), 3, gapNanos);
        final long elapsed = System.nanoTime() - start;
        assertEquals(4, steps[0], "one untimed step, then three after a gap each");
        assertTrue(elapsed >= 3 * gapNanos, "the three gaps took " + elapsed + " ns in all");
        assertTrue(timed < gapNanos, "a gap was timed: " + timed + " ns for three empty steps");
    }

    /** Its first step takes {@code firstNanos}, the others return at once. */
    private static final class SlowFirstStepper implements Stepper {
        private final long firstNanos;
        private boolean stepped;

        SlowFirstStepper(long firstNanos) {
            this.firstNanos = firstNanos;
        }

        @Override
        public void step() {
            if (!stepped) {
                stepped = true;
                final long start = System.nanoTime();
                while (System.nanoTime() - start < firstNanos) {
                    Thread.onSpinWait();
                }
            }
        }

        @Override
        public void close() {
        }
    }

    @Test
    void sidesOpenedBeforeAFailureAreClosed() {
        final int[] closed = new int[1];
        final PairedBenchmark.Pair pair = new PairedBenchmark.Pair() {
        };
        final IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> pair.openSides(() -> {
                    pair.subject = new Stepper() {
                        @Override
                        public void step() {
                        }

                        @Override
                        public void close() {
                            closed[0]++;
                        }
                    };
                    throw new IllegalStateException("baseline failed");
                }));
        assertEquals("baseline failed", failure.getMessage());
        assertEquals(1, closed[0]);
        assertTrue(pair.subject == null);
    }

    /** Counts its steps in {@code counts[index]}, each taking a little time. */
    private record CountingStepper(int[] counts, int index) implements Stepper {
        @Override
        public void step() {
            counts[index]++;
            final long start = System.nanoTime();
            while (System.nanoTime() == start) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void close() {
        }
    }

    @Test
    void rejectsUnknownOptionsAndBadValues() {
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--fast"}));
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--vector-bits=64"}));
        final int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertEquals(String.valueOf(preferred), Summary.Settings.parse(
                new String[] {"--vector-bits=" + preferred}).vectorBits());
        assertEquals("256", Summary.Settings.checkedVectorBits("256", 256));
        final IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.checkedVectorBits("512", 256));
        assertEquals("--vector-bits: " + Kernels.VECTOR_BITS_PROP_NAME + " must be at most this"
                + " JVM's preferred vector width, 256 bits, got '512'", wide.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--threads=0"}));
        assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--kernels=LION"}));
    }

    @Test
    void emptyOrBadListValuesAreErrorsThatNameTheOptionTheValueAndWhatItTakes() {
        // An option given with no values used to leave JMH's own defaults in place (every size up
        // to 67,108,864 for --sizes=, every kernel for --kernels=) while the run count said 0; a
        // size or width below 1 ran, and failed, in every fork.
        for (String arg : List.of("--sizes=", "--sizes=,", "--sizes=abc", "--sizes=0",
                "--sizes=4096,-1", "--widths=", "--widths=x", "--widths=0", "--kernels=",
                "--kernels=LION", "--threads=", "--threads=two", "--out=")) {
            final String option = arg.substring(0, arg.indexOf('='));
            final String value = arg.substring(arg.indexOf('=') + 1);
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Summary.Settings.parse(new String[] {arg}), arg);
            assertTrue(e.getMessage().startsWith(option + " must "), e.getMessage());
            assertTrue(e.getMessage().endsWith("got '" + value + "'"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Summary.Settings.parse(new String[] {"--kernels=LION"})).getMessage()
                .contains("RMSPROP_CENTERED"), "the kernels it takes");
        final Summary.Settings good = Summary.Settings.parse(
                new String[] {"--sizes=4096,,65536 --widths=32 --kernels=sgd,rmsprop-centered"});
        assertEquals(List.of(4_096L, 65_536L), good.sizes());
        assertEquals(List.of(32), good.widths());
        assertEquals(List.of(Kernel.SGD, Kernel.RMSPROP_CENTERED), good.kernels());
    }

    @Test
    void threadCountsThatCountTheSameThreadsAreKeptOnce() {
        final int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(List.of("1", "3"),
                Summary.Settings.parse(new String[] {"--threads=1,3,1"}).threads());
        assertEquals(cores == 1 ? List.of("1") : List.of("1", Threads.ALL),
                Summary.Settings.parse(new String[0]).threads());
        assertEquals(List.of(Integer.toString(cores)), Summary.Settings.parse(
                new String[] {"--threads=" + cores + "," + Threads.ALL}).threads());
    }

    @Test
    void aMissedRatioNeverPrintsAsTheThresholdItMissed() {
        assertEquals(0.999, Targets.roundedDown(0.9996));
        assertEquals(0.899, Targets.roundedDown(0.89999));
        assertEquals(1.0, Targets.roundedDown(1.0));
        assertTrue(String.format(java.util.Locale.ROOT, "%.3f", Targets.roundedDown(0.99996))
                .startsWith("0.999"));
    }

    @Test
    void theScalingTargetAsksForNoMoreThreadsThanAStepOfItsSizeUses() {
        assertEquals(1, Targets.scalingThreads(1));
        assertEquals(2, Targets.scalingThreads(2));
        assertEquals(32, Targets.scalingThreads(32));
        assertEquals(32, Targets.scalingThreads(64), "1,048,576 / 32,768 elements per thread");
    }

    @Test
    void modelHasTheDocumentedTensorsAndSizes() {
        assertEquals(ManyTensorsBenchmark.TENSORS, ManyTensorsBenchmark.tensorLengths(32).length);
        assertEquals(575_296, ManyTensorsBenchmark.totalLength(32));
        assertEquals(21_117_440, ManyTensorsBenchmark.totalLength(256));
    }
}
