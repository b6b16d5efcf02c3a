package dev.gradsweep.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.FitProbe;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The listener's statistics against an independent implementation: a network gradsweep's own factory builds, trained
 * by the sweep's loop with its probe and, from the same seed and minibatches, by DL4J's own {@code fit} with the
 * listener. Every params and steps value must agree (float64: rounding only, the optimizers are DL4J's updater and
 * the sweep's flat one).
 */
class FitProbeTest {
    static final String GRID = String.join(
            "\n",
            "name: t",
            "task: {kind: teacher, inputs: 5, samples: 64}",
            "train: {steps: 5, batch: 8, optimizer: sgd, lr: 0.1, dtype: float64}",
            "axes: {depth: [3], width: [6], activation: [tanh], init: [xavier]}",
            "");

    /** Rows by "step layer_name param" (params) and "step" (steps, key "step N"). */
    static final class Rows implements RunRecorder {
        final Map<String, double[]> rows = new TreeMap<>();
        final List<LayerInfo> layerInfos = new ArrayList<>();
        final List<ActStats> acts = new ArrayList<>();

        @Override
        public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {
            rows.put("step " + step, new double[] {loss, gradL2Total, updateL2Total, lr});
        }

        @Override
        public void param(int step, Segment s, ParamStats p) {
            rows.put(step + " " + s.layerName + " " + s.param + " " + s.layer, new double[] {
                p.gradL2(),
                p.gradMeanAbs(),
                p.maxAbs,
                p.gradMean(),
                p.paramL2(),
                p.updateL2(),
                p.zeroFrac(),
                p.nonfinite
            });
        }

        @Override
        public void layer(int step, LayerInfo layer, ActStats stats, double outGradL2) {
            if (step == 0) {
                layerInfos.add(layer);
                acts.add(stats);
            }
        }
    }

    @Test
    void theListenerOnDl4jsFitRecordsWhatTheSweepRecords() {
        RunConfig rc = GridSpec.parse(GRID, "g.yaml").expand().get(0);
        TaskData data = Tasks.generate(rc.task, rc.seed);
        Rows sweep = new Rows();
        RunOutcome swept = Trainer.train(rc, data, sweep, true);
        assertEquals("ok", swept.statusText(), swept.error);

        ComputationGraph g = NetworkFactory.build(rc).graph();
        Rows listener = new Rows();
        RunOutcome out = new RunOutcome();
        g.setListeners(new FitProbe(listener, out, TrainingMemory.forBackend()));
        Batches b = new Batches(data, rc.train.batch, NetworkFactory.dataType(rc.train.dtype), rc.seed);
        for (int i = 0; i < rc.train.steps; i++) {
            b.next();
            g.fit(new DataSet(b.features.dup(), b.labels.dup()));
        }
        assertEquals(rc.train.steps, out.stepsDone);
        assertEquals(rc.depth + 1, out.nLayers);
        assertEquals(g.numParams(), out.nParams);
        // same keys: every parameter array of every step, with the sweep's layer index and name
        assertEquals(sweep.rows.keySet(), listener.rows.keySet());
        for (Map.Entry<String, double[]> e : sweep.rows.entrySet()) {
            double[] want = e.getValue(), got = listener.rows.get(e.getKey());
            for (int c = 0; c < want.length; c++)
                assertEquals(want[c], got[c], 1e-10 * Math.abs(want[c]) + 1e-300, e.getKey() + " column " + c);
        }
        // δ sources: every dense layer and the output layer have a bias; the output layer gets no activations
        for (LayerInfo l : listener.layerInfos) assertEquals("b", l.deltaFrom, l.name);
        assertNull(listener.acts.get(rc.depth), "DL4J hands no output-layer activations to a listener");
        for (int l = 0; l < rc.depth; l++) assertTrue(listener.acts.get(l).count == 8L * 6, "layer " + l);
    }
}
