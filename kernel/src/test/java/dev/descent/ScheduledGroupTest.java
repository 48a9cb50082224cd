package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.schedule.CyclicLr;
import dev.descent.schedule.LearningRateSchedule;
import dev.descent.schedule.OneCycleLr;
import dev.descent.schedule.StepLr;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Schedules attached to parameter groups drive the learning rate and momentum of each step. */
class ScheduledGroupTest {

    @Test
    void eachStepUsesTheScheduleValueOfThePreviousSchedulerStep() {
        final Parameter w = Parameter.ofArrays("w", new float[] {1f}, new float[] {0.5f});
        final LearningRateSchedule schedule = StepLr.builder(0.1, 3).gamma(0.5).build();
        try (Sgd sgd = Sgd.builder().lr(0.1).build(List.of(w))) {
            sgd.groups().get(0).setSchedule(schedule);
            float expected = 1f;
            for (int t = 1; t <= 10; t++) {
                sgd.step();
                final double lr = schedule.lr(t - 1);
                assertEquals(lr, sgd.groups().get(0).lr(), "step " + t);
                expected = Math.fma(-(float) lr, 0.5f, expected);
                assertEquals(expected, w.valueAt(0), "step " + t);
            }
        }
    }

    @Test
    void oneCycleDrivesSgdMomentumAndAdamBeta1() {
        final OneCycleLr schedule = OneCycleLr.builder(0.5).totalSteps(20).build();
        final Parameter a = Parameter.ofArrays("a", new float[] {1f}, new float[] {0.25f});
        final Parameter b = Parameter.ofArrays("b", new float[] {1f}, new float[] {0.25f});
        try (Sgd sgd = Sgd.builder().momentum(0.9).build(List.of(a));
             Adam adam = Adam.builder().build(List.of(b))) {
            sgd.groups().get(0).setSchedule(schedule);
            adam.groups().get(0).setSchedule(schedule);
            for (int t = 1; t <= 20; t++) {
                sgd.step();
                adam.step();
                assertEquals(schedule.momentum(t - 1), sgd.groups().get(0).momentum(), "step " + t);
                assertEquals(schedule.momentum(t - 1), adam.groups().get(0).momentum(), "step " + t);
                assertEquals(schedule.lr(t - 1), adam.groups().get(0).lr(), "step " + t);
            }
            assertEquals(0.85, schedule.momentum(5), 1e-2, "momentum dips while the lr rises");
        }
    }

    @Test
    void aScheduleRunPastItsEndFailsTheStepWithoutChangingAnything() {
        final OneCycleLr schedule = OneCycleLr.builder(0.5).totalSteps(3).build();
        final Parameter w = Parameter.ofArrays("w", new float[] {1f}, new float[] {0.25f});
        try (Sgd sgd = Sgd.builder().momentum(0.9).build(List.of(w))) {
            sgd.groups().get(0).setSchedule(schedule);
            for (int t = 0; t < 4; t++) {
                sgd.step(); // PyTorch allows stepping to totalSteps, and raises after
            }
            final float before = w.valueAt(0);
            final double lr = sgd.groups().get(0).lr();
            final double momentum = sgd.groups().get(0).momentum();
            assertThrows(IllegalArgumentException.class, sgd::step);
            assertEquals(4, sgd.stepCount());
            assertEquals(before, w.valueAt(0));
            assertEquals(lr, sgd.groups().get(0).lr());
            assertEquals(momentum, sgd.groups().get(0).momentum());
        }
    }

    @Test
    void momentumCyclingNeedsMomentum() {
        final LearningRateSchedule cyclic = CyclicLr.builder(0.01, 0.1).build();
        final Parameter w = Parameter.ofArrays("w", new float[2], new float[2]);
        try (AdaGrad adagrad = AdaGrad.builder().build(List.of(w));
             Sgd plain = Sgd.builder().build(List.of(w))) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> adagrad.groups().get(0).setSchedule(cyclic));
            assertTrue(e.getMessage().contains("AdaGrad") && e.getMessage().contains("momentum"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> plain.groups().get(0).setSchedule(cyclic));
            assertThrows(IllegalArgumentException.class, () -> plain.groups().get(0).setMomentum(0.9));
            assertEquals(null, plain.groups().get(0).schedule());
            plain.groups().get(0).setSchedule(CyclicLr.builder(0.01, 0.1).cycleMomentum(false).build());
        }
    }

    @Test
    void setMomentumChecksTheRangeOfEachKind() {
        final Parameter w = Parameter.ofArrays("w", new float[2], new float[2]);
        try (Adam adam = Adam.builder().build(List.of(w));
             RmsProp rms = RmsProp.builder().momentum(0.5).build(List.of(w))) {
            assertThrows(IllegalArgumentException.class, () -> adam.groups().get(0).setMomentum(1.0));
            adam.groups().get(0).setMomentum(0.8);
            assertEquals(0.8, adam.groups().get(0).momentum());
            assertThrows(IllegalArgumentException.class, () -> rms.groups().get(0).setMomentum(-1));
            rms.groups().get(0).setMomentum(0.7);
            assertEquals(0.7, rms.groups().get(0).momentum());
        }
    }
}
