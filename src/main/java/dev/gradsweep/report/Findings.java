package dev.gradsweep.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** One sentence per finding, generated from the rows of the verdicts and axis_effects views. */
public final class Findings {
    /** Verdicts in the order the rules test them (jobs/sql/30_verdicts.sql). */
    public static final List<String> VERDICTS = List.of(
            "failed",
            "diverged",
            "exploding",
            "dead",
            "saturated",
            "collapsed",
            "rank_collapse",
            "logit_growth",
            "entropy_collapse",
            "vanishing",
            "frozen",
            "not_learning",
            "progress_unknown",
            "healthy");
    /** The transformers' attention verdicts: columns of the axis_effects table only where a run has one. */
    public static final List<String> ATTENTION_VERDICTS = List.of("rank_collapse", "logit_growth", "entropy_collapse");
    /** |slope| below this counts as a flat weight-gradient profile; a delta slope above the other as a decay. */
    static final double FLAT = 0.1, DECAY = 0.2;

    private Findings() {}

    /**
     * @param verdicts rows of the verdicts view (column name to value)
     * @param effects  rows of the axis_effects view
     * @param label    a run's configuration label (varying axes)
     */
    public static List<String> sentences(
            List<Map<String, Object>> verdicts,
            List<Map<String, Object>> effects,
            Function<Map<String, Object>, String> label) {
        List<String> out = new ArrayList<>();
        out.add(overall(verdicts));
        Map<String, List<Map<String, Object>>> byAxis = effects.stream()
                .collect(Collectors.groupingBy(e -> (String) e.get("axis"), TreeMap::new, Collectors.toList()));
        byAxis.forEach((axis, rows) -> out.add(axis(axis, rows)));
        String hidden = hiddenDecay(verdicts);
        if (hidden != null) out.add(hidden);
        String deepest = deepestStall(verdicts, label);
        if (deepest != null) out.add(deepest);
        out.addAll(throughTime(verdicts, label));
        out.addAll(why(verdicts, label));
        out.addAll(ConvFindings.advice(verdicts, label));
        return out;
    }

    /**
     * One sentence per verdict other than healthy: how many runs, one example with its reason (the verdicts view's
     * numbers in words) and what to try (from the sweep where it shows a fix, otherwise the textbook one).
     */
    static List<String> why(List<Map<String, Object>> verdicts, Function<Map<String, Object>, String> label) {
        List<String> out = new ArrayList<>();
        Map<String, List<Map<String, Object>>> by = verdicts.stream()
                .collect(
                        Collectors.groupingBy(v -> (String) v.get("verdict"), LinkedHashMap::new, Collectors.toList()));
        for (String verdict : VERDICTS) {
            List<Map<String, Object>> runs = by.get(verdict);
            if (runs == null || verdict.equals("healthy")) continue;
            // an example whose advice comes from the sweep, if any run has one
            Map<String, Object> ex = runs.stream()
                    .filter(v -> "sweep".equals(v.get("try_from")))
                    .findFirst()
                    .orElse(runs.get(0));
            StringBuilder s = new StringBuilder(runs.size() + (runs.size() == 1 ? " run is " : " runs are ") + verdict
                    + (runs.size() == 1 ? ": " : ", e.g. ") + label.apply(ex) + " (seed " + ex.get("seed") + ")");
            if (ex.get("reason") != null) s.append(": ").append(ex.get("reason"));
            if (ex.get("try") != null)
                s.append(". Try ")
                        .append(ex.get("try"))
                        .append("sweep".equals(ex.get("try_from")) ? "" : " (the textbook fix)");
            out.add(s.append('.').toString());
        }
        return out;
    }

    static String overall(List<Map<String, Object>> verdicts) {
        Map<String, Long> n = counts(verdicts);
        List<String> parts = new ArrayList<>();
        for (String v : reversed(VERDICTS)) if (n.getOrDefault(v, 0L) > 0) parts.add(n.get(v) + " " + v);
        return "Of " + verdicts.size() + " runs, " + String.join(", ", parts) + ".";
    }

    static Map<String, Long> counts(List<Map<String, Object>> verdicts) {
        return verdicts.stream().collect(Collectors.groupingBy(v -> (String) v.get("verdict"), Collectors.counting()));
    }

