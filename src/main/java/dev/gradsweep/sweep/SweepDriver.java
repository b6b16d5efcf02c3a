package dev.gradsweep.sweep;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.data.TableLoader;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.store.CommitPoints;
import dev.gradsweep.store.Layout;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.OutputLock;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.TaskFile;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.FutureAction;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The driver of a sweep: validates the grid and the output directory before Spark starts, locks the output, skips
 * committed runs (resume), fans one run (or stack) out per Spark task, commits the data files of each successful
 * task attempt to the Iceberg tables in batches as tasks finish, and compacts the tables at the end. Failed runs are
 * rows, not job failures.
 */
public final class SweepDriver {
    /** Options of {@code gradsweep sweep}; see SweepCommand for their documentation. */
    public record Options(
            String gridFile,
            String out,
            boolean resume,
            boolean overwrite,
            String master,
            int maxParallel,
            boolean stack,
            boolean compact) {
        /** Stacking on (the fastest correct path), compaction at the end. */
        public Options(String gridFile, String out, boolean resume, boolean overwrite, String master, int maxParallel) {
            this(gridFile, out, resume, overwrite, master, maxParallel, true, true);
        }

        public Options(
                String gridFile,
                String out,
                boolean resume,
                boolean overwrite,
                String master,
                int maxParallel,
                boolean stack) {
            this(gridFile, out, resume, overwrite, master, maxParallel, stack, true);
        }
    }

    public record Summary(
            String name,
            String out,
            int total,
            int skipped,
            List<RunResult> results,
            int batches,
            Compaction.Report compaction) {
        public long count(String status) {
            return results.stream().filter(r -> r.status().equals(status)).count();
        }
    }

    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private SweepDriver() {}

    public static Summary run(Options o, PrintStream err) throws IOException {
        return run(o, err, null);
    }

    /**
     * @param then called with the summary and the sweep's own Spark session once the tables are committed (and
     *     compacted), before the session stops: the sweep's first answer reads the tables it has just committed
     *     without starting a second session (null: nothing)
     */
    public static Summary run(Options o, PrintStream err, BiConsumer<Summary, SparkSession> then) throws IOException {
        GridSpec grid = GridSpec.load(java.nio.file.Path.of(o.gridFile()));
        dev.gradsweep.recurrent.RecurrentRun.requireCpuBuild(grid.expand(), o.gridFile());
        if (grid.model != null) dev.gradsweep.api.Factories.load(grid.model); // found and usable, before the lock
        String outRoot = o.out() != null ? o.out() : "results/" + grid.name;
        OutputDir out = new OutputDir(outRoot);
        if (out.fs().exists(out.path()) && !out.fs().getFileStatus(out.path()).isDirectory())
            throw new BadInputException("--out " + outRoot + " is a file, not a directory");
        if (grid.task.kind == TaskSpec.Kind.TABLE
                && !grid.task.path.contains("://")
                && !java.nio.file.Files.exists(java.nio.file.Path.of(grid.task.path)))
            throw new BadInputException(
                    "grid file " + o.gridFile() + ": task.path: '" + grid.task.path + "' does not exist");
        SparkConf sparkConf = sparkConf(o, grid.name);
        ResultTables.CatalogSpec catalog = ResultTables.CatalogSpec.of(out.location(), confMap(sparkConf));
        if (ResultTables.legacy(out) && !o.overwrite())
            throw new BadInputException("output " + outRoot
                    + " holds results in the per-run layout of an earlier gradsweep; convert it first: "
                    + "bin/gradsweep migrate --in " + outRoot + " (or pass --overwrite to delete it)");

        try (OutputLock lock = OutputLock.acquire(out, catalog, "sweep " + grid.name, err)) {
            boolean existed = ResultTables.exists(out, catalog);
            if (existed && !o.overwrite()) {
                // read only: a sweep refused here writes nothing, not even an older output's new columns
                Set<String> committed = ResultTables.committedRuns(out, catalog);
                if (!committed.isEmpty() && !o.resume())
                    throw new BadInputException(
                            "output " + outRoot + " already holds " + committed.size()
                                    + " committed runs; pass --resume to train only the missing runs, or --overwrite to delete them first");
            }
            if (o.overwrite() && out.exists()) {
                err.println("[" + grid.name + "] --overwrite: deleting " + outRoot);
                lock.verify("--overwrite: deleting " + outRoot);
                ResultTables.dropAll(out, catalog);
                deleteAllBut(out, OutputLock::isLockFile);
            } else if (!existed && ResultTables.anyTable(out, catalog)) {
                err.println("[" + grid.name + "] dropping the tables an interrupted --overwrite left (no runs table:"
                        + " nothing in them was committed)");
                lock.verify("dropping the tables an interrupted --overwrite left");
                ResultTables.dropAll(out, catalog);
            }
            ResultTables tables = ResultTables.open(out, catalog, true).lockedBy(lock);
            dev.gradsweep.store.DataFileCheck.require(tables); // damaged files: stop before anything is deleted
            int repaired = tables.repair();
            if (repaired > 0)
                err.println("[" + grid.name + "] removed " + repaired
                        + " data files of a batch whose commit was interrupted");
            Set<String> committed = tables.committedRuns();
            return sweep(o, grid, outRoot, sparkConf, tables, committed, err, then);
        } catch (RuntimeException | IOException e) {
            throw Stopped.advise(
                    e, "sweep", "bin/gradsweep sweep --grid " + o.gridFile() + " --out " + outRoot + " --resume");
        }
    }

