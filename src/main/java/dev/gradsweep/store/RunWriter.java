package dev.gradsweep.store;

import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.AttentionStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TimeStepStats;
import dev.gradsweep.train.RunOutcome;
import java.io.Closeable;
import java.io.IOException;
import java.util.Map;

/**
 * Records one run into its task's data files ({@link TaskFiles}, shared by the runs of a stack); {@link #commit} adds
 * the runs row. The rows become visible when the driver commits the task's files.
 */
public final class RunWriter implements RunRecorder, Closeable {
    /**
     * Where and how the run was trained, for the runs table ({@code engine}: "dl4j", "stacked:<K>", "recurrent" or
     * "transformer").
     */
    public record Placement(String backend, String device, String host, int attempt, String engine) {}

    /**
     * What produced the rows: gradsweep's version and commit, the ND4J backend class and version, and whether the
     * statistics ran the SIMD or the scalar loops (same numbers up to summation order).
     */
    public record Provenance(String version, String commit, String nd4jBackend, String nd4jVersion, String statsPath) {}

    private final RunConfig rc;
    private final TaskFiles files;
    /** Files this writer opened itself (the standalone constructor), closed with it. */
    private final boolean ownsFiles;

    private final RowWriter steps, params, layers, timesteps;
    private final String id;
    /** The run's layer_stalls rows, built from the values written (null: the layout has no layer_stalls table). */
    private final LayerStallRows stalls;
    /** The held-out loss for the next steps row, or null. */
    private Double heldOut;
    /** The response std for the next layers row, or null. */
    private Double response;

    /** A run of a task: its rows go into the task's files. */
    public RunWriter(TaskFiles files, RunConfig rc) throws IOException {
        this(files, rc, false);
    }

    /** A run on its own (bench, tools): files of its own under {@code out}'s default table locations, never committed. */
    public RunWriter(OutputDir out, RunConfig rc, int attempt) throws IOException {
        this(
                new TaskFiles(
                        ResultTables.defaultLayout(out),
                        rc.runId + "-" + attempt,
                        out.fs().getConf()),
                rc,
                true);
    }

    private RunWriter(TaskFiles files, RunConfig rc, boolean ownsFiles) throws IOException {
        // transformers are judged as block nets whatever their skip: δ at the blocks' outputs (layer_profile)
        this(files, rc, rc.runId, rc.depth + 1, rc.skip == Skip.NONE && rc.arch != Arch.TRANSFORMER, ownsFiles);
    }

    /**
     * A run no {@link RunConfig} describes (a DL4J network trained by its owner's code with gradsweep's listener):
     * its layers are read as a plain net's, δ the bias or β gradient and the reference the output layer
     * {@code nLayers − 1}; {@link #commit(Map, RunOutcome, Placement, Provenance, long, long)} writes its runs row.
     */
    public RunWriter(TaskFiles files, String runId, int nLayers) throws IOException {
        this(files, null, runId, nLayers, true, false);
    }

    /**
     * A run of a grid's model factory: its configuration is the grid's, its layers are the network's {@code nLayers}
     * (read as a plain net's, as the listener reads any DL4J network).
     */
    public static RunWriter ofFactory(TaskFiles files, RunConfig rc, int nLayers) throws IOException {
        return new RunWriter(files, rc, rc.runId, nLayers, true, false);
    }

    private RunWriter(TaskFiles files, RunConfig rc, String id, int nLayers, boolean plain, boolean ownsFiles)
            throws IOException {
        this.rc = rc;
        this.id = id;
        this.files = files;
        this.ownsFiles = ownsFiles;
        this.steps = files.writer(Table.STEPS);
        this.params = files.writer(Table.PARAMS);
        this.layers = files.writer(Table.LAYERS);
        this.timesteps = files.writer(Table.TIMESTEPS);
        Double frozen = files.layout().frozenUpdateRatio();
        this.stalls = frozen == null ? null : new LayerStallRows(nLayers, plain, frozen);
    }

    @Override
    public void heldOutLoss(double loss) {
        heldOut = loss;
    }

    @Override
    public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {
        Double held = heldOut; // as measured, NaN included; null where none was evaluated
        heldOut = null;
        RowWriter.Row row = steps.begin()
                .str(id)
                .num(step)
                .num(loss)
                .numOrNull(gradL2Total)
                .numOrNull(updateL2Total)
                .numOrNull(lr) // NaN: an optimizer without a learning rate (listener runs)
                .num(stepMs);
        end(steps, held == null ? row.none() : row.num(held));
    }

