package dev.gradsweep.sweep;

import dev.gradsweep.data.TableLoader;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.store.OutputDir;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The driver of a sweep: validates the grid and the output directory before Spark starts, skips committed runs
 * (resume), fans one run out per Spark task and reports progress. Failed runs are rows, not job failures.
 */
public final class SweepDriver {
    /** Options of {@code gradsweep sweep}; see SweepCommand for their documentation. */
    public record Options(String gridFile, String out, boolean resume, boolean overwrite, String master, int maxParallel,
                          boolean stack) {
        /** Stacking on (the fastest correct path). */
        public Options(String gridFile, String out, boolean resume, boolean overwrite, String master, int maxParallel) {
            this(gridFile, out, resume, overwrite, master, maxParallel, true);
        }
    }

    public record Summary(String out, int total, int skipped, List<RunResult> results) {
        public long count(String status) {
            return results.stream().filter(r -> r.status().equals(status)).count();
        }
    }

    private SweepDriver() {
    }

    public static Summary run(Options o, PrintStream err) throws IOException {
        GridSpec grid = GridSpec.load(java.nio.file.Path.of(o.gridFile()));
        String outRoot = o.out() != null ? o.out() : "results/" + grid.name;
        OutputDir out = new OutputDir(outRoot);
        Set<String> committed = out.committedRuns();
        if (!committed.isEmpty() && !o.resume() && !o.overwrite())
            throw new BadInputException("output " + outRoot + " already holds " + committed.size()
                    + " committed runs; pass --resume to train only the missing runs, or --overwrite to delete them first");
        if (o.overwrite() && out.exists()) {
            err.println("[" + grid.name + "] --overwrite: deleting " + outRoot);
            out.deleteAll();
            committed = Set.of();
        }
        if (grid.task.kind == TaskSpec.Kind.TABLE && !grid.task.path.contains("://") && !java.nio.file.Files.exists(java.nio.file.Path.of(grid.task.path)))
            throw new BadInputException("grid file " + o.gridFile() + ": task.path: '" + grid.task.path + "' does not exist");

        SparkSession spark = session(o, grid.name);
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            List<RunConfig> runs = grid.expand();
            TaskData table = null;
            if (grid.task.kind == TaskSpec.Kind.TABLE) {
                table = TableLoader.load(spark, grid.task, o.gridFile());
                TaskData t = table;
                runs = GridSpec.withTask(runs, ts -> ts.withShape(t.inputs, t.outputs, t.n));
            }
            List<RunConfig> todo = new ArrayList<>();
            for (RunConfig r : runs) if (!committed.contains(r.runId)) todo.add(r);
            int skipped = runs.size() - todo.size();
            err.println("[" + grid.name + "] " + runs.size() + " runs in the grid" + (skipped > 0 ? ", " + skipped + " already committed (resume)" : "")
                    + "; output " + outRoot);
            if (todo.isEmpty()) return new Summary(outRoot, runs.size(), skipped, List.of());

            int threads = threadsPerTask(jsc);
            LongAccumulator done = jsc.sc().longAccumulator("runs done");
            LongAccumulator failed = jsc.sc().longAccumulator("failed runs");
            LongAccumulator diverged = jsc.sc().longAccumulator("diverged runs");
            Progress progress = new Progress(grid.name, todo.size(), done, failed, diverged, err);
            jsc.sc().addSparkListener(progress);
            Broadcast<TaskData> shipped = jsc.broadcast(table);
            String root = outRoot;
            List<List<RunConfig>> tasks = Stacks.plan(todo, slots(jsc.getConf(), jsc.defaultParallelism()), o.stack());
            List<RunResult> results = jsc.parallelize(tasks, tasks.size()).flatMap(stack -> {
                TaskContext ctx = TaskContext.get();
                Devices.pinAssignedGpu(ctx.resources());
                List<RunResult> rs = RunExecutor.runStack(stack, shipped.value(), new OutputDir(root), ctx.attemptNumber(), threads);
                for (RunResult r : rs) {
                    done.add(1);
                    if (r.status().equals("failed")) failed.add(1);
                    if (r.status().equals("diverged")) diverged.add(1);
                }
                return rs.iterator();
            }).collect();
            jsc.sc().removeSparkListener(progress);
            err.println(progress.line()); // the listener bus is asynchronous: the last event may not have been delivered
            out.fs().delete(out.path(OutputDir.STAGING), true);
            return new Summary(outRoot, runs.size(), skipped, results);
        } finally {
            spark.stop();
        }
    }

    /** Local mode unless spark-submit (or --master) chose a master; local[N] honours --max-parallel. */
    static SparkSession session(Options o, String name) {
        SparkConf conf = new SparkConf(true).setAppName("gradsweep " + name);
        int cores = Runtime.getRuntime().availableProcessors();
        if (o.master() != null) conf.setMaster(o.master());
        else if (!conf.contains("spark.master")) conf.setMaster("local[" + (o.maxParallel() > 0 ? Math.min(o.maxParallel(), cores) : cores) + "]");
        boolean local = conf.get("spark.master").startsWith("local");
        if (o.maxParallel() > 0 && !local) conf.set("spark.cores.max", Integer.toString(o.maxParallel()));
        // Executors start with this environment: one OpenMP thread per core Spark gives a task (threads x tasks <= cores).
        if (!local) conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", conf.get("spark.task.cpus", "1"));
        conf.setIfMissing("spark.ui.showConsoleProgress", "false"); // our own progress line replaces Spark's bar
        return SparkSession.builder().config(Sessions.loopbackIfLocal(conf)).getOrCreate();
    }

    /** Local mode: the cores divided among local[N]'s concurrent tasks; a cluster: the cores Spark gives a task. */
    static int threadsPerTask(JavaSparkContext jsc) {
        int cores = Runtime.getRuntime().availableProcessors();
        int local = localTasks(jsc.master(), cores);
        return local > 0 ? Threads.perTask(cores, local) : Math.max(1, jsc.getConf().getInt("spark.task.cpus", 1));
    }

    private static final java.util.regex.Pattern LOCAL = java.util.regex.Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?\\])?");

    /** Concurrent tasks of a local master (local, local[N], local[*], local[N,F]); 0 for any other master. */
    static int localTasks(String master, int cores) {
        java.util.regex.Matcher m = LOCAL.matcher(master);
        if (!m.matches()) return 0;
        return m.group(1) == null ? 1 : m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
    }

    /**
     * Tasks the sweep will run at once, for sizing stacks: from the configuration where it says (local[N];
     * spark.executor.instances × spark.executor.cores; spark.cores.max; the smaller when both are set, divided by
     * spark.task.cpus), else {@code registered} (defaultParallelism, which counts only the executors registered so
     * far: on a cluster they may register after the sweep has been planned).
     */
    static int slots(SparkConf conf, int registered) {
        int local = localTasks(conf.get("spark.master", ""), Runtime.getRuntime().availableProcessors());
        if (local > 0) return local;
        int cores = Integer.MAX_VALUE;
        if (conf.contains("spark.executor.instances"))
            cores = conf.getInt("spark.executor.instances", 1) * conf.getInt("spark.executor.cores", 1);
        if (conf.contains("spark.cores.max")) cores = Math.min(cores, conf.getInt("spark.cores.max", 1));
        if (cores == Integer.MAX_VALUE) return Math.max(1, registered);
        return Math.max(1, cores / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }
}
