package dev.gradsweep.report;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The report being written: its README's markdown and the plots saved beside it. */
final class ReportPage {
    final Path to;
    final StringBuilder md = new StringBuilder();
    final List<Path> images = new ArrayList<>();

    ReportPage(Path to) {
        this.to = to;
    }

    /** Saves a chart as a PNG in the report directory. */
    Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> c, String name) throws IOException {
        Path p = to.resolve(name);
        Charts.save(c, p);
        images.add(p);
        return p;
    }

    /** Embeds a saved plot in the README. */
    void image(String name, String alt) {
        md.append("![").append(alt).append("](").append(name).append(")\n\n");
    }
}
