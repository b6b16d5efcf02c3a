package dev.gradsweep.stats;

import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.hostmem.HostMemory;
import dev.gradsweep.simd.ChannelNormBlocks;
import dev.gradsweep.simd.Simd;
import java.nio.DoubleBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The host path of {@link TrainingMemory#channelNorm} and its backward ({@link ChannelNormBuffers}: batch, group or
 * layer norm of [rows, C] activations) on the arrays' host memory, two passes each way. Forward: per sample n and
 * channel j, Σ(x − k_j) and Σ(x − k_j)² in double with k_j the channel's value in the sample's first row, so the
 * one-pass variance cancels only as much as ((μ_j − k_j)/σ_j)², a few units, not (μ_j/σ_j)²: a float32 run keeps
 * its variance to float precision for |μ|/σ far beyond any activation's (a centred second pass would read x a third
 * time); the channels are combined per group as Chan et al.'s parallel variance (within-channel sums of squares plus
 * the spread of the channel means). Then x̂ = x·f − μ·f and y = x̂·γ + β. Backward: Σdy and Σdy·x̂ per channel and
 * sample in double (dβ, dγ and the two means), then dx = (dy·γ − mean d − x̂·mean(d ⊙ x̂))·f as one fused pass.
 * float32 runs {@link ChannelNormBlocks}' SIMD loops, float64 the scalar loops below; each returns false where it
 * does not apply (float32 without the SIMD loops, arrays not row-major without gaps), and the caller then runs the
 * ND4J default.
 */
final class HostChannelNorm {
    private HostChannelNorm() {}

    private static boolean usable(INDArray... xs) {
        DataType dt = xs[0].dataType();
        for (INDArray x : xs) if (x.dataType() != dt || x.ordering() != 'c' || !HostArray.isContiguous(x)) return false;
        return dt == DataType.DOUBLE || (dt == DataType.FLOAT && Simd.ENABLED);
    }

    static boolean forward(INDArray x, INDArray gamma, INDArray beta, ChannelNormBuffers b) {
        if (!usable(x, gamma, beta, b.xhat, b.y, b.mean, b.inv)) return false;
        int c = b.channels, cg = c / b.g, rows = b.m;
        boolean f32 = x.dataType() == DataType.FLOAT;
        double[] s = new double[c], q = new double[c], f = new double[c], o = new double[c], shift = new double[c];
        double[] gm = values(gamma, c), bt = values(beta, c);
        float[] fg = floats(gm), fb = floats(bt);
        double[] mean = new double[b.n * b.g], inv = new double[mean.length];
        for (int i = 0; i < b.n; i++) {
            int at = i * rows * c;
            java.util.Arrays.fill(s, 0);
            java.util.Arrays.fill(q, 0);
            HostArray.of(x).read(at, c, shift);
            sums(x, at, x, at, shift, rows, c, s, q);
            for (int k = 0; k < b.g; k++) {
                double mu = 0, m2 = 0;
                for (int j = k * cg; j < (k + 1) * cg; j++) mu += (shift[j] + s[j] / rows) / cg;
                for (int j = k * cg; j < (k + 1) * cg; j++) {
                    double mj = shift[j] + s[j] / rows;
                    m2 += Math.max(q[j] - s[j] * s[j] / rows, 0) + rows * (mj - mu) * (mj - mu);
                }
                double fk = 1 / Math.sqrt(m2 / ((double) rows * cg) + b.eps);
                mean[i * b.g + k] = mu;
                inv[i * b.g + k] = f32 ? (float) fk : fk; // the backward reads the stored factor
                for (int j = k * cg; j < (k + 1) * cg; j++) {
                    f[j] = inv[i * b.g + k];
                    o[j] = -mu * f[j];
                }
            }
            if (f32) {
                HostArray xh = HostArray.of(x), hh = HostArray.of(b.xhat), yh = HostArray.of(b.y);
                ChannelNormBlocks.normalise(
                        xh.floats(at), floats(f), floats(o), fg, fb, hh.floats(at), yh.floats(at), rows, c);
                continue;
            }
            DoubleBuffer xb = x.data().asNioDouble(),
                    hb = b.xhat.data().asNioDouble(),
                    yb = b.y.data().asNioDouble();
            int xo = HostMemory.offset(x) + at, ho = HostMemory.offset(b.xhat) + at, yo = HostMemory.offset(b.y) + at;
            for (int e = 0; e < rows * c; e++) {
                int j = e % c;
                double h = xb.get(xo + e) * f[j] + o[j];
                hb.put(ho + e, h);
                yb.put(yo + e, h * gm[j] + bt[j]);
            }
        }
        put(mean, b.mean);
        put(inv, b.inv);
        return true;
    }

