package dev.gradsweep.sweep;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;

/**
 * The executor side of a sweep: trains one run and commits its tables. Knows nothing of Spark's API, so the
 * same code runs in a Spark task, in {@code bench} and in tests.
 */
public final class RunTask {
    private RunTask() {
    }

    /**
     * @param shipped the table task's data, or null for built-in tasks (generated here from the seed)
     * @param attempt Spark's attempt number; each attempt stages its files separately
     */
    public static RunResult run(RunConfig rc, TaskData shipped, OutputDir out, int attempt, int threads) {
        Threads.apply(threads);
        long started = System.currentTimeMillis();
        String host = hostName();
        TaskData data = rc.task.kind == TaskSpec.Kind.TABLE ? shipped : Tasks.generate(rc.task, rc.seed);
        try (RunWriter writer = new RunWriter(out, rc, attempt)) {
            RunOutcome o = Trainer.train(rc, data, writer, true);
            writer.commit(o, new RunWriter.Placement(backend(), device(), host, attempt), started, System.currentTimeMillis());
            return new RunResult(rc.runId, o.statusText(), o.error, o.stepsDone, o.lossLast, o.wallMs, host);
        } catch (IOException e) {
            throw new UncheckedIOException("run " + rc.runId + ": writing its tables under " + out.root() + " failed", e);
        }
    }

    static String backend() {
        return Nd4j.getBackend().getClass().getSimpleName().toLowerCase().contains("cuda") ? "cuda" : "cpu";
    }

    static String device() {
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
