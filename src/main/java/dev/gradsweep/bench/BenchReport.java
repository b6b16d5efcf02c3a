package dev.gradsweep.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The step-time figures of {@code bench} as printed: a markdown table of the statistics' overhead per net and one of
 * the other engines, or csv ({@code net,stats,ms_per_step,variant,ratio_to_bare}), one row per variant.
 */
final class BenchReport {
    private final String setup;
    private final List<String[]> rows = new ArrayList<>(), others = new ArrayList<>(), perRunStep = new ArrayList<>();
    private final List<String> csv = new ArrayList<>();

    /** @param setup what the figures were measured with, the table's first line */
    BenchReport(String setup) {
        this.setup = setup;
    }

    /**
     * One net's figures: {@code t} holds {@link BenchVariants#BARE}, {@link BenchVariants#STATS} and the other engines
     * timed with them, in the order they are listed; {@code stacked}, {@code stackedPortable}: ms per run-step of the
     * stacked variant through the host-direct and the portable path, NaN if not timed (the net does not stack). The
     * csv gives the stacked rows' ratio to the bare loop too.
     */
    void add(String net, Map<String, PairedTiming> t, double stacked, double stackedPortable) {
        PairedTiming bare = t.get(BenchVariants.BARE), stats = t.get(BenchVariants.STATS);
        rows.add(new String[] {
            net,
            fmt(bare.ms()),
            fmt(stats.ms()),
            String.format(Locale.ROOT, "%+.1f", 100 * (stats.ratio() - 1)),
            String.format(Locale.ROOT, "%+.1f … %+.1f", 100 * (stats.q1() - 1), 100 * (stats.q3() - 1)),
            String.format(Locale.ROOT, "%+.1f", 100 * (stats.total() - 1)),
            fmt(stacked),
            fmt(stackedPortable)
        });
        // what a sweep pays per run and step with statistics: the stack where the engine builds the net
        boolean stacks = !Double.isNaN(stacked);
        double best = stacks ? stacked : stats.ms();
        perRunStep.add(new String[] {
            net,
            stacks ? "stacked x" + BenchVariants.STACK : "one by one (DL4J loop)",
            fmt(best),
            String.format(Locale.ROOT, "%.2fx", best / bare.ms())
        });
        csv.add(String.join(",", net, "off", fmt(bare.ms()), BenchVariants.BARE, "1.000"));
        csv.add(String.join(",", net, "on", fmt(stats.ms()), BenchVariants.STATS, fmt3(stats.ratio())));
        if (!Double.isNaN(stacked))
            csv.add(String.join(
                    ",",
                    net + "_stacked" + BenchVariants.STACK,
                    "on",
                    fmt(stacked),
                    BenchVariants.STACKED,
                    fmt3(stacked / bare.ms())));
        if (!Double.isNaN(stackedPortable))
            csv.add(String.join(
                    ",",
                    net + "_stacked" + BenchVariants.STACK + "_portable",
                    "on",
                    fmt(stackedPortable),
                    BenchVariants.STACKED_PORTABLE,
                    fmt3(stackedPortable / bare.ms())));
        t.forEach((name, x) -> {
            if (name.equals(BenchVariants.BARE) || name.equals(BenchVariants.STATS)) return;
            others.add(new String[] {
                net, name, fmt(x.ms()), String.format(Locale.ROOT, "%.2fx (%.2f … %.2f)", x.ratio(), x.q1(), x.q3())
            });
            // (net, stats) stays unique as before: a variant other than the DL4J loop names itself in the net too
            csv.add(String.join(
                    ",",
                    net + "_" + name,
                    name.equals(BenchVariants.STATS_PORTABLE) ? "on" : "off",
                    fmt(x.ms()),
                    name,
                    fmt3(x.ratio())));
        });
    }

    void print(boolean asCsv, PrintStream out) {
        if (asCsv) {
            out.println("net,stats,ms_per_step,variant,ratio_to_bare");
            csv.forEach(out::println);
            return;
        }
        out.println(setup);
        out.println();
        out.println(
                "| net | bare ms/step | with statistics ms/step | overhead % (median of rounds) | overhead, quartiles | overhead, total time | stacked x"
                        + BenchVariants.STACK + " with statistics, ms per run-step | the same, portable path |");
        out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (String[] r : rows) out.println("| " + String.join(" | ", r) + " |");
        out.println();
        out.println(
                "Per run and step with statistics, on the engine a sweep uses for the net (the stacked figure is timed"
                        + " after the rounds, so its ratio is of medians, not paired):");
        out.println();
        out.println("| net | engine | with statistics, ms per run-step | / bare DL4J loop, one run |");
        out.println("|---|---|---:|---:|");
        for (String[] r : perRunStep) out.println("| " + String.join(" | ", r) + " |");
        if (!others.isEmpty()) {
            out.println();
            out.println("Other engines and paths, interleaved with the above (" + BenchVariants.STATS_PORTABLE
                    + ": the statistics through the portable path, as on a GPU; without statistics: "
                    + BenchVariants.FIT + ": DL4J's fit; " + BenchVariants.SAMEDIFF_DLDA
                    + ": SameDiff also returning dL/da of every layer):");
            out.println();
            out.println("| net | variant | ms/step | / bare DL4J loop, median of rounds (quartiles) |");
            out.println("|---|---|---:|---:|");
            for (String[] r : others) out.println("| " + String.join(" | ", r) + " |");
        }
    }

    static String fmt3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }
}
