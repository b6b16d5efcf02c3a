package dev.gradsweep.analysis;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Thresholds of the analysis views. Defaults and their documentation are read from jobs/sql/00_params.sql (the
 * one place they live); overrides are checked here so a typo fails before Spark runs a query.
 */
public final class AnalysisParams {
    public record Param(String key, String defaultValue, String doc) {}

    private static final Pattern SET = Pattern.compile("^SET\\s+(gradsweep\\.\\w+)\\s*=\\s*(\\S+?)\\s*;\\s*$");
    /** Every parameter in file order. */
    public static final Map<String, Param> ALL = load();

    private AnalysisParams() {}

    private static Map<String, Param> load() {
        Map<String, Param> m = new LinkedHashMap<>();
        String doc = "";
        for (String line : SqlScript.resource(SqlScript.PARAMS_FILE).split("\n")) {
            String t = line.strip();
            Matcher s = SET.matcher(t);
            if (s.matches()) {
                m.put(s.group(1), new Param(s.group(1), s.group(2), doc));
                doc = "";
            } else if (t.startsWith("--")) doc = t.substring(2).strip();
            else doc = "";
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * Defaults with the overrides applied. Keys may omit the "gradsweep." prefix; values must be numbers (the window
     * an integer). Unknown keys and bad values throw {@link IllegalArgumentException} naming the allowed keys.
     */
    public static Map<String, String> resolve(Map<String, String> overrides) {
        Map<String, String> v = new LinkedHashMap<>();
        ALL.values().forEach(p -> v.put(p.key(), p.defaultValue()));
        if (overrides != null)
            overrides.forEach((k0, val) -> {
                String k = k0.startsWith("gradsweep.") ? k0 : "gradsweep." + k0;
                if (!ALL.containsKey(k))
                    throw new IllegalArgumentException(
                            "--conf " + k0 + ": unknown parameter; allowed: " + String.join(", ", ALL.keySet()));
                double d;
                try {
                    d = Double.parseDouble(val.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--conf " + k0 + "=" + val + ": not a number");
                }
                if (!(d >= 0) || Double.isInfinite(d))
                    throw new IllegalArgumentException("--conf " + k0 + "=" + val + ": must be a finite number >= 0");
                if (k.equals("gradsweep.loss_window") && (d != Math.rint(d) || d < 1))
                    throw new IllegalArgumentException(
                            "--conf " + k0 + "=" + val + ": must be a whole number of steps >= 1");
                v.put(k, k.equals("gradsweep.loss_window") ? Long.toString((long) d) : Double.toString(d));
            });
        return v;
    }

    public static double value(Map<String, String> resolved, String shortKey) {
        return Double.parseDouble(resolved.get("gradsweep." + shortKey));
    }

    /** One line per parameter for --help texts (docs/analysis.md has the same table). */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        ALL.values().forEach(p -> sb.append(String.format("  %-31s %-6s %s%n", p.key(), p.defaultValue(), p.doc())));
        return sb.toString();
    }
}
