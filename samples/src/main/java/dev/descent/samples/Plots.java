package dev.descent.samples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The few XChart calls the samples share: a chart in one style, series, contours, PNG files. */
public final class Plots {

    /** System property: the folder the plots go to (the pom passes {@code samples/target/tour}). */
    public static final String OUTPUT_PROP_NAME = "samples.output";
    /** Default folder, relative to the working directory, when the property is not set. */
    public static final String OUTPUT_DEFAULT = "target/tour";

    /** Default size in pixels: readable on a laptop screen and in a README. */
    static final int WIDTH = 800;
    static final int HEIGHT = 500;
    /**
     * Colours that stay apart from one another (Tableau 10); XChart's default theme has two
     * yellows, which would make two optimizers look alike.
     */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};
    private static final Color CONTOUR_GREY = new Color(200, 200, 200);
    /** Beyond this many points, dots on a path merge into a thick line and hide the others. */
    static final int MAX_MARKED_POINTS = 60;
    /** Pixels above a grid of charts for its title. */
    static final int GRID_HEADER = 40;

    /** A rectangle of the plane to draw. */
    record Window(double xMin, double xMax, double yMin, double yMax) {
    }

    static {
        // The samples only write files; without this, AWT would look for a display and fail on a
        // server. Set here too, not only in the pom, so that a sample started from an IDE works.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** The folder named by {@value #OUTPUT_PROP_NAME}, created if needed, as an absolute path. */
    public static Path outputDirectory() {
        final Path dir = Path.of(System.getProperty(OUTPUT_PROP_NAME, OUTPUT_DEFAULT)).toAbsolutePath()
                .normalize();
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the plot folder " + dir, e);
        }
    }

    /** An empty line chart in the samples' style. */
    static XYChart chart(String title, String xTitle, String yTitle) {
        return chart(title, xTitle, yTitle, WIDTH, HEIGHT);
    }

    /** An empty line chart in the samples' style, of the given size in pixels. */
    static XYChart chart(String title, String xTitle, String yTitle, int width, int height) {
        final XYChart chart = new XYChartBuilder().width(width).height(height).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        final XYStyler styler = chart.getStyler();
        styler.setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line);
        styler.setLegendPosition(LegendPosition.InsideNE);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setLegendBorderColor(Color.LIGHT_GRAY);
        styler.setPlotGridLinesColor(new Color(235, 235, 235));
        styler.setMarkerSize(5);
        styler.setSeriesColors(PALETTE);
        return chart;
    }

    /** The k-th colour of the charts' palette, to give related series the same colour. */
    static Color color(int k) {
        return PALETTE[k % PALETTE.length];
    }

    /** A line without markers. */
    static XYSeries line(XYChart chart, String name, double[] x, double[] y) {
        final XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        return series;
    }

    /** Dots without a line. */
    static XYSeries points(XYChart chart, String name, double[] x, double[] y) {
        final XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
        series.setMarker(SeriesMarkers.CIRCLE);
        return series;
    }

    /** A dashed horizontal line at {@code y} across {@code [x0, x1]}, e.g. a known optimum. */
    static XYSeries reference(XYChart chart, String name, double x0, double x1, double y) {
        final XYSeries series = line(chart, name, new double[] {x0, x1}, new double[] {y, y});
        series.setLineColor(Color.DARK_GRAY);
        series.setLineStyle(SeriesLines.DASH_DASH);
        return series;
    }

    /**
     * How far each value is above {@code best}, as {@code value / best − 1}: on a log axis this
     * shows the last digits of convergence that a plain loss curve flattens. Floored at 1e-6,
     * since a log axis cannot show 0 and closer than that is the same fit.
     */
    static double[] excess(double[] values, double best) {
        final double[] excess = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            excess[i] = Math.max(values[i] / best - 1, 1e-6);
        }
        return excess;
    }

    /** 1, 2, ..., n: the x axis of a per-epoch curve. */
    static double[] epochs(int n) {
        final double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        return x;
    }

    /** 0, 1, ..., n - 1: the x axis of a per-step or per-epoch curve. */
    static double[] indices(int n) {
        final double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
        }
        return x;
    }

    /**
     * A chart of the window with grey contour lines of {@code f} at {@code levels}, to draw paths
     * on. Its size keeps one unit as long on both axes, so circles look round.
     */
    static XYChart contourChart(String title, DoubleBinaryOperator f, Window window,
            double... levels) {
        final int plotWidth = 640;
        final int plotHeight = (int) Math.round(plotWidth * (window.yMax() - window.yMin())
                / (window.xMax() - window.xMin()));
        // About 90 pixels of axis labels and 70 of title around the plot area.
        final XYChart chart = chart(title, "x", "y", plotWidth + 90, plotHeight + 110);
        final XYStyler styler = chart.getStyler();
        styler.setXAxisMin(window.xMin());
        styler.setXAxisMax(window.xMax());
        styler.setYAxisMin(window.yMin());
        styler.setYAxisMax(window.yMax());
        styler.setPlotGridLinesVisible(false);
        styler.setLegendPosition(LegendPosition.InsideSE);
        styler.setPlotContentSize(1.0);
        // Series take colours in order, the contours first: give them grey, the paths the palette.
        final Color[] colors = new Color[PALETTE.length + 1];
        colors[0] = CONTOUR_GREY;
        System.arraycopy(PALETTE, 0, colors, 1, PALETTE.length);
        styler.setSeriesColors(colors);
        final double[][] lines = Contours.of(f, window, 200, levels);
        final XYSeries contours = line(chart, "contours", lines[0], lines[1]);
        contours.setLineStyle(new BasicStroke(0.8f));
        contours.setShowInLegend(false);
        return chart;
    }

    /** A path: a line through the iterates, each a dot when there are few enough to tell apart. */
    static XYSeries path(XYChart chart, String name, double[] x, double[] y) {
        final XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(x.length <= MAX_MARKED_POINTS ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        series.setLineStyle(new BasicStroke(1.5f));
        return series;
    }

    /** Writes {@code chart} as {@code dir/name.png} and returns the file. */
    static Path save(XYChart chart, Path dir, String name) {
        final Path file = dir.resolve(name + ".png");
        try {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /**
     * Writes {@code charts} side by side, {@code columns} to a row in the order given, under a
     * common {@code title}, as {@code dir/name.png}: small multiples, where one chart with every
     * series would be a tangle. Each column is as wide as its widest chart, each row as tall as
     * its tallest.
     */
    static Path saveGrid(String title, List<XYChart> charts, int columns, Path dir, String name) {
        final int rows = (charts.size() + columns - 1) / columns;
        final int[] x = new int[columns + 1];
        final int[] y = new int[rows + 1];
        y[0] = GRID_HEADER;
        for (int k = 0; k < charts.size(); k++) {
            x[k % columns + 1] = Math.max(x[k % columns + 1], charts.get(k).getWidth());
            y[k / columns + 1] = Math.max(y[k / columns + 1], charts.get(k).getHeight());
        }
        for (int i = 1; i < x.length; i++) {
            x[i] += x[i - 1];
        }
        for (int i = 1; i < y.length; i++) {
            y[i] += y[i - 1];
        }
        final BufferedImage image = new BufferedImage(x[columns], y[rows], BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
            final int titleWidth = g.getFontMetrics().stringWidth(title);
            g.drawString(title, (image.getWidth() - titleWidth) / 2, GRID_HEADER - 12);
            for (int k = 0; k < charts.size(); k++) {
                g.drawImage(BitmapEncoder.getBufferedImage(charts.get(k)), x[k % columns], y[k / columns], null);
            }
        } finally {
            g.dispose();
        }
        final Path file = dir.resolve(name + ".png");
        try {
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    private Plots() {
    }
}
