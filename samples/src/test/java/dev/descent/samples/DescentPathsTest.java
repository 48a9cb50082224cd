package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DescentPathsTest {

    @Test
    void gdOnTheBowlShrinksTowardsTheOriginByPointEightPerStep() {
        final DescentPaths.Trajectory t = DescentPaths.descend(DescentPaths.BOWL, -4, 3.5, 0.1,
                DescentPaths.RACERS.get(0), 15, (x, y) -> false);
        assertEquals(16, t.x().length);
        for (int k = 0; k <= 15; k++) {
            assertEquals(-4 * Math.pow(0.8, k), t.x()[k], 1e-5, "x at step " + k);
            assertEquals(3.5 * Math.pow(0.8, k), t.y()[k], 1e-5, "y at step " + k);
        }
    }

    @Test
    void everyOptimizerCrossesTheRavineAndEscapesTheSaddle() {
        for (DescentPaths.Race race : DescentPaths.RACES) {
            if (race.surface() == DescentPaths.ROSENBROCK) {
                continue;
            }
            final List<DescentPaths.Trajectory> paths = DescentPaths.race(race);
            for (int r = 0; r < paths.size(); r++) {
                assertTrue(paths.get(r).stepsToGoal() > 0, DescentPaths.RACERS.get(r).name() + " on "
                        + race.name());
            }
        }
    }

    /** The ravine's lesson: plain GD needs several times the steps of momentum. */
    @Test
    void momentumBeatsPlainGdInTheRavine() {
        final List<DescentPaths.Trajectory> paths = DescentPaths.race(DescentPaths.RACES.get(0));
        assertTrue(paths.get(0).stepsToGoal() > 3 * paths.get(1).stepsToGoal(),
                "GD " + paths.get(0).stepsToGoal() + ", momentum " + paths.get(1).stepsToGoal());
    }

    /**
     * The saddle's lesson: the two whose first steps along y are largest escape before the others.
     * Their first steps are what the sample says: lr for AdaGrad and Adam, 10 x lr for RMSProp
     * (no bias correction, alpha 0.99), lr x 0.002 (the slope) for GD.
     */
    @Test
    void rmsPropAndAdaGradEscapeTheSaddleFirst() {
        final DescentPaths.Race saddle = DescentPaths.RACES.get(2);
        final List<DescentPaths.Trajectory> paths = DescentPaths.race(saddle);
        assertEquals(saddle.lrs()[0] * 2e-3, DescentPaths.firstStepAlongY(paths.get(0)), 1e-8, "GD");
        assertEquals(saddle.lrs()[3], DescentPaths.firstStepAlongY(paths.get(3)), 1e-4, "AdaGrad");
        assertEquals(10 * saddle.lrs()[4], DescentPaths.firstStepAlongY(paths.get(4)), 1e-3, "RMSProp");
        assertEquals(saddle.lrs()[5], DescentPaths.firstStepAlongY(paths.get(5)), 1e-4, "Adam");
        final int slowerOfTheTwo = Math.max(paths.get(3).stepsToGoal(), paths.get(4).stepsToGoal());
        for (int r : new int[] {0, 1, 2, 5}) {
            assertTrue(paths.get(r).stepsToGoal() > slowerOfTheTwo, DescentPaths.RACERS.get(r).name()
                    + " " + paths.get(r).stepsToGoal() + ", AdaGrad and RMSProp at most " + slowerOfTheTwo);
        }
    }

    @Test
    void momentumNesterovAndAdamReachTheRosenbrockMinimum() {
        final DescentPaths.Race rosenbrock = DescentPaths.RACES.get(1);
        final List<DescentPaths.Trajectory> paths = DescentPaths.race(rosenbrock);
        for (int r : new int[] {1, 2, 5}) {
            final DescentPaths.Trajectory t = paths.get(r);
            assertTrue(t.stepsToGoal() > 0, DescentPaths.RACERS.get(r).name());
            assertTrue(t.distanceTo(1, 1) < 1e-3);
        }
    }
}
