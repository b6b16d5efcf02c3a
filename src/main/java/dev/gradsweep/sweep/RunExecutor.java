package dev.gradsweep.sweep;

import dev.gradsweep.config.BuildInfo;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.simd.Simd;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.recurrent.RecurrentRun;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.train.Trainer;
import dev.gradsweep.train.stack.StackedMlp;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The executor side of a sweep: trains one run (DL4J, or the recurrent engine for cell != none), or a stack of
 * same-shape runs, and commits each run's tables.
 * Knows nothing of Spark's API, so the same code runs in a Spark task, in {@code bench} and in tests.
 */
public final class RunExecutor {
    private RunExecutor() {
    }

    /**
     * @param shipped the table task's data, or null for built-in tasks (generated here from the seed)
     * @param attempt Spark's attempt number; each attempt stages its files separately
     */
    public static RunResult run(RunConfig rc, TaskData shipped, OutputDir out, int attempt, int threads) {
        Threads.apply(threads);
        long started = System.currentTimeMillis();
        try (RunWriter writer = new RunWriter(out, rc, attempt)) {
            if (rc.cell.recurrent()) return commit(rc, writer, RecurrentRun.train(rc, writer), attempt, "recurrent", started);
            RunOutcome o = Trainer.train(rc, data(rc, shipped), writer, true);
            return commit(rc, writer, o, attempt, "dl4j", started);
        } catch (IOException e) {
            throw new UncheckedIOException("run " + rc.runId + ": writing its tables under " + out.root() + " failed", e);
        }
    }

    /**
     * Trains runs that share every shape as one {@link StackedMlp}; each run still gets its own files and commit.
     * If the stack cannot be trained at all, every run falls back to the one-by-one DL4J path, so one bad run
     * never takes its stack-mates down.
     */
    public static List<RunResult> runStack(List<RunConfig> runs, TaskData shipped, OutputDir out, int attempt, int threads) {
        if (runs.size() == 1) return List.of(run(runs.get(0), shipped, out, attempt, threads));
        Threads.apply(threads);
        long started = System.currentTimeMillis();
        List<RunWriter> writers = new ArrayList<>();
        try {
            List<TaskData> data = new ArrayList<>();
            List<RunRecorder> recs = new ArrayList<>();
            List<RunOutcome> outs = new ArrayList<>();
            for (RunConfig rc : runs) {
                data.add(data(rc, shipped));
                RunWriter w = new RunWriter(out, rc, attempt);
                writers.add(w);
                recs.add(w);
                outs.add(new RunOutcome());
            }
            long t0 = System.nanoTime();
            try {
                StackedMlp stack = new StackedMlp(runs, data, recs, outs);
                while (stack.hasNext()) stack.step();
            } catch (RuntimeException e) {
                for (RunWriter w : writers) w.close();
                List<RunResult> single = new ArrayList<>();
                for (RunConfig rc : runs) single.add(run(rc, shipped, out, attempt, threads));
                return single;
            }
            long share = (System.nanoTime() - t0) / 1_000_000 / runs.size(); // a run's share of the stack's wall time
            List<RunResult> results = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                outs.get(i).wallMs = share;
                results.add(commit(runs.get(i), writers.get(i), outs.get(i), attempt, "stacked:" + runs.size(), started));
            }
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException("stack of " + runs.size() + " runs: writing tables under " + out.root() + " failed", e);
        } finally {
            for (RunWriter w : writers) {
                try {
                    w.close();
                } catch (IOException ignored) {
                    // already committed or abandoned; the attempt's staging directory is cleaned by the driver
                }
            }
        }
    }

    private static TaskData data(RunConfig rc, TaskData shipped) {
        return rc.task.kind == TaskSpec.Kind.TABLE ? shipped : Tasks.generate(rc.task, rc.seed);
    }

    private static RunResult commit(RunConfig rc, RunWriter writer, RunOutcome o, int attempt, String engine, long started) throws IOException {
        String host = hostName();
        writer.commit(o, new RunWriter.Placement(backend(), device(), host, attempt, engine), PROVENANCE, started,
                System.currentTimeMillis());
        return new RunResult(rc.runId, o.statusText(), o.error, o.stepsDone, o.lossLast, o.wallMs, host);
    }

    /** The same for every run of this JVM. */
    static final RunWriter.Provenance PROVENANCE = new RunWriter.Provenance(BuildInfo.VERSION, BuildInfo.COMMIT,
            Nd4j.getBackend().getClass().getSimpleName(), BuildInfo.DL4J_VERSION, Simd.ENABLED ? "simd" : "scalar");

    public static String backend() {
        return Nd4j.getBackend().getClass().getSimpleName().toLowerCase().contains("cuda") ? "cuda" : "cpu";
    }

    public static String device() {
        return backend().equals("cpu") ? "cpu:" + Runtime.getRuntime().availableProcessors() + "cores"
                : "cuda:" + Nd4j.getAffinityManager().getDeviceForCurrentThread();
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
