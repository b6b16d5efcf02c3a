package dev.gradsweep.analysis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SQL files of jobs/sql, shipped in the jar under {@code dev/gradsweep/sql/} (pom {@code <resources>}), so the
 * views' SQL exists once and runs the same in {@code gradsweep} and in spark-sql.
 */
public final class SqlScript {
    /** Analysis view files in dependency order (01_tables.sql is for spark-sql users: gradsweep registers the tables itself). */
    public static final List<String> VIEW_FILES = List.of(
            "10_layer_profile.sql",
            "15_layer_stalls.sql",
            "20_stalls.sql",
            "25_timesteps.sql",
            "30_verdicts.sql",
            "40_axis_effects.sql",
            "50_advice.sql");

    public static final String PARAMS_FILE = "00_params.sql";

    /** The view file that computes layer_stalls, and the one that reads the stored table in its place. */
    public static final String STALLS_FILE = "15_layer_stalls.sql", STALLS_TABLE_FILE = "layer_stalls_table.sql";

    private SqlScript() {}

    public static String resource(String file) {
        try (InputStream in = SqlScript.class.getResourceAsStream("/dev/gradsweep/sql/" + file)) {
            if (in == null)
                throw new IllegalStateException("SQL resource " + file + " missing from the jar (pom <resources>)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Pattern CREATES_VIEW = Pattern.compile("CREATE OR REPLACE TEMPORARY VIEW (\\w+)");

    /** The views a file of jobs/sql creates, in its order. */
    public static List<String> viewsCreatedBy(String file) {
        List<String> views = new ArrayList<>();
        for (Matcher m = CREATES_VIEW.matcher(resource(file)); m.find(); ) views.add(m.group(1));
        return views;
    }

    /** Statements of a script: whole-line "--" comments dropped, split at ';' that ends a line. */
    public static List<String> statements(String script) {
        StringBuilder sb = new StringBuilder();
        for (String line : script.split("\n", -1))
            if (!line.stripLeading().startsWith("--")) sb.append(line).append('\n');
        List<String> out = new ArrayList<>();
        for (String s : sb.toString().split(";[ \\t\\r]*(\\n|$)")) if (!s.isBlank()) out.add(s.strip());
        return out;
    }
}
