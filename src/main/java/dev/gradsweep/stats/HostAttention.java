package dev.gradsweep.stats;

import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.hostmem.HostMemory;
import dev.gradsweep.simd.Simd;
import java.nio.DoubleBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link HostDirectMemory}'s attention passes ({@link TrainingMemory#attentionSoftmax}, its backward and
 * {@link TrainingMemory#unitRowSums}) on the arrays' host memory: float32 through the SIMD loops, float64 through the
 * plain loops below (the reference, checked in float64 by the transformer's tests). Each returns false where it does
 * not apply (float32 without the SIMD loops, arrays not row-major without gaps), and the caller then runs the ND4J
 * default.
 */
final class HostAttention {
    private HostAttention() {}

    private static boolean usable(INDArray... xs) {
        DataType dt = xs[0].dataType();
        for (INDArray x : xs) if (x.dataType() != dt || x.ordering() != 'c' || !HostArray.isContiguous(x)) return false;
        return dt == DataType.DOUBLE || (dt == DataType.FLOAT && Simd.ENABLED);
    }

    static boolean softmax(INDArray s, double scale, boolean causal, INDArray a, double[] max, double[] ent) {
        if (!usable(s, a)) return false;
        int n = (int) s.size(2), rows = (int) (s.length() / n);
        if (s.dataType() == DataType.FLOAT) {
            HostArray sh = HostArray.of(s), ah = HostArray.of(a);
            Simd.softmax(sh.bytes(), sh.base(), ah.bytes(), ah.base(), rows, n, (float) scale, causal, max, ent);
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
            Simd.softmaxBackward(ah.bytes(), ah.base(), dh.bytes(), dh.base(), rows, n, (float) scale);
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
            Simd.unitRowSums(yh.bytes(), yh.base(), groups, rows, w, into, new float[w]);
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
}
