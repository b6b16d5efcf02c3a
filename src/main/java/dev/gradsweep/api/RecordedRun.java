package dev.gradsweep.api;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.store.Machine;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.OutputLock;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.store.TaskFiles;
import dev.gradsweep.train.FitProbe;
import dev.gradsweep.train.RunOutcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * One run of a network its owner trains with DL4J's {@code fit}, recorded into a gradsweep output (docs/api.md).
 * Created by {@link Gradsweep#record}, it holds the output's lock (as a sweep does) until {@link #close()} commits
 * the run with status {@code ok} (or {@code diverged}, if a step was non-finite) or {@link #fail(Throwable)} commits
 * it as {@code failed}: one Iceberg append per table, {@code runs} last, so a reader sees all of its rows or none. A
 * run neither closed nor failed (the JVM died) is never visible: its data files are referenced by no snapshot, and the
 * next sweep or {@code compact} on the output deletes them. Not thread-safe: train and close on one thread.
 */
public final class RecordedRun implements AutoCloseable {
    private final String runId;
    private final Map<String, Object> config;
    private final OutputLock lock;
    private final ResultTables tables;
    private final TaskFiles files;
    private final RunOutcome out = new RunOutcome();
    private final FitProbe probe;
    private final long startedAt = System.currentTimeMillis(), t0 = System.nanoTime();
    /** Opened on the probe's first rows, when the network (its layer count) is known. */
    private RunWriter writer;

    private boolean committed;

    RecordedRun(OutputDir dir, String runId, Map<String, Object> config, Double lossBaseline) {
        this.runId = runId;
        this.config = config;
        ResultTables.CatalogSpec spec = ResultTables.CatalogSpec.of(dir.location(), Map.of());
        if (isFile(dir)) throw new BadInputException("gradsweep output " + dir.root() + " is a file, not a directory");
        if (ResultTables.legacy(dir))
            throw new BadInputException("output " + dir.root() + " holds results in the per-run layout of an earlier"
                    + " gradsweep; convert it first: bin/gradsweep migrate --in " + dir.root());
        this.lock = OutputLock.acquire(dir, spec, "listener run " + config.get("sweep"), System.err);
        try {
            this.tables = ResultTables.open(dir, spec, true).lockedBy(lock);
            if (tables.stallsFrozenUpdateRatio() == null
                    && tables.committedRuns().isEmpty()) {
                // a new output: layer_stalls is complete from its first run on, as a sweep makes it
                tables.clearStalls();
                tables.markStallsComplete(
                        AnalysisParams.value(AnalysisParams.resolve(Map.of()), "frozen_update_ratio"));
            }
            this.files =
                    new TaskFiles(tables.layout(), runId + "-listener", dir.fs().getConf());
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        if (lossBaseline != null) out.lossBaseline = lossBaseline;
        this.probe = new FitProbe(new LazyWriter(), out, TrainingMemory.forBackend());
    }

    private static boolean isFile(OutputDir dir) {
        try {
            return dir.fs().exists(dir.path())
                    && !dir.fs().getFileStatus(dir.path()).isDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.root(), e);
        }
    }

    /** The run's id in every table (random: two runs of one configuration are two runs). */
    public String runId() {
        return runId;
    }

    /**
     * The DL4J listener to add to the network ({@code net.addListeners(run.listener())}): it records every training
     * iteration of that one network, MultiLayerNetwork or ComputationGraph, through whatever {@code fit} is called.
     */
    public TrainingListener listener() {
        return probe;
    }

    /** Steps recorded so far. */
    public int stepsDone() {
        return out.stepsDone;
    }

    /** Commits the run as {@code failed} with {@code error}'s class and message; then {@link #close()} does nothing. */
    public void fail(Throwable error) {
        if (committed) return;
        out.status = RunOutcome.Status.FAILED;
        out.error = error.getClass().getSimpleName() + ": " + error.getMessage();
        commit();
    }

    /** Commits the run ({@code ok}, or {@code diverged} at its first non-finite step) unless it was failed already. */
    @Override
    public void close() {
        if (!committed) commit();
    }

    private void commit() {
        committed = true;
        try (lock; // closed last: the files first
                files) {
            out.wallMs = (System.nanoTime() - t0) / 1_000_000;
            writer().commit(
                            config,
                            out,
                            new RunWriter.Placement(
                                    Machine.backend(), Machine.device(), Machine.hostName(), 0, "listener"),
                            Machine.PROVENANCE,
                            startedAt,
                            System.currentTimeMillis());
            var written = files.finish();
            lock.verify("committing listener run " + runId);
            tables.commit(written, "listener-" + UUID.randomUUID());
        } catch (IOException e) {
            throw new UncheckedIOException("run " + runId + ": its rows could not be committed", e);
        }
    }

    private RunWriter writer() throws IOException {
        if (writer == null) writer = new RunWriter(files, runId, probe.layerCount());
        return writer;
    }

    /**
     * The probe's rows go to the run's writer, opened on the first (the probe knows the network by then); once the run
     * is committed, nowhere (a listener left on the network after {@code close()} is inert).
     */
    private final class LazyWriter implements RunRecorder {
        private RunRecorder w() {
            if (committed) return RunRecorder.NONE;
            try {
                return writer();
            } catch (IOException e) {
                throw new RunRecorder.NotRecorded("cannot write the rows of run " + runId, e);
            }
        }

        @Override
        public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {
            w().step(step, loss, gradL2Total, updateL2Total, lr, stepMs);
        }

        @Override
        public void param(int step, Segment segment, ParamStats stats) {
            w().param(step, segment, stats);
        }

        @Override
        public void layer(int step, LayerInfo layer, ActStats stats, double outGradL2) {
            w().layer(step, layer, stats, outGradL2);
        }
    }
}
