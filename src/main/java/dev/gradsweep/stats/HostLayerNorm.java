package dev.gradsweep.stats;

import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.hostmem.HostMemory;
import dev.gradsweep.simd.Simd;
import dev.gradsweep.stats.TrainingMemory.LayerNormBuffers;
import java.nio.DoubleBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link HostDirectMemory}'s layer norm of a stack's [K, batch, n] rows on host memory (SIMD loops for float32).
 */
final class HostLayerNorm {
    private HostLayerNorm() {}

    /**
     * Two passes over host memory (centre and reduce each row; scale and shift it) around ND4J's own (σ² + eps)^-½ of
     * the K·batch row variances: two small ops, kept because libm's float32 pow, which ND4J calls, rounds a few
     * values in a thousand differently from Java's. float32 without the SIMD loops runs the ND4J ops themselves.
     */
    static void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, LayerNormBuffers b) {
        DataType dt = x.dataType();
        if (dt == DataType.FLOAT && !Simd.ENABLED) {
            PortableMemory.layerNormForwardOps(x, gamma, beta, eps, b);
            return;
        }
        HostDirectMemory.requireContiguous("layerNormForward", dt, x, gamma, beta, b.xhat, b.y, b.inv);
        int k = (int) x.size(0), rows = (int) (x.size(0) * x.size(1)), n = (int) x.size(2), batch = rows / k;
        HostDirectMemory.requireRows("layerNormForward", k, n, gamma, beta);
        if (dt == DataType.DOUBLE) {
            DoubleBuffer xb = x.data().asNioDouble(),
                    hb = b.xhat.data().asNioDouble(),
                    vb = b.inv.data().asNioDouble();
            int xo = HostMemory.offset(x), ho = HostMemory.offset(b.xhat), vo = HostMemory.offset(b.inv);
            for (int r = 0; r < rows; r++) {
                double s = 0, q = 0;
                for (int j = 0; j < n; j++) s += xb.get(xo + r * n + j);
                double mu = s / n;
                for (int j = 0; j < n; j++) {
                    double c = xb.get(xo + r * n + j) - mu;
                    hb.put(ho + r * n + j, c);
                    q += c * c;
                }
                vb.put(vo + r, q / n);
            }
        } else {
            HostArray xh = HostArray.of(x), hh = HostArray.of(b.xhat), vh = HostArray.of(b.inv);
            Simd.layerNormCentre(xh.floats(0), hh.floats(0), vh.floats(0), rows, n);
        }
        Transforms.pow(b.inv.addi(eps), -0.5, false);
        if (dt == DataType.DOUBLE) {
            DoubleBuffer hb = b.xhat.data().asNioDouble(),
                    vb = b.inv.data().asNioDouble(),
                    gb = gamma.data().asNioDouble(),
                    bb = beta.data().asNioDouble(),
                    yb = b.y.data().asNioDouble();
            int ho = HostMemory.offset(b.xhat),
                    vo = HostMemory.offset(b.inv),
                    go = HostMemory.offset(gamma),
                    bo = HostMemory.offset(beta),
                    yo = HostMemory.offset(b.y);
            for (int r = 0; r < rows; r++) {
                double f = vb.get(vo + r);
                int run = r / batch * n;
                for (int j = 0; j < n; j++) {
                    double h = hb.get(ho + r * n + j) * f;
                    hb.put(ho + r * n + j, h);
                    yb.put(yo + r * n + j, h * gb.get(go + run + j) + bb.get(bo + run + j));
                }
            }
            return;
        }
        HostArray hh = HostArray.of(b.xhat),
                vh = HostArray.of(b.inv),
                gh = HostArray.of(gamma),
                bh = HostArray.of(beta),
                yh = HostArray.of(b.y);
        for (int r = 0; r < k; r++)
            Simd.layerNormScale(
                    hh.floats(r * batch * n),
                    vh.floats(r * batch),
                    gh.floats(r * n),
                    bh.floats(r * n),
                    yh.floats(r * batch * n),
                    batch,
                    n);
    }

    /** One pass over each run's rows: the batch sums, d, its two row means and ∂L/∂x. */
    static INDArray layerNormBackward(
            INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, LayerNormBuffers b) {
        DataType dt = dy.dataType();
        if (dt == DataType.FLOAT && !Simd.ENABLED)
            return PortableMemory.layerNormBackwardOps(dy, gamma, dGamma, dBeta, b);
        HostDirectMemory.requireContiguous("layerNormBackward", dt, dy, gamma, dGamma, dBeta, b.xhat, b.inv, b.dx);
        int k = (int) dy.size(0), batch = (int) dy.size(1), n = (int) dy.size(2);
        HostDirectMemory.requireRows("layerNormBackward", k, n, gamma, dGamma, dBeta);
        if (dt == DataType.FLOAT) {
            HostArray eh = HostArray.of(dy),
                    hh = HostArray.of(b.xhat),
                    vh = HostArray.of(b.inv),
                    gh = HostArray.of(gamma),
                    dgh = HostArray.of(dGamma),
                    dbh = HostArray.of(dBeta),
                    xh = HostArray.of(b.dx);
            for (int r = 0; r < k; r++)
                Simd.layerNormBackward(
                        eh.floats(r * batch * n),
                        hh.floats(r * batch * n),
                        vh.floats(r * batch),
                        gh.floats(r * n),
                        dgh.floats(r * n),
                        dbh.floats(r * n),
                        xh.floats(r * batch * n),
                        batch,
                        n);
            return b.dx;
        }
        DoubleBuffer eb = dy.data().asNioDouble(),
                hb = b.xhat.data().asNioDouble(),
                vb = b.inv.data().asNioDouble(),
                gb = gamma.data().asNioDouble(),
                dgb = dGamma.data().asNioDouble(),
                dbb = dBeta.data().asNioDouble(),
                xb = b.dx.data().asNioDouble();
        int eo = HostMemory.offset(dy),
                ho = HostMemory.offset(b.xhat),
                vo = HostMemory.offset(b.inv),
                go = HostMemory.offset(gamma),
                dgo = HostMemory.offset(dGamma),
                dbo = HostMemory.offset(dBeta),
                xo = HostMemory.offset(b.dx);
        for (int run = 0; run < k; run++) {
            int p = run * n;
            for (int j = 0; j < n; j++) {
                dgb.put(dgo + p + j, 0.0);
                dbb.put(dbo + p + j, 0.0);
            }
            for (int r = run * batch; r < (run + 1) * batch; r++) {
                double m1 = 0, m2 = 0;
                for (int j = 0; j < n; j++) {
                    double e = eb.get(eo + r * n + j), h = hb.get(ho + r * n + j), d = e * gb.get(go + p + j);
                    dgb.put(dgo + p + j, dgb.get(dgo + p + j) + e * h);
                    dbb.put(dbo + p + j, dbb.get(dbo + p + j) + e);
                    xb.put(xo + r * n + j, d);
                    m1 += d;
                    m2 += d * h;
                }
                double a = m1 / n, c = m2 / n, f = vb.get(vo + r);
                for (int j = 0; j < n; j++)
                    xb.put(xo + r * n + j, (xb.get(xo + r * n + j) - a - hb.get(ho + r * n + j) * c) * f);
            }
        }
        return b.dx;
    }
}
