package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gradsweep.stats.TrainingMemory;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The per-head products as {@link Attention} asks for them, on [B, h, T, d_h] views of [B·T, 3d] arrays (row stride
 * 3d, the heads side by side in a row) and contiguous [B, h, T, T] arrays: both memory paths against the products
 * summed here in double over each element's own position, in the six forms of a step (S = Q·Kᵀ, C = A·V, dA =
 * dC·Vᵀ, dV = Aᵀ·dC, dQ = dS·K, dK = dSᵀ·Q), and nothing written outside an output view (the array's other columns
 * keep a sentinel). B 3, T 5, h 2, d_h 3: no size a vector width.
 */
class HeadMatmulTest {
    private static final int B = 3, T = 5, H = 2, HS = 3, D = H * HS, SQUARE = -1;

    /** {left, right, out, transA, transB}: a part 0–2 of a [B·T, 3d] array, or {@link #SQUARE}. */
    private static final int[][] FORMS = {
        {0, 1, SQUARE, 0, 1},
        {SQUARE, 2, 0, 0, 0},
        {0, 2, SQUARE, 0, 1},
        {SQUARE, 0, 2, 1, 0},
        {SQUARE, 1, 0, 0, 0},
        {SQUARE, 0, 1, 1, 0}
    };

    @Test
    void stridedHeadProductsMatchTheirDefinition() {
        for (TrainingMemory memory : new TrainingMemory[] {TrainingMemory.forBackend(), TrainingMemory.portable()})
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
                for (int[] form : FORMS) check(memory, dt, form);
    }

    private static void check(TrainingMemory memory, DataType dt, int[] form) {
        boolean ta = form[3] == 1, tb = form[4] == 1;
        String what = memory.name() + " " + dt + " form " + java.util.Arrays.toString(form);
        Random rng = new Random(java.util.Arrays.hashCode(form));
        INDArray left = operand(rng, dt, form[0]), right = operand(rng, dt, form[1]);
        INDArray out = Nd4j.create(dt, B * T, 3 * D).assign(-7);
        INDArray c = form[2] == SQUARE ? Nd4j.create(dt, B, H, T, T) : head(out, form[2]);
        int m = (int) c.size(2), n = (int) c.size(3), k = (int) (ta ? left.size(2) : left.size(3));
        memory.matmul(left, right, c, ta, tb);
        memory.sync();
        for (int s = 0; s < B; s++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double want = 0;
                        for (int q = 0; q < k; q++)
                            want += at(left, s, h, ta ? q : i, ta ? i : q) * at(right, s, h, tb ? j : q, tb ? q : j);
                        double tol = dt == DataType.FLOAT ? 1e-5 * (1 + Math.abs(want)) : 1e-13;
                        assertEquals(want, at(c, s, h, i, j), tol, what + " at " + s + "," + h + "," + i + "," + j);
                    }
        if (form[2] != SQUARE)
            for (int r = 0; r < B * T; r++)
                for (int col = 0; col < 3 * D; col++)
                    if (col / D != form[2]) assertEquals(-7.0, out.getDouble(r, col), what + ": outside the view");
    }

    private static INDArray operand(Random rng, DataType dt, int part) {
        if (part == SQUARE) return rand(rng, dt, B * H * T, T).reshape('c', B, H, T, T);
        return head(rand(rng, dt, B * T, 3 * D), part);
    }

    private static double at(INDArray x, int s, int h, int i, int j) {
        return x.getDouble(s, h, i, j);
    }

    /** As Attention's: part p of [B·T, 3d], head j of sequence b its rows b·T …, columns p·d + j·d_h …. */
    private static INDArray head(INDArray x, int p) {
        return x.reshape('c', B, T, 3, H, HS).permute(2, 0, 3, 1, 4).get(NDArrayIndex.point(p));
    }

    private static INDArray rand(Random rng, DataType dt, long rows, long cols) {
        double[] v = new double[(int) (rows * cols)];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian();
        return Nd4j.createFromArray(v).castTo(dt).reshape('c', rows, cols);
    }
}
