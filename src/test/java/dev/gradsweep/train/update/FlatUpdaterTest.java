package dev.gradsweep.train.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The flat-buffer optimizer step moves the parameters exactly as DL4J's per-array updater does. */
class FlatUpdaterTest {
    @ParameterizedTest
    @EnumSource(TrainSpec.Optimizer.class)
    void sameParametersAsDl4jUpdaterOverSeveralSteps(TrainSpec.Optimizer opt) {
        TrainSpec train = new TrainSpec(5, 8, opt, 0.05, "none", TrainSpec.DType.FLOAT64);
        RunConfig rc = TestNets.config(
                3,
                7,
                Activation.TANH,
                "xavier",
                "none",
                "n/a",
                "none",
                TestNets.regression(TaskSpec.Kind.GAUSS, 4, 2, 8),
                train,
                3);
        ComputationGraph a = NetworkFactory.build(rc).graph(),
                b = NetworkFactory.build(rc).graph();
        assertEquals(a.params(), b.params());
        FlatUpdater flat = FlatUpdater.forLayers(b.getLayers(), b.numParams(), b.params());
        assertNotNull(flat, "plain MLPs share one optimizer");
        Nd4j.getRandom().setSeed(5);
        for (int step = 0; step < 5; step++) {
            INDArray x = Nd4j.randn(DataType.DOUBLE, 8, 4), y = Nd4j.randn(DataType.DOUBLE, 8, 2);
            a.setInput(0, x);
            a.setLabels(y);
            a.computeGradientAndScore();
            a.getUpdater().update(a.gradient(), step, 0, 8, LayerWorkspaceMgr.noWorkspaces());
            a.params().subi(a.getGradientsViewArray().reshape(a.params().shape()));
            b.setInput(0, x);
            b.setLabels(y);
            b.computeGradientAndScore();
            flat.apply(b.getGradientsViewArray(), 8, step);
            b.params().subi(b.getGradientsViewArray().reshape(b.params().shape()));
            double diff = a.params().sub(b.params()).norm2Number().doubleValue();
            assertEquals(0.0, diff, 1e-14 * a.params().norm2Number().doubleValue(), opt + " step " + step);
        }
    }
}
