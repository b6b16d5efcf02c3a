package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.Net;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.stats.GradientProbe;
import dev.gradsweep.stats.Segment;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DL4J's back-propagated gradients, as the probe reads them (batch-summed, scaled by 1/batch), agree with central
 * finite differences of the reported loss on tiny float64 networks: every activation a grid may name in a plain
 * MLP, and every block type (residual, highway, rezero; batch, layer and RMS norm; pre and post). The probe's
 * per-array L2 must equal the L2 of the finite-difference gradient. Batch norm's running mean/variance are not
 * gradients and are left out (the probe leaves them out too).
 */
class FiniteDifferenceTest {
    static final double EPS = 1e-6;
    static final int BATCH = 4;

    @ParameterizedTest
    @EnumSource(Activation.class)
    void plainMlpGradientsMatchCentralDifferences(Activation act) {
        check(act, "none", "n/a", "none");
    }

    @ParameterizedTest
    @CsvSource({
        "tanh, batch, n/a, none",
        "tanh, layer, n/a, none",
        "tanh, none, n/a, residual",
        "relu, none, n/a, rezero",
        "tanh, none, n/a, highway",
        "tanh, layer, pre, residual",
        "tanh, layer, post, residual",
        "tanh, batch, pre, residual",
        "relu, batch, post, residual",
        "tanh, layer, pre, highway",
        "tanh, batch, post, highway",
        "tanh, layer, pre, rezero",
        "tanh, batch, post, rezero",
        "tanh, rms, n/a, none",
        "tanh, rms, pre, residual",
        "relu, rms, post, residual",
        "tanh, rms, pre, highway",
        "tanh, rms, post, rezero",
    })
    void blockGradientsMatchCentralDifferences(String act, String norm, String placement, String skip) {
        check(Activation.parse(act), norm, placement, skip);
    }

    static void check(Activation act, String norm, String placement, String skip) {
        String what = act.key + "/" + norm + "/" + placement + "/" + skip;
        TaskSpec task = TestNets.regression(TaskSpec.Kind.TEACHER, 3, 2, 8);
        TrainSpec train = TestNets.train(1, BATCH, 0.1, "none", TrainSpec.DType.FLOAT64);
        Net built = NetworkFactory.build(TestNets.config(3, 4, act, "xavier", norm, placement, skip, task, train, 42));
        ComputationGraph net = built.graph();
        // non-zero biases and ReZero alphas, so every path is checked, and pre-activations avoid ReLU kinks at exactly
        // 0
        INDArray p = net.params();
        p.addi(Nd4j.rand(DataType.DOUBLE, p.shape()).subi(0.5).muli(0.2));
        TaskData data = Tasks.generate(task, 3);
        INDArray x = Nd4j.createFromArray(data.x)
                .reshape(8, 3)
                .get(NDArrayIndex.interval(0, BATCH))
                .dup();
        INDArray y = Nd4j.createFromArray(data.y)
                .reshape(8, 2)
                .get(NDArrayIndex.interval(0, BATCH))
                .dup();

        MemoryRecorder rec = MemoryRecorder.probeOneStep(built, x, y);
        INDArray analytic = net.getGradientsViewArray().dup().divi(BATCH);

        DataSet ds = new DataSet(x, y);
        Segment[] all = GradientProbe.segmentsOf(built);
        boolean[] isGradient = new boolean[(int) p.length()];
        for (Segment s : all) for (int i = s.offset; i < s.offset + s.length; i++) isGradient[i] = s.gradient;
        int n = (int) p.length(), checked = 0, candidates = 0;
        double[] numeric = new double[n];
        for (int i = 0; i < n; i++) {
            if (!isGradient[i]) continue;
            candidates++;
            double orig = p.getDouble(i);
            p.putScalar(i, orig + EPS);
            double plus = net.score(ds, true);
            p.putScalar(i, orig - EPS);
            double minus = net.score(ds, true);
            p.putScalar(i, orig);
            numeric[i] = (plus - minus) / (2 * EPS);
            double a = analytic.getDouble(i), f = numeric[i];
            double scale = Math.max(Math.abs(a), Math.abs(f));
            if (scale < 1e-7) continue; // not tiny only: FD noise is ~1e-10 absolute
            assertTrue(
                    Math.abs(a - f) / scale < 1e-5,
                    what + " param " + i + ": backprop " + a + " vs finite difference " + f);
            checked++;
        }
        assertTrue(
                checked > candidates / 2,
                what + ": only " + checked + " of " + candidates + " gradients were large enough to check");
        for (Segment s : GradientProbe.segmentsOf(built)) {
            if (!s.gradient) continue; // batch norm's running statistics: no params rows
            double sq = 0;
            for (int i = s.offset; i < s.offset + s.length; i++) sq += numeric[i] * numeric[i];
            double probeL2 = rec.param(0, s.layerName, s.param).gradL2();
            assertEquals(Math.sqrt(sq), probeL2, 1e-5 * Math.sqrt(sq) + 1e-9, what + " " + s.layerName + " " + s.param);
        }
        if (norm.equals("batch"))
            assertTrue(
                    java.util.Arrays.stream(all).anyMatch(s -> !s.gradient),
                    what + ": running statistics must be marked");
    }

    /**
     * The block-output gradient tap: with one example and a residual block without a norm after the sum, ∂L/∂y of
     * block l is exactly the bias gradient of its fc2, so act_grad_l2 must equal that row's grad_l2.
     */
    @Test
    void blockOutputGradientEqualsFc2BiasGradientForOneExample() {
        TaskSpec task = TestNets.regression(TaskSpec.Kind.TEACHER, 3, 2, 8);
        TrainSpec train = TestNets.train(1, 1, 0.1, "none", TrainSpec.DType.FLOAT64);
        RunConfig rc = TestNets.config(3, 4, Activation.TANH, "xavier", "none", "n/a", "residual", task, train, 7);
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = Trainer.train(rc, Tasks.generate(task, 3), rec, true);
        assertEquals(RunOutcome.Status.OK, o.status, o.error);
        for (int l = 0; l < 3; l++) {
            double tap = rec.layer(0, "block" + l).outGradL2(),
                    b = rec.param(0, "block" + l + ".fc2", "b").gradL2();
            assertTrue(b > 0);
            assertEquals(b, tap, 1e-12 * b, "block " + l);
        }
    }
}
