package dev.gradsweep.sweep;

import dev.gradsweep.api.FactoryRun;
import dev.gradsweep.conv.ConvRun;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.recurrent.RecurrentRun;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.store.Layout;
import dev.gradsweep.store.Machine;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.store.TaskFile;
import dev.gradsweep.store.TaskFiles;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import dev.gradsweep.train.stack.StackedMlp;
import dev.gradsweep.transformer.TransformerRun;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * The executor side of a sweep: trains one run (DL4J, the recurrent engine for cell != none, the transformer engine
 * for arch transformer), or a stack of
 * same-shape runs, into one set of data files per task ({@link TaskFiles}) and returns their descriptions for the
 * driver to commit. Knows nothing of Spark's API, so the same code runs in a Spark task, in {@code bench} and in tests.
 */
public final class RunExecutor {
    /**
     * System property naming a run id whose task fails on its first attempt after writing its files, as a lost executor
     * or a crash before the result reaches the driver would (the retry tests).
     */
    public static final String FAIL_FIRST_ATTEMPT = "gradsweep.test.failFirstAttempt";

    private RunExecutor() {}

    /**
     * One Hadoop configuration for every task of this JVM, only read: a new one parses its XML resources on first use,
     * tens of milliseconds per task, which a task of small runs would pay again every time.
     */
    private static final Configuration HADOOP_CONF = OutputDir.configuration();

    /** What a task returns: each run's outcome and the data files holding their rows. */
    public record Result(List<RunResult> runs, List<TaskFile> files) implements Serializable {}

    /**
     * @param shipped the table task's data, or null for built-in tasks (generated here from the seed)
     * @param attempt Spark's attempt number, recorded in the runs table
     */
    public static Result run(RunConfig rc, TaskData shipped, Layout layout, int attempt, int threads) {
        return runStack(List.of(rc), shipped, layout, attempt, threads);
    }

    /**
     * Trains runs that share every shape as one {@link StackedMlp}; their rows share the task's files, each run its own
     * rows. If the stack cannot be trained at all, its rows are dropped and every run is trained one by one through
     * DL4J, so one bad run never takes its stack-mates down.
     */
    public static Result runStack(List<RunConfig> runs, TaskData shipped, Layout layout, int attempt, int threads) {
        Threads.apply(threads);
        TaskFiles files = new TaskFiles(layout, runs.get(0).runId + "-" + attempt, HADOOP_CONF);
        try {
            List<RunResult> results = runs.size() > 1 ? stacked(runs, shipped, files, attempt) : null;
            if (results == null) {
                results = new ArrayList<>();
                for (RunConfig rc : runs) results.add(single(rc, shipped, files, attempt));
            }
            List<TaskFile> written = files.finish();
            String failing = System.getProperty(FAIL_FIRST_ATTEMPT);
            if (attempt == 0 && failing != null && runs.stream().anyMatch(r -> r.runId.equals(failing)))
                throw new IllegalStateException(FAIL_FIRST_ATTEMPT + ": attempt 0 of the task of run " + failing
                        + " fails after writing its files");
            return new Result(results, written);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "task of " + runs.size() + " run(s) from " + runs.get(0).runId + ": writing its data files failed",
                    e);
        } finally {
            try {
                files.close();
            } catch (IOException ignored) {
                // finished or failed: unreferenced files are removed by the driver
            }
        }
    }

    private static RunResult single(RunConfig rc, TaskData shipped, TaskFiles files, int attempt) throws IOException {
        long started = System.currentTimeMillis();
        if (rc.user != null) { // a grid's model factory: its layers are known once it has built the network
            FactoryRun.Trained t = FactoryRun.train(rc, data(rc, shipped), files);
            return commit(rc, t.writer(), t.outcome(), attempt, "factory", started);
        }
        RunWriter writer = new RunWriter(files, rc);
        if (rc.cell.recurrent())
            return commit(rc, writer, RecurrentRun.train(rc, writer), attempt, "recurrent", started);
        if (rc.arch == Arch.TRANSFORMER) // never stacked (StackedMlp.supports): one run per task
        return commit(rc, writer, TransformerRun.train(rc, writer), attempt, "transformer", started);
        if (rc.arch == Arch.CONV) // never stacked (StackedMlp.supports): one run per task
        return commit(rc, writer, ConvRun.train(rc, data(rc, shipped), writer), attempt, "conv", started);
        RunOutcome o = Trainer.train(rc, data(rc, shipped), writer, true);
        return commit(rc, writer, o, attempt, "dl4j", started);
    }

    /** The stack's results, or null when it could not be trained (its rows are then abandoned). */
    private static List<RunResult> stacked(List<RunConfig> runs, TaskData shipped, TaskFiles files, int attempt)
            throws IOException {
        long started = System.currentTimeMillis();
        List<RunWriter> writers = new ArrayList<>();
        List<TaskData> data = new ArrayList<>();
        List<RunRecorder> recs = new ArrayList<>();
        List<RunOutcome> outs = new ArrayList<>();
        for (RunConfig rc : runs) {
            data.add(data(rc, shipped));
            RunWriter w = new RunWriter(files, rc);
            writers.add(w);
            recs.add(w);
            outs.add(new RunOutcome());
        }
        long t0 = System.nanoTime();
        try {
            StackedMlp stack = new StackedMlp(runs, data, recs, outs);
            while (stack.hasNext()) stack.step();
        } catch (RuntimeException e) {
            if (e instanceof RunRecorder.NotRecorded) throw e; // storage failed, not the stack: its task fails
            files.abandon();
            return null;
        }
        long share = (System.nanoTime() - t0) / 1_000_000 / runs.size(); // a run's share of the stack's wall time
        List<RunResult> results = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            outs.get(i).wallMs = share;
            results.add(commit(runs.get(i), writers.get(i), outs.get(i), attempt, "stacked:" + runs.size(), started));
        }
        return results;
    }

    private static TaskData data(RunConfig rc, TaskData shipped) {
        return rc.task.kind == TaskSpec.Kind.TABLE ? shipped : Tasks.generate(rc.task, rc.seed);
    }

    private static RunResult commit(
            RunConfig rc, RunWriter writer, RunOutcome o, int attempt, String engine, long started) throws IOException {
        String host = Machine.hostName();
        writer.commit(
                o,
                new RunWriter.Placement(Machine.backend(), Machine.device(), host, attempt, engine),
                Machine.PROVENANCE,
                started,
                System.currentTimeMillis());
        return new RunResult(rc.runId, o.statusText(), o.error, o.stepsDone, o.lossLast, o.wallMs, host);
    }
}
