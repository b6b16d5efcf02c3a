package dev.gradsweep.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.FitProbe;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import java.util.List;
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

    @Test
    void theListenerOnDl4jsFitRecordsWhatTheSweepRecords() {
        RunConfig rc = GridSpec.parse(GRID, "g.yaml").expand().get(0);
        TaskData data = Tasks.generate(rc.task, rc.seed);
        MemoryRecorder sweep = new MemoryRecorder();
        RunOutcome swept = Trainer.train(rc, data, sweep, true);
        assertEquals("ok", swept.statusText(), swept.error);

        ComputationGraph g = NetworkFactory.build(rc).graph();
        MemoryRecorder listener = new MemoryRecorder();
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
        // every parameter array of every step, in the same order, with the sweep's layer index and name
        assertEquals(sweep.params.size(), listener.params.size());
        for (int i = 0; i < sweep.params.size(); i++) {
            MemoryRecorder.ParamRow want = sweep.params.get(i), got = listener.params.get(i);
            assertEquals(
                    List.of(want.step(), want.layer(), want.layerName(), want.param(), want.size(), want.nonfinite()),
                    List.of(got.step(), got.layer(), got.layerName(), got.param(), got.size(), got.nonfinite()));
            double[] w = {
                want.gradL2(),
                want.gradMeanAbs(),
                want.gradMaxAbs(),
                want.gradMean(),
                want.paramL2(),
                want.updateL2(),
                want.zeroFrac()
            };
            double[] v = {
                got.gradL2(),
                got.gradMeanAbs(),
                got.gradMaxAbs(),
                got.gradMean(),
                got.paramL2(),
                got.updateL2(),
                got.zeroFrac()
            };
            for (int c = 0; c < w.length; c++)
                assertEquals(w[c], v[c], 1e-10 * Math.abs(w[c]) + 1e-300, want + " " + c);
        }
        for (int i = 0; i < rc.train.steps; i++) {
            MemoryRecorder.StepRow want = sweep.steps.get(i), got = listener.steps.get(i);
            assertEquals(want.loss(), got.loss(), 1e-10 * want.loss());
            assertEquals(want.gradL2Total(), got.gradL2Total(), 1e-10 * want.gradL2Total());
            assertEquals(want.updateL2Total(), got.updateL2Total(), 1e-10 * want.updateL2Total());
            assertEquals(want.lr(), got.lr());
        }
        // the output layer has a layers row with no activations (DL4J hands listeners none of it), the others theirs
        List<MemoryRecorder.LayerRow> step0 =
                listener.layers.stream().filter(l -> l.step() == 0).toList();
        assertEquals(rc.depth + 1, step0.size());
        assertTrue(Double.isNaN(step0.get(rc.depth).std()), step0.get(rc.depth).toString());
        for (int l = 0; l < rc.depth; l++)
            assertTrue(step0.get(l).std() > 0, step0.get(l).toString());
    }
}
