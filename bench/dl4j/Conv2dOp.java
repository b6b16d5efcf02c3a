/*
 * One libnd4j conv2d op (3x3, stride 1, NCHW, batch 32, C -> C channels, H = W) forward against one ND4J (OpenBLAS)
 * matrix product of the same FLOPs, the im2col GEMM [32·H·W, 9C] x [9C, C]: this thread's CPU time per call. Not part
 * of the build:  OMP_NUM_THREADS=1 java -Xmx2g -cp "target/lib/*" bench/dl4j/Conv2dOp.java C H
 */
import java.lang.management.ManagementFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

public class Conv2dOp {
    public static void main(String[] a) {
        var bean = ManagementFactory.getThreadMXBean();
        int c = Integer.parseInt(a[0]), hw = Integer.parseInt(a[1]);
        INDArray x = Nd4j.randn(DataType.FLOAT, 32, c, hw, hw), w = Nd4j.randn(DataType.FLOAT, c, c, 3, 3);
        Conv2DConfig cfg = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1).dH(1).dW(1).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).dataFormat("NCHW").weightsFormat(org.nd4j.enums.WeightsFormat.OIYX).build();
        INDArray out = Nd4j.create(DataType.FLOAT, 32, c, hw, hw);
        for (int i = 0; i < 5; i++) Nd4j.exec(new Conv2D(new INDArray[]{x, w}, new INDArray[]{out}, cfg));
        long c0 = bean.getCurrentThreadCpuTime();
        int n = 20;
        for (int i = 0; i < n; i++) Nd4j.exec(new Conv2D(new INDArray[]{x, w}, new INDArray[]{out}, cfg));
        double ms = (bean.getCurrentThreadCpuTime() - c0) / 1e6 / n;
        double flop = 2.0 * 32 * hw * hw * c * 9 * c;
        System.out.printf("conv2d op %d ch %dx%d: %.2f ms, %.1f GFLOP/s%n", c, hw, hw, ms, flop / ms / 1e6);
        // plain GEMM of the same size: [32*hw*hw, 9c] x [9c, c]
        INDArray col = Nd4j.randn(DataType.FLOAT, 32 * hw * hw, 9 * c), wm = Nd4j.randn(DataType.FLOAT, 9 * c, c);
        INDArray o2 = Nd4j.create(DataType.FLOAT, 32 * hw * hw, c);
        for (int i = 0; i < 5; i++) col.mmul(wm, o2);
        c0 = bean.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) col.mmul(wm, o2);
        ms = (bean.getCurrentThreadCpuTime() - c0) / 1e6 / n;
        System.out.printf("gemm same flops: %.2f ms, %.1f GFLOP/s%n", ms, flop / ms / 1e6);
    }
}
