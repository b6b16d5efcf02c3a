package dev.gradsweep.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /** Saves chart {@code c} as {@code name}, its lines coloured by name from {@code colours}. */
    Path save(org.knowm.xchart.XYChart c, Map<String, java.awt.Color> colours, String name) throws IOException {
        Charts.colour(c, colours);
        return save(c, name);
    }

    /** Appends one Markdown table row: "| c1 | c2 | … |" and a newline. */
    void row(Object... cells) {
        md.append("| ");
        for (int i = 0; i < cells.length; i++) md.append(i == 0 ? "" : " | ").append(cells[i]);
        md.append(" |\n");
    }

    /** Embeds a saved plot in the README. */
    void image(String name, String alt) {
        md.append("![").append(alt).append("](").append(name).append(")\n\n");
    }

    /**
     * Starts a plot section of one line per configuration: says how many of the configurations are shown (when not
     * all) and that a line is the geometric mean over seeds, without ending the paragraph.
     *
     * @param spanned what the shown configurations were chosen to span ("delta slopes", "decays")
     * @return run id → configuration, for the shown configurations' runs
     */
    Map<String, String> linePerConfiguration(
            Map<String, List<Map<String, Object>>> configs, List<String> shown, String spanned) {
        if (shown.size() < configs.size())
            md.append(shown.size())
                    .append(" of ")
                    .append(configs.size())
                    .append(" configurations, chosen to span the range of ")
                    .append(spanned)
                    .append("; ");
        md.append("each line is the geometric mean over a configuration's seeds.");
        Map<String, String> configOfRun = new LinkedHashMap<>();
        for (String c : shown)
            for (Map<String, Object> v : configs.get(c)) configOfRun.put((String) v.get("run_id"), c);
        return configOfRun;
    }
}
