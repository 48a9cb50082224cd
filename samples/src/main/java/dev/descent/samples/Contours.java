package dev.descent.samples;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;

/**
 * Level sets of a function of two variables, by marching squares: XChart has no contour chart,
 * but a contour is only line segments, and one line series draws any number of them when they
 * are separated by NaN (XChart lifts the pen at a NaN).
 */
final class Contours {

    /**
     * The curves {@code f(x, y) = level} for each level, over the window, sampled on a grid of
     * {@code cells} x {@code cells} squares.
     *
     * @return {x, y}: each segment as two points followed by a NaN
     */
    static double[][] of(DoubleBinaryOperator f, Plots.Window window, int cells, double... levels) {
        final double dx = (window.xMax() - window.xMin()) / cells;
        final double dy = (window.yMax() - window.yMin()) / cells;
        final double[][] v = new double[cells + 1][cells + 1];
        for (int i = 0; i <= cells; i++) {
            for (int j = 0; j <= cells; j++) {
                v[i][j] = f.applyAsDouble(window.xMin() + i * dx, window.yMin() + j * dy);
            }
        }
        final Segments out = new Segments();
        final double[] crossings = new double[8]; // up to 4 points (x, y) per square
        for (double level : levels) {
            for (int i = 0; i < cells; i++) {
                for (int j = 0; j < cells; j++) {
                    final double x0 = window.xMin() + i * dx;
                    final double y0 = window.yMin() + j * dy;
                    // Corners counter-clockwise from bottom left; an edge holds a point of the
                    // level set where one end is at or above the level and the other below.
                    final double a = v[i][j];
                    final double b = v[i + 1][j];
                    final double c = v[i + 1][j + 1];
                    final double d = v[i][j + 1];
                    int n = 0;
                    n = edge(crossings, n, level, a, b, x0, y0, x0 + dx, y0);
                    n = edge(crossings, n, level, b, c, x0 + dx, y0, x0 + dx, y0 + dy);
                    n = edge(crossings, n, level, c, d, x0 + dx, y0 + dy, x0, y0 + dy);
                    n = edge(crossings, n, level, d, a, x0, y0 + dy, x0, y0);
                    // 2 points: one segment; 4 (a saddle square): pair them in order, which at
                    // this grid size is never visibly wrong.
                    for (int k = 0; k + 1 < n; k += 2) {
                        out.add(crossings[2 * k], crossings[2 * k + 1],
                                crossings[2 * k + 2], crossings[2 * k + 3]);
                    }
                }
            }
        }
        return new double[][] {out.xs(), out.ys()};
    }

    /** Adds the point where the level crosses the edge from p to q, if it does, by linear interpolation. */
    private static int edge(double[] crossings, int n, double level, double fp, double fq,
            double px, double py, double qx, double qy) {
        if ((fp >= level) == (fq >= level)) {
            return n;
        }
        final double t = (level - fp) / (fq - fp);
        crossings[2 * n] = px + t * (qx - px);
        crossings[2 * n + 1] = py + t * (qy - py);
        return n + 1;
    }

    /** A growing pair of coordinate arrays. */
    private static final class Segments {
        private double[] x = new double[1024];
        private double[] y = new double[1024];
        private int size;

        void add(double x1, double y1, double x2, double y2) {
            if (size + 3 > x.length) {
                x = Arrays.copyOf(x, 2 * x.length);
                y = Arrays.copyOf(y, 2 * y.length);
            }
            x[size] = x1;
            y[size++] = y1;
            x[size] = x2;
            y[size++] = y2;
            x[size] = Double.NaN;
            y[size++] = Double.NaN;
        }

        double[] xs() {
            return Arrays.copyOf(x, size);
        }

        double[] ys() {
            return Arrays.copyOf(y, size);
        }
    }

    private Contours() {
    }
}
