package dev.gradsweep.transformer;

import static dev.gradsweep.transformer.Sublayer.view;

import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-head self-attention without biases on the [B·T, d] stream (rows b·T + t): [Q K V] = u W_qkvᵀ with W_qkv
 * [3d, d] (rows 0 … d−1 are W_qᵀ's layout [out, in], then W_k, W_v), head j the columns j·d_h … (j+1)·d_h − 1 of
 * each; S = Q_j K_jᵀ/√d_h (+ −1e9 above the diagonal when causal), A = softmax over keys, context = A V_j, heads
 * concatenated in head order, out = context W_oᵀ. The per-head products are batched over the B·h (sequence, head)
 * pairs through {@link TrainingMemory#matmul} (on the host path one gemm per pair, half of ND4J's batched matmul's
 * time at T = 32); the heads' layout changes are one permuted assign each way.
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
    private final INDArray wqkv, wo, dwqkv, dwo, qkv, qkvh, qh, kh, vh, s, a, c, ctx, out;
    private final INDArray dctx, dc, da, dqkvh, dqh, dkh, dvh, dqkv, du, mask;
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
        qkvh = Nd4j.create(dt, 3, n, seq, hs);
        long part = n * seq * hs;
        qh = view(qkvh, 0, n, seq, hs);
        kh = view(qkvh, part, n, seq, hs);
        vh = view(qkvh, 2 * part, n, seq, hs);
        s = Nd4j.create(dt, n, seq, seq);
        a = Nd4j.create(dt, n, seq, seq);
        c = Nd4j.create(dt, n, seq, hs);
        ctx = Nd4j.create(dt, rows, d);
        out = Nd4j.create(dt, rows, d);
        dctx = Nd4j.create(dt, rows, d);
        dc = Nd4j.create(dt, n, seq, hs);
        da = Nd4j.create(dt, n, seq, seq);
        dqkvh = Nd4j.create(dt, 3, n, seq, hs);
        dqh = view(dqkvh, 0, n, seq, hs);
        dkh = view(dqkvh, part, n, seq, hs);
        dvh = view(dqkvh, 2 * part, n, seq, hs);
        dqkv = Nd4j.create(dt, rows, 3 * d);
        du = Nd4j.create(dt, rows, d);
        mask = causal ? causalMask(dt, n, seq) : null;
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
        qkvh.reshape('c', 3, batch, heads, seq, hs)
                .assign(qkv.reshape('c', batch, seq, 3, heads, hs).permute(2, 0, 3, 1, 4));
        memory.matmul(qh, kh, s, false, true);
        memory.attentionSoftmax(s, scale, mask, a, logitMax, entropy);
        memory.matmul(a, vh, c, false, false);
        ctx.reshape('c', batch, seq, heads, hs)
                .assign(c.reshape('c', batch, heads, seq, hs).permute(0, 2, 1, 3));
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
        dc.reshape('c', batch, heads, seq, hs)
                .assign(dctx.reshape('c', batch, seq, heads, hs).permute(0, 2, 1, 3));
        memory.matmul(dc, vh, da, false, true);
        memory.matmul(a, dc, dvh, true, false);
        memory.attentionSoftmaxBackward(a, da, scale); // dS = A ⊙ (dA − Σ_keys dA ⊙ A) / √d_h
        memory.matmul(da, kh, dqh, false, false);
        memory.matmul(da, qh, dkh, true, false);
        dqkv.reshape('c', batch, seq, 3, heads, hs)
                .permute(2, 0, 3, 1, 4)
                .assign(dqkvh.reshape('c', 3, batch, heads, seq, hs));
        memory.matmul(dqkv, u, dwqkv, true, false);
        memory.matmul(dqkv, wqkv, du, false, false);
        return du;
    }
}
