package dev.descent.samples;

import dev.descent.AdaGrad;
import dev.descent.Adam;
import dev.descent.Optimizer;
import dev.descent.Parameter;
import dev.descent.RmsProp;
import dev.descent.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.stream.IntStream;
import org.knowm.xchart.XYChart;

/**
 * Sample 5: descent paths in the plane. First plain gradient descent on the round bowl x² + y²,
 * then six optimizers racing on three harder surfaces: a narrow ravine (an ill-conditioned
 * quadratic), the Rosenbrock banana, and a saddle. Each path is drawn over the contour lines, and
 * a table gives the steps each optimizer needs to reach the goal.
 *
 * <p>Run alone: {@code mvn -q -pl samples -am -DskipTests package exec:exec
 * -Dsamples.main=dev.descent.samples.DescentPaths}
 */
public final class DescentPaths {

    /** A function of two variables with its gradient written out. */
    record Surface(String formula, DoubleBinaryOperator f, DoubleBinaryOperator dfdx,
            DoubleBinaryOperator dfdy) {
    }

    /** An optimizer under test, built for one learning rate over one two-element parameter. */
    record Racer(String name, BiFunction<Double, List<Parameter>, Optimizer<?>> optimizer) {
    }

    /** When a path has arrived (or, on the saddle, escaped). */
    @FunctionalInterface
    interface Goal {
        boolean reached(double x, double y);
    }

    /**
     * A race: a surface, a start, a goal, and each racer's learning rate (in {@link #RACERS}
     * order), chosen to be reasonable for that optimizer on that surface, not tuned to win.
     *
     * @param mustArrive how many racers must reach the goal for the sample to count as working
     */
    record Race(String name, Surface surface, double x0, double y0, Goal goal, String goalText,
            int maxSteps, double[] lrs, int mustArrive, Plots.Window window, double[] levels) {
    }

    /** The iterates of one run, start included, and the step that reached the goal (or -1). */
    record Trajectory(double[] x, double[] y, int stepsToGoal) {
        double distanceTo(double px, double py) {
            return Math.hypot(x[x.length - 1] - px, y[y.length - 1] - py);
        }
    }

    static final Surface BOWL = new Surface("x² + y²",
            (x, y) -> x * x + y * y, (x, y) -> 2 * x, (x, y) -> 2 * y);
    /** Curvature 0.1 along x, 10 along y: a condition number of 100. */
    static final Surface RAVINE = new Surface("0.05x² + 5y²",
            (x, y) -> 0.05 * x * x + 5 * y * y, (x, y) -> 0.1 * x, (x, y) -> 10 * y);
    /** Minimum 0 at (1, 1), at the bottom of a curved, nearly flat valley. */
    static final Surface ROSENBROCK = new Surface("(1 − x)² + 100(y − x²)²",
            (x, y) -> (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x),
            (x, y) -> -2 * (1 - x) - 400 * x * (y - x * x),
            (x, y) -> 200 * (y - x * x));
    /** Downhill along y for ever; the origin is a stationary point, not a minimum. */
    static final Surface SADDLE = new Surface("x² − y²",
            (x, y) -> x * x - y * y, (x, y) -> 2 * x, (x, y) -> -2 * y);

    static final List<Racer> RACERS = List.of(
            new Racer("GD", (lr, p) -> Sgd.builder().lr(lr).build(p)),
            new Racer("momentum", (lr, p) -> Sgd.builder().lr(lr).momentum(0.9).build(p)),
            new Racer("Nesterov", (lr, p) -> Sgd.builder().lr(lr).momentum(0.9).nesterov(true).build(p)),
            new Racer("AdaGrad", (lr, p) -> AdaGrad.builder().lr(lr).build(p)),
            new Racer("RMSProp", (lr, p) -> RmsProp.builder().lr(lr).build(p)),
            new Racer("Adam", (lr, p) -> Adam.builder().lr(lr).build(p)));

    static final double TOLERANCE = 1e-3;

