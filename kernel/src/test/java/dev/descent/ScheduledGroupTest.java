package dev.descent;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

    /**
     * The momentum a step uses is the group's at that step, from a schedule (SGD's momentum,
     * Adam's beta1, which its bias correction follows too, as PyTorch's {@code 1 - beta1 ** step})
     * or {@link ParameterGroup#setMomentum} (RMSProp), not the one the optimizer was built with:
     * checked against the update rules in double over one-element parameters.
     */
    @Test
    void eachStepUsesTheGroupsCurrentMomentum() {
        final OneCycleLr schedule = OneCycleLr.builder(0.5).totalSteps(20).build();
        final float g = 0.25f;
        final Parameter a = Parameter.ofArrays("a", new float[] {1f}, new float[] {g});
        final Parameter b = Parameter.ofArrays("b", new float[] {1f}, new float[] {g});
        final Parameter c = Parameter.ofArrays("c", new float[] {1f}, new float[] {g});
        try (Sgd sgd = Sgd.builder().momentum(0.9).build(List.of(a));
             Adam adam = Adam.builder().build(List.of(b));
             RmsProp rms = RmsProp.builder().lr(0.01).momentum(0.5).build(List.of(c))) {
            sgd.groups().get(0).setSchedule(schedule);
            adam.groups().get(0).setSchedule(schedule);
            double sgdP = 1;
            double sgdBuffer = 0;
            double adamP = 1;
            double m = 0;
            double v = 0;
            double rmsP = 1;
            double squareAvg = 0;
            double rmsBuffer = 0;
            for (int t = 1; t <= 20; t++) {
                final double lr = schedule.lr(t - 1);
                final double mu = schedule.momentum(t - 1);
                final double rmsMomentum = t <= 10 ? 0.5 : 0.7;
                rms.groups().get(0).setMomentum(rmsMomentum);
                sgd.step();
                adam.step();
                rms.step();
                assertEquals(mu, sgd.groups().get(0).momentum(), "step " + t);
                assertEquals(mu, adam.groups().get(0).momentum(), "step " + t);

                sgdBuffer = t == 1 ? g : mu * sgdBuffer + g;
                sgdP -= lr * sgdBuffer;
                m = mu * m + (1 - mu) * g;
                v = 0.999 * v + 0.001 * g * g;
                adamP -= lr / (1 - Math.pow(mu, t)) * m
                        / (Math.sqrt(v) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8);
                squareAvg = 0.99 * squareAvg + 0.01 * g * g;
                rmsBuffer = rmsMomentum * rmsBuffer + g / (Math.sqrt(squareAvg) + 1e-8);
                rmsP -= 0.01 * rmsBuffer;
                assertClose(sgdP, a.valueAt(0), "SGD, step " + t);
                assertClose(adamP, b.valueAt(0), "Adam, step " + t);
                assertClose(rmsP, c.valueAt(0), "RMSProp, step " + t);
            }
        }
    }

    /** Within float rounding over a few dozen steps of {@code expected}. */
    private static void assertClose(double expected, float actual, String what) {
        assertEquals(expected, actual, 1e-5 * Math.max(1, Math.abs(expected)), what);
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
            assertTrue(e.getMessage().contains("AdaGrad has no momentum to cycle")
                    && !e.getMessage().contains("build it with momentum"), e.getMessage());
            final IllegalArgumentException sgd = assertThrows(IllegalArgumentException.class,
                    () -> plain.groups().get(0).setSchedule(cyclic));
            assertTrue(sgd.getMessage().contains("build it with momentum > 0"), sgd.getMessage());
            assertThrows(IllegalArgumentException.class, () -> plain.groups().get(0).setMomentum(0.9));
            assertEquals(null, plain.groups().get(0).schedule());
            plain.groups().get(0).setSchedule(CyclicLr.builder(0.01, 0.1).cycleMomentum(false).build());
        }
    }

    @Test
    void aCyclingScheduleWhoseMomentumRoundsToOneIsRefusedWhenAttached() {
        final Parameter w = Parameter.ofArrays("w", new float[2], new float[2]);
        try (Adam adam = Adam.builder().build(List.of(w))) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> adam.groups().get(0).setSchedule(
                            CyclicLr.builder(0.01, 0.1).maxMomentum(0.99999999).build()));
            assertTrue(e.getMessage().contains("momentum at step 0")
                    && e.getMessage().contains("beta1") && e.getMessage().contains("0.99999999"),
                    e.getMessage());
            assertEquals(null, adam.groups().get(0).schedule());
            adam.groups().get(0).setSchedule(CyclicLr.builder(0.01, 0.1).maxMomentum(0.999).build());
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

    @Test
    void sgdAtMomentumZeroStepsPlainlyAndLeavesTheBufferAsPyTorchDoes() {
        // PyTorch tests the group's current momentum: at 0, p -= lr*g and the buffer stays.
        final Parameter w = Parameter.ofArrays("w", new float[] {1f}, new float[] {1f});
        try (Sgd sgd = Sgd.builder().lr(0.1).momentum(0.9).dampening(0.5).build(List.of(w))) {
            sgd.step(); // the buffer's first step: b = g = 1
            final float p1 = Math.fma(-0.1f, 1f, 1f);
            sgd.groups().get(0).setMomentum(0);
            w.setGradAt(0, 2f);
            sgd.step();
            final float p2 = Math.fma(-0.1f, 2f, p1);
            assertEquals(p2, w.valueAt(0));
            assertEquals(1f, sgd.state(w).get("momentum_buffer").getAtIndex(JAVA_FLOAT, 0));
            sgd.groups().get(0).setMomentum(0.9);
            w.setGradAt(0, 1f);
            sgd.step(); // b = 0.9*1 + (1-0.5)*1
            final float b3 = Math.fma(0.9f, 1f, 0.5f * 1f);
            assertEquals(b3, sgd.state(w).get("momentum_buffer").getAtIndex(JAVA_FLOAT, 0));
            assertEquals(Math.fma(-0.1f, b3, p2), w.valueAt(0));
        }
    }

    @Test
    void sgdStartsTheBufferOnItsFirstStepAtAMomentumOtherThanZero() {
        // PyTorch creates the buffer as a copy of the gradient (no dampening) when it first needs
        // it, which after steps at momentum 0 is not optimizer step 1.
        final Parameter w = Parameter.ofArrays("w", new float[] {1f}, new float[] {2f});
        try (Sgd sgd = Sgd.builder().lr(0.1).momentum(0.9).dampening(0.5).build(List.of(w))) {
            sgd.groups().get(0).setMomentum(0);
            sgd.step();
            final float p1 = Math.fma(-0.1f, 2f, 1f);
            assertEquals(p1, w.valueAt(0));
            assertEquals(0f, sgd.state(w).get("momentum_buffer").getAtIndex(JAVA_FLOAT, 0));
            sgd.groups().get(0).setMomentum(0.9);
            sgd.step(); // b = g = 2, not (1-0.5)*2
            assertEquals(2f, sgd.state(w).get("momentum_buffer").getAtIndex(JAVA_FLOAT, 0));
            assertEquals(Math.fma(-0.1f, 2f, p1), w.valueAt(0));
        }
    }

    @Test
    void rmsPropAtMomentumZeroLeavesTheBufferAndStepsAsWithoutMomentum() {
        final float[] firstGrad = {0.5f, -2f, 3f};
        final float[] secondGrad = {-1f, 0.25f, 4f};
        final Parameter w = Parameter.ofArrays("w", new float[] {1f, 2f, 3f}, firstGrad.clone());
        final Parameter plain = Parameter.ofArrays("w", new float[] {1f, 2f, 3f}, firstGrad.clone());
        try (RmsProp withBuffer = RmsProp.builder().momentum(0.5).build(List.of(w));
             RmsProp without = RmsProp.builder().build(List.of(plain))) {
            withBuffer.step(); // from a zero buffer: b = g/d, the same step as without momentum
            without.step();
            final float[] buffer = withBuffer.state(w).get("momentum_buffer").toArray(JAVA_FLOAT);
            withBuffer.groups().get(0).setMomentum(0);
            for (int i = 0; i < secondGrad.length; i++) {
                w.setGradAt(i, secondGrad[i]);
                plain.setGradAt(i, secondGrad[i]);
            }
            withBuffer.step();
            without.step();
            assertArrayEquals(buffer, withBuffer.state(w).get("momentum_buffer").toArray(JAVA_FLOAT));
            assertArrayEquals(plain.values().toArray(JAVA_FLOAT), w.values().toArray(JAVA_FLOAT));
        }
    }

    @Test
    void aRestoredSgdCountsItsBufferAsStartedOnlyAfterAStep() {
        final Parameter w = Parameter.ofArrays("w", new float[] {1f}, new float[] {2f});
        try (Sgd sgd = Sgd.builder().lr(0.1).momentum(0.9).dampening(0.5).build(List.of(w))) {
            sgd.restore(3, (p, state) -> state.get("momentum_buffer").setAtIndex(JAVA_FLOAT, 0, 1f));
            sgd.step(); // b = 0.9*1 + 0.5*2: the restored buffer is decayed, not replaced
            assertEquals(Math.fma(0.9f, 1f, 0.5f * 2f),
                    sgd.state(w).get("momentum_buffer").getAtIndex(JAVA_FLOAT, 0));
            sgd.restore(0, (p, state) -> state.get("momentum_buffer").setAtIndex(JAVA_FLOAT, 0, 0f));
            sgd.step(); // step 1 again: b = g
            assertEquals(2f, sgd.state(w).get("momentum_buffer").getAtIndex(JAVA_FLOAT, 0));
        }
    }
}
