package dev.gradsweep.closedform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** The classic worked example: 4 sigmoid layers of one unit, w = 0.1, b = 0, x = 1. */
class AnchorChainTest {
    @Test
    void closedFormMatchesTheWorkedExample() {
        List<AnchorChain.Layer> c = AnchorChain.compute(4, 0.1, 1.0, Activation.SIGMOID, 1.0);
        assertEquals(1.559e-5, c.get(0).delta(), 0.005 * 1.559e-5);
        assertEquals(64_100, c.get(3).delta() / c.get(0).delta(), 0.005 * 64_100);
        assertEquals(0.1, c.get(0).z(), 1e-15);
        assertEquals(0.525, c.get(0).a(), 0.0005);
        assertEquals(0.2494, c.get(0).slope(), 0.00005);
        for (int l = 1; l < 4; l++) assertEquals(0.0513, c.get(l).z(), 0.0013);
    }

    /** The same chain as a DL4J network: real back-propagation gives the closed form's weight-gradient ratio. */
    @Test
    void dl4jChainHasTheSameWeightGradientRatio() {
        TrainSpec train = new TrainSpec(1, 1, TrainSpec.Optimizer.SGD, 0.01, "none", TrainSpec.DType.FLOAT64);
        ComputationGraph net = NetworkFactory.build(TestNets.config(
                        4,
                        1,
                        Activation.SIGMOID,
                        "constant:0.1",
                        "none",
                        "n/a",
                        "none",
                        TestNets.regression(TaskSpec.Kind.GAUSS, 1, 1, 1),
                        train,
                        1))
                .graph();
        net.getLayer("output").getParam("W").assign(1.0); // identity read-out: dL/da_4 is the loss gradient itself
        net.setInput(0, Nd4j.createFromArray(new double[][] {{1.0}}));
        net.setLabels(Nd4j.createFromArray(new double[][] {{0.0}}));
        net.computeGradientAndScore();
        double first = net.gradient().getGradientFor("dense0_W").getDouble(0);
        double last = net.gradient().getGradientFor("dense3_W").getDouble(0);
        List<AnchorChain.Layer> c = AnchorChain.compute(4, 0.1, 1.0, Activation.SIGMOID, 1.0);
        double closed = c.get(0).gradW() / c.get(3).gradW();
        assertTrue(first != 0 && last != 0);
        assertEquals(closed, first / last, 1e-6 * Math.abs(closed));
    }
}
