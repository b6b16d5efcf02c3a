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
 * from ND4J's sequential sums (the stacked engine's {@link LayerNormBlocks#centre} keeps those); a row of the
 * bench's width 64 stays in L1 between the reads. Only touch this class when {@link Simd#ENABLED} is true.
 */
final class NormBlocks {
    private static final VectorSpecies<Float> F = FloatBlocks.F;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private NormBlocks() {}

    /**
     * Row r of the [rows, n] x: c = x − μ (centre) or c = x, f = 1/√(mean(c²) + eps) into inv[r], x̂ = c·f into xhat, y
     * = x̂ ⊙ γ (+ β when centre) into y; γ, β rows of n.
     */
    static void forward(
            Floats x,
            Floats g,
            Floats b,
            boolean centre,
            float eps,
            Floats xhat,
            Floats inv,
            Floats y,
            int rows,
            int n) {
        ByteBuffer xb = x.bytes(), gb = g.bytes(), bb = b == null ? null : b.bytes();
        ByteBuffer hb = xhat.bytes(), ib = inv.bytes(), yb = y.bytes();
        int xAt = x.at(), gAt = g.at(), bAt = b == null ? 0 : b.at(), hAt = xhat.at(), iAt = inv.at(), yAt = y.at();
        int bound = F.loopBound(n);
        FloatVector zero = FloatVector.zero(F);
        for (int r = 0; r < rows; r++) {
            int xo = (xAt + r * n) << 2, ho = (hAt + r * n) << 2, yo = (yAt + r * n) << 2, j;
            float mu = 0;
            if (centre) {
                FloatVector s = zero;
                for (j = 0; j < bound; j += LANES) s = s.add(FloatVector.fromByteBuffer(F, xb, xo + (j << 2), NATIVE));
                float sum = s.reduceLanes(VectorOperators.ADD);
                for (; j < n; j++) sum += xb.getFloat(xo + (j << 2));
                mu = sum / n;
            }
            FloatVector q = zero;
            for (j = 0; j < bound; j += LANES) {
                FloatVector c =
                        FloatVector.fromByteBuffer(F, xb, xo + (j << 2), NATIVE).sub(mu);
                q = c.fma(c, q);
            }
            float sq = q.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) {
                float c = xb.getFloat(xo + (j << 2)) - mu;
                sq += c * c;
            }
            float f = (float) (1 / Math.sqrt(sq / n + eps));
            ib.putFloat((iAt + r) << 2, f);
            for (j = 0; j < bound; j += LANES) {
                FloatVector h = FloatVector.fromByteBuffer(F, xb, xo + (j << 2), NATIVE)
                        .sub(mu)
                        .mul(f);
                h.intoByteBuffer(hb, ho + (j << 2), NATIVE);
                h = h.mul(FloatVector.fromByteBuffer(F, gb, (gAt + j) << 2, NATIVE));
                if (centre) h = h.add(FloatVector.fromByteBuffer(F, bb, (bAt + j) << 2, NATIVE));
                h.intoByteBuffer(yb, yo + (j << 2), NATIVE);
            }
            for (; j < n; j++) {
                float h = (xb.getFloat(xo + (j << 2)) - mu) * f;
                hb.putFloat(ho + (j << 2), h);
                yb.putFloat(
                        yo + (j << 2), h * gb.getFloat((gAt + j) << 2) + (centre ? bb.getFloat((bAt + j) << 2) : 0f));
            }
        }
    }

    /**
     * The backward of {@link #forward} from ∂L/∂y = dy: dγ = Σ_rows dy ⊙ x̂ into dg[0, n) and dβ = Σ_rows dy into db
     * (null: RMSNorm, no β), d = dy ⊙ γ, dx = (d − [mean(d)] − x̂ · mean(d ⊙ x̂)) · inv[r] (+ res, a residual share,
     * when res is non-null), the bracket when centre.
     */
    static void backward(
            Floats dy,
            Floats g,
            Floats xhat,
            Floats inv,
            Floats res,
            Floats dx,
            float[] dg,
            float[] db,
            int rows,
            int n) {
        ByteBuffer eb = dy.bytes(), gb = g.bytes(), hb = xhat.bytes(), ib = inv.bytes();
        ByteBuffer rb = res == null ? null : res.bytes(), xb = dx.bytes();
        int dAt = dy.at(),
                gAt = g.at(),
                hAt = xhat.at(),
                iAt = inv.at(),
                rAt = res == null ? 0 : res.at(),
                xAt = dx.at();
        int bound = F.loopBound(n);
        FloatVector zero = FloatVector.zero(F);
        java.util.Arrays.fill(dg, 0, n, 0f);
        if (db != null) java.util.Arrays.fill(db, 0, n, 0f);
        for (int r = 0; r < rows; r++) {
            int eo = (dAt + r * n) << 2, ho = (hAt + r * n) << 2, xo = (xAt + r * n) << 2, ro = (rAt + r * n) << 2, j;
            FloatVector m1 = zero, m2 = zero;
            for (j = 0; j < bound; j += LANES) {
                FloatVector e = FloatVector.fromByteBuffer(F, eb, eo + (j << 2), NATIVE);
                FloatVector h = FloatVector.fromByteBuffer(F, hb, ho + (j << 2), NATIVE);
                FloatVector d = e.mul(FloatVector.fromByteBuffer(F, gb, (gAt + j) << 2, NATIVE));
                m1 = m1.add(d);
                m2 = d.fma(h, m2);
                e.fma(h, FloatVector.fromArray(F, dg, j)).intoArray(dg, j);
                if (db != null) e.add(FloatVector.fromArray(F, db, j)).intoArray(db, j);
            }
            float s1 = m1.reduceLanes(VectorOperators.ADD), s2 = m2.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) {
                float e = eb.getFloat(eo + (j << 2)),
                        h = hb.getFloat(ho + (j << 2)),
                        d = e * gb.getFloat((gAt + j) << 2);
                s1 += d;
                s2 += d * h;
                dg[j] += e * h;
                if (db != null) db[j] += e;
            }
            float a = db != null ? s1 / n : 0f, c = s2 / n, f = ib.getFloat((iAt + r) << 2);
            for (j = 0; j < bound; j += LANES) {
                FloatVector h = FloatVector.fromByteBuffer(F, hb, ho + (j << 2), NATIVE);
                FloatVector v = FloatVector.fromByteBuffer(F, eb, eo + (j << 2), NATIVE)
                        .mul(FloatVector.fromByteBuffer(F, gb, (gAt + j) << 2, NATIVE))
                        .sub(a)
                        .sub(h.mul(c))
                        .mul(f);
                if (rb != null) v = v.add(FloatVector.fromByteBuffer(F, rb, ro + (j << 2), NATIVE));
                v.intoByteBuffer(xb, xo + (j << 2), NATIVE);
            }
            for (; j < n; j++) {
                float d = eb.getFloat(eo + (j << 2)) * gb.getFloat((gAt + j) << 2);
                float v = (d - a - hb.getFloat(ho + (j << 2)) * c) * f;
                xb.putFloat(xo + (j << 2), rb != null ? v + rb.getFloat(ro + (j << 2)) : v);
            }
        }
    }
}
