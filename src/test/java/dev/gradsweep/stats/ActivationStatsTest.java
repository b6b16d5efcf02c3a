package dev.gradsweep.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.Net;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.train.MemoryRecorder;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The layer statistics the probe takes inside DL4J's forward-pass callback (from workspace memory) equal those
 * computed independently from DL4J's own feed-forward output.
 */
class ActivationStatsTest {
    @ParameterizedTest
    @CsvSource({"sigmoid,normal:4,FLOAT32", "tanh,normal:3,FLOAT64", "relu,standard,FLOAT32"})
    void probeMatchesFeedForward(String act, String init, TrainSpec.DType dtype) {
        Activation a = Activation.parse(act);
        Net built = NetworkFactory.build(TestNets.config(
                6,
                12,
                a,
                init,
                "none",
                "n/a",
                "none",
                TestNets.regression(TaskSpec.Kind.GAUSS, 5, 2, 16),
                TestNets.train(1, 16, 0.1, "none", dtype),
                7));
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.randn(NetworkFactory.dataType(dtype), 16, 5).muli(3);
        INDArray y = Nd4j.zeros(NetworkFactory.dataType(dtype), 16, 2);
        MemoryRecorder rec = MemoryRecorder.probeOneStep(built, x, y);
        Map<String, INDArray> ff = built.graph().feedForward(x, true);
        assertEquals(6, rec.layers.size());
        boolean sawSaturation = false, sawDead = false;
        for (MemoryRecorder.LayerRow row : rec.layers) {
            INDArray out = ff.get("dense" + row.layer()).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
            double mean = out.meanNumber().doubleValue();
            double std =
                    Math.sqrt(out.sub(mean).muli(out.sub(mean)).meanNumber().doubleValue());
            double tol = dtype == TrainSpec.DType.FLOAT64 ? 1e-12 : 1e-6;
            assertEquals(mean, row.mean(), tol * (1 + Math.abs(mean)), "layer " + row.layer());
            assertEquals(std, row.std(), tol * (1 + std) * 10, "layer " + row.layer());
            long zeros = 0, sat = 0, dead = 0;
            double slopeSq = 0;
            for (int u = 0; u < out.columns(); u++) {
                boolean allZero = true;
                for (int r = 0; r < out.rows(); r++) {
                    double v = out.getDouble(r, u);
                    if (v == 0) zeros++;
                    else allZero = false;
                    double d = a.derivativeFromOutput(v);
                    slopeSq += d * d;
                    if (a.hasSaturation() && Math.abs(d) < ActStats.SATURATION_THRESHOLD * a.maxDerivative()) sat++;
                }
                if (allZero) dead++;
            }
            long n = out.length();
            assertEquals((double) zeros / n, row.zeroFrac(), 0.0);
            assertEquals((double) dead / out.columns(), row.deadFrac(), 0.0);
            assertEquals(
                    slopeSq / n,
                    row.slopeSqMean(),
                    1e-12 * (1 + slopeSq / n),
                    "act_slope_sq_mean, layer " + row.layer());
            if (a.hasSaturation()) assertEquals((double) sat / n, row.saturatedFrac(), 0.0);
            else assertTrue(Double.isNaN(row.saturatedFrac()));
            sawSaturation |= row.saturatedFrac() > 0;
            sawDead |= row.deadFrac() > 0;
        }
        // the chosen scales put the squashing nets into saturation, and the ReLU net loses units
        if (a.hasSaturation()) assertTrue(sawSaturation, act + ": expected some saturation at this scale");
        else assertTrue(sawDead || rec.layers.stream().anyMatch(r -> r.zeroFrac() > 0.3), "relu: expected zeros");
    }
}
