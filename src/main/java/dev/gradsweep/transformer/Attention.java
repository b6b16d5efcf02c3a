package dev.gradsweep.transformer;

import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Multi-head self-attention without biases on the [B·T, d] stream (rows b·T + t): [Q K V] = u W_qkvᵀ with W_qkv
 * [3d, d] (rows 0 … d−1 are W_qᵀ's layout [out, in], then W_k, W_v), head j the columns j·d_h … (j+1)·d_h − 1 of
 * each; S = Q_j K_jᵀ/√d_h (+ −1e9 above the diagonal when causal), A = softmax over keys, context = A V_j, heads
 * concatenated in head order, out = context W_oᵀ. The per-head products are batched over the B·h (sequence, head)
 * pairs through {@link TrainingMemory#matmul} on [B, h, ·, ·] views: Q, K, V and their gradients are read and written
 * in place in the [B·T, 3d] arrays, the context in the [B·T, d] one (on the host path one gemm per pair with the
 * arrays' row stride as leading dimension; the permuted copies this replaces were ≈ 5 % of a step).
 *
 * <p>The softmax, its backward and the statistics go through {@link TrainingMemory#attentionSoftmax} (on the host
 * path one SIMD pass per row, the statistics from the softmax's own maximum and sum): armed by {@link #collect}, a
 * forward writes each (sequence, head, query) row's largest logit and entropy.
 */
final class Attention implements Sublayer {
    /** Added to masked logits: exp of it underflows to exactly 0 in float32 and float64, and 0 · it is 0. */
    static final double MASKED = -1e9;

    private final TrainingMemory memory;
    private final int batch, seq, heads, hs;
    private final double scale;
    private final INDArray wqkv, wo, dwqkv, dwo, qkv, qh, kh, vh, s, a, s4, a4, ctx, ch, out;
    private final INDArray dctx, dch, da, da4, dqh, dkh, dvh, dqkv, du, mask;
    private INDArray u;
    private double[] logitMax, entropy;

    /** wqkv [3d, d], wo [d, d] and their gradient views. */
    Attention(
            INDArray wqkv,
            INDArray wo,
            INDArray dwqkv,
            INDArray dwo,
            int batch,
            int seq,
            int heads,
            boolean causal,
            TrainingMemory memory) {
        this.memory = memory;
        this.wqkv = wqkv;
        this.wo = wo;
        this.dwqkv = dwqkv;
        this.dwo = dwo;
        this.batch = batch;
        this.seq = seq;
        this.heads = heads;
        DataType dt = wo.dataType();
        long d = wo.size(0), rows = (long) batch * seq, n = (long) batch * heads;
        hs = (int) (d / heads);
        scale = 1 / Math.sqrt(hs);
        qkv = Nd4j.create(dt, rows, 3 * d);
        qh = head(qkv, 0);
        kh = head(qkv, 1);
        vh = head(qkv, 2);
        s = Nd4j.create(dt, n, seq, seq);
        a = Nd4j.create(dt, n, seq, seq);
        s4 = s.reshape('c', batch, heads, seq, seq);
        a4 = a.reshape('c', batch, heads, seq, seq);
        ctx = Nd4j.create(dt, rows, d);
        ch = head(ctx, 0);
        out = Nd4j.create(dt, rows, d);
        dctx = Nd4j.create(dt, rows, d);
        dch = head(dctx, 0);
        da = Nd4j.create(dt, n, seq, seq);
        da4 = da.reshape('c', batch, heads, seq, seq);
        dqkv = Nd4j.create(dt, rows, 3 * d);
        dqh = head(dqkv, 0);
        dkh = head(dqkv, 1);
        dvh = head(dqkv, 2);
        du = Nd4j.create(dt, rows, d);
        mask = causal ? causalMask(dt, n, seq) : null;
    }

    /**
     * Part p of the [B·T, parts·d] array x as its heads, a [B, h, T, d_h] view: head j of sequence b is rows b·T …
     * b·T + T − 1, columns p·d + j·d_h … p·d + (j+1)·d_h − 1.
     */
    private INDArray head(INDArray x, int p) {
        long parts = x.size(1) / (heads * hs);
        return x.reshape('c', batch, seq, parts, heads, hs)
                .permute(2, 0, 3, 1, 4)
                .get(NDArrayIndex.point(p));
    }

    private static INDArray causalMask(DataType dt, long n, int seq) {
        double[] m = new double[seq * seq];
        for (int i = 0; i < seq; i++) for (int j = i + 1; j < seq; j++) m[i * seq + j] = MASKED;
        INDArray one = Nd4j.createFromArray(m).castTo(dt).reshape(1, seq, seq);
        return Nd4j.create(dt, n, seq, seq).assign(one.broadcast(n, seq, seq));
    }

    @Override
    public INDArray forward(INDArray u) {
        this.u = u;
        memory.matmul(u, wqkv, qkv, false, true);
        memory.matmul(qh, kh, s4, false, true);
        memory.attentionSoftmax(s, scale, mask, a, logitMax, entropy);
        memory.matmul(a4, vh, ch, false, false);
        memory.matmul(ctx, wo, out, false, true);
        return out;
    }

    /**
     * The next forwards write, per (sequence, head, query) row b·h·T + j·T + i, the largest logit max_j S_j into
     * logitMax and the entropy of the row's weights into entropy (at the latest at the memory's next sync); null:
     * they do not.
     */
    void collect(double[] logitMax, double[] entropy) {
        this.logitMax = logitMax;
        this.entropy = entropy;
    }

    @Override
    public INDArray backward(INDArray dOut) {
        memory.matmul(dOut, ctx, dwo, true, false);
        memory.matmul(dOut, wo, dctx, false, false);
        memory.matmul(dch, vh, da4, false, true);
        memory.matmul(a4, dch, dvh, true, false);
        memory.attentionSoftmaxBackward(a, da, scale); // dS = A ⊙ (dA − Σ_keys dA ⊙ A) / √d_h
        memory.matmul(da4, kh, dqh, false, false);
        memory.matmul(da4, qh, dkh, true, false);
        memory.matmul(dqkv, u, dwqkv, true, false);
        memory.matmul(dqkv, wqkv, du, false, false);
        return du;
    }
}