    private static Summary sweep(
            Options o,
            GridSpec grid,
            String outRoot,
            SparkConf sparkConf,
            ResultTables tables,
            Set<String> committed,
            PrintStream err,
            BiConsumer<Summary, SparkSession> then)
            throws IOException {
        boolean shared = Sessions.running();
        SparkSession spark = SparkSession.builder().config(sparkConf).getOrCreate();
        try {
            StallsBackfill.complete(spark, tables, outRoot, err); // before the executors append to it
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
            dev.gradsweep.api.Factories.checkAll(todo, err); // every configuration builds and fits the task
            int skipped = runs.size() - todo.size();
            err.println("[" + grid.name + "] " + runs.size() + " runs in the grid"
                    + (skipped > 0 ? ", " + skipped + " already committed (resume)" : "") + "; output " + outRoot);
            List<RunResult> results = new ArrayList<>();
            int batches = 0;
            if (!todo.isEmpty()) {
                int threads = threadsPerTask(jsc);
                LongAccumulator done = jsc.sc().longAccumulator("runs done");
                LongAccumulator failed = jsc.sc().longAccumulator("failed runs");
                LongAccumulator diverged = jsc.sc().longAccumulator("diverged runs");
                Progress progress = new Progress(grid.name, todo.size(), done, failed, diverged, err);
                jsc.sc().addSparkListener(progress);
                Broadcast<TaskData> shipped = jsc.broadcast(table);
                Layout layout = tables.layout();
                Stacks.Plan plan = Stacks.plan(
                        todo,
                        slots(jsc.getConf(), jsc.defaultParallelism()),
                        o.stack(),
                        Stacks.Budget.of(jsc.getConf()));
                if (plan.summary() != null) err.println("[" + grid.name + "] " + plan.summary());
                List<List<RunConfig>> tasks = plan.tasks();
                JavaRDD<RunExecutor.Result> trained = jsc.parallelize(tasks, tasks.size())
                        .map(stack -> {
                            TaskContext ctx = TaskContext.get();
                            Devices.pinAssignedGpu(ctx.resources());
                            RunExecutor.Result r =
                                    RunExecutor.runStack(stack, shipped.value(), layout, ctx.attemptNumber(), threads);
                            for (RunResult rr : r.runs()) {
                                done.add(1);
                                if (rr.status().equals("failed")) failed.add(1);
                                if (rr.status().equals("diverged")) diverged.add(1);
                            }
                            return r;
                        });
                long[] commitMillis = new long[3];
                batches = commitAsTasksFinish(jsc, trained, tasks.size(), tables, results, commitMillis);
                jsc.sc().removeSparkListener(progress);
                err.println(progress.line()); // the listener bus is asynchronous: the last event may not have been
                // delivered
                err.printf(
                        "[%s] %d tasks committed in %d batches (%.0f ms per batch on average, %d ms at most, %.0f ms of"
                                + " CPU)%n",
                        grid.name,
                        tasks.size(),
                        batches,
                        batches == 0 ? 0.0 : (double) commitMillis[0] / batches,
                        commitMillis[1],
                        batches == 0 ? 0.0 : (double) commitMillis[2] / batches);
            }
            Compaction.Report compaction = null;
            if (o.compact()) {
                compaction = Compaction.compact(spark, tables);
                err.println("[" + grid.name + "] compacted: " + compaction);
            } else {
                int orphans = Compaction.removeOrphans(tables);
                if (orphans > 0)
                    err.println(
                            "[" + grid.name + "] removed " + orphans + " unreferenced files (failed task attempts)");
            }
            Summary summary = new Summary(grid.name, outRoot, runs.size(), skipped, results, batches, compaction);
            if (then != null) then.accept(summary, spark);
            return summary;
        } finally {
            if (!shared) spark.stop();
        }
    }

