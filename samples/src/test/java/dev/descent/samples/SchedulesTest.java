package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.schedule.CosineAnnealingLr;
import dev.descent.schedule.LearningRateSchedule;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SchedulesTest {

    /** The tour's run in full: 5 × 560 steps on 442 rows take a few milliseconds each. */
    @Test
    void scheduledRunsFollowTheirScheduleAndSettleWhereConstantLrJitters() {
        final Dataset data = Diabetes.load();
        final double best = LinearRegression.leastSquaresMse(data);
        final List<Schedules.Run> runs = Schedules.POLICIES.stream()
                .map(p -> Schedules.train(data, p, Schedules.EPOCHS)).toList();
        final Schedules.Run constant = runs.getFirst();
        final Schedules.Run small = runs.get(1);
        // The smaller constant rate jitters less, and every schedule ends closer than either.
        assertTrue(small.finalMse() < constant.finalMse(),
                small.finalMse() / best + " vs " + constant.finalMse() / best);
        for (Schedules.Run r : runs) {
            final String name = r.policy().name();
            assertEquals(Schedules.stepsPerEpoch(data) * Schedules.EPOCHS, r.lr().length, name);
            assertTrue(r.followedSchedule(), name);
            if (r.policy().scheduled()) {
                assertTrue(r.finalMse() <= Schedules.MSE_BAR * best, name + ": " + r.finalMse() / best);
                assertTrue((r.finalMse() / best - 1) * Schedules.GAIN_BAR <= constant.finalMse() / best - 1,
                        name + ": " + r.finalMse() / best + " vs constant " + constant.finalMse() / best);
                assertTrue(r.finalMse() < small.finalMse(), name + ": " + r.finalMse() / best + " vs "
                        + small.policy().name() + " " + small.finalMse() / best);
            } else {
                assertTrue(Arrays.stream(r.lr()).allMatch(lr -> lr == r.policy().lr()), name);
            }
        }
        // One-cycle moved the momentum too: 0.95 at both ends, 0.85 at the peak learning rate.
        final Schedules.Run oneCycle = runs.get(3);
        assertTrue(oneCycle.schedule().cyclesMomentum());
        assertEquals(0.95, oneCycle.momentum()[0], 1e-12);
        assertEquals(0.85, Arrays.stream(oneCycle.momentum()).min().orElseThrow(), 1e-6);
        assertEquals(0.95, oneCycle.momentum()[oneCycle.momentum().length - 1], 1e-6);
    }

    /** ReduceLrOnPlateau changes the learning rate only between epochs, halving it each time. */
    @Test
    void onPlateauTheLrHalvesBetweenEpochs() {
        final Dataset data = Diabetes.load();
        final Schedules.Run plateau = Schedules.train(data, Schedules.POLICIES.get(4), Schedules.EPOCHS);
        final int perEpoch = Schedules.stepsPerEpoch(data);
        final double[] lr = plateau.lr();
        assertEquals(Schedules.LR, lr[0]);
        int reductions = 0;
        for (int t = 1; t < lr.length; t++) {
            if (lr[t] != lr[t - 1]) {
                assertEquals(0, t % perEpoch, "changed within an epoch, at step " + (t + 1));
                assertEquals(lr[t - 1] / 2, lr[t], 1e-15);
                reductions++;
            }
        }
        assertTrue(reductions >= 3, reductions + " reductions");
    }

    @Test
    void followedScheduleNoticesAStepOffTheSchedule() {
        final LearningRateSchedule cosine = CosineAnnealingLr.builder(0.1, 10).build();
        final double[] lr = new double[10];
        for (int t = 1; t <= lr.length; t++) {
            lr[t - 1] = cosine.lr(t - 1);
        }
        final Schedules.Policy policy = Schedules.POLICIES.get(2);
        assertTrue(new Schedules.Run(policy, cosine, lr, new double[10], new double[1]).followedSchedule());
        lr[5] = cosine.lr(6); // one step late
        assertFalse(new Schedules.Run(policy, cosine, lr, new double[10], new double[1]).followedSchedule());
    }

    /** One panel per schedule of the package (all but the stateful ReduceLrOnPlateau), each on the shared scale. */
    @Test
    void theGalleryDrawsEverySchedule() {
        final List<Schedules.Panel> gallery = Schedules.gallery();
        final Set<String> classes = gallery.stream().map(p -> p.schedule().getClass().getSimpleName())
                .collect(Collectors.toSet());
        assertEquals(Set.of("FixedLr", "InverseTimeDecay", "ConstantLr", "LinearLr", "ExponentialLr", "StepLr",
                "MultiStepLr", "PolynomialLr", "CosineAnnealingLr", "CosineAnnealingWarmRestarts", "CyclicLr",
                "OneCycleLr", "SequentialLr", "ChainedSchedule", "LinearWarmup", "LambdaLr"), classes);
        assertEquals(classes.size(), gallery.size());
        for (Schedules.Panel panel : gallery) {
            for (int s = 0; s < Schedules.STEPS; s++) {
                final double lr = panel.schedule().lr(s);
                assertTrue(lr >= 0 && lr <= Schedules.BASE_LR * (1 + 1e-12), panel.title() + " at " + s + ": " + lr);
            }
        }
    }
}
