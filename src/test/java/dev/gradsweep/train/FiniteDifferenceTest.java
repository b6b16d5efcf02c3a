package dev.gradsweep.train;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DL4J's back-propagated gradients, as the probe reads them (batch-summed, scaled by 1/batch), agree with central
 * finite differences of the reported loss on a tiny float64 network, for every activation a grid may name. The
 * probe's per-array L2 must equal the L2 of the finite-difference gradient.
 */
class FiniteDifferenceTest {
    static final double EPS = 1e-6;

    @ParameterizedTest
    @EnumSource(Activation.class)
    void gradientsMatchCentralDifferences(Activation act) {
        TaskSpec task = new TaskSpec(TaskSpec.Kind.TEACHER, 3, 2, 8, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TrainSpec train = new TrainSpec(1, 4, TrainSpec.Optimizer.SGD, 0.1, "none", TrainSpec.DType.FLOAT64);
        MultiLayerNetwork net = NetworkFactory.build(3, 4, act, Init.parse("xavier"), 3, 2, TaskSpec.Objective.REGRESSION, train, 42);
        // non-zero biases, so the bias path is checked too, and pre-activations avoid ReLU kinks at exactly 0
        INDArray p = net.params();
        p.addi(Nd4j.rand(DataType.DOUBLE, p.shape()).subi(0.5).muli(0.2));
        TaskData data = Tasks.generate(task, 3);
        INDArray x = Nd4j.createFromArray(data.x).reshape(8, 3).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4)).dup();
        INDArray y = Nd4j.createFromArray(data.y).reshape(8, 2).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4)).dup();

        MemoryRecorder rec = MemoryRecorder.probeOneStep(net, act, x, y);
        INDArray analytic = net.getFlattenedGradients().dup().divi(4);

        DataSet ds = new DataSet(x, y);
        int n = (int) p.length();
        double[] numeric = new double[n];
        for (int i = 0; i < n; i++) {
            double orig = p.getDouble(i);
            p.putScalar(i, orig + EPS);
            double plus = net.score(ds, true);
            p.putScalar(i, orig - EPS);
            double minus = net.score(ds, true);
            p.putScalar(i, orig);
            numeric[i] = (plus - minus) / (2 * EPS);
        }
        int checked = 0;
        for (int i = 0; i < n; i++) {
            double a = analytic.getDouble(i), f = numeric[i];
            double scale = Math.max(Math.abs(a), Math.abs(f));
            if (scale < 1e-7) continue; // not tiny only: FD noise is ~1e-10 absolute
            assertTrue(Math.abs(a - f) / scale < 1e-5, act + " param " + i + ": backprop " + a + " vs finite difference " + f);
            checked++;
        }
        assertTrue(checked > n / 2, act + ": only " + checked + " of " + n + " gradients were large enough to check");
        for (Segment s : GradientProbe.segmentsOf(net)) {
            double sq = 0;
            for (int i = s.offset; i < s.offset + s.length; i++) sq += numeric[i] * numeric[i];
            double probeL2 = rec.param(0, s.layer, s.param).gradL2();
            assertEquals(Math.sqrt(sq), probeL2, 1e-5 * Math.sqrt(sq) + 1e-9, act + " layer " + s.layer + " " + s.param);
        }
    }
}