    /**
     * Runs the job and commits each successful task's files while the others still run: Spark hands the driver one
     * result per task (the first successful attempt; failed and duplicate speculative attempts never reach it), and the
     * driver appends them in batches of {@link RuntimeOptions#COMMIT_RUNS} runs or {@link
     * RuntimeOptions#COMMIT_INTERVAL} ms. Returns the number of batches;
     * {@code commitMillis} receives the total and the longest commit time and the commits' CPU time.
     */
    static int commitAsTasksFinish(
            JavaSparkContext jsc,
            JavaRDD<RunExecutor.Result> trained,
            int nTasks,
            ResultTables tables,
            List<RunResult> results,
            long[] commitMillis)
            throws IOException {
        long batchRuns = RuntimeOptions.positive(RuntimeOptions.COMMIT_RUNS);
        long batchMs = RuntimeOptions.positive(RuntimeOptions.COMMIT_INTERVAL);
        LinkedBlockingQueue<RunExecutor.Result> finished = new LinkedBlockingQueue<>();
        List<Object> partitions = new ArrayList<>();
        for (int i = 0; i < nTasks; i++) partitions.add(i);
        FutureAction<BoxedUnit> job = jsc.sc()
                .submitJob(
                        trained.rdd(),
                        new OnlyElement(),
                        JavaConverters.asScalaBuffer(partitions).toSeq(),
                        new Enqueue(finished),
                        new Unit());
        List<RunExecutor.Result> pending = new ArrayList<>();
        long firstPending = 0;
        int batches = 0;
        try {
            while (true) {
                boolean jobDone = job.isCompleted(); // before draining: every result is queued before the job completes
                RunExecutor.Result r = finished.poll(100, TimeUnit.MILLISECONDS);
                if (r != null) {
                    if (pending.isEmpty()) firstPending = System.currentTimeMillis();
                    pending.add(r);
                    finished.drainTo(pending);
                }
                int runs = 0;
                for (RunExecutor.Result p : pending) runs += p.runs().size();
                boolean last = jobDone && finished.isEmpty();
                if (!pending.isEmpty()
                        && (last || runs >= batchRuns || System.currentTimeMillis() - firstPending >= batchMs)) {
                    List<TaskFile> files = new ArrayList<>();
                    for (RunExecutor.Result p : pending) files.addAll(p.files());
                    long t0 = System.currentTimeMillis();
                    long cpu0 = CPU.getCurrentThreadCpuTime();
                    tables.commit(files, UUID.randomUUID().toString());
                    long took = System.currentTimeMillis() - t0;
                    commitMillis[0] += took;
                    commitMillis[1] = Math.max(commitMillis[1], took);
                    commitMillis[2] += (CPU.getCurrentThreadCpuTime() - cpu0) / 1_000_000;
                    batches++;
                    for (RunExecutor.Result p : pending) results.addAll(p.runs());
                    pending.clear();
                }
                if (last && pending.isEmpty()) break;
            }
            job.get(); // a job that failed (a task out of retries) fails the sweep; what was committed stays
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.cancel();
            throw new IOException("interrupted while committing", e);
        } catch (Exception e) {
            job.cancel();
            if (e instanceof RuntimeException re) throw re;
            throw new IOException(e.getMessage(), e);
        }
        return batches;
    }

