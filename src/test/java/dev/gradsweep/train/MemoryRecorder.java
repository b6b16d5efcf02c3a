package dev.gradsweep.train;

import java.util.ArrayList;
import java.util.List;

/** Keeps every recorded row in memory, for tests. */
public final class MemoryRecorder implements RunRecorder {
    public record StepRow(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {}

    public record ParamRow(int step, int layer, String param, int size, double gradL2, double gradMeanAbs, double gradMaxAbs,
                           double gradMean, double paramL2, double updateL2, double zeroFrac, long nonfinite) {}

    public record LayerRow(int step, int layer, double mean, double std, double saturatedFrac, double deadFrac, double zeroFrac) {}

    public final List<StepRow> steps = new ArrayList<>();
    public final List<ParamRow> params = new ArrayList<>();
    public final List<LayerRow> layers = new ArrayList<>();

    @Override
    public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {
        steps.add(new StepRow(step, loss, gradL2Total, updateL2Total, lr, stepMs));
    }

    @Override
    public void param(int step, Segment s, ParamStats p) {
        params.add(new ParamRow(step, s.layer, s.param, s.length, p.gradL2(), p.gradMeanAbs(), p.maxAbs, p.gradMean(),
                p.paramL2(), p.updateL2(), p.zeroFrac(), p.nonfinite));
    }

    @Override
    public void layer(int step, LayerInfo l, ActStats a) {
        layers.add(new LayerRow(step, l.index, a.mean(), a.std(), a.saturatedFrac(), a.deadFrac(), a.zeroFrac()));
    }

    /** Runs one forward/backward pass of {@code net} on (x, y) with a probe attached and records its rows as step 0. */
    public static MemoryRecorder probeOneStep(org.deeplearning4j.nn.multilayer.MultiLayerNetwork net, dev.gradsweep.grid.Activation act,
                                              org.nd4j.linalg.api.ndarray.INDArray x, org.nd4j.linalg.api.ndarray.INDArray y) {
        GradientProbe probe = new GradientProbe(net, act);
        net.setListeners(probe);
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        probe.onGradient(1.0 / x.size(0));
        MemoryRecorder rec = new MemoryRecorder();
        probe.emit(0, rec);
        net.setListeners();
        return rec;
    }

    public ParamRow param(int step, int layer, String param) {
        return params.stream().filter(r -> r.step == step && r.layer == layer && r.param.equals(param)).findFirst().orElseThrow();
    }
}