    static final List<Race> RACES = List.of(
            // GD's rate is capped by the steep y direction (lr < 2/10): near the cap it zig-zags
            // across the ravine and crawls along it. Momentum keeps its speed along x (Nesterov
            // with momentum 0.9 is stable only below lr 0.136 here, so both get 0.1); the
            // adaptive methods rescale each axis.
            new Race("ravine", RAVINE, -4, 1, (x, y) -> Math.hypot(x, y) < TOLERANCE,
                    "|(x, y)| < 1e-3", 3000, new double[] {0.18, 0.1, 0.1, 1.0, 0.05, 0.3}, 6,
                    new Plots.Window(-4.5, 1.5, -1.5, 1.5), squares(0.05, 12)),
            new Race("Rosenbrock", ROSENBROCK, -1.5, 2, (x, y) -> Math.hypot(x - 1, y - 1) < TOLERANCE,
                    "|(x, y) - (1, 1)| < 1e-3", 10_000,
                    // On the valley's flat floor GD and AdaGrad crawl and RMSProp, whose steps do not
                    // shrink, keeps hopping across it: three arrive.
                    new double[] {0.001, 0.001, 0.001, 0.5, 0.01, 0.05}, 3,
                    new Plots.Window(-2, 2, -1, 3), new double[] {0.1, 0.5, 2, 5, 10, 30, 100, 300, 1000}),
            // Starting a hair off the ridge: plain GD needs many steps for the tiny y to grow.
            new Race("saddle", SADDLE, -4, 1e-3, (x, y) -> Math.abs(y) >= 4, "|y| >= 4 (escaped)", 2000,
                    new double[] {0.1, 0.1, 0.1, 0.5, 0.1, 0.1}, 6,
                    new Plots.Window(-5, 5, -5, 5), signedSquares(5)));

    /** The bowl walk-through: lr 0.1 from (−4, 3.5), 15 steps, each one multiplying (x, y) by 0.8. */
    static final double BOWL_LR = 0.1;
    static final int BOWL_STEPS = 15;
    static final double BOWL_X0 = -4;
    static final double BOWL_Y0 = 3.5;

    /**
     * Descends {@code surface} with {@code optimizer} from (x0, y0) until the goal, a non-finite
     * point, or {@code maxSteps}.
     */
    static Trajectory descend(Surface surface, double x0, double y0, double lr, Racer racer,
            int maxSteps, Goal goal) {
        final float[] p = {(float) x0, (float) y0};
        final float[] grad = new float[2];
        final double[] xs = new double[maxSteps + 1];
        final double[] ys = new double[maxSteps + 1];
        xs[0] = p[0];
        ys[0] = p[1];
        int t = 0;
        int reached = -1;
        try (Optimizer<?> optimizer = racer.optimizer().apply(lr, List.of(Parameter.ofArrays("p", p, grad)))) {
            while (t < maxSteps && reached < 0 && Double.isFinite(xs[t] + ys[t])) {
                grad[0] = (float) surface.dfdx().applyAsDouble(p[0], p[1]);
                grad[1] = (float) surface.dfdy().applyAsDouble(p[0], p[1]);
                optimizer.step();
                t++;
                xs[t] = p[0];
                ys[t] = p[1];
                if (goal.reached(p[0], p[1])) {
                    reached = t;
                }
            }
        }
        return new Trajectory(Arrays.copyOf(xs, t + 1), Arrays.copyOf(ys, t + 1), reached);
    }

    /** Runs every racer on {@code race}, in {@link #RACERS} order. */
    static List<Trajectory> race(Race race) {
        final List<Trajectory> paths = new ArrayList<>();
        for (int r = 0; r < RACERS.size(); r++) {
            paths.add(descend(race.surface(), race.x0(), race.y0(), race.lrs()[r], RACERS.get(r),
                    race.maxSteps(), race.goal()));
        }
        return paths;
    }

