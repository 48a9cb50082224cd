package dev.descent.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

class PlotsTest {

    /** Every contour point of x² + y² = r² lies on its circle, up to the grid's linear interpolation. */
    @Test
    void contoursOfABowlAreCircles() {
        final double[][] lines = Contours.of((x, y) -> x * x + y * y, new Plots.Window(-3, 3, -3, 3), 120, 1, 4);
        assertEquals(lines[0].length, lines[1].length);
        int points = 0;
        for (int i = 0; i < lines[0].length; i++) {
            if (i % 3 == 2) {
                assertTrue(Double.isNaN(lines[0][i]), "every third point lifts the pen");
                continue;
            }
            final double r = Math.hypot(lines[0][i], lines[1][i]);
            assertTrue(Math.abs(r - 1) < 1e-3 || Math.abs(r - 2) < 1e-3, "radius " + r);
            points++;
        }
        assertTrue(points > 200, points + " points");
    }

    @Test
    void chartsAreWrittenAsPng(@TempDir Path dir) throws IOException {
        final XYChart chart = Plots.contourChart("test", (x, y) -> x * x - y * y, new Plots.Window(-1, 1, -1, 1),
                0.25, -0.25);
        Plots.path(chart, "path", new double[] {-1, 0}, new double[] {0.1, 0.5});
        final Path file = Plots.save(chart, dir, "test");
        final byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        assertArrayEquals(png, Arrays.copyOf(Files.readAllBytes(file), 4));
    }

    @Test
    void gridsStackChartsUnderATitle(@TempDir Path dir) throws IOException {
        final XYChart small = Plots.chart("a", "x", "y", 300, 200);
        final XYChart tall = Plots.chart("b", "x", "y", 300, 260);
        final XYChart wide = Plots.chart("c", "x", "y", 400, 200);
        for (XYChart chart : List.of(small, tall, wide)) {
            Plots.line(chart, "line", new double[] {0, 1}, new double[] {0, 1});
        }
        final Path file = Plots.saveGrid("grid", List.of(small, tall, wide), 2, dir, "grid");
        final var image = ImageIO.read(file.toFile());
        // Columns as wide as their widest chart (400 + 300), rows as tall as their tallest (260 + 200).
        assertEquals(700, image.getWidth());
        assertEquals(Plots.GRID_HEADER + 260 + 200, image.getHeight());
    }
}
