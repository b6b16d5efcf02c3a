package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.stats.TrainingMemory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The attention sublayer against SameDiff in float64, to 1e-10 (relative to each array's largest element): the
 * forward output and the gradients of L = Σ out ⊙ G (G fixed and random, so ∂L/∂out = G) with respect to the input
 * and to W_q, W_k, W_v, W_o. Bidirectional: SameDiff's own {@code multiHeadDotProductAttention} op (its layout: input
 * [B, d, T], W_q [h, d_h, d], W_o [h·d_h, d] (= our W_oᵀ), output [B, d, T]) and, bidirectional and causal, the same
 * attention composed from SameDiff ops (matmul, softmax, reshape, permute; the gradients by SameDiff's autodiff).
 * DL4J's {@code SelfAttentionLayer} is not used: only its initialization differs (its W_o gets fan-in nIn and
 * fan-out headSize), and here all weights are set explicitly.
 */
class AttentionCrossCheckTest {
    static final int B = 2, T = 4, D = 8, H = 2, HS = D / H;

    @Test
    void matchesSameDiffsMultiHeadAttentionOp() {
        Fixture f = new Fixture(false);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", f.u.reshape(B, T, D).permute(0, 2, 1).dup());
        SDVariable wq = sd.var(
                "wq",
                f.wqkv.get(NDArrayIndex.interval(0, D), NDArrayIndex.all())
                        .dup()
                        .reshape(H, HS, D));
        SDVariable wk = sd.var(
                "wk",
                f.wqkv.get(NDArrayIndex.interval(D, 2 * D), NDArrayIndex.all())
                        .dup()
                        .reshape(H, HS, D));
        SDVariable wv = sd.var(
                "wv",
                f.wqkv.get(NDArrayIndex.interval(2 * D, 3 * D), NDArrayIndex.all())
                        .dup()
                        .reshape(H, HS, D));
        SDVariable wo = sd.var("wo", f.wo.transpose().dup());
        SDVariable out = sd.nn().multiHeadDotProductAttention(x, x, x, wq, wk, wv, wo, null, true);
        SDVariable g = sd.constant("g", f.g.reshape(B, T, D).permute(0, 2, 1).dup());
        out.mul(g).sum().markAsLoss();
        INDArray o = out.eval();
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), List.of("x", "wq", "wk", "wv", "wo"));
        close(f.out, o.permute(0, 2, 1).reshape(B * T, D), "output");
        close(f.du, grads.get("x").permute(0, 2, 1).reshape(B * T, D), "dL/du");
        close(
                f.dwqkv,
                Nd4j.concat(
                        0,
                        grads.get("wq").reshape(D, D),
                        grads.get("wk").reshape(D, D),
                        grads.get("wv").reshape(D, D)),
                "dL/dW_qkv");
        close(f.dwo, grads.get("wo").transpose(), "dL/dW_o");
    }

    @Test
    void matchesComposedSameDiffOpsBidirectionalAndCausal() {
        for (boolean causal : new boolean[] {false, true}) {
            Fixture f = new Fixture(causal);
            SameDiff sd = SameDiff.create();
            SDVariable u = sd.var("u", f.u.dup()), w = sd.var("w", f.wqkv.dup()), wo = sd.var("wo", f.wo.dup());
            SDVariable[] heads = new SDVariable[3];
            for (int k = 0; k < 3; k++) {
                SDVariable part = sd.mmul(u, sd.slice(w, new int[] {k * D, 0}, new int[] {D, D}), false, true, false);
                heads[k] = sd.permute(sd.reshape(part, B, T, H, HS), 0, 2, 1, 3);
            }
            SDVariable s = sd.mmul(heads[0], heads[1], false, true, false).mul(1 / Math.sqrt(HS));
            if (causal) s = s.add(sd.constant("mask", mask()));
            SDVariable a = sd.nn().softmax(s, 3);
            SDVariable ctx = sd.reshape(sd.permute(sd.mmul(a, heads[2]), 0, 2, 1, 3), B * T, D);
            SDVariable out = sd.mmul(ctx, wo, false, true, false);
            out.mul(sd.constant("g", f.g.dup())).sum().markAsLoss();
            Map<String, INDArray> grads = sd.calculateGradients(Map.of(), List.of("u", "w", "wo"));
            String c = causal ? " causal" : "";
            close(f.out, out.eval(), "output" + c);
            close(f.du, grads.get("u"), "dL/du" + c);
            close(f.dwqkv, grads.get("w"), "dL/dW_qkv" + c);
            close(f.dwo, grads.get("wo"), "dL/dW_o" + c);
        }
    }

    private static INDArray mask() {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, B, H, T, T);
        for (int i = 0; i < T; i++)
            for (int j = i + 1; j < T; j++)
                m.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(j))
                        .assign(Attention.MASKED);
        return m;
    }

    /** Our attention on random float64 weights and input, forward and backward. */
    static final class Fixture {
        final INDArray u, wqkv, wo, g, dwqkv, dwo, out, du;

        Fixture(boolean causal) {
            Nd4j.getRandom().setSeed(42);
            u = Nd4j.randn(DataType.DOUBLE, B * T, D);
            wqkv = Nd4j.randn(DataType.DOUBLE, 3 * D, D).muli(0.5);
            wo = Nd4j.randn(DataType.DOUBLE, D, D).muli(0.5);
            g = Nd4j.randn(DataType.DOUBLE, B * T, D);
            dwqkv = Nd4j.create(DataType.DOUBLE, 3 * D, D);
            dwo = Nd4j.create(DataType.DOUBLE, D, D);
            Attention att = new Attention(wqkv, wo, dwqkv, dwo, B, T, H, causal, TrainingMemory.forBackend());
            out = att.forward(u).dup();
            du = att.backward(g).dup();
        }
    }

    static void close(INDArray ours, INDArray theirs, String what) {
        double scale = theirs.amaxNumber().doubleValue();
        double err = ours.sub(theirs.reshape(ours.shape())).amaxNumber().doubleValue();
        assertTrue(scale > 1e-3, what + ": not trivially 0");
        assertTrue(err <= 1e-10 * scale, what + ": max |ours − SameDiff| " + err + " vs max " + scale);
    }
}