    public static Outcome run(Path plots) {
        System.out.println("== 5. Descent paths in 2-D ==");
        final Trajectory bowl = descend(BOWL, BOWL_X0, BOWL_Y0, BOWL_LR, RACERS.get(0), BOWL_STEPS,
                (x, y) -> false);
        final double shrink = Math.pow(1 - 2 * BOWL_LR, BOWL_STEPS);
        final double bx = bowl.x()[BOWL_STEPS];
        final double by = bowl.y()[BOWL_STEPS];
        System.out.printf("   GD on x^2 + y^2 from (%.0f, %.1f), lr %s, %d steps: (%.4f, %.4f);%n   each step"
                + " multiplies (x, y) by 1 - 2*lr = %.1f, so exactly %.4f x the start: (%.4f, %.4f)%n",
                BOWL_X0, BOWL_Y0, BOWL_LR, BOWL_STEPS, bx, by, 1 - 2 * BOWL_LR, shrink, shrink * BOWL_X0,
                shrink * BOWL_Y0);
        final List<Path> files = new ArrayList<>();
        final XYChart bowlChart = Plots.contourChart("GD on x² + y², lr 0.1, 15 steps from (−4, 3.5)",
                BOWL.f(), new Plots.Window(-5, 5, -4, 4), squares(1, 5));
        Plots.path(bowlChart, "GD", bowl.x(), bowl.y());
        files.add(Plots.save(bowlChart, plots, "5-paths-bowl"));

        final List<List<Trajectory>> results = new ArrayList<>();
        for (Race race : RACES) {
            final List<Trajectory> paths = race(race);
            results.add(paths);
            files.add(plot(race, paths, plots));
        }
        printTable(results);
        final List<Trajectory> saddle = results.get(RACES.indexOf(race("saddle")));
        final StringBuilder firstSteps = new StringBuilder();
        for (int r = 0; r < RACERS.size(); r++) {
            firstSteps.append(String.format("%s %s %.2g", r == 0 ? "\n  " : ",", RACERS.get(r).name(),
                    firstStepAlongY(saddle.get(r))));
        }
        System.out.println("   the ravine punishes GD (its lr is set by the steep wall). On the saddle the slope along y"
                + " starts\n   tiny (0.002): GD and momentum step along y in proportion to it; AdaGrad and Adam divide by"
                + " the\n   gradient's size and step by about their lr however small it is, RMSProp by 10 x lr at first"
                + "\n   (its average of squares starts at zero, without Adam's bias correction). The two largest"
                + " first\n   steps along y escape before the others; first step along y:" + firstSteps + ".");
        System.out.println("   plots: " + String.join(", ", files.stream().map(f -> f.getFileName().toString())
                .toList()));

        final List<String> problems = new ArrayList<>();
        if (!(Math.abs(bx - shrink * BOWL_X0) < 1e-5 && Math.abs(by - shrink * BOWL_Y0) < 1e-5)) {
            problems.add("bowl: GD ended at (" + bx + ", " + by + "), expected 0.8^15 x (-4, 3.5)");
        }
        for (int k = 0; k < RACES.size(); k++) {
            final Race race = RACES.get(k);
            final long arrived = results.get(k).stream().filter(t -> t.stepsToGoal() >= 0).count();
            if (arrived < race.mustArrive()) {
                problems.add(race.name() + ": " + arrived + " optimizers reached " + race.goalText()
                        + ", expected at least " + race.mustArrive());
            }
        }
        final Race ravineRace = race("ravine");
        final List<Trajectory> ravine = results.get(RACES.indexOf(ravineRace));
        for (int r = 1; r < RACERS.size(); r++) {
            if (rank(ravine.get(r)) >= rank(ravine.get(0))) {
                problems.add("ravine: " + RACERS.get(r).name() + " took " + steps(ravine.get(r), ravineRace)
                        + " steps, expected fewer than GD's " + steps(ravine.get(0), ravineRace));
            }
        }
        final List<String> fastestOut = IntStream.range(0, RACERS.size()).boxed()
                .sorted(Comparator.comparingInt(r -> rank(saddle.get(r))))
                .limit(2).map(r -> RACERS.get(r).name()).toList();
        if (!Set.copyOf(fastestOut).equals(Set.of("RMSProp", "AdaGrad"))) {
            problems.add("saddle: the fastest to escape were " + fastestOut + ", expected RMSProp and AdaGrad");
        }
        final StringBuilder key = new StringBuilder("steps:");
        for (int k = 0; k < RACES.size(); k++) {
            final List<Trajectory> paths = results.get(k);
            int best = 0;
            for (int r = 1; r < paths.size(); r++) {
                if (rank(paths.get(r)) < rank(paths.get(best))) {
                    best = r;
                }
            }
            key.append(String.format(" %s %s %s, GD %s;", RACES.get(k).name(), RACERS.get(best).name(),
                    steps(paths.get(best), RACES.get(k)), steps(paths.get(0), RACES.get(k))));
        }
        key.setLength(key.length() - 1);
        return new Outcome("descent paths", key.toString(), problems);
    }

