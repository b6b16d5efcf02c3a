package dev.gradsweep.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.Net;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.TrainLoop;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The SameDiff bench engine trains exactly what the DL4J loop trains: same loss, same parameters after each step. */
class SameDiffMlpTest {
    static final int DEPTH = 3, BATCH = 8, STEPS = 3;

    static RunConfig run(Activation act, String init) {
        return TestNets.config(
                DEPTH,
                5,
                act,
                init,
                "none",
                "n/a",
                "none",
                TestNets.regression(TaskSpec.Kind.GAUSS, 4, 3, 64),
                TestNets.train(STEPS, BATCH, 0.5, "none", TrainSpec.DType.FLOAT64),
                7);
    }

    @ParameterizedTest
    @CsvSource({"SIGMOID,xavier", "RELU,he", "TANH,xavier"})
    void sameLossAndParametersAsDl4j(Activation act, String init) {
        RunConfig rc = run(act, init);
        TaskData data = Tasks.generate(rc.task, rc.seed);
        Net built = NetworkFactory.build(rc);
        MemoryRecorder rec = new MemoryRecorder();
        TrainLoop dl4j = new TrainLoop(built, rc, data, rec, false, new RunOutcome());
        SameDiffMlp sd = new SameDiffMlp(rc, data, false);
        INDArray start = built.graph().params().dup();
        for (int s = 0; s < STEPS; s++) {
            dl4j.step();
            double loss = sd.step();
            assertEquals(rec.steps.get(s).loss(), loss, 1e-10 * Math.abs(loss), "loss at step " + s);
            for (int l = 0; l <= DEPTH; l++) {
                String layer = l == DEPTH ? "output" : "dense" + l;
                for (String p : new String[] {"W", "b"}) {
                    INDArray expected = built.graph().getLayer(layer).getParam(p), actual = sd.param(layer, p);
                    assertEquals(expected.length(), actual.length(), layer + " " + p);
                    double[] e = flat(expected), a = flat(actual);
                    for (int i = 0; i < e.length; i++)
                        assertEquals(e[i], a[i], 1e-10, "step " + s + " " + layer + "_" + p + "[" + i + "]");
                }
            }
        }
        // the comparison is not vacuous: the losses change from step to step and training moved the parameters
        assertTrue(rec.steps.get(0).loss() != rec.steps.get(STEPS - 1).loss());
        assertTrue(start.distance2(built.graph().params()) > 1e-3);
    }

    /** Row-major values (DL4J's parameters are 'f'-order views of its flat buffer, which reshape mishandles). */
    static double[] flat(INDArray a) {
        return a.dup('c').data().asDouble();
    }

    /**
     * ∂L/∂a that SameDiff returns per hidden layer, pushed through the activation's slope and summed over the batch,
     * is DL4J's bias gradient of that layer (batch-summed there, so divided by the batch here).
     */
    @ParameterizedTest
    @CsvSource({"SIGMOID,xavier", "RELU,he"})
    void activationGradientsMatchDl4jBiasGradients(Activation act, String init) {
        RunConfig rc = run(act, init);
        TaskData data = Tasks.generate(rc.task, rc.seed);
        SameDiffMlp sd = new SameDiffMlp(rc, data, true);
        sd.step();
        Batches first = new Batches(data, BATCH, DataType.DOUBLE, rc.seed);
        first.next();
        ComputationGraph net = NetworkFactory.build(rc).graph();
        Map<String, INDArray> acts = net.feedForward(first.features, true);
        net.setInput(0, first.features);
        net.setLabels(first.labels);
        net.computeGradientAndScore();
        for (int l = 0; l < DEPTH; l++) {
            INDArray a = acts.get("dense" + l), dLda = sd.activationGradient(l);
            INDArray slope =
                    act == Activation.SIGMOID ? a.sub(a.mul(a)) : a.gt(0).castTo(DataType.DOUBLE);
            double[] delta = dLda.mul(slope).sum(0).toDoubleVector();
            double[] bias = net.gradient()
                    .gradientForVariable()
                    .get("dense" + l + "_b")
                    .dup('c')
                    .data()
                    .asDouble();
            double scale = 0;
            for (double v : bias) scale = Math.max(scale, Math.abs(v / BATCH));
            assertTrue(scale > 0, "layer " + l + " has a gradient");
            for (int i = 0; i < delta.length; i++)
                assertEquals(bias[i] / BATCH, delta[i], 1e-10 * scale, "layer " + l + " unit " + i);
        }
    }
}
