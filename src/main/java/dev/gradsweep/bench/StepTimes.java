package dev.gradsweep.bench;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.simd.Simd;
import dev.gradsweep.stats.ParamStep;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.stack.StackedMlp;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The step-time figures of {@code bench}: step time with statistics (probe + Parquet rows, as in a sweep) against the
 * same network trained bare, and the other engines (DL4J's fit, SameDiff), interleaved round by round in one process
 * so that machine noise hits every variant alike; medians over rounds are reported, and each variant's ratio to the
 * bare loop paired per round. Then the stacked variant's cost per run-step.
 */
public final class StepTimes {
    /**
     * @param csv          csv instead of the markdown tables
     * @param nets         name prefix of the reference nets to time ("all": every one)
     * @param otherEngines also time DL4J's fit and SameDiff
     * @param warmupSteps  untimed steps of every variant before the rounds (a test of the report's form needs none)
     */
    public record Options(boolean csv, int rounds, int steps, String nets, boolean otherEngines, int warmupSteps) {
        /** The bench's own warm-up ({@link InterleavedRounds#WARMUP_STEPS}). */
        public Options(boolean csv, int rounds, int steps, String nets, boolean otherEngines) {
            this(csv, rounds, steps, nets, otherEngines, InterleavedRounds.WARMUP_STEPS);
        }
    }

    private StepTimes() {}

    /** The native thread settings the figures ran with, as ND4J and its BLAS report them. */
    static String threads() {
        var blas = Nd4j.factory().blas();
        return "threads: ND4J " + Nd4j.getEnvironment().maxThreads() + ", BLAS (" + blas.getBlasVendor() + ") "
                + blas.getMaxThreads() + ", OMP_NUM_THREADS "
                + System.getenv().getOrDefault("OMP_NUM_THREADS", "unset");
    }

    /** Times the nets {@code o} selects, scratch files under {@code tmp}, and prints the report to {@code out}; progress goes to {@code err}. */
    public static void run(Options o, Path tmp, PrintStream out, PrintStream err) throws IOException {
        String setup = "statistics loops: " + Simd.describe() + "; parameter step: "
                + (ParamStep.hostEnabled() ? "host (reducing)" : "ND4J subi") + "; process bound "
                + MemoryGuard.PROPERTY + " = "
                + (MemoryGuard.limit() > 0 ? (MemoryGuard.limit() >> 20) + " MB" : "off") + "; " + threads();
        err.println("bench: " + setup);
        BenchReport report = new BenchReport(setup);
        for (Map.Entry<String, RunConfig> e : BenchNets.selected(o.nets()).entrySet()) {
            String net = e.getKey();
            RunConfig rc = e.getValue();
            List<String> names =
                    new ArrayList<>(List.of(BenchVariants.BARE, BenchVariants.STATS, BenchVariants.STATS_PORTABLE));
            if (o.otherEngines()) names.add(BenchVariants.FIT);
            if (o.otherEngines() && SameDiffMlp.supports(rc))
                names.addAll(List.of(BenchVariants.SAMEDIFF, BenchVariants.SAMEDIFF_DLDA));
            err.println("bench: " + net + " (" + o.rounds() + " rounds x " + o.steps() + " steps per variant: "
                    + String.join(", ", names) + ")");
            Map<String, PairedTiming> t;
            try (BenchVariants v =
                    new BenchVariants(rc, new OutputDir(tmp.resolve(net).toString()))) {
                v.warmWritePath(o.warmupSteps());
                t = InterleavedRounds.time(v, names, o.rounds(), o.steps(), o.warmupSteps());
                // The writers encode a page every 20,000 rows and write row groups later: what is still buffered when
                // the rounds end is encoded and written at close, so that is timed too and counted in the total
                // (conservatively: it includes the warm-up's rows).
                long c0 = System.nanoTime();
                v.close();
                double closeMs = (System.nanoTime() - c0) / 1e6;
                t.put(BenchVariants.STATS, t.get(BenchVariants.STATS).plus(closeMs / o.steps()));
                err.println(String.format(
                        Locale.ROOT, "bench: %s: closing the Parquet writers took %.1f ms", net, closeMs));
            }
            // architectures the stacked engine does not build yet train one by one: no stacked figure
            boolean stacks = StackedMlp.supports(rc);
            double stacked = stacks
                    ? StackedStepTime.of(
                            rc,
                            new OutputDir(tmp.resolve(net + "-stacked").toString()),
                            BenchVariants.STACKED,
                            o.rounds())
                    : Double.NaN;
            double stackedPortable = stacks
                    ? StackedStepTime.of(
                            rc,
                            new OutputDir(tmp.resolve(net + "-stacked-portable").toString()),
                            BenchVariants.STACKED_PORTABLE,
                            o.rounds())
                    : Double.NaN;
            report.add(net, t, stacked, stackedPortable);
        }
        report.print(o.csv(), out);
    }
}
