package dev.gradsweep.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of the transformer's attention over float32 rows in host memory (the scalar float64 loops in
 * {@code stats.HostAttention} are the reference): the softmax with its statistics in the same passes, the softmax's
 * backward, and the sums of unit token vectors. The exponential is the vector API's (Intel SVML on x86: ≈ 0.4 ns
 * per value, against ≈ 5 ns in ND4J's softmax op). Only touch this class when {@link Simd#ENABLED} is true.
 */
final class AttentionBlocks {
    // 256-bit floats as FloatBlocks': the full 512-bit species (16 lanes on AVX-512) made the bench's pre-LN step
    // 31 -> 50 ms (JDK 17, TransformerBench pre, quiet), the vector exp and masks at that width falling back
    private static final VectorSpecies<Float> F = FloatBlocks.F;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private AttentionBlocks() {}

    /**
     * Row r of the [rows, n] logits s: t_j = scale·s_j − m over the keys j < len (len = r mod n + 1
     * when causal, else n), m = max_j scale·s_j; a_j = e^t_j / Z, Z = Σ_j e^t_j, and a_j = 0 for the masked keys.
     * With max non-null: max[r] = m and ent[r] = ln Z − Σ_j e^t_j t_j / Z, the entropy −Σ_j a_j ln a_j
     * (ln a_j = t_j − ln Z), written without the cancellation of m.
     */
    static void softmax(Floats s, Floats a, int rows, int n, float scale, boolean causal, double[] max, double[] ent) {
        ByteBuffer sb = s.bytes(), ab = a.bytes();
        int sAt = s.at(), aAt = a.at();
        FloatVector ninf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), zero = FloatVector.zero(F);
        int bound = F.loopBound(n);
        for (int r = 0; r < rows; r++) {
            int so = (sAt + r * n) << 2, ao = (aAt + r * n) << 2, len = causal ? r % n + 1 : n;
            FloatVector mv = ninf;
            int j = 0;
            for (; j < bound && j < len; j += LANES) { // masks only on the vector that holds the last key
                FloatVector v =
                        FloatVector.fromByteBuffer(F, sb, so + (j << 2), NATIVE).mul(scale);
                mv = mv.max(j + LANES <= len ? v : ninf.blend(v, F.indexInRange(j, len)));
            }
            j = Math.max(j, bound);
            float m = mv.reduceLanes(VectorOperators.MAX);
            for (; j < len; j++) m = Math.max(m, scale * sb.getFloat(so + (j << 2)));
            FloatVector zv = zero, etv = zero;
            for (j = 0; j < bound; j += LANES) {
                if (j >= len) { // ab causal row'sb masked keys: weight 0, no exp
                    zero.intoByteBuffer(ab, ao + (j << 2), NATIVE);
                    continue;
                }
                FloatVector t = FloatVector.fromByteBuffer(F, sb, so + (j << 2), NATIVE)
                        .mul(scale)
                        .sub(m);
                FloatVector e = t.lanewise(VectorOperators.EXP);
                if (j + LANES > len) {
                    VectorMask<Float> in = F.indexInRange(j, len);
                    e = zero.blend(e, in);
                    t = zero.blend(t, in);
                }
                zv = zv.add(e);
                etv = e.fma(t, etv);
                e.intoByteBuffer(ab, ao + (j << 2), NATIVE);
            }
            double z = zv.reduceLanes(VectorOperators.ADD), et = etv.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) {
                float t = scale * sb.getFloat(so + (j << 2)) - m, e = j < len ? (float) Math.exp(t) : 0f;
                ab.putFloat(ao + (j << 2), e);
                z += e;
                et += e * (double) t;
            }
            float inv = (float) (1 / z);
            for (j = 0; j < bound; j += LANES)
                FloatVector.fromByteBuffer(F, ab, ao + (j << 2), NATIVE)
                        .mul(inv)
                        .intoByteBuffer(ab, ao + (j << 2), NATIVE);
            for (; j < n; j++) ab.putFloat(ao + (j << 2), ab.getFloat(ao + (j << 2)) * inv);
            if (max != null) {
                max[r] = m;
                ent[r] = Math.log(z) - et / z;
            }
        }
    }

    /** Row by row of [rows, n]: da_j ← scale · a_j (da_j − Σ_k da_k a_k), the softmax's backward in place. */
    static void softmaxBackward(Floats a, Floats da, int rows, int n, float scale) {
        ByteBuffer ab = a.bytes(), db = da.bytes();
        int aAt = a.at(), dAt = da.at();
        int bound = F.loopBound(n);
        for (int r = 0; r < rows; r++) {
            int ao = (aAt + r * n) << 2, dO = (dAt + r * n) << 2, j = 0;
            FloatVector acc = FloatVector.zero(F);
            for (; j < bound; j += LANES)
                acc = FloatVector.fromByteBuffer(F, db, dO + (j << 2), NATIVE)
                        .fma(FloatVector.fromByteBuffer(F, ab, ao + (j << 2), NATIVE), acc);
            float dot = acc.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) dot += db.getFloat(dO + (j << 2)) * ab.getFloat(ao + (j << 2));
            for (j = 0; j < bound; j += LANES) {
                FloatVector av = FloatVector.fromByteBuffer(F, ab, ao + (j << 2), NATIVE);
                FloatVector.fromByteBuffer(F, db, dO + (j << 2), NATIVE)
                        .sub(dot)
                        .mul(av)
                        .mul(scale)
                        .intoByteBuffer(db, dO + (j << 2), NATIVE);
            }
            for (; j < n; j++) {
                int o = dO + (j << 2);
                db.putFloat(o, (db.getFloat(o) - dot) * ab.getFloat(ao + (j << 2)) * scale);
            }
        }
    }

    /**
     * into[g·w + k] = Σ_i y_ik / ‖y_i‖ over the rows i of group g, for the [groups · rows, w] array y: each row's norm
     * in double, the sums in float lanes (as the float32 matrix product they replace).
     */
    static void unitRowSums(Floats y, int groups, int rows, int w, double[] into, float[] acc) {
        ByteBuffer yb = y.bytes();
        int yAt = y.at();
        int bound = F.loopBound(w);
        for (int g = 0; g < groups; g++) {
            java.util.Arrays.fill(acc, 0f);
            for (int i = 0; i < rows; i++) {
                int o = (yAt + (g * rows + i) * w) << 2, k = 0;
                FloatVector sq = FloatVector.zero(F);
                for (; k < bound; k += LANES) {
                    FloatVector v = FloatVector.fromByteBuffer(F, yb, o + (k << 2), NATIVE);
                    sq = v.fma(v, sq);
                }
                double ss = sq.reduceLanes(VectorOperators.ADD);
                for (; k < w; k++) ss += (double) yb.getFloat(o + (k << 2)) * yb.getFloat(o + (k << 2));
                float inv = (float) (1 / Math.sqrt(ss));
                for (k = 0; k < bound; k += LANES)
                    FloatVector.fromByteBuffer(F, yb, o + (k << 2), NATIVE)
                            .fma(FloatVector.broadcast(F, inv), FloatVector.fromArray(F, acc, k))
                            .intoArray(acc, k);
                for (; k < w; k++) acc[k] += yb.getFloat(o + (k << 2)) * inv;
            }
            for (int k = 0; k < w; k++) into[g * w + k] = acc[k];
        }
    }
}