    @Override
    public void param(int step, Segment s, ParamStats p) {
        double upd = p.updateL2(), par = p.paramL2(), ratio = par > 0 ? upd / par : Double.NaN;
        if (stalls != null) stalls.param(step, s.layer, s.param, p.gradL2(), Double.isNaN(ratio) ? null : ratio);
        end(
                params,
                params.begin()
                        .str(id)
                        .num(step)
                        .num(s.layer)
                        .str(s.layerName)
                        .str(s.param)
                        .num(s.length)
                        .num(p.gradL2())
                        .num(p.gradMeanAbs())
                        .num(p.maxAbs)
                        .num(p.gradMean())
                        .num(par)
                        .numOrNull(upd)
                        .numOrNull(ratio)
                        .num(p.zeroFrac())
                        .num(p.nonfinite));
    }

    /** {@code a} null: the engine had no activations of this layer in this step (a listener run's output layer). */
    @Override
    public void layerResponse(double std) {
        response = std;
    }

    @Override
    public void layer(int step, LayerInfo l, ActStats a, double outGradL2) {
        Double resp = response; // null where the engine measured none (every architecture but conv)
        response = null;
        if (stalls != null && a != null)
            stalls.layer(
                    step,
                    l.index,
                    l.kind,
                    a.mean(),
                    a.std(),
                    orNull(a.saturatedFrac()),
                    a.deadFrac(),
                    orNull(outGradL2));
        RowWriter.Row row =
                layers.begin().str(id).num(step).num(l.index).str(l.name).str(l.kind);
        if (a == null) row.none().none().none().none().none().none();
        else
            row.num(a.mean())
                    .num(a.std())
                    .numOrNull(a.saturatedFrac())
                    .num(a.deadFrac())
                    .num(a.zeroFrac())
                    .numOrNull(a.slopeSqMean());
        row.numOrNull(outGradL2);
        if (resp == null) row.none();
        else row.numOrNull(resp);
        end(layers, row.str(l.deltaFrom));
    }

    @Override
    public void timeStep(int step, TimeStepStats t) {
        end(
                timesteps,
                timesteps
                        .begin()
                        .str(id)
                        .num(step)
                        .num(t.layer())
                        .str(t.layerName())
                        .num(t.t())
                        .num(t.hGradL2())
                        .num(t.hGradZeroFrac())
                        .num(t.hGradNonfinite())
                        .numOrNull(t.cGradL2())
                        .num(t.hMeanAbs())
                        .numOrNull(t.satFrac())
                        .numOrNull(t.slopeSqMean())
                        .numOrNull(t.gateMean()));
    }

    /** Attention rows: the table's file is opened by the first (a task without transformers has none). */
    @Override
    public void attention(int step, AttentionStats a) {
        RowWriter w;
        try {
            w = files.writer(Table.ATTENTION);
        } catch (IOException e) {
            throw new RunRecorder.NotRecorded("cannot write the rows of run " + id, e);
        }
        end(
                w,
                w.begin()
                        .str(id)
                        .num(step)
                        .num(a.layer())
                        .num(a.head())
                        .num(a.entropyMean())
                        .num(a.entropyMin())
                        .num(a.maxLogit())
                        .numOrNull(a.tokenCosMean())); // NaN: a one-token context has no pairs
    }

    /** Rows are written by the time the call returns, so the builder's row can be reused. */
    private void end(RowWriter w, RowWriter.Row built) {
        try {
            w.end();
        } catch (IOException | org.apache.hadoop.fs.FSError e) { // FSError: Hadoop's local file system, e.g. disk full
            throw new RunRecorder.NotRecorded("cannot write the rows of run " + id, e);
        }
    }

