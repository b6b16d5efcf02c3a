package dev.gradsweep.sweep;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.stack.StackMemory;
import dev.gradsweep.train.stack.StackedMlp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * Groups a sweep's runs into Spark tasks: runs that {@link StackedMlp} can train together (plain or block nets of
 * the same shapes and architecture, differing in seed, initializer, learning rate, warmup or clip value) share a
 * task, the others (recurrent cells) get one task each. Stacks are made no larger than needed to keep every core
 * busy, at most {@link #MAX_STACK} runs, and small enough that the stacks one executor trains at once fit its
 * {@link Budget}.
 */
public final class Stacks {
    /** Largest stack: the size at which the stacked engine's speed-up was measured (docs/platform-notes.md). */
    public static final int MAX_STACK = 32;

    private Stacks() {}

    /**
     * The memory the stacks of one executor may take: {@code share} of its {@code bound} (named by {@code source}),
     * split among the {@code concurrent} tasks it runs at once.
     */
    public record Budget(long bound, String source, int concurrent, double share) {
        /** Bytes one stack may take. */
        long perStack() {
            return (long) (bound * share / concurrent);
        }

        /** Runs of {@code rc}'s shape that fit one stack's share: at least 1. */
        int maxRuns(RunConfig rc) {
            return (int) Math.max(1, Math.min(MAX_STACK, perStack() / StackMemory.bytesPerRun(rc)));
        }

        /**
         * Local master: this JVM runs local[N]'s N tasks, bounded by {@value MemoryGuard#PROPERTY} where set, else by
         * its heap (JavaCPP's default bound of ND4J's off-heap memory). A cluster: each executor runs
         * spark.executor.cores / spark.task.cpus tasks, bounded by the {@value MemoryGuard#PROPERTY} of
         * spark.executor.extraJavaOptions where set, else by its container (spark.executor.memory + memoryOverhead).
         */
        public static Budget of(SparkConf conf) {
            double share = configuredShare();
            int local = SweepDriver.localTasks(
                    conf.get("spark.master", ""), Runtime.getRuntime().availableProcessors());
            if (local > 0)
                return MemoryGuard.limit() > 0
                        ? new Budget(MemoryGuard.limit(), MemoryGuard.PROPERTY, local, share)
                        : new Budget(Runtime.getRuntime().maxMemory(), "the heap (-Xmx)", local, share);
            int slots = Math.max(
                    1, conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1)));
            Matcher m = MAX_RSS.matcher(conf.get("spark.executor.extraJavaOptions", ""));
            if (m.find())
                return new Budget(
                        RuntimeOptions.bytes(RuntimeOptions.MAX_RSS, m.group(1)),
                        "the executors' " + MemoryGuard.PROPERTY,
                        slots,
                        share);
            long mb = conf.getSizeAsMb("spark.executor.memory", "1g");
            long overhead = conf.contains("spark.executor.memoryOverhead")
                    ? conf.getSizeAsMb("spark.executor.memoryOverhead")
                    : Math.max(384, mb / 10); // Spark's default
            return new Budget((mb + overhead) << 20, "spark.executor.memory + memoryOverhead", slots, share);
        }

        private static final Pattern MAX_RSS = Pattern.compile("-D" + Pattern.quote(MemoryGuard.PROPERTY) + "=(\\S+)");

        private static double configuredShare() {
            String v = RuntimeOptions.get(RuntimeOptions.STACK_MEMORY_SHARE).strip();
            try {
                double s = Double.parseDouble(v);
                if (s > 0 && s <= 1) return s;
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new BadInputException(
                    RuntimeOptions.STACK_MEMORY_SHARE.key() + "=" + v + ": not a fraction in (0, 1]");
        }
    }

    /** The tasks, and the plan's line for the sweep's stderr (null when nothing stacks). */
    public record Plan(List<List<RunConfig>> tasks, String summary) {}

    /** {@link #plan(List, int, boolean, Budget)} without a memory bound. */
    public static List<List<RunConfig>> plan(List<RunConfig> runs, int parallelism, boolean stack) {
        return plan(runs, parallelism, stack, null).tasks();
    }

    /**
     * @param parallelism tasks Spark runs at once ({@link SweepDriver#slots}); each group is cut into at least 2 x
     *                    parallelism stacks when it is large enough, so stacking never leaves cores idle
     * @param budget      null: stacks sized by run count only
     */
    public static Plan plan(List<RunConfig> runs, int parallelism, boolean stack, Budget budget) {
        List<List<RunConfig>> tasks = new ArrayList<>();
        Map<String, List<RunConfig>> groups = new LinkedHashMap<>();
        for (RunConfig r : runs) {
            if (stack && StackedMlp.supports(r))
                groups.computeIfAbsent(StackedMlp.stackKey(r), k -> new ArrayList<>())
                        .add(r);
            else tasks.add(List.of(r));
        }
        int largest = 0, cut = 0;
        long largestBytes = 0;
        for (List<RunConfig> g : groups.values()) {
            int size = Math.max(1, Math.min(MAX_STACK, (int) Math.ceil(g.size() / (2.0 * Math.max(1, parallelism)))));
            if (budget != null && budget.maxRuns(g.get(0)) < size) {
                size = budget.maxRuns(g.get(0));
                cut++;
            }
            largest = Math.max(largest, size);
            largestBytes = Math.max(largestBytes, size * StackMemory.bytesPerRun(g.get(0)));
            for (int i = 0; i < g.size(); i += size) tasks.add(List.copyOf(g.subList(i, Math.min(g.size(), i + size))));
        }
        if (budget == null || groups.isEmpty()) return new Plan(tasks, null);
        return new Plan(
                tasks,
                String.format(
                        Locale.ROOT,
                        "stacks of up to %d runs (≈%s each at most; %d concurrent within %s, %s of the %s bound of %s)%s",
                        largest,
                        mb(largestBytes),
                        budget.concurrent(),
                        mb((long) (budget.bound() * budget.share())),
                        budget.share() == 0.5 ? "half" : String.format(Locale.ROOT, "%.2f", budget.share()),
                        mb(budget.bound()),
                        budget.source(),
                        cut == 0 ? "" : "; " + cut + " of " + groups.size() + " shapes cut to fewer runs by memory"));
    }

    private static String mb(long bytes) {
        return bytes >= 1L << 30
                ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%d MB", Math.max(1, bytes >> 20));
    }
}
