package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gradsweep.stats.TrainingMemory;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link TrainingMemory#rowNorm} and its backward on both memory paths against their definitions computed here in
 * double: layer norm and RMSNorm, x̂, 1/√(mean(c²) + ε), y, dγ = Σ dy ⊙ x̂, dβ = Σ dy, and ∂L/∂x written out as the
 * chain rule of y through μ and σ (not the closed form the passes use), plus the residual share. float32 runs the host
 * path's SIMD loops; widths 8 (whole vectors), 5 and 37 (tails), rows with an offset mean so centring matters.
 */
class RowNormPassTest {
    @Test
    void bothPathsMatchTheDefinitions() {
        for (TrainingMemory memory : new TrainingMemory[] {TrainingMemory.forBackend(), TrainingMemory.portable()})
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
                for (int n : new int[] {8, 5, 37})
                    for (boolean centre : new boolean[] {true, false})
                        for (boolean res : new boolean[] {false, true}) check(memory, dt, 6, n, centre, res);
    }

    private static void check(TrainingMemory memory, DataType dt, int rows, int n, boolean centre, boolean withRes) {
        String what = memory.name() + " " + dt + " n " + n + (centre ? " layer" : " rms") + (withRes ? " +res" : "");
        double tol = dt == DataType.FLOAT ? 1e-4 : 1e-11;
        Random rng = new Random(n * 4L + (centre ? 2 : 0) + (withRes ? 1 : 0));
        double[] x = gauss(rng, rows * n, 1.5), g = gauss(rng, n, 1), b = gauss(rng, n, 1);
        double[] dy = gauss(rng, rows * n, 1), res = gauss(rng, rows * n, 1);
        for (int i = 0; i < x.length; i++) x[i] += 2; // a mean far from 0
        INDArray xa = arr(dt, x, rows, n), ga = arr(dt, g, 1, n), ba = centre ? arr(dt, b, 1, n) : null;
        INDArray xhat = Nd4j.create(dt, rows, n), inv = Nd4j.create(dt, rows, 1), y = Nd4j.create(dt, rows, n);
        memory.rowNorm(xa, ga, ba, RowNorm.EPS, xhat, inv, y);
        INDArray dg = Nd4j.create(dt, 1, n), db = centre ? Nd4j.create(dt, 1, n) : null, dx = Nd4j.create(dt, rows, n);
        memory.rowNormBackward(arr(dt, dy, rows, n), ga, xhat, inv, withRes ? arr(dt, res, rows, n) : null, dg, db, dx);
        memory.sync();
        double[] wantDg = new double[n], wantDb = new double[n];
        for (int r = 0; r < rows; r++) {
            double mu = 0, v = 0;
            if (centre) for (int j = 0; j < n; j++) mu += x[r * n + j] / n;
            for (int j = 0; j < n; j++) v += (x[r * n + j] - mu) * (x[r * n + j] - mu) / n;
            double s = Math.sqrt(v + RowNorm.EPS);
            assertEquals(1 / s, inv.getDouble(r, 0), tol / s, what + " inv, row " + r);
            // ∂L/∂x_k = Σ_j dy_j γ_j ∂x̂_j/∂x_k, ∂x̂_j/∂x_k = ([j = k] − [centre]/n)/s − c_j c_k / (n s³)
            for (int k = 0; k < n; k++) {
                double c = x[r * n + k] - mu, h = c / s, dxk = 0;
                assertEquals(h, xhat.getDouble(r, k), tol, what + " x̂ " + r + "," + k);
                assertEquals(h * g[k] + (centre ? b[k] : 0), y.getDouble(r, k), tol * 4, what + " y " + r + "," + k);
                wantDg[k] += dy[r * n + k] * h;
                wantDb[k] += dy[r * n + k];
                for (int j = 0; j < n; j++) {
                    double cj = x[r * n + j] - mu;
                    double jac = ((j == k ? 1 : 0) - (centre ? 1.0 / n : 0)) / s - cj * c / (n * s * s * s);
                    dxk += dy[r * n + j] * g[j] * jac;
                }
                if (withRes) dxk += res[r * n + k];
                assertEquals(dxk, dx.getDouble(r, k), tol * (1 + Math.abs(dxk)), what + " dx " + r + "," + k);
            }
        }
        for (int k = 0; k < n; k++) {
            assertEquals(wantDg[k], dg.getDouble(0, k), tol * rows, what + " dγ " + k);
            if (centre) assertEquals(wantDb[k], db.getDouble(0, k), tol * rows, what + " dβ " + k);
        }
    }

    private static double[] gauss(Random rng, int len, double sd) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) v[i] = sd * rng.nextGaussian();
        return v;
    }

    private static INDArray arr(DataType dt, double[] v, int rows, int cols) {
        return Nd4j.createFromArray(v).castTo(dt).reshape('c', rows, cols);
    }
}
