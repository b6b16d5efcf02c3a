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
        end(steps, steps.begin().str(id).num(step).num(loss).numOrNull(gradL2Total).numOrNull(updateL2Total).num(lr).num(stepMs));
    }

    @Override
    public void param(int step, Segment s, ParamStats p) {
        double upd = p.updateL2(), par = p.paramL2();
        end(params, params.begin().str(id).num(step).num(s.layer).str(s.layerName).str(s.param).num(s.length).num(p.gradL2())
                .num(p.gradMeanAbs()).num(p.maxAbs).num(p.gradMean()).num(par).numOrNull(upd).numOrNull(par > 0 ? upd / par : Double.NaN)
                .num(p.zeroFrac()).num(p.nonfinite));
    }

    @Override
    public void layer(int step, LayerInfo l, ActStats a, double outGradL2) {
        end(layers, layers.begin().str(id).num(step).num(l.index).str(l.name).str(l.kind).num(a.mean()).num(a.std())
                .numOrNull(a.saturatedFrac()).num(a.deadFrac()).num(a.zeroFrac()).numOrNull(a.slopeSqMean()).numOrNull(outGradL2));
    }

    /** Rows are written by the time the call returns, so the builder's row can be reused. */
    private static void end(RowWriter w, RowWriter.Row built) {
        try {
            w.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** Writes the runs row, closes every file and commits the attempt. */
    public void commit(RunOutcome o, Placement where, long startedAt, long finishedAt) throws IOException {
        close();
        try (RowWriter runs = new RowWriter(Table.RUNS, new Path(staging, Table.RUNS.dir + ".parquet"), out.fs().getConf())) {
            runs.write(id, rc.sweep, rc.depth, rc.width, rc.activation.key, rc.init.toString(), rc.norm, rc.placement, rc.skip,
                    rc.task.canonical(), rc.train.optimizer.name().toLowerCase(), rc.train.lr, rc.train.batch, rc.train.steps,
                    rc.train.clip, rc.train.dtype.name().toLowerCase(), rc.seed, o.statusText(), o.error, o.stepsDone,
                    orNull(o.lossFirst), orNull(o.lossLast), orNull(o.lossBest), o.wallMs, orNull(o.msPerStep),
                    where.backend(), where.device(), where.host(), where.attempt(), startedAt, finishedAt, o.nParams, o.nLayers,
                    where.engine(), orNull(o.lossBaseline), orNull(o.gapClosed()), o.lossWindow == 0 ? null : o.lossWindow);
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