    /** Best and worst value of an axis by healthy share (ties: the flatter median delta slope is better). */
    static String axis(String axis, List<Map<String, Object>> rows) {
        // a sweep of recurrent runs only has no depth slopes: compare the decay through time instead
        boolean time = rows.stream().allMatch(r -> Double.isNaN(num(r, "median_slope_delta")))
                && rows.stream().anyMatch(r -> !Double.isNaN(num(r, "median_slope_back")));
        String col = time ? "median_slope_back" : "median_slope_delta",
                what = time ? "median decay through time" : "median delta slope",
                unit = time ? " decades per step back" : " decades per layer";
        Comparator<Map<String, Object>> better = Comparator.<Map<String, Object>>comparingDouble(r -> num(r, "healthy"))
                .thenComparingDouble(r -> -Math.abs(orElse(num(r, col), 1e9)));
        List<Map<String, Object>> sorted = new ArrayList<>(rows);
        sorted.sort(better.reversed());
        Map<String, Object> best = sorted.get(0), worst = sorted.get(sorted.size() - 1);
        boolean held = Boolean.TRUE.equals(best.get("held_fixed"));
        String how = held
                ? " (other axes held fixed)"
                : " (the grid does not hold the other axes fixed: shares over all runs)";
        if (num(best, "healthy") == num(worst, "healthy")) {
            return axis + ": no value changes the verdicts here (" + pct(num(best, "healthy")) + " healthy for each of "
                    + rows.stream().map(r -> (String) r.get("value")).collect(Collectors.joining(", "))
                    + "); " + what + " " + slopes(sorted, col) + how + ".";
        }
        StringBuilder s = new StringBuilder(axis + ": " + best.get("value") + " is healthy in "
                + pct(num(best, "healthy"))
                + " of its " + best.get("runs") + " runs, " + worst.get("value") + " in " + pct(num(worst, "healthy"))
                + mix(worst) + "; " + what + " " + fmt(num(best, col)) + " vs "
                + fmt(num(worst, col)) + unit + how + ".");
        long fixes = ((Number) best.get("fixes")).longValue(),
                broken = ((Number) best.get("broken_contexts")).longValue();
        if (fixes > 0)
            s.append(" Where some ")
                    .append(axis)
                    .append(" fails, ")
                    .append(best.get("value"))
                    .append(" is healthy in ")
                    .append(fixes)
                    .append(" of ")
                    .append(broken)
                    .append(" configurations.");
        return s.toString();
    }

