package dev.gradsweep.conv.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * libnd4j's conv2d / conv2d_bp as {@link NdConv} calls them (NHWC, YXIO weights, explicit padding k / 2) compute
 * {@link ReferenceConv}'s definitions in float64, to rounding: the layout and padding arguments are right, including
 * stride 2 on even and odd sizes, where ND4J's own "same" mode would pad differently.
 */
class NdConvTest {
    @ParameterizedTest
    @CsvSource({"2,6,6,3,4,3,1", "2,6,6,3,5,3,2", "1,5,7,2,3,3,2", "2,6,6,4,8,1,2"})
    void matchesTheDefinitions(int b, int h, int w, int ci, int co, int k, int stride) {
        ConvShape s = new ConvShape(b, h, w, ci, co, k, stride);
        Random r = new Random(1);
        double[] x = normals(r, s.inputSize()), wt = normals(r, s.weightSize()), dy = normals(r, s.outputSize());
        double[] y = new double[s.outputSize()], dx = new double[s.inputSize()], dw = new double[s.weightSize()];
        ReferenceConv.forward(s, x, wt, y, null);
        ReferenceConv.inputGrad(s, dy, wt, dx);
        ReferenceConv.weightGrad(s, x, dy, dw);
        INDArray xa = rows(x, s.inputSize() / ci, ci), wa = rows(wt, s.taps() * ci, co);
        INDArray ya = Nd4j.create(DataType.DOUBLE, s.outputSize() / co, co), dya = rows(dy, s.outputSize() / co, co);
        INDArray dxa = xa.ulike(), dwa = wa.ulike();
        NdConv.forward(s, xa, wa, ya);
        NdConv.backward(s, xa, wa, dya, dxa, dwa);
        assertArrayEquals(y, ya.data().asDouble(), 1e-12, "forward");
        assertArrayEquals(dx, dxa.data().asDouble(), 1e-12, "input gradient");
        assertArrayEquals(dw, dwa.data().asDouble(), 1e-12, "weight gradient");
    }

    private static INDArray rows(double[] v, int rows, int cols) {
        return Nd4j.create(v, new long[] {rows, cols}, 'c');
    }

    private static double[] normals(Random r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextGaussian();
        return a;
    }
}
