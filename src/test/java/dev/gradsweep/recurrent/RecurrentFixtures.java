package dev.gradsweep.recurrent;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.TrainSpec;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Small float64 networks for the gradient checks. */
final class RecurrentFixtures {
    private RecurrentFixtures() {}

    /** The net and the batch it was given. */
    record Fixture(RecurrentNet net, double[] x, double[] y) {}

    /**
     * Two layers, normal:1 W_h, xavier W_x, every parameter shifted by U(−0.1, 0.1) (non-zero biases everywhere, and
     * ReLU pre-activations away from the kink at exactly 0), and a batch of the task set on it.
     */
    static Fixture perturbed(String cell, String act, SequenceTask task, int width, int seqLen, int batch, long seed) {
        RecurrentSpec spec = new RecurrentSpec(
                Cell.parse(cell),
                Activation.parse(act),
                2,
                width,
                seqLen,
                task.inputs(),
                task.outputs(),
                task.groups(),
                RecInit.parse("normal:1"),
                Init.parse("xavier"),
                1.0,
                TrainSpec.DType.FLOAT64,
                seed);
        RecurrentNet net = new RecurrentNet(spec, batch);
        INDArray p = net.params();
        Random rng = new Random(seed + 1);
        for (int i = 0; i < p.length(); i++) p.putScalar(i, p.getDouble(i) + 0.2 * (rng.nextDouble() - 0.5));
        double[] x = new double[seqLen * batch * task.inputs()], y = new double[batch * task.outputs()];
        task.fill(seed + 2, 0, batch, seqLen, x, y);
        net.setBatch(x, y);
        return new Fixture(net, x, y);
    }
}