    /** A task's result: its partition holds exactly one element. */
    private static final class OnlyElement extends AbstractFunction1<Iterator<RunExecutor.Result>, RunExecutor.Result>
            implements Serializable {
        @Override
        public RunExecutor.Result apply(Iterator<RunExecutor.Result> it) {
            return it.next();
        }
    }

    /** Called on the driver as each task succeeds; only queues, the committing thread does the work. */
    private static final class Enqueue extends AbstractFunction2<Object, RunExecutor.Result, BoxedUnit> {
        private final LinkedBlockingQueue<RunExecutor.Result> queue;

        Enqueue(LinkedBlockingQueue<RunExecutor.Result> queue) {
            this.queue = queue;
        }

        @Override
        public BoxedUnit apply(Object partition, RunExecutor.Result r) {
            queue.add(r);
            return BoxedUnit.UNIT;
        }
    }

    private static final class Unit extends AbstractFunction0<BoxedUnit> {
        @Override
        public BoxedUnit apply() {
            return BoxedUnit.UNIT;
        }
    }

    /** Deletes the directory's contents except the names {@code keep} accepts (the lock this process holds). */
    static void deleteAllBut(OutputDir out, java.util.function.Predicate<String> keep) throws IOException {
        FileStatus[] entries = out.fs().listStatus(out.path());
        java.util.Arrays.sort(entries); // by path: the same order every time (the crash test counts each deletion)
        for (FileStatus st : entries)
            if (!keep.test(st.getPath().getName())) {
                out.fs().delete(st.getPath(), true);
                CommitPoints.reached("--overwrite: delete " + st.getPath().getName());
            }
    }

    static Map<String, String> confMap(SparkConf conf) {
        Map<String, String> m = new java.util.HashMap<>();
        for (scala.Tuple2<String, String> kv : conf.getAll()) m.put(kv._1(), kv._2());
        return m;
    }

    /** Local mode unless spark-submit (or --master) chose a master; local[N] honours --max-parallel. */
    static SparkConf sparkConf(Options o, String name) {
        SparkConf conf = new SparkConf(true).setAppName("gradsweep " + name);
        int cores = Runtime.getRuntime().availableProcessors();
        if (o.master() != null) conf.setMaster(o.master());
        else if (!conf.contains("spark.master"))
            conf.setMaster("local[" + (o.maxParallel() > 0 ? Math.min(o.maxParallel(), cores) : cores) + "]");
        boolean local = conf.get("spark.master").startsWith("local");
        if (o.maxParallel() > 0 && !local) conf.set("spark.cores.max", Integer.toString(o.maxParallel()));
        // Executors start with this environment: one OpenMP thread per core Spark gives a task (threads x tasks <=
        // cores).
        if (!local) conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", conf.get("spark.task.cpus", "1"));
        conf.setIfMissing("spark.ui.showConsoleProgress", "false"); // our own progress line replaces Spark's bar
        return Sessions.iceberg(Sessions.loopbackIfLocal(conf));
    }

    /** Local mode: the cores divided among local[N]'s concurrent tasks; a cluster: the cores Spark gives a task. */
    static int threadsPerTask(JavaSparkContext jsc) {
        int cores = Runtime.getRuntime().availableProcessors();
        int local = localTasks(jsc.master(), cores);
        return local > 0
                ? Threads.perTask(cores, local)
                : Math.max(1, jsc.getConf().getInt("spark.task.cpus", 1));
    }

    private static final java.util.regex.Pattern LOCAL =
            java.util.regex.Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?\\])?");

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
        int local =
                localTasks(conf.get("spark.master", ""), Runtime.getRuntime().availableProcessors());
        if (local > 0) return local;
        int cores = Integer.MAX_VALUE;
        if (conf.contains("spark.executor.instances"))
            cores = conf.getInt("spark.executor.instances", 1) * conf.getInt("spark.executor.cores", 1);
        if (conf.contains("spark.cores.max")) cores = Math.min(cores, conf.getInt("spark.cores.max", 1));
        if (cores == Integer.MAX_VALUE) return Math.max(1, registered);
        return Math.max(1, cores / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }
}
