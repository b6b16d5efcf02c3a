package dev.gradsweep.hostmem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reading views of DL4J's flat buffers from host memory gives the same numbers as ND4J's own accessors. */
class HostArrayTest {
    @ParameterizedTest
    @EnumSource(TrainSpec.DType.class)
    void parameterViewsReadLikeNd4j(TrainSpec.DType dtype) {
        TrainSpec train = new TrainSpec(1, 4, TrainSpec.Optimizer.SGD, 0.1, "none", dtype);
        ComputationGraph net = NetworkFactory.build(TestNets.config(
                        3,
                        5,
                        Activation.TANH,
                        "xavier",
                        "none",
                        "n/a",
                        "none",
                        TestNets.regression(TaskSpec.Kind.TEACHER, 4, 2, 8),
                        train,
                        1))
                .graph();
        INDArray flat = net.params();
        HostArray whole = HostArray.of(flat);
        int offset = 0;
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            for (var e : layer.paramTable().entrySet()) {
                INDArray view = e.getValue();
                HostArray h = HostArray.of(view);
                assertEquals(
                        view.sumNumber().doubleValue(),
                        sum(h),
                        1e-6 * view.norm1Number().doubleValue());
                double sq = 0;
                for (int i = 0; i < view.length(); i++) {
                    assertEquals(flat.getDouble(offset + i), h.get(i), 0.0);
                    assertEquals(flat.getDouble(offset + i), whole.get(offset + i), 0.0);
                    // the SIMD loops' in-place reads: a view's element 0 sits at base() of the shared buffer
                    if (h.isFloat())
                        assertEquals(flat.getDouble(offset + i), h.bytes().getFloat((h.base() + i) << 2), 0.0);
                    sq += h.get(i) * h.get(i);
                }
                assertEquals(sq, h.sumSq(0, h.length), 1e-12 * sq);
                offset += view.length();
            }
        }
        assertEquals(net.numParams(), offset);
    }

    @ParameterizedTest
    @EnumSource(TrainSpec.DType.class)
    void rowColumnAccessFollowsStorageOrder(TrainSpec.DType dtype) {
        INDArray base = Nd4j.linspace(1, 12, 12, NetworkFactory.dataType(dtype)).reshape(3, 4);
        for (char order : new char[] {'c', 'f'}) {
            INDArray a = base.dup(order);
            HostArray h = HostArray.of(a);
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++)
                    assertEquals(base.getDouble(r, c), h.get(r, c, 4), 0.0, order + " " + r + "," + c);
        }
    }

    static double sum(HostArray h) {
        double s = 0;
        for (int i = 0; i < h.length; i++) s += h.get(i);
        return s;
    }
}
