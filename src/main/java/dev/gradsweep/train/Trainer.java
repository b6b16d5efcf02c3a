package dev.gradsweep.train;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.model.Net;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.RunRecorder;
import java.util.function.Consumer;

/** Trains one run start to end; any exception makes the run {@code failed} with its message, never a lost run. */
public final class Trainer {
    private Trainer() {}

    /** Builds the run's network and trains it; {@code withStats=false} is the bare loop (benchmarks only). */
    public static RunOutcome train(RunConfig rc, TaskData data, RunRecorder rec, boolean withStats) {
        return train(rc, data, rec, withStats, net -> {});
    }

    /** The same, handing the network to {@code trained} once it has trained (tests read its final parameters). */
    public static RunOutcome train(
            RunConfig rc, TaskData data, RunRecorder rec, boolean withStats, Consumer<Net> trained) {
        return guarded(out -> {
            Net net = NetworkFactory.build(rc);
            TrainLoop loop = new TrainLoop(net, rc, data, rec, withStats, out);
            while (loop.hasNext()) loop.step();
            trained.accept(net);
        });
    }

    /** Runs one engine's training into a fresh outcome: its wall time, and any exception as status failed. */
    public static RunOutcome guarded(Consumer<RunOutcome> training) {
        RunOutcome out = new RunOutcome();
        long t0 = System.nanoTime();
        try {
            training.accept(out);
        } catch (dev.gradsweep.stats.RunRecorder.NotRecorded e) {
            throw e; // the rows' storage failed, not the run
        } catch (Throwable e) {
            out.status = RunOutcome.Status.FAILED;
            out.error = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        out.wallMs = (System.nanoTime() - t0) / 1_000_000;
        return out;
    }
}
