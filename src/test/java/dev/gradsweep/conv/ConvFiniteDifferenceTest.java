package dev.gradsweep.conv;

import static dev.gradsweep.conv.ConvNetFixtures.BATCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central differences in float64 of the mean loss against {@link ConvNet}'s backward: two elements (the first and a random one) of every
 * parameter array, and every δ tap as a directional derivative (a block's output gradient along a random direction,
 * the stem's bias-equivalent gradient along a random per-channel offset), for each norm × skip × placement and Fixup.
 * Parameters are moved off their init first, so ReZero's α and Fixup's zero convs do not hide a branch. tanh keeps
 * the loss smooth (ReLU's kinks would make a difference quotient meaningless where a step crosses one).
 */
class ConvFiniteDifferenceTest {
    private static final double H = 1e-5;

    static Stream<Arguments> nets() {
        List<Arguments> out = new ArrayList<>();
        for (Norm n : new Norm[] {Norm.NONE, Norm.BATCH, Norm.GROUP, Norm.LAYER})
            for (Skip s : new Skip[] {Skip.NONE, Skip.RESIDUAL, Skip.REZERO})
                for (Placement p : new Placement[] {Placement.POST, Placement.PRE}) out.add(Arguments.of(n, s, p));
        out.add(Arguments.of(Norm.NONE, Skip.FIXUP, Placement.POST));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("nets")
    void backwardMatchesCentralDifferences(Norm norm, Skip skip, Placement placement) {
        ConvSpec spec = ConvNetFixtures.spec(norm, skip, placement, Activation.TANH, TrainSpec.DType.FLOAT64);
        ConvNet net = new ConvNet(spec, BATCH, TrainingMemory.forBackend());
        ConvNetFixtures.jitter(net, 0.2, 11);
        INDArray[] b = ConvNetFixtures.batch(DataType.DOUBLE, 5);
        net.setBatch(b[0], b[1]);
        net.computeGradient();
        double[] g = net.gradient().toDoubleVector();
        INDArray p = net.params();
        Random r = new Random(3);
        int checked = 0;
        for (Segment s : net.segments()) {
            for (int k = 0; k < Math.min(2, s.length); k++) {
                int i = s.offset + (k == 0 ? 0 : r.nextInt(s.length));
                double v = p.getDouble(0, i);
                p.putScalar(0, i, v + H);
                double up = net.loss();
                p.putScalar(0, i, v - H);
                double down = net.loss();
                p.putScalar(0, i, v);
                double fd = (up - down) / (2 * H);
                assertClose(fd, g[i], s.layerName + "." + s.param + "[" + (i - s.offset) + "]");
                checked++;
            }
        }
        assertTrue(checked >= net.segments().length, "elements checked: " + checked);
        for (int t = 0; t < net.layerCount() - 1; t++) {
            INDArray delta = net.delta(t).dup();
            String kind = net.kind(t);
            if (!kind.equals("block") && !kind.equals("stem")) continue; // plain units' δ is a β or b gradient above
            INDArray at = kind.equals("block") ? net.activations(t) : net.response(t);
            INDArray dir = Nd4j.rand(DataType.DOUBLE, at.shape()).subi(0.5);
            if (kind.equals("stem"))
                dir = Nd4j.ones(DataType.DOUBLE, at.size(0), 1).mmul(dir.getRow(0, true));
            double expected = kind.equals("block")
                    ? delta.mul(dir).sumNumber().doubleValue()
                    : delta.mul(dir.getRow(0, true)).sumNumber().doubleValue();
            net.probe(t, dir.mul(H));
            double up = net.loss();
            net.probe(t, dir.mul(-H));
            double down = net.loss();
            net.probe(t, null);
            assertClose((up - down) / (2 * H), expected, net.layerName(t) + " δ tap");
        }
    }

    /** Truncation O(h²) and cancellation ε/h of the quotient are ~1e-10 here: 1e-7 absolute + 1e-5 relative. */
    private static void assertClose(double fd, double analytic, String what) {
        assertEquals(analytic, fd, 1e-7 + 1e-5 * Math.abs(analytic), what);
    }
}
