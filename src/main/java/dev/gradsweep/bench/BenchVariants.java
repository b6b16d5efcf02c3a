package dev.gradsweep.bench;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.TrainLoop;
import dev.gradsweep.train.stack.StackedMlp;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The bench's variants of one reference net, each a function that trains one step; closing closes the Parquet
 * writers of the variants that record statistics.
 */
public final class BenchVariants implements Closeable {
    /**
     * Variant names (the csv's {@code variant} column). The lean DL4J loop without statistics is the reference; the
     * {@code _portable} variants record the same statistics through the portable memory path (the one GPUs use).
     */
    public static final String BARE = "dl4j",
            STATS = "dl4j_stats",
            FIT = "dl4j_fit",
            SAMEDIFF = "samediff",
            SAMEDIFF_DLDA = "samediff_dlda",
            STACKED = "stacked",
            STATS_PORTABLE = "dl4j_stats_portable",
            STACKED_PORTABLE = "stacked_stats_portable";

    public static final List<String> ALL =
            List.of(BARE, STATS, STATS_PORTABLE, FIT, SAMEDIFF, SAMEDIFF_DLDA, STACKED, STACKED_PORTABLE);

    /** Runs per stack in the stacked variant (32 copies of the small net were measured: docs/platform-notes.md). */
    public static final int STACK = 32;

    private final RunConfig rc;
    private final int stack;
    private final TaskData data;
    private final OutputDir scratch;
    private final List<RunWriter> writers = new ArrayList<>();

    BenchVariants(RunConfig rc, OutputDir scratch) {
        this(rc, STACK, scratch);
    }

    /** @param stack runs per stack in the stacked variants */
    BenchVariants(RunConfig rc, int stack, OutputDir scratch) {
        if (stack < 1) throw new IllegalArgumentException("stack size must be >= 1, got " + stack);
        this.rc = rc;
        this.stack = stack;
        this.data = Tasks.generate(rc.task, rc.seed);
        this.scratch = scratch;
    }

    Runnable of(String variant) throws IOException {
        switch (variant) {
            case BARE:
                return loop(RunRecorder.NONE, false, TrainingMemory.forBackend());
            case STATS:
                return loop(writer(rc), true, TrainingMemory.forBackend());
            case STATS_PORTABLE:
                return loop(writer(rc.withSeed(rc.seed + 2_000_000)), true, TrainingMemory.portable());
            case FIT: {
                // DL4J's own fit with the factory's settings: the baseline the lean training loop is measured against
                ComputationGraph net = NetworkFactory.build(rc).graph();
                Batches b = new Batches(data, rc.train.batch, NetworkFactory.dataType(rc.train.dtype), rc.seed);
                DataSet ds = new DataSet(b.features, b.labels);
                return () -> {
                    MemoryGuard.check(); // the same memory bound as the gradsweep engines
                    b.next();
                    net.fit(ds);
                };
            }
            case SAMEDIFF:
            case SAMEDIFF_DLDA: {
                SameDiffMlp sd = new SameDiffMlp(rc, data, variant.equals(SAMEDIFF_DLDA));
                return () -> {
                    MemoryGuard.check();
                    sd.step();
                };
            }
            case STACKED:
            case STACKED_PORTABLE: {
                StackedMlp stack =
                        stackOf(0, variant.equals(STACKED) ? TrainingMemory.forBackend() : TrainingMemory.portable());
                return () -> {
                    if (!stack.hasNext()) throw new IllegalStateException("stacked bench net stopped early");
                    stack.step();
                };
            }
            default:
                throw new IllegalArgumentException(
                        "bench variant '" + variant + "'; allowed: " + String.join(", ", ALL));
        }
    }

    private Runnable loop(RunRecorder rec, boolean withStats, TrainingMemory memory) {
        RunOutcome out = new RunOutcome();
        TrainLoop loop = new TrainLoop(NetworkFactory.build(rc), rc, data, rec, withStats, out, memory);
        return () -> {
            if (!loop.hasNext())
                throw new IllegalStateException("bench net stopped early: " + out.statusText() + " " + out.error);
            loop.step();
        };
    }

    /**
     * Trains a throwaway run recording to Parquet and closes it, committing nothing: the first page encoded and
     * the first file closed in a process run cold (class loading, interpreted code), which a sweep pays once per
     * executor, not per run; the rounds and the timed close after them would otherwise count it.
     */
    void warmWritePath(int steps) throws IOException {
        try (RunWriter w = new RunWriter(scratch, rc.withSeed(rc.seed + 1_000_000), 0)) {
            Runnable step = loop(w, true, TrainingMemory.forBackend());
            for (int i = 0; i < steps; i++) step.run();
        }
    }

    private RunWriter writer(RunConfig r) throws IOException {
        RunWriter w = new RunWriter(scratch, r, 0);
        writers.add(w);
        return w;
    }

    /** {@code stack} copies of the net with seeds rc.seed + seedOffset + i, each recording to Parquet. */
    StackedMlp stackOf(int seedOffset, TrainingMemory memory) throws IOException {
        List<RunConfig> runs = new ArrayList<>();
        List<TaskData> data = new ArrayList<>();
        List<RunRecorder> recs = new ArrayList<>();
        List<RunOutcome> outs = new ArrayList<>();
        for (int i = 0; i < stack; i++) {
            RunConfig r = rc.withSeed(rc.seed + seedOffset + i);
            runs.add(r);
            data.add(Tasks.generate(r.task, r.seed));
            recs.add(writer(r));
            outs.add(new RunOutcome());
        }
        return new StackedMlp(runs, data, recs, outs, memory);
    }

    @Override
    public void close() throws IOException {
        for (RunWriter w : writers) w.close();
    }
}
