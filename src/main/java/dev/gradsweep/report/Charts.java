package dev.gradsweep.report;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** XChart plots in one house style (900 x 500 PNG, headless). */
final class Charts {
    /** Line colours, in order. */
    static final java.awt.Color[] PALETTE = {
        new Color(31, 119, 180),
        new Color(214, 39, 40),
        new Color(44, 160, 44),
        new Color(255, 127, 14),
        new Color(148, 103, 189),
        new Color(140, 86, 75),
        new Color(227, 119, 194),
        new Color(127, 127, 127),
        new Color(188, 189, 34),
        new Color(23, 190, 207)
    };

    static final int W = 900, H = 500;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One line of an XY plot; NaN y values are gaps (XChart skips them). */
    record Line(String name, double[] x, double[] y) {}

    private Charts() {}

    static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart c = new XYChart(W, H);
        c.setTitle(title);
        c.setXAxisTitle(xTitle);
        c.setYAxisTitle(yTitle);
        Styler s = c.getStyler();
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        c.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        c.getStyler().setMarkerSize(5);
        return c;
    }

    static XYChart lines(String title, String xTitle, String yTitle, List<Line> lines, boolean markers) {
        XYChart c = xy(title, xTitle, yTitle);
        for (Line l : lines) {
            if (l.x().length == 0) continue;
            XYSeries s = c.addSeries(l.name(), l.x(), l.y());
            if (!markers) s.setMarker(SeriesMarkers.NONE);
        }
        c.getStyler()
                .setLegendVisible(lines.size() > 1
                        || !lines.isEmpty() && !lines.get(0).name().isEmpty());
        return c;
    }

    /** Step outlines of histograms that share bins (shares, not counts, so groups of different sizes compare). */
    static XYChart histogram(String title, String xTitle, String yTitle, List<Line> hists) {
        XYChart c = lines(title, xTitle, yTitle, hists, false);
        c.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Step);
        return c;
    }

    /**
     * A heat map: value[y][x] (NaN = no data), x and y labelled with the given tick values (every k-th shown so
     * labels never overlap); range (lo, hi), when not null, fixes the colour scale (else it spans the values).
     */
    static HeatMapChart heatMap(
            String title, String xTitle, String yTitle, int[] xs, int[] ys, double[][] v, double[] range) {
        // The builder, not the bare constructor: the latter leaves parts of the style unset and paints nothing.
        HeatMapChart c = new HeatMapChartBuilder()
                .width(W)
                .height(H)
                .title(title)
                .xAxisTitle(xTitle)
                .yAxisTitle(yTitle)
                .build();
        c.getStyler().setDrawBorder(false);
        c.getStyler().setPlotGridLinesVisible(false);
        c.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        c.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        c.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        c.getStyler().setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setRangeColors(new Color[] {
            new Color(48, 18, 59),
            new Color(40, 140, 200),
            new Color(120, 220, 90),
            new Color(250, 200, 40),
            new Color(200, 30, 20)
        });
        c.getStyler().setHeatMapValueDecimalPattern("0.0");
        c.getStyler().setHeatMapDecimalValueFormatter(d -> String.format("%.1f", d));
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        List<Number[]> cells = new ArrayList<>();
        for (int y = 0; y < ys.length; y++)
            for (int x = 0; x < xs.length; x++) {
                double d = v[y][x];
                if (Double.isNaN(d) || Double.isInfinite(d)) continue;
                cells.add(new Number[] {x, y, d});
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
        if (cells.isEmpty()) return c;
        if (range != null) {
            min = range[0];
            max = range[1];
        }
        // XChart prints the legend's ends as raw doubles: round them outward to one decimal so they read "-27.9".
        min = Math.floor(min * 10) / 10;
        max = Math.ceil(max * 10) / 10;
        c.getStyler().setMin(min);
        c.getStyler().setMax(max == min ? min + 1 : max);
        c.addSeries("log10", labels(xs, 12), labels(ys, 14), cells);
        return c;
    }

    /**
     * Tick labels for categories: every k-th value so labels never overlap. The others are invisible but distinct
     * (runs of zero-width spaces): XChart's heat map fails on repeated categories.
     */
    static List<String> labels(int[] v, int maxShown) {
        int k = Math.max(1, (int) Math.ceil(v.length / (double) maxShown));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.length; i++) out.add(i % k == 0 ? Integer.toString(v[i]) : "\u200b".repeat(i));
        return out;
    }

    static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path png) throws IOException {
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Fixed colours per name so the same configuration has the same colour in every plot. */
    /** The palette's colours in line order, by line name. */
    static Map<String, Color> paletteByName(List<Line> lines) {
        Map<String, Color> col = new java.util.LinkedHashMap<>();
        for (Line l : lines) col.put(l.name(), PALETTE[col.size() % PALETTE.length]);
        return col;
    }

    static void colour(XYChart c, Map<String, Color> colours) {
        c.getSeriesMap().forEach((n, s) -> {
            Color col = colours.get(n);
            if (col != null) {
                s.setLineColor(col);
                s.setMarkerColor(col);
                s.setFillColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 60));
            }
        });
    }
}