    private static Race race(String name) {
        return RACES.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    private static void printTable(List<List<Trajectory>> results) {
        for (Race race : RACES) {
            System.out.printf("   %-10s f = %s from (%s, %s); goal %s; at most %d steps%n", race.name(),
                    ascii(race.surface().formula()), race.x0(), race.y0(), race.goalText(), race.maxSteps());
        }
        System.out.println("   steps to the goal (learning rate)");
        final StringBuilder header = new StringBuilder(String.format("   %-10s", "optimizer"));
        for (Race race : RACES) {
            header.append(String.format(" %-18s", race.name()));
        }
        System.out.println(header.toString().stripTrailing());
        for (int r = 0; r < RACERS.size(); r++) {
            final StringBuilder line = new StringBuilder(String.format("   %-10s", RACERS.get(r).name()));
            for (int k = 0; k < RACES.size(); k++) {
                line.append(String.format(" %-18s", String.format("%6s (lr %s)",
                        steps(results.get(k).get(r), RACES.get(k)), RACES.get(k).lrs()[r])));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    private static Path plot(Race race, List<Trajectory> paths, Path dir) {
        final XYChart chart = Plots.contourChart(race.name() + " " + race.surface().formula() + " from ("
                + race.x0() + ", " + race.y0() + ")", race.surface().f(), race.window(), race.levels());
        for (int r = 0; r < RACERS.size(); r++) {
            final Trajectory t = paths.get(r);
            Plots.path(chart, RACERS.get(r).name() + " (" + steps(t, race) + ")", t.x(), t.y());
        }
        return Plots.save(chart, dir, "5-paths-" + race.name().toLowerCase());
    }

    /** Steps to the goal as text; "> limit" when not reached in time, "diverged" when it blew up. */
    private static String steps(Trajectory t, Race race) {
        if (t.stepsToGoal() >= 0) {
            return Integer.toString(t.stepsToGoal());
        }
        return t.x().length <= race.maxSteps() ? "diverged" : ">" + race.maxSteps();
    }

    /** How far the first step moved along y. */
    static double firstStepAlongY(Trajectory t) {
        return Math.abs(t.y()[1] - t.y()[0]);
    }

    private static int rank(Trajectory t) {
        return t.stepsToGoal() < 0 ? Integer.MAX_VALUE : t.stepsToGoal();
    }

    /** The console may not show ², −: plain ASCII for the tables. */
    private static String ascii(String formula) {
        return formula.replace("²", "^2").replace("−", "-");
    }

    /** Levels a·1², a·2², ..., a·n²: evenly spaced rings on a quadratic bowl. */
    private static double[] squares(double a, int n) {
        final double[] levels = new double[n];
        for (int k = 1; k <= n; k++) {
            levels[k - 1] = a * k * k;
        }
        return levels;
    }

    /** Levels ±1², ..., ±n² and 0: the hyperbolas of a saddle and its two asymptotes. */
    private static double[] signedSquares(int n) {
        final double[] levels = new double[2 * n + 1];
        for (int k = 1; k <= n; k++) {
            levels[2 * k - 2] = k * k;
            levels[2 * k - 1] = -k * k;
        }
        return levels;
    }

    public static void main(String[] args) {
        Sample.runAlone(DescentPaths::run);
    }

    private DescentPaths() {
    }
}
