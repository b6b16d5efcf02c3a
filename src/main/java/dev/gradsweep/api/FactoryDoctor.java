package dev.gradsweep.api;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.Doctor;
import dev.gradsweep.train.FitProbe;
import dev.gradsweep.train.RunOutcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code gradsweep doctor --grid}: a grid's model factory's network trained a few steps as a sweep trains it (DL4J's
 * {@code fit}, the listener's probe on this backend's memory path), every recorded statistic recomputed from the
 * same arrays with the plain ND4J reductions of {@link Doctor}. So a user's own network is checked on a new machine
 * or backend (the GPU's portable path) as gradsweep's nets are.
 */
public final class FactoryDoctor {
    private FactoryDoctor() {}

    public static Doctor.Result check(RunConfig rc, int steps, TrainingMemory memory) {
        Model net = Factories.build(rc);
        TaskData data = Tasks.generate(rc.task, rc.seed);
        Recorded got = new Recorded();
        RunOutcome out = new RunOutcome();
        FitProbe probe = new FitProbe(got, out, memory);
        Expected want = new Expected(probe);
        net.addListeners(probe, want); // after the probe: the same activations and the same raw gradient
        Batches batches = new Batches(data, rc.train.batch, net.params().dataType(), rc.seed, memory);
        int[] done = {0};
        return Doctor.compareSteps(
                memory.name(),
                new Doctor.Steps(
                        () -> done[0] < steps,
                        () -> {
                            batches.next();
                            DataSet d = new DataSet(batches.features, batches.labels);
                            if (net instanceof MultiLayerNetwork n) n.fit(d);
                            else ((ComputationGraph) net).fit(d);
                            done[0]++;
                        },
                        () -> want.updateApplied(gradientView(net))), // the buffer holds the update now
                out,
                want.rows,
                got.rows);
    }

    /** The probe's rows, copied as emitted; layers without activations (the output layer) have none. */
    private static final class Recorded implements RunRecorder {
        final Map<String, double[]> rows = new LinkedHashMap<>();
        final Doctor.Rows params = new Doctor.Rows();

        @Override
        public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double ms) {}

        @Override
        public void param(int step, Segment s, ParamStats p) {
            params.param(step, s, p);
            rows.putAll(params.rows);
            params.rows.clear();
        }

        @Override
        public void layer(int step, LayerInfo l, ActStats a, double outGradL2) {
            if (a != null)
                rows.put(step + " " + l.name, new double[] {
                    a.mean(), a.std(), a.saturatedFrac(), a.deadFrac(), a.zeroFrac(), a.slopeSqMean()
                });
        }
    }

    /** The same statistics from plain ND4J reductions over double copies of DL4J's arrays. */
    private static final class Expected extends BaseTrainingListener {
        final Map<String, double[]> rows = new LinkedHashMap<>();
        final FitProbe probe;

        Expected(FitProbe probe) {
            this.probe = probe;
        }

        @Override
        public void onForwardPass(Model m, List<INDArray> activations) {
            LayerInfo[] layers = probe.layers();
            for (int i = 0; i + 1 < activations.size() && i < layers.length; i++)
                act(layers[i], activations.get(i + 1));
        }

        @Override
        public void onForwardPass(Model m, Map<String, INDArray> activations) {
            for (LayerInfo l : probe.layers()) if (activations.containsKey(l.name)) act(l, activations.get(l.name));
        }

        private void act(LayerInfo l, INDArray a) {
            if (a == null || a.rank() < 2 || a.size(0) == 0) return;
            INDArray rows2d = a.rank() == 2 ? a : a.reshape('c', a.size(0), a.length() / a.size(0));
            rows.put(l.name, Doctor.actRow(rows2d, l.fn));
        }

        /** The raw gradient of the mean loss and the parameters it was computed at, before the updater. */
        @Override
        public void onGradientCalculation(Model m) {
            INDArray grad = gradientView(m);
            for (Segment s : probe.segments())
                rows.put(s.layerName + "_" + s.param, Doctor.paramRow(grad, m.params(), s, 1.0 / m.batchSize()));
        }

        void updateApplied(INDArray update) {
            Doctor.updateApplied(rows, probe.segments(), update);
        }
    }

    /** DL4J's flat gradient buffer (after the updater ran, the update). */
    private static INDArray gradientView(Model m) {
        return m instanceof MultiLayerNetwork n
                ? n.getGradientsViewArray()
                : ((ComputationGraph) m).getGradientsViewArray();
    }
}
