package dev.gradsweep.store;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.train.ActStats;
import dev.gradsweep.train.LayerInfo;
import dev.gradsweep.train.ParamStats;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.RunRecorder;
import dev.gradsweep.train.Segment;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Records one run attempt into its staging directory; {@link #commit} writes the runs row and moves it into place. */
public final class RunWriter implements RunRecorder, Closeable {
    /** Where and how the run was trained, for the runs table ({@code engine}: "dl4j" or "stacked:<K>"). */
    public record Placement(String backend, String device, String host, int attempt, String engine) {}

    private final OutputDir out;
    private final RunConfig rc;
    private final int attempt;
    private final Path staging;
    private final RowWriter steps, params, layers;
    private final String id;

    public RunWriter(OutputDir out, RunConfig rc, int attempt) throws IOException {
        this.out = out;
        this.rc = rc;
        this.attempt = attempt;
        this.id = rc.runId;
        this.staging = out.stagingDir(rc.runId, attempt);
        Configuration conf = out.fs().getConf();
        out.fs().delete(staging, true); // leftovers of a crashed attempt with the same number
        this.steps = new RowWriter(Table.STEPS, new Path(staging, Table.STEPS.dir + ".parquet"), conf);
        this.params = new RowWriter(Table.PARAMS, new Path(staging, Table.PARAMS.dir + ".parquet"), conf);
        this.layers = new RowWriter(Table.LAYERS, new Path(staging, Table.LAYERS.dir + ".parquet"), conf);
    }

    @Override
    public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {
        write(steps, id, step, loss, orNull(gradL2Total), orNull(updateL2Total), lr, stepMs);
    }

    @Override
    public void param(int step, Segment s, ParamStats p) {
        double upd = p.updateL2(), par = p.paramL2();
        write(params, id, step, s.layer, s.layerName, s.param, s.length, p.gradL2(), p.gradMeanAbs(), p.maxAbs,
                p.gradMean(), par, upd, par > 0 ? upd / par : null, p.zeroFrac(), p.nonfinite);
    }

    @Override
    public void layer(int step, LayerInfo l, ActStats a, double outGradL2) {
        write(layers, id, step, l.index, l.name, l.kind, a.mean(), a.std(), orNull(a.saturatedFrac()), a.deadFrac(), a.zeroFrac(),
                orNull(a.slopeSqMean()), orNull(outGradL2));
    }

    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static void write(RowWriter w, Object... row) {
        try {
            w.write(row);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the runs row, closes every file and commits the attempt. */
    public void commit(RunOutcome o, Placement where, long startedAt, long finishedAt) throws IOException {
        close();
        try (RowWriter runs = new RowWriter(Table.RUNS, new Path(staging, Table.RUNS.dir + ".parquet"), out.fs().getConf())) {
            runs.write(id, rc.sweep, rc.depth, rc.width, rc.activation.key, rc.init.toString(), rc.norm, rc.placement, rc.skip,
                    rc.task.canonical(), rc.train.optimizer.name().toLowerCase(), rc.train.lr, rc.train.batch, rc.train.steps,
                    rc.train.clip, rc.train.dtype.name().toLowerCase(), rc.seed, o.statusText(), o.error, o.stepsDone,
                    o.lossFirst, o.lossLast, orNull(o.lossBest), o.wallMs, orNull(o.msPerStep),
                    where.backend(), where.device(), where.host(), where.attempt(), startedAt, finishedAt, o.nParams, o.nLayers,
                    where.engine());
        }
        out.commit(id, attempt);
    }

    @Override
    public void close() throws IOException {
        steps.close();
        params.close();
        layers.close();
    }
}
