package dev.gradsweep.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of the transformer's row norms over float32 rows in host memory (the float64 loops in {@code
 * stats.HostAttention} are the reference): layer norm or RMSNorm forward in one pass per row, its backward in one pass
 * per row plus the output's. Each row's sums run in the float lanes and are reduced once, so they round differently
 * from ND4J's sequential sums (the stacked engine's {@link FloatBlocks#layerNormCentre} keeps those); a row of the
 * bench's width 64 stays in L1 between the reads. Only touch this class when {@link Simd#ENABLED} is true.
 */
final class NormBlocks {
    private static final VectorSpecies<Float> F = FloatBlocks.F;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private NormBlocks() {}

    /**
     * Row r of the [rows, n] x (from element xAt): c = x − μ (centre) or c = x, f = 1/√(mean(c²) + eps) into inv[iAt
     * + r], x̂ = c·f into xhat, y = x̂ ⊙ γ (+ β when centre) into y; γ, β rows of n.
     */
    static void forward(
            ByteBuffer x,
            int xAt,
            ByteBuffer g,
            int gAt,
            ByteBuffer b,
            int bAt,
            boolean centre,
            float eps,
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer y,
            int yAt,
            int rows,
            int n) {
        int bound = F.loopBound(n);
        FloatVector zero = FloatVector.zero(F);
        for (int r = 0; r < rows; r++) {
            int xo = (xAt + r * n) << 2, ho = (hAt + r * n) << 2, yo = (yAt + r * n) << 2, j;
            float mu = 0;
            if (centre) {
                FloatVector s = zero;
                for (j = 0; j < bound; j += LANES) s = s.add(FloatVector.fromByteBuffer(F, x, xo + (j << 2), NATIVE));
                float sum = s.reduceLanes(VectorOperators.ADD);
                for (; j < n; j++) sum += x.getFloat(xo + (j << 2));
                mu = sum / n;
            }
            FloatVector q = zero;
            for (j = 0; j < bound; j += LANES) {
                FloatVector c =
                        FloatVector.fromByteBuffer(F, x, xo + (j << 2), NATIVE).sub(mu);
                q = c.fma(c, q);
            }
            float sq = q.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) {
                float c = x.getFloat(xo + (j << 2)) - mu;
                sq += c * c;
            }
            float f = (float) (1 / Math.sqrt(sq / n + eps));
            inv.putFloat((iAt + r) << 2, f);
            for (j = 0; j < bound; j += LANES) {
                FloatVector h = FloatVector.fromByteBuffer(F, x, xo + (j << 2), NATIVE)
                        .sub(mu)
                        .mul(f);
                h.intoByteBuffer(xhat, ho + (j << 2), NATIVE);
                h = h.mul(FloatVector.fromByteBuffer(F, g, (gAt + j) << 2, NATIVE));
                if (centre) h = h.add(FloatVector.fromByteBuffer(F, b, (bAt + j) << 2, NATIVE));
                h.intoByteBuffer(y, yo + (j << 2), NATIVE);
            }
            for (; j < n; j++) {
                float h = (x.getFloat(xo + (j << 2)) - mu) * f;
                xhat.putFloat(ho + (j << 2), h);
                y.putFloat(yo + (j << 2), h * g.getFloat((gAt + j) << 2) + (centre ? b.getFloat((bAt + j) << 2) : 0f));
            }
        }
    }

    /**
     * The backward of {@link #forward} from ∂L/∂y = dy: dγ = Σ_rows dy ⊙ x̂ into dg[0, n) and dβ = Σ_rows dy into db
     * (null: RMSNorm, no β), d = dy ⊙ γ, dx = (d − [mean(d)] − x̂ · mean(d ⊙ x̂)) · inv[r] (+ res, a residual share,
     * when res is non-null), the bracket when centre.
     */
    static void backward(
            ByteBuffer dy,
            int dAt,
            ByteBuffer g,
            int gAt,
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer res,
            int rAt,
            ByteBuffer dx,
            int xAt,
            float[] dg,
            float[] db,
            int rows,
            int n) {
        int bound = F.loopBound(n);
        FloatVector zero = FloatVector.zero(F);
        java.util.Arrays.fill(dg, 0, n, 0f);
        if (db != null) java.util.Arrays.fill(db, 0, n, 0f);
        for (int r = 0; r < rows; r++) {
            int eo = (dAt + r * n) << 2, ho = (hAt + r * n) << 2, xo = (xAt + r * n) << 2, ro = (rAt + r * n) << 2, j;
            FloatVector m1 = zero, m2 = zero;
            for (j = 0; j < bound; j += LANES) {
                FloatVector e = FloatVector.fromByteBuffer(F, dy, eo + (j << 2), NATIVE);
                FloatVector h = FloatVector.fromByteBuffer(F, xhat, ho + (j << 2), NATIVE);
                FloatVector d = e.mul(FloatVector.fromByteBuffer(F, g, (gAt + j) << 2, NATIVE));
                m1 = m1.add(d);
                m2 = d.fma(h, m2);
                e.fma(h, FloatVector.fromArray(F, dg, j)).intoArray(dg, j);
                if (db != null) e.add(FloatVector.fromArray(F, db, j)).intoArray(db, j);
            }
            float s1 = m1.reduceLanes(VectorOperators.ADD), s2 = m2.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) {
                float e = dy.getFloat(eo + (j << 2)),
                        h = xhat.getFloat(ho + (j << 2)),
                        d = e * g.getFloat((gAt + j) << 2);
                s1 += d;
                s2 += d * h;
                dg[j] += e * h;
                if (db != null) db[j] += e;
            }
            float a = db != null ? s1 / n : 0f, c = s2 / n, f = inv.getFloat((iAt + r) << 2);
            for (j = 0; j < bound; j += LANES) {
                FloatVector h = FloatVector.fromByteBuffer(F, xhat, ho + (j << 2), NATIVE);
                FloatVector v = FloatVector.fromByteBuffer(F, dy, eo + (j << 2), NATIVE)
                        .mul(FloatVector.fromByteBuffer(F, g, (gAt + j) << 2, NATIVE))
                        .sub(a)
                        .sub(h.mul(c))
                        .mul(f);
                if (res != null) v = v.add(FloatVector.fromByteBuffer(F, res, ro + (j << 2), NATIVE));
                v.intoByteBuffer(dx, xo + (j << 2), NATIVE);
            }
            for (; j < n; j++) {
                float d = dy.getFloat(eo + (j << 2)) * g.getFloat((gAt + j) << 2);
                float v = (d - a - xhat.getFloat(ho + (j << 2)) * c) * f;
                dx.putFloat(xo + (j << 2), res != null ? v + res.getFloat(ro + (j << 2)) : v);
            }
        }
    }
}
