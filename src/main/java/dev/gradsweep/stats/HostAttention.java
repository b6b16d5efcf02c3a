package dev.gradsweep.stats;

import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.hostmem.HostMemory;
import dev.gradsweep.simd.Simd;
import java.nio.DoubleBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link HostDirectMemory}'s transformer passes (the attention's {@link TrainingMemory#attentionSoftmax}, its backward
 * and {@link TrainingMemory#unitRowSums}; the norms' {@link TrainingMemory#rowNorm} and its backward) on the arrays'
 * host memory: float32 through the SIMD loops, float64 through the
 * plain loops below (the reference, checked in float64 by the transformer's tests). Each returns false where it does
 * not apply (float32 without the SIMD loops, arrays not row-major without gaps), and the caller then runs the ND4J
 * default.
 */
final class HostAttention {
    private HostAttention() {}

    /** All of one type, row-major without gaps (null entries skipped), float64 or float32 with the SIMD loops. */
    private static boolean usable(INDArray... xs) {
        DataType dt = xs[0].dataType();
        for (INDArray x : xs)
            if (x != null && (x.dataType() != dt || x.ordering() != 'c' || !HostArray.isContiguous(x))) return false;
        return dt == DataType.DOUBLE || (dt == DataType.FLOAT && Simd.ENABLED);
    }

    static boolean softmax(INDArray s, double scale, boolean causal, INDArray a, double[] max, double[] ent) {
        if (!usable(s, a)) return false;
        int n = (int) s.size(2), rows = (int) (s.length() / n);
        if (s.dataType() == DataType.FLOAT) {
            HostArray sh = HostArray.of(s), ah = HostArray.of(a);
            Simd.softmax(sh.floats(0), ah.floats(0), rows, n, (float) scale, causal, max, ent);
            return true;
        }
        DoubleBuffer sb = s.data().asNioDouble(), ab = a.data().asNioDouble();
        int sAt = HostMemory.offset(s), aAt = HostMemory.offset(a);
        for (int r = 0; r < rows; r++) {
            int so = sAt + r * n, ao = aAt + r * n, len = causal ? r % n + 1 : n;
            double m = Double.NEGATIVE_INFINITY, z = 0, et = 0;
            for (int j = 0; j < len; j++) m = Math.max(m, scale * sb.get(so + j));
            for (int j = 0; j < n; j++) {
                double t = scale * sb.get(so + j) - m, e = j < len ? Math.exp(t) : 0;
                ab.put(ao + j, e);
                z += e;
                et += j < len ? e * t : 0;
            }
            for (int j = 0; j < n; j++) ab.put(ao + j, ab.get(ao + j) / z);
            if (max != null) {
                max[r] = m;
                ent[r] = Math.log(z) - et / z;
            }
        }
        return true;
    }

    static boolean softmaxBackward(INDArray a, INDArray da, double scale) {
        if (!usable(a, da)) return false;
        int n = (int) a.size(2), rows = (int) (a.length() / n);
        if (a.dataType() == DataType.FLOAT) {
            HostArray ah = HostArray.of(a), dh = HostArray.of(da);
            Simd.softmaxBackward(ah.floats(0), dh.floats(0), rows, n, (float) scale);
            return true;
        }
        DoubleBuffer ab = a.data().asNioDouble(), db = da.data().asNioDouble();
        int aAt = HostMemory.offset(a), dAt = HostMemory.offset(da);
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int j = 0; j < n; j++) dot += db.get(dAt + r * n + j) * ab.get(aAt + r * n + j);
            for (int j = 0, i = r * n; j < n; j++, i++)
                db.put(dAt + i, scale * ab.get(aAt + i) * (db.get(dAt + i) - dot));
        }
        return true;
    }

    static boolean unitRowSums(INDArray y, int groups, double[] into) {
        if (!usable(y) || y.rank() != 2) return false;
        int w = (int) y.size(1), rows = (int) (y.size(0) / groups);
        if (y.dataType() == DataType.FLOAT) {
            HostArray yh = HostArray.of(y);
            Simd.unitRowSums(yh.floats(0), groups, rows, w, into, new float[w]);
            return true;
        }
        DoubleBuffer yb = y.data().asNioDouble();
        int at = HostMemory.offset(y);
        java.util.Arrays.fill(into, 0, groups * w, 0.0);
        for (int i = 0; i < groups * rows; i++) {
            double sq = 0;
            for (int k = 0; k < w; k++) sq += yb.get(at + i * w + k) * yb.get(at + i * w + k);
            double inv = 1 / Math.sqrt(sq);
            for (int k = 0; k < w; k++) into[i / rows * w + k] += yb.get(at + i * w + k) * inv;
        }
        return true;
    }

    static boolean rowNorm(
            INDArray x, INDArray gamma, INDArray beta, double eps, INDArray xhat, INDArray inv, INDArray y) {
        if (!usable(x, gamma, beta, xhat, inv, y)) return false;
        int n = (int) x.size(1), rows = (int) x.size(0);
        boolean centre = beta != null;
        if (x.dataType() == DataType.FLOAT) {
            HostArray xh = HostArray.of(x), g = HostArray.of(gamma), b = centre ? HostArray.of(beta) : null;
            HostArray hh = HostArray.of(xhat), ih = HostArray.of(inv), yh = HostArray.of(y);
            Simd.rowNorm(
                    xh.floats(0),
                    g.floats(0),
                    centre ? b.floats(0) : null,
                    centre,
                    (float) eps,
                    hh.floats(0),
                    ih.floats(0),
                    yh.floats(0),
                    rows,
                    n);
            return true;
        }
        DoubleBuffer xb = x.data().asNioDouble(),
                gb = gamma.data().asNioDouble(),
                hb = xhat.data().asNioDouble();
        DoubleBuffer bb = centre ? beta.data().asNioDouble() : null,
                ib = inv.data().asNioDouble();
        DoubleBuffer yb = y.data().asNioDouble();
        int xo = HostMemory.offset(x), go = HostMemory.offset(gamma), bo = centre ? HostMemory.offset(beta) : 0;
        int ho = HostMemory.offset(xhat), io = HostMemory.offset(inv), yo = HostMemory.offset(y);
        for (int r = 0; r < rows; r++) {
            double mu = 0, sq = 0;
            if (centre) {
                for (int j = 0; j < n; j++) mu += xb.get(xo + r * n + j);
                mu /= n;
            }
            for (int j = 0; j < n; j++) sq += (xb.get(xo + r * n + j) - mu) * (xb.get(xo + r * n + j) - mu);
            double f = 1 / Math.sqrt(sq / n + eps);
            ib.put(io + r, f);
            for (int j = 0; j < n; j++) {
                double h = (xb.get(xo + r * n + j) - mu) * f;
                hb.put(ho + r * n + j, h);
                yb.put(yo + r * n + j, h * gb.get(go + j) + (centre ? bb.get(bo + j) : 0));
            }
        }
        return true;
    }

    static boolean rowNormBackward(
            INDArray dy,
            INDArray gamma,
            INDArray xhat,
            INDArray inv,
            INDArray res,
            INDArray dGamma,
            INDArray dBeta,
            INDArray dx) {
        if (!usable(dy, gamma, xhat, inv, res, dGamma, dBeta, dx)) return false;
        int n = (int) dy.size(1), rows = (int) dy.size(0);
        boolean centre = dBeta != null;
        if (dy.dataType() == DataType.FLOAT) {
            HostArray e = HostArray.of(dy), g = HostArray.of(gamma), h = HostArray.of(xhat), i = HostArray.of(inv);
            HostArray rh = res == null ? null : HostArray.of(res), xh = HostArray.of(dx);
            float[] dg = new float[n], db = centre ? new float[n] : null;
            Simd.rowNormBackward(
                    e.floats(0),
                    g.floats(0),
                    h.floats(0),
                    i.floats(0),
                    rh == null ? null : rh.floats(0),
                    xh.floats(0),
                    dg,
                    db,
                    rows,
                    n);
            put(dGamma, dg);
            if (centre) put(dBeta, db);
            return true;
        }
        DoubleBuffer eb = dy.data().asNioDouble(),
                gb = gamma.data().asNioDouble(),
                hb = xhat.data().asNioDouble();
        DoubleBuffer ib = inv.data().asNioDouble(), xb = dx.data().asNioDouble();
        DoubleBuffer rb = res == null ? null : res.data().asNioDouble();
        int eo = HostMemory.offset(dy), go = HostMemory.offset(gamma), ho = HostMemory.offset(xhat);
        int io = HostMemory.offset(inv), xo = HostMemory.offset(dx), ro = res == null ? 0 : HostMemory.offset(res);
        double[] dg = new double[n], db = new double[n];
        for (int r = 0; r < rows; r++) {
            double m1 = 0, m2 = 0;
            for (int j = 0, k = r * n; j < n; j++, k++) {
                double e = eb.get(eo + k), h = hb.get(ho + k), d = e * gb.get(go + j);
                dg[j] += e * h;
                db[j] += e;
                m1 += d;
                m2 += d * h;
            }
            double a = centre ? m1 / n : 0, c = m2 / n, f = ib.get(io + r);
            for (int j = 0, k = r * n; j < n; j++, k++) {
                double v = (eb.get(eo + k) * gb.get(go + j) - a - hb.get(ho + k) * c) * f;
                xb.put(xo + k, rb == null ? v : v + rb.get(ro + k));
            }
        }
        put(dGamma, dg);
        if (centre) put(dBeta, db);
        return true;
    }

    /** v into the contiguous array x, element by element in storage order. */
    private static void put(INDArray x, float[] v) {
        HostArray h = HostArray.of(x);
        for (int j = 0; j < v.length; j++) h.bytes().putFloat((h.base() + j) << 2, v[j]);
    }

    private static void put(INDArray x, double[] v) {
        DoubleBuffer b = x.data().asNioDouble();
        int at = HostMemory.offset(x);
        for (int j = 0; j < v.length; j++) b.put(at + j, v[j]);
    }
}