    private static String mix(Map<String, Object> row) {
        List<String> parts = new ArrayList<>();
        for (String v : VERDICTS) if (!v.equals("healthy") && num(row, v) > 0) parts.add(pct(num(row, v)) + " " + v);
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    private static String slopes(List<Map<String, Object>> rows, String col) {
        return rows.stream().map(r -> r.get("value") + " " + fmt(num(r, col))).collect(Collectors.joining(", "));
    }

    /** Runs whose weight gradients look flat while delta decays: what a plot of ||dW|| alone would miss. */
    static String hiddenDecay(List<Map<String, Object>> verdicts) {
        List<Map<String, Object>> hid = verdicts.stream()
                .filter(v ->
                        Math.abs(orElse(num(v, "slope_w"), 1e9)) < FLAT && orElse(num(v, "slope_delta"), 0) > DECAY)
                .toList();
        if (hid.isEmpty()) return null;
        return hid.size() + " run" + (hid.size() == 1 ? " has" : "s have")
                + " a flat weight-gradient profile (|slope_w| < "
                + FLAT + " decades per layer) while delta decays faster than " + DECAY
                + " decades per layer: a plot of ||dL/dW_l|| alone would call " + (hid.size() == 1 ? "it" : "them")
                + " healthy.";
    }

    static String deepestStall(List<Map<String, Object>> verdicts, Function<Map<String, Object>, String> label) {
        Map<String, Object> w = verdicts.stream()
                .filter(v -> v.get("log10_delta_in") != null)
                .min(Comparator.comparingDouble(v -> num(v, "log10_delta_in")))
                .orElse(null);
        if (w == null || num(w, "log10_delta_in") >= -3) return null;
        double l = num(w, "log10_delta_in");
        String how = Double.isInfinite(l)
                ? "exactly 0 at layer 0"
                : "10^" + String.format("%.1f", l) + " of the output layer's at layer 0";
        String s = "The weakest backward signal: " + label.apply(w) + " (seed " + w.get("seed") + ", "
                + w.get("verdict") + "): the median delta is " + how;
        if (w.get("starved_layer_set") != null)
            s += ", and " + (num(w, "starved_layers") == 1 ? "layer " : "layers ") + w.get("starved_layer_set")
                    + (num(w, "starved_layers") == 1 ? " gets" : " get") + " less than the vanishing threshold";
        return s + ".";
    }

    /**
     * Recurrent runs: the shortest memory (where the gradient through time vanishes soonest), the strongest growth
     * through time, and how many runs carry the gradient back to t = 0; one sentence each, from the verdicts' columns.
     */
    static List<String> throughTime(List<Map<String, Object>> verdicts, Function<Map<String, Object>, String> label) {
        List<Map<String, Object>> rec = verdicts.stream()
                .filter(v -> v.get("memory_horizon") != null && v.get("seq_len") != null)
                .toList();
        List<String> out = new ArrayList<>();
        if (rec.isEmpty()) return out;
        Map<String, Object> shortest = rec.stream()
                .min(Comparator.comparingDouble(
                        (Map<String, Object> v) -> num(v, "memory_horizon") / num(v, "seq_len")))
                .get();
        long reach = rec.stream()
                .filter(v -> num(v, "memory_horizon") >= num(v, "seq_len"))
                .count();
        if (num(shortest, "memory_horizon") < num(shortest, "seq_len"))
            out.add("The shortest memory: " + label.apply(shortest) + " (seed " + shortest.get("seed") + ", "
                    + shortest.get("verdict") + "): through time the gradient falls below the vanishing threshold "
                    + shortest.get("memory_horizon") + " steps back from the last of T = " + shortest.get("seq_len")
                    + " (decay " + fmt(num(shortest, "log10_slope_back"))
                    + " decades per step back, median over steps).");
        Map<String, Object> grows = rec.stream()
                .filter(v -> -num(v, "log10_last_over_first") > 0)
                .min(Comparator.comparingDouble(v -> num(v, "log10_last_over_first")))
                .orElse(null);
        if (grows != null)
            out.add("The strongest growth through time: " + label.apply(grows) + " (seed " + grows.get("seed") + ", "
                    + grows.get("verdict") + "): ‖∂L/∂h_0‖ is 10^"
                    + String.format("%.1f", -num(grows, "log10_last_over_first")) + " times ‖∂L/∂h_{T−1}‖ (decay "
                    + fmt(num(grows, "log10_slope_back")) + " decades per step back).");
        out.add(reach + " of " + rec.size() + " recurrent runs carry the gradient back to t = 0 (memory horizon = T, "
                + "median over steps)"
                + (reach == 0
                        ? "."
                        : ", e.g. "
                                + label.apply(rec.stream()
                                        .filter(v -> num(v, "memory_horizon") >= num(v, "seq_len"))
                                        .findFirst()
                                        .get())
                                + "."));
        return out;
    }

    static double num(Map<String, Object> r, String k) {
        Object o = r.get(k);
        return o == null ? Double.NaN : ((Number) o).doubleValue();
    }

    static double orElse(double d, double dflt) {
        return Double.isNaN(d) ? dflt : d;
    }

    static String pct(double share) {
        return Math.round(share * 100) + "%";
    }

    /** Compact number for prose and tables: "–" for missing, 3 significant digits, scientific when tiny or huge. */
    public static String fmt(double d) {
        if (Double.isNaN(d)) return "–";
        if (Double.isInfinite(d)) return d < 0 ? "-∞" : "∞";
        if (d == 0) return "0";
        double a = Math.abs(d);
        if (a < 1e-3 || a >= 1e5) return String.format("%.2e", d);
        return String.format("%.3g", d).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }

    static <T> List<T> reversed(List<T> l) {
        List<T> r = new ArrayList<>(l);
        java.util.Collections.reverse(r);
        return r;
    }

    static Map<String, Long> ordered(Map<String, Long> counts) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String v : reversed(VERDICTS)) if (counts.containsKey(v)) m.put(v, counts.get(v));
        return m;
    }
}
