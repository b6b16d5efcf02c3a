package dev.gradsweep.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
