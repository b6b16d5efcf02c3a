package dev.gradsweep.conv;

import static dev.gradsweep.conv.ConvNetFixtures.BATCH;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.conv.kernel.WinogradTest;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.TrainingMemory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The host float32 path (host-direct memory: the convolutions in {@code VectorConv}) against the float64 net of the
 * same parameters and batch (every float32 value is exact in float64). Its rounding error is bounded by that of the
 * same float32 computation on ND4J's own ops (the portable path: libnd4j's conv2d in float32), an independent
 * implementation of the same sums in another order: within a factor 4 of it, plus one float32 ulp of the gradient's
 * norm. A wrong tap or a missing term is an O(1) error and fails by orders of magnitude.
 */
class HostConvPathTest {
    @ParameterizedTest
    @CsvSource({"BATCH,RESIDUAL,POST", "NONE,NONE,POST", "GROUP,REZERO,PRE", "NONE,FIXUP,POST"})
    void hostFloat32IsAsCloseToFloat64AsNd4jFloat32(Norm norm, Skip skip, Placement placement) {
        check(norm, skip, placement, 4, ConvNetFixtures.H, 4);
    }

    /**
     * Widths 8 and 16 on 8 × 8 and 4 × 4 maps: the stride-1 3 × 3 convolutions (both stages) and their gradients
     * run as Winograd's F(4 × 4, 3 × 3) ({@code kernel.WinogradTest}), the stem and the stride-2 ones directly. That
     * form rounds differently from a direct sum, so the factor 4 is scaled by the ratio of the two forms' a-priori
     * rounding bounds on these shapes (computed from the transform matrices, ≈ 100): a wiring error, O(1), is still
     * about 10⁴ times the bound.
     */
    @ParameterizedTest
    @CsvSource({"BATCH,RESIDUAL,POST", "NONE,NONE,POST", "GROUP,REZERO,PRE"})
    void hostFloat32WithWinogradConvolutionsIsAsCloseToFloat64AsNd4jFloat32(Norm norm, Skip skip, Placement placement) {
        double ratio = Math.max(
                WinogradTest.boundRatio(new ConvShape(BATCH, 8, 8, 8, 8, 3, 1), 1),
                WinogradTest.boundRatio(new ConvShape(BATCH, 4, 4, 16, 16, 3, 1), 3));
        check(norm, skip, placement, 8, 8, 4 * ratio);
    }

    private static void check(Norm norm, Skip skip, Placement placement, int width, int side, double factor) {
        ConvNet host = net(norm, skip, placement, TrainSpec.DType.FLOAT32, TrainingMemory.hostDirect(), width, side);
        ConvNet nd = net(norm, skip, placement, TrainSpec.DType.FLOAT32, TrainingMemory.portable(), width, side);
        ConvNet exact = net(norm, skip, placement, TrainSpec.DType.FLOAT64, TrainingMemory.portable(), width, side);
        ConvNetFixtures.jitter(host, 0.2, 11);
        nd.params().assign(host.params());
        exact.params().assign(host.params().castTo(DataType.DOUBLE));
        INDArray[] b32 = ConvNetFixtures.batch(DataType.FLOAT, 5, side);
        double lh = run(host, b32), ln = run(nd, b32);
        double le = run(exact, new INDArray[] {b32[0].castTo(DataType.DOUBLE), b32[1].castTo(DataType.DOUBLE)});
        INDArray g = exact.gradient();
        double gh = host.gradient().castTo(DataType.DOUBLE).sub(g).norm2Number().doubleValue();
        double gn = nd.gradient().castTo(DataType.DOUBLE).sub(g).norm2Number().doubleValue();
        double ulp = Math.ulp((float) g.norm2Number().doubleValue());
        assertTrue(gh <= factor * gn + ulp, "gradient error host " + gh + ", nd4j " + gn);
        assertTrue(Math.abs(lh - le) <= factor * Math.abs(ln - le) + Math.ulp((float) le), lh + " " + ln + " " + le);
        assertTrue(gh > 0 && gh != gn, "the host path ran its own float32 kernels: " + gh + " vs " + gn);
    }

    private static ConvNet net(Norm n, Skip s, Placement p, TrainSpec.DType dt, TrainingMemory m, int width, int side) {
        return new ConvNet(ConvNetFixtures.spec(n, s, p, Activation.RELU, dt, width, side), BATCH, m);
    }

    private static double run(ConvNet net, INDArray[] batch) {
        net.setBatch(batch[0], batch[1]);
        return net.computeGradient();
    }
}
