package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Cell;
import dev.gradsweep.stats.Segment;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.LSTMParamInitializer;
import org.deeplearning4j.nn.params.SimpleRnnParamInitializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The same weights in DL4J's {@code SimpleRnn} / {@code LSTM} (no peepholes; {@code GravesLSTM} is the peephole
 * variant) stacks, the last one wrapped in {@code LastTimeStep}, then a dense output layer: DL4J's score equals our
 * mean loss and DL4J's batch-summed gradients / batch equal ours, per array, float64. Both engines compute the same
 * sums in a different order, so they agree to rounding (1e-10 relative, or 1e-12 absolute for tiny entries). The
 * layouts are the same by construction (W [in, G·H], RW [H, G·H], b [G·H], LSTM blocks [a, f, o, i]); a gate-order
 * mismatch would give O(1) differences.
 */
class Dl4jRecurrentCrossCheckTest {
    static final int BATCH = 5, T = 7, WIDTH = 6;

    @ParameterizedTest
    @CsvSource({
        "rnn, tanh, adding",
        "rnn, relu, adding",
        "lstm, tanh, adding",
        "lstm, tanh, copy:1:4",
        "rnn, tanh, copy:1:4"
    })
    void gradientsEqualDl4jOnTheSameWeights(String cellName, String act, String taskName) {
        Cell cell = Cell.parse(cellName);
        SequenceTask task = SequenceTask.parse(taskName);
        RecurrentFixtures.Fixture f = RecurrentFixtures.perturbed(cellName, act, task, WIDTH, T, BATCH, 5);
        RecurrentNet ours = f.net();
        INDArray p = ours.params();
        double[] x = f.x(), y = f.y();
        double loss = ours.computeGradient(false);

        MultiLayerNetwork net = dl4j(cell, act, task);
        Segment[] seg = ours.segments();
        String w = cell == Cell.LSTM ? LSTMParamInitializer.INPUT_WEIGHT_KEY : SimpleRnnParamInitializer.WEIGHT_KEY;
        String rw = cell == Cell.LSTM
                ? LSTMParamInitializer.RECURRENT_WEIGHT_KEY
                : SimpleRnnParamInitializer.RECURRENT_WEIGHT_KEY;
        String b = cell == Cell.LSTM ? LSTMParamInitializer.BIAS_KEY : SimpleRnnParamInitializer.BIAS_KEY;
        String[][] keys = {{w, rw, b}, {w, rw, b}, {"W", "b"}};
        int s = 0;
        for (int l = 0; l < 3; l++)
            for (String k : keys[l]) {
                INDArray mine = slice(p, seg[s++]);
                INDArray theirs = net.getLayer(l).getParam(k);
                assertEquals(theirs.length(), mine.length(), "layer " + l + " " + k + " size");
                net.getLayer(l).setParam(k, mine.reshape(theirs.shape()));
            }
        // DL4J's recurrent input is [batch, features, time]
        INDArray in = Nd4j.create(DataType.DOUBLE, BATCH, task.inputs(), T);
        for (int t = 0; t < T; t++)
            for (int bb = 0; bb < BATCH; bb++)
                for (int j = 0; j < task.inputs(); j++)
                    in.putScalar(new int[] {bb, j, t}, x[(t * BATCH + bb) * task.inputs() + j]);
        INDArray labels = Nd4j.createFromArray(y).reshape(BATCH, task.outputs());
        net.setInput(in);
        net.setLabels(labels);
        net.computeGradientAndScore();
        assertEquals(net.score(), loss, 1e-12 * loss, "score");
        Map<String, INDArray> g = net.gradient().gradientForVariable();
        INDArray mineG = ours.gradient();
        s = 0;
        int compared = 0;
        for (int l = 0; l < 3; l++)
            for (String k : keys[l]) {
                Segment sg = seg[s++];
                INDArray theirs = g.get(l + "_" + k).dup('c').reshape(sg.length);
                INDArray mine = slice(mineG, sg);
                double norm = mine.norm2Number().doubleValue();
                assertTrue(norm > 0, l + "_" + k + " is not trivially zero");
                for (int i = 0; i < sg.length; i++) {
                    double a = mine.getDouble(i), d = theirs.getDouble(i) / BATCH;
                    assertEquals(d, a, 1e-10 * Math.abs(d) + 1e-12, l + "_" + k + "[" + i + "]");
                    compared++;
                }
            }
        assertEquals(ours.numParams(), compared);
    }

    private static INDArray slice(INDArray flat, Segment s) {
        return flat.get(
                        org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(s.offset, s.offset + s.length))
                .dup('c');
    }

    private static MultiLayerNetwork dl4j(Cell cell, String act, SequenceTask task) {
        org.nd4j.linalg.activations.Activation f = act.equals("relu")
                ? org.nd4j.linalg.activations.Activation.RELU
                : org.nd4j.linalg.activations.Activation.TANH;
        boolean cls = task.groups() > 0;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(1)
                .updater(new Sgd(0.1))
                .list()
                .layer(rnn(cell, task.inputs(), f))
                .layer(new LastTimeStep(rnn(cell, WIDTH, f)))
                .layer(new OutputLayer.Builder(cls ? LossFunctions.LossFunction.MCXENT : LossFunctions.LossFunction.MSE)
                        .nIn(WIDTH)
                        .nOut(task.outputs())
                        .activation(
                                cls
                                        ? org.nd4j.linalg.activations.Activation.SOFTMAX
                                        : org.nd4j.linalg.activations.Activation.IDENTITY)
                        .build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static org.deeplearning4j.nn.conf.layers.Layer rnn(
            Cell cell, int nIn, org.nd4j.linalg.activations.Activation f) {
        if (cell == Cell.LSTM)
            return new LSTM.Builder()
                    .nIn(nIn)
                    .nOut(WIDTH)
                    .activation(org.nd4j.linalg.activations.Activation.TANH)
                    .gateActivationFunction(org.nd4j.linalg.activations.Activation.SIGMOID)
                    .build();
        return new SimpleRnn.Builder().nIn(nIn).nOut(WIDTH).activation(f).build();
    }
}
