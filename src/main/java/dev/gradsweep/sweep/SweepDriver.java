package dev.gradsweep.sweep;

import dev.gradsweep.data.TableLoader;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.GridException;
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
            throw new GridException("output " + outRoot + " already holds " + committed.size()
                    + " committed runs; pass --resume to train only the missing runs, or --overwrite to delete them first");
        if (o.overwrite() && out.exists()) {
            err.println("[" + grid.name + "] --overwrite: deleting " + outRoot);
            out.deleteAll();
            committed = Set.of();
        }
        if (grid.task.kind == TaskSpec.Kind.TABLE && !grid.task.path.contains("://") && !java.nio.file.Files.exists(java.nio.file.Path.of(grid.task.path)))
            throw new GridException("grid file " + o.gridFile() + ": task.path: '" + grid.task.path + "' does not exist");

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
            List<List<RunConfig>> tasks = Stacks.plan(todo, jsc.defaultParallelism(), o.stack());
            List<RunResult> results = jsc.parallelize(tasks, tasks.size()).flatMap(stack -> {
                TaskContext ctx = TaskContext.get();
                Devices.pinAssignedGpu(ctx.resources());
                List<RunResult> rs = RunTask.runStack(stack, shipped.value(), new OutputDir(root), ctx.attemptNumber(), threads);
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
        String master = jsc.master();
        if (master.startsWith("local")) {
            String inside = master.replaceAll("^local\\[?|\\]$", "");
            String n = inside.split(",")[0];
            int cores = Runtime.getRuntime().availableProcessors();
            int concurrent = inside.isEmpty() ? 1 : n.equals("*") ? cores : Integer.parseInt(n);
            return Threads.perTask(cores, concurrent);
        }
        return Math.max(1, jsc.getConf().getInt("spark.task.cpus", 1));
    }
}
