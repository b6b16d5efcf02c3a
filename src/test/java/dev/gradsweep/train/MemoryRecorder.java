package dev.gradsweep.train;

import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.AttentionStats;
import dev.gradsweep.stats.GradientProbe;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import java.util.ArrayList;
import java.util.List;

/** Keeps every recorded row in memory, for tests. */
public final class MemoryRecorder implements RunRecorder {
    public record StepRow(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {}

    public record ParamRow(
            int step,
            int layer,
            String layerName,
            String param,
            int size,
            double gradL2,
            double gradMeanAbs,
            double gradMaxAbs,
            double gradMean,
            double paramL2,
            double updateL2,
            double zeroFrac,
            long nonfinite) {}

    public record LayerRow(
            int step,
            int layer,
            String name,
            String kind,
            double mean,
            double std,
            double saturatedFrac,
            double deadFrac,
            double zeroFrac,
            double slopeSqMean,
            double outGradL2,
            /** response_std, NaN where none was recorded (null in the table). */
            double responseStd) {}

    public final List<StepRow> steps = new ArrayList<>();
    public final List<ParamRow> params = new ArrayList<>();
    public final List<LayerRow> layers = new ArrayList<>();
    /** Attention rows (transformer runs) as recorded, with their step. */
    public record AttentionRow(int step, AttentionStats stats) {}

    public final List<AttentionRow> attention = new ArrayList<>();
    /** Held-out losses by the step whose row carries them. */
    public final java.util.Map<Integer, Double> heldOut = new java.util.TreeMap<>();

    private Double pendingHeldOut;
    private double pendingResponse = Double.NaN;

    @Override
    public void layerResponse(double std) {
        pendingResponse = std;
    }

    @Override
    public void heldOutLoss(double loss) {
        pendingHeldOut = loss;
    }

    @Override
    public void attention(int step, AttentionStats a) {
        attention.add(new AttentionRow(step, a));
    }

    @Override
    public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {
        steps.add(new StepRow(step, loss, gradL2Total, updateL2Total, lr, stepMs));
        if (pendingHeldOut != null) heldOut.put(step, pendingHeldOut);
        pendingHeldOut = null;
    }

    @Override
    public void param(int step, Segment s, ParamStats p) {
        params.add(new ParamRow(
                step,
                s.layer,
                s.layerName,
                s.param,
                s.length,
                p.gradL2(),
                p.gradMeanAbs(),
                p.maxAbs,
                p.gradMean(),
                p.paramL2(),
                p.updateL2(),
                p.zeroFrac(),
                p.nonfinite));
    }

    /** {@code a} null (no activations this step: a listener's output layer): its values are NaN. */
    @Override
    public void layer(int step, LayerInfo l, ActStats a, double outGradL2) {
        double nan = Double.NaN;
        if (a == null) {
            layers.add(new LayerRow(
                    step, l.index, l.name, l.kind, nan, nan, nan, nan, nan, nan, outGradL2, pendingResponse));
            pendingResponse = Double.NaN;
            return;
        }
        layers.add(new LayerRow(
                step,
                l.index,
                l.name,
                l.kind,
                a.mean(),
                a.std(),
                a.saturatedFrac(),
                a.deadFrac(),
                a.zeroFrac(),
                a.slopeSqMean(),
                outGradL2,
                pendingResponse));
        pendingResponse = Double.NaN;
    }

    /** Runs one forward/backward pass of {@code net} on (x, y) with a probe attached and records its rows as step 0. */
    public static MemoryRecorder probeOneStep(
            dev.gradsweep.model.Net built,
            org.nd4j.linalg.api.ndarray.INDArray x,
            org.nd4j.linalg.api.ndarray.INDArray y) {
        org.deeplearning4j.nn.graph.ComputationGraph net = built.graph();
        GradientProbe probe = new GradientProbe(built);
        net.setListeners(probe);
        net.setInput(0, x);
        net.setLabels(y);
        net.computeGradientAndScore();
        probe.onGradient(1.0 / x.size(0));
        probe.complete();
        MemoryRecorder rec = new MemoryRecorder();
        probe.emit(0, rec);
        net.setListeners();
        return rec;
    }

    public ParamRow param(int step, int layer, String param) {
        return params.stream()
                .filter(r -> r.step == step && r.layer == layer && r.param.equals(param))
                .findFirst()
                .orElseThrow();
    }

    /** The row of one named parameter array, e.g. ("block3.fc2", "W"). */
    public ParamRow param(int step, String layerName, String param) {
        return params.stream()
                .filter(r -> r.step == step && r.layerName.equals(layerName) && r.param.equals(param))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no params row " + layerName + " " + param + " at step " + step));
    }

    public LayerRow layer(int step, String name) {
        return layers.stream()
                .filter(r -> r.step == step && r.name.equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no layers row " + name + " at step " + step));
    }
}
