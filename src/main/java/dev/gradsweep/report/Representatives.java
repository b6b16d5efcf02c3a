package dev.gradsweep.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Which configurations and runs a report draws when the sweep has more than its plots can show: configurations
 * (seeds are replicates) labelled by the axes that vary, and representatives spread evenly over a ranking.
 */
final class Representatives {
    private Representatives() {}

    /** Axes that vary in this sweep, in the verdicts view's column order (axis_effects names them). */
    static List<String> varyingAxes(List<Map<String, Object>> verdicts, List<Map<String, Object>> effects) {
        Set<String> named = effects.stream().map(e -> (String) e.get("axis")).collect(Collectors.toSet());
        if (verdicts.isEmpty()) return List.of();
        List<String> axes = new ArrayList<>(
                verdicts.get(0).keySet().stream().filter(named::contains).toList());
        // a model factory's custom axes (axis_effects' custom.<name>) live in the custom column, not a column each
        named.stream().filter(a -> a.startsWith(CUSTOM)).sorted().forEach(axes::add);
        return axes;
    }

    static final String CUSTOM = "custom.";

    /** A run's value of an axis: its column, or for custom.<name> that name's value in the custom column. */
    static Object value(Map<String, Object> v, String axis) {
        if (!axis.startsWith(CUSTOM)) return v.get(axis);
        Object custom = v.get("custom");
        if (custom == null) return null;
        for (String kv : custom.toString().split(";")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals(axis.substring(CUSTOM.length()))) return kv.substring(eq + 1);
        }
        return null;
    }

    /** The same as a Spark SQL string expression over the runs (or verdicts) alias {@code r}. */
    static String sqlValue(String axis, String r) {
        return axis.startsWith(CUSTOM)
                ? "str_to_map(" + r + ".custom, ';', '=')['" + axis.substring(CUSTOM.length()) + "']"
                : "cast(" + r + "." + axis + " AS string)";
    }

    static String label(Map<String, Object> v, List<String> axes) {
        // a model factory's run has no activation of gradsweep's: its custom values name it
        if (axes.isEmpty()) return String.valueOf(v.get("activation") != null ? v.get("activation") : v.get("custom"));
        return axes.stream()
                .map(a -> {
                    Object x = value(v, a);
                    return switch (a) {
                        case "activation", "init", "cell", "rec_init" -> String.valueOf(x);
                        default -> (a.startsWith(CUSTOM) ? a.substring(CUSTOM.length()) : a) + " "
                                + (x instanceof Number n ? Findings.fmt(n.doubleValue()) : String.valueOf(x));
                    };
                })
                .collect(Collectors.joining(" · "));
    }

    /** Runs grouped by configuration (seeds are replicates). */
    static Map<String, List<Map<String, Object>>> configs(
            List<Map<String, Object>> verdicts, Map<String, String> labelOf) {
        Map<String, List<Map<String, Object>>> m = new TreeMap<>();
        for (Map<String, Object> v : verdicts)
            m.computeIfAbsent(labelOf.get((String) v.get("run_id")), k -> new ArrayList<>())
                    .add(v);
        return m;
    }

    /** At most maxLines configurations, spread over the range of their median delta slopes. */
    static List<String> representativeConfigs(Map<String, List<Map<String, Object>>> configs, int maxLines) {
        return representativeConfigs(configs, maxLines, "slope_delta");
    }

    /** At most maxLines configurations, spread over the range of their medians of a verdicts column. */
    static List<String> representativeConfigs(
            Map<String, List<Map<String, Object>>> configs, int maxLines, String column) {
        List<String> names = new ArrayList<>(configs.keySet());
        names.sort(Comparator.comparingDouble(c -> medianOf(configs.get(c), column)));
        return spread(names, maxLines);
    }

    /** At most n items evenly spread over a sorted list, both ends included. */
    static <T> List<T> spread(List<T> sorted, int n) {
        if (sorted.size() <= n) return sorted;
        Set<T> out = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) out.add(sorted.get((int) Math.round(i * (sorted.size() - 1) / (double) (n - 1))));
        return new ArrayList<>(out);
    }

    static double medianOf(List<Map<String, Object>> runs, String col) {
        double[] v = runs.stream()
                .mapToDouble(r -> Findings.num(r, col))
                .filter(d -> !Double.isNaN(d))
                .sorted()
                .toArray();
        return v.length == 0 ? Double.POSITIVE_INFINITY : v[v.length / 2];
    }

    /** Numeric values in numeric order (depth 5 before 20), others alphabetically. */
    static Comparator<String> valueOrder() {
        return (a, b) -> {
            try {
                return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
            } catch (NumberFormatException e) {
                return a.compareTo(b);
            }
        };
    }
}