    static boolean backward(INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, ChannelNormBuffers b) {
        if (!usable(dy, gamma, dGamma, dBeta, b.xhat, b.inv, b.dx)) return false;
        int c = b.channels, cg = c / b.g, rows = b.m;
        boolean f32 = dy.dataType() == DataType.FLOAT;
        double[] sd = new double[c], sh = new double[c], tg = new double[c], tb = new double[c];
        double[] a = new double[c], nb = new double[c], nc = new double[c];
        double[] gm = values(gamma, c), inv = values(b.inv, b.n * b.g);
        for (int i = 0; i < b.n; i++) {
            int at = i * rows * c;
            java.util.Arrays.fill(sd, 0);
            java.util.Arrays.fill(sh, 0);
            sums(dy, at, b.xhat, at, new double[c], rows, c, sd, sh);
            for (int k = 0; k < b.g; k++) {
                double m1 = 0, m2 = 0, cnt = (double) rows * cg, fk = inv[i * b.g + k];
                for (int j = k * cg; j < (k + 1) * cg; j++) {
                    tb[j] += sd[j];
                    tg[j] += sh[j];
                    m1 += gm[j] * sd[j];
                    m2 += gm[j] * sh[j];
                }
                for (int j = k * cg; j < (k + 1) * cg; j++) {
                    a[j] = gm[j] * fk;
                    nb[j] = -m2 / cnt * fk;
                    nc[j] = -m1 / cnt * fk;
                }
            }
            if (f32) {
                HostArray eh = HostArray.of(dy), hh = HostArray.of(b.xhat), xh = HostArray.of(b.dx);
                ChannelNormBlocks.combine(
                        eh.floats(at), hh.floats(at), floats(a), floats(nb), floats(nc), xh.floats(at), rows, c);
                continue;
            }
            DoubleBuffer eb = dy.data().asNioDouble(),
                    hb = b.xhat.data().asNioDouble(),
                    xb = b.dx.data().asNioDouble();
            int eo = HostMemory.offset(dy) + at, ho = HostMemory.offset(b.xhat) + at, xo = HostMemory.offset(b.dx) + at;
            for (int e = 0; e < rows * c; e++) {
                int j = e % c;
                xb.put(xo + e, eb.get(eo + e) * a[j] + hb.get(ho + e) * nb[j] + nc[j]);
            }
        }
        put(tg, dGamma);
        put(tb, dBeta);
        return true;
    }

    /** sa += Σ_rows (a − k), sab += Σ_rows (a − k) ⊙ (b − k) per channel, over the rows from elements aAt, bAt. */
    private static void sums(
            INDArray a, int aAt, INDArray b, int bAt, double[] k, int rows, int c, double[] sa, double[] sab) {
        if (a.dataType() == DataType.FLOAT) {
            HostArray ah = HostArray.of(a), bh = HostArray.of(b);
            ChannelNormBlocks.columnSums(ah.floats(aAt), bh.floats(bAt), k, rows, c, sa, sab);
            return;
        }
        DoubleBuffer ab = a.data().asNioDouble(), bb = b.data().asNioDouble();
        int ao = HostMemory.offset(a) + aAt, bo = HostMemory.offset(b) + bAt;
        for (int e = 0; e < rows * c; e++) {
            double va = ab.get(ao + e) - k[e % c];
            sa[e % c] += va;
            sab[e % c] += va * (bb.get(bo + e) - k[e % c]);
        }
    }

    private static double[] values(INDArray a, int n) {
        double[] v = new double[n];
        HostArray.of(a).read(0, n, v);
        return v;
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    /** Writes v over the contiguous array a, in its type. */
    private static void put(double[] v, INDArray a) {
        int at = HostMemory.offset(a);
        if (a.dataType() == DataType.DOUBLE) a.data().asNioDouble().put(at, v);
        else a.data().asNioFloat().put(at, floats(v));
    }
}