    private void writeStalls() throws IOException {
        if (stalls == null) return;
        RowWriter w = files.writer(Table.LAYER_STALLS);
        for (Object[] row : stalls.rows(id)) w.write(row);
    }

    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** Writes the run's layer_stalls rows, then its runs row (times in epoch ms): the run is complete in its task's files. */
    public void commit(RunOutcome o, Placement where, Provenance prov, long startedAt, long finishedAt)
            throws IOException {
        if (stalls != null && o.stepsDone > 0 && rc.user == null && o.nLayers != rc.depth + 1)
            throw new IllegalStateException("n_layers " + o.nLayers + " is not depth + 1 for run " + id);
        writeStalls();
        files.writer(Table.RUNS)
                .write(
                        id,
                        rc.sweep,
                        given("depth", rc.depth),
                        given("width", rc.width),
                        given("activation", rc.activation.key),
                        given("init", rc.init.toString()),
                        rc.norm.key,
                        rc.placement.key,
                        rc.skip.key,
                        rc.task.canonical(),
                        rc.train.optimizer.name().toLowerCase(),
                        rc.train.lr,
                        rc.train.batch,
                        rc.train.steps,
                        rc.train.clip,
                        rc.train.dtype.name().toLowerCase(),
                        rc.seed,
                        o.statusText(),
                        o.error,
                        o.stepsDone,
                        orNull(o.lossFirst),
                        orNull(o.lossLast),
                        orNull(o.lossBest),
                        o.wallMs,
                        orNull(o.msPerStep),
                        where.backend(),
                        where.device(),
                        where.host(),
                        where.attempt(),
                        startedAt * 1000,
                        finishedAt * 1000,
                        o.nParams,
                        o.nLayers,
                        where.engine(),
                        orNull(o.lossBaseline),
                        orNull(o.gapClosed()),
                        o.lossWindow == 0 ? null : o.lossWindow,
                        prov.version(),
                        prov.commit(),
                        prov.nd4jBackend(),
                        prov.nd4jVersion(),
                        prov.statsPath(),
                        rc.cell.key,
                        rc.seqLen > 0 ? rc.seqLen : null,
                        rc.recInitText(),
                        rc.cell == Cell.LSTM ? rc.train.forgetBias : null,
                        rc.train.warmup,
                        rc.skip == Skip.HIGHWAY ? rc.train.highwayGateBias : null,
                        rc.arch.key,
                        rc.arch == Arch.TRANSFORMER ? rc.heads : null,
                        rc.arch == Arch.TRANSFORMER ? rc.train.ffn : null,
                        rc.positionsText(),
                        rc.arch == Arch.CONV ? rc.train.stages : null,
                        rc.arch == Arch.CONV && rc.norm == Norm.GROUP ? rc.train.groups : null,
                        rc.user == null ? null : rc.user.factoryClass,
                        rc.user == null ? null : rc.user.customText());
    }

    /** An architecture axis' value; null for a factory's run whose grid did not list it (it means nothing there). */
    private Object given(String axis, Object value) {
        return rc.user == null || rc.user.given.contains(axis) ? value : null;
    }

    /**
     * Writes the layer_stalls rows and the runs row of a run without a {@link RunConfig}: {@code config}'s columns
     * by name (a listener's name, tags and what its owner said of the configuration), the outcome's, placement's and
     * provenance's as {@link #commit(RunOutcome, Placement, Provenance, long, long)} writes them, the rest null.
     */
    public void commit(
            Map<String, Object> config, RunOutcome o, Placement where, Provenance prov, long startedAt, long finishedAt)
            throws IOException {
        writeStalls();
        Object[] row = new Object[Table.RUNS.columns.size()];
        config.forEach((k, v) -> row[Table.RUNS.index(k)] = v);
        Map<String, Object> done = new java.util.LinkedHashMap<>();
        done.put("run_id", id);
        done.put("status", o.statusText());
        done.put("error", o.error);
        done.put("steps_done", o.stepsDone);
        done.put("loss_first", orNull(o.lossFirst));
        done.put("loss_last", orNull(o.lossLast));
        done.put("loss_best", orNull(o.lossBest));
        done.put("wall_ms", o.wallMs);
        done.put("ms_per_step", orNull(o.msPerStep));
        done.put("backend", where.backend());
        done.put("device", where.device());
        done.put("host", where.host());
        done.put("attempt", where.attempt());
        done.put("started_at", startedAt * 1000);
        done.put("finished_at", finishedAt * 1000);
        done.put("n_params", o.nParams);
        done.put("n_layers", o.nLayers);
        done.put("engine", where.engine());
        done.put("loss_baseline", orNull(o.lossBaseline));
        done.put("gap_closed", orNull(o.gapClosed()));
        done.put("loss_window", o.lossWindow == 0 ? null : o.lossWindow);
        done.put("gradsweep_version", prov.version());
        done.put("git_commit", prov.commit());
        done.put("nd4j_backend", prov.nd4jBackend());
        done.put("nd4j_version", prov.nd4jVersion());
        done.put("stats_path", prov.statsPath());
        done.forEach((k, v) -> row[Table.RUNS.index(k)] = v);
        files.writer(Table.RUNS).write(row);
    }

    /** Closes the files if this writer opened them; a task's shared files are closed by the task. */
    @Override
    public void close() throws IOException {
        if (ownsFiles) files.close();
    }
}
