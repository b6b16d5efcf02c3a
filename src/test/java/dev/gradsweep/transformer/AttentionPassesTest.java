package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gradsweep.stats.TrainingMemory;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The attention passes of both memory paths ({@link TrainingMemory#attentionSoftmax}, its backward,
 * {@link TrainingMemory#unitRowSums}) against their definitions computed here in double: weights e^S_j / Σ_k e^S_k
 * over the unmasked keys, entropy −Σ p ln p, the largest unmasked logit, dS = scale·A ⊙ (dA − Σ dA ⊙ A), the sums of
 * unit rows. float32 runs the host path's SIMD loops, float64 its plain loops; T 8 fills the SIMD lanes, T 5 and 37
 * leave tails.
 */
class AttentionPassesTest {
    static final double SCALE = 0.35;

    @Test
    void bothPathsMatchTheDefinitions() {
        for (TrainingMemory memory : new TrainingMemory[] {TrainingMemory.forBackend(), TrainingMemory.portable()})
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
                for (int t : new int[] {8, 5, 37})
                    for (boolean causal : new boolean[] {false, true}) check(memory, dt, 3, t, causal);
    }

    private static void check(TrainingMemory memory, DataType dt, int n, int t, boolean causal) {
        String what = memory.name() + " " + dt + " T " + t + (causal ? " causal" : "");
        double tol = dt == DataType.FLOAT ? 2e-5 : 1e-12;
        Random rng = new Random(t * 31L + (causal ? 1 : 0));
        double[] sv = new double[n * t * t], dav = new double[sv.length];
        for (int i = 0; i < sv.length; i++) {
            sv[i] = 6 * rng.nextGaussian(); // wide logits: peaked and flat rows both
            dav[i] = rng.nextGaussian();
        }
        INDArray s = Nd4j.createFromArray(sv).castTo(dt).reshape('c', n, t, t), a = s.ulike();
        INDArray mask = causal ? mask(dt, n, t) : null;
        double[] max = new double[n * t], ent = new double[n * t];
        memory.attentionSoftmax(s, SCALE, mask, a, max, ent);
        INDArray da = Nd4j.createFromArray(dav).castTo(dt).reshape('c', n, t, t);
        memory.attentionSoftmaxBackward(a, da, SCALE);
        memory.sync();
        double[] got = a.castTo(DataType.DOUBLE).data().asDouble(),
                dgot = da.castTo(DataType.DOUBLE).data().asDouble();
        for (int r = 0; r < n * t; r++) {
            int len = causal ? r % t + 1 : t;
            double m = Double.NEGATIVE_INFINITY, z = 0, h = 0, dot = 0;
            double[] sr = new double[len];
            for (int j = 0; j < len; j++) m = Math.max(m, sr[j] = SCALE * (float32(dt, sv[r * t + j])));
            for (int j = 0; j < len; j++) z += Math.exp(sr[j]);
            double[] p = new double[t];
            for (int j = 0; j < len; j++) {
                p[j] = Math.exp(sr[j]) / z;
                h -= p[j] * Math.log(p[j]);
                dot += float32(dt, dav[r * t + j]) * p[j];
            }
            assertEquals(m, max[r], tol * Math.abs(m) + tol, what + " max logit, row " + r);
            assertEquals(h, ent[r], tol * 4, what + " entropy, row " + r);
            for (int j = 0; j < t; j++) {
                assertEquals(p[j], got[r * t + j], tol, what + " weight " + r + "," + j);
                double ds = SCALE * p[j] * (float32(dt, dav[r * t + j]) - dot);
                assertEquals(ds, dgot[r * t + j], tol * 10, what + " dS " + r + "," + j);
            }
        }
        checkUnitRowSums(memory, dt, t, what, tol);
    }

    private static void checkUnitRowSums(TrainingMemory memory, DataType dt, int w, String what, double tol) {
        int groups = 3, rows = 4;
        Random rng = new Random(w);
        double[] y = new double[groups * rows * w];
        for (int i = 0; i < y.length; i++) y[i] = float32(dt, rng.nextGaussian() + 0.3);
        double[] into = new double[groups * w];
        memory.unitRowSums(Nd4j.createFromArray(y).castTo(dt).reshape('c', groups * rows, w), groups, into);
        memory.sync();
        for (int g = 0; g < groups; g++)
            for (int k = 0; k < w; k++) {
                double sum = 0;
                for (int i = g * rows; i < (g + 1) * rows; i++) {
                    double sq = 0;
                    for (int c = 0; c < w; c++) sq += y[i * w + c] * y[i * w + c];
                    sum += y[i * w + k] / Math.sqrt(sq);
                }
                assertEquals(sum, into[g * w + k], tol * 4, what + " unit row sum " + g + "," + k);
            }
    }

    /** The value the array holds: float32 arrays hold the rounded one. */
    private static double float32(DataType dt, double v) {
        return dt == DataType.FLOAT ? (float) v : v;
    }

    private static INDArray mask(DataType dt, int n, int t) {
        INDArray m = Nd4j.create(dt, n, t, t);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < t; i++)
                for (int j = i + 1; j < t; j++) m.putScalar(new long[] {b, i, j}, Attention.MASKED);
        return m;
    }
}
