package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.RecInit;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecInitTest {
    @Test
    void namesParseToCanonicalText() {
        assertEquals("orthogonal", RecInit.parse("Orthogonal").toString());
        assertEquals("identity", RecInit.parse("identity").toString());
        assertEquals("normal:0.5", RecInit.parse("normal:0.50").toString());
        assertEquals("spectral:1.1", RecInit.parse("spectral:1.10").toString());
        assertNull(RecInit.parse("spectral:-1"));
        assertNull(RecInit.parse("spectral:x"));
        assertNull(RecInit.parse("xavier"));
    }

    /** The solver on matrices whose spectrum is known: S·diag·S⁻¹ with a complex pair on top, and a rotation. */
    @Test
    void spectralRadiusOfKnownSpectra() {
        int n = 6;
        // block diagonal: a rotation-scaling 2x2 block with eigenvalues 0.9 ± 0.6i (|λ| = 1.0817), then reals
        double[] d = new double[n * n];
        d[0] = 0.9;
        d[1] = -0.6;
        d[n] = 0.6;
        d[n + 1] = 0.9;
        double[] reals = {0.3, -1.05, 0.7, 0.1};
        for (int i = 0; i < 4; i++) d[(i + 2) * n + i + 2] = reals[i];
        // a similarity with an upper-triangular S (inverse by back-substitution) keeps the spectrum but not normality
        double[] s = new double[n * n], sInv = new double[n * n];
        Random r = new Random(4);
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) s[i * n + j] = i == j ? 1 : r.nextGaussian();
        for (int c = 0; c < n; c++)
            for (int i = n - 1; i >= 0; i--) {
                double v = i == c ? 1 : 0;
                for (int k = i + 1; k < n; k++) v -= s[i * n + k] * sInv[k * n + c];
                sInv[i * n + c] = v;
            }
        double[] m = mul(mul(s, d, n), sInv, n);
        assertEquals(Math.hypot(0.9, 0.6), SpectralRadius.of(m, n), 1e-10);
        assertEquals(1.0, SpectralRadius.of(RecWeights.orthogonal(n, new Random(1)), n), 1e-12);
    }

    /** Every eigenvalue agrees with an independent solver (commons-math's), on random and on structured matrices. */
    @Test
    void eigenvaluesAgreeWithCommonsMath() {
        Random r = new Random(8);
        for (int n : new int[] {1, 2, 3, 7, 40, 129}) {
            for (int kind = 0; kind < 3; kind++) {
                double[] w = new double[n * n];
                for (int i = 0; i < w.length; i++) w[i] = r.nextGaussian();
                if (kind == 1)
                    for (int i = 0; i < n; i++) for (int j = 0; j < i - 1; j++) w[i * n + j] = 0; // already Hessenberg
                if (kind == 2) w = RecWeights.orthogonal(n, r); // every |λ| = 1
                double[][] mine = SpectralRadius.eigenvalues(w, n);
                double[][] m = new double[n][n];
                for (int i = 0; i < n; i++) System.arraycopy(w, i * n, m[i], 0, n);
                var ref = new org.apache.commons.math3.linear.EigenDecomposition(
                        new org.apache.commons.math3.linear.Array2DRowRealMatrix(m));
                double[] rr = ref.getRealEigenvalues(), ri = ref.getImagEigenvalues();
                boolean[] used = new boolean[n];
                for (int i = 0; i < n; i++) { // match each reference eigenvalue to the nearest unused one of ours
                    int best = -1;
                    double dist = Double.POSITIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double dd = Math.hypot(rr[i] - mine[0][j], ri[i] - mine[1][j]);
                        if (!used[j] && dd < dist) {
                            dist = dd;
                            best = j;
                        }
                    }
                    used[best] = true;
                    assertTrue(
                            dist < 1e-8 * Math.sqrt(n),
                            "n " + n + " kind " + kind + ": eigenvalue " + rr[i] + "+" + ri[i] + "i off by " + dist);
                }
                if (kind == 2) assertEquals(1.0, SpectralRadius.of(w, n), 1e-12);
            }
        }
    }

    /**
     * spectral:ρ is exactly ρ, checked independently of the eigen solver by Gelfand's formula: ‖W^k‖^{1/k} ≥ ρ for
     * every k and any norm, and → ρ; at k = 400 for n = 24, ‖W^k‖_F^{1/k} ≤ ρ · (n·κ)^{1/k} is within 3 %.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.5, 0.9, 1.0, 1.1, 1.5})
    void spectralInitHasExactlyThatRadius(double rho) {
        int n = 24;
        double[] w = RecWeights.sample(RecInit.parse("spectral:" + rho), n, new Random(Double.hashCode(rho)));
        assertEquals(rho, SpectralRadius.of(w, n), 1e-9 * rho);
        double[] p = w.clone();
        double logNorm = 0; // ln ‖W^k‖_F, renormalizing every step
        for (int k = 1; k <= 400; k++) {
            if (k > 1) p = mul(p, w, n);
            double f = 0;
            for (double v : p) f += v * v;
            f = Math.sqrt(f);
            logNorm += Math.log(f);
            for (int i = 0; i < p.length; i++) p[i] /= f;
            double gelfand = Math.exp(logNorm / k);
            assertTrue(gelfand >= rho * (1 - 1e-9), "k " + k + ": " + gelfand + " below the spectral radius " + rho);
            if (k == 400) assertEquals(rho, gelfand, 0.03 * rho);
        }
    }

    @Test
    void orthogonalIdentityAndNormal() {
        int n = 50;
        double[] q = RecWeights.sample(RecInit.parse("orthogonal"), n, new Random(2));
        double[] qtq = mul(transpose(q, n), q, n);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) assertEquals(i == j ? 1 : 0, qtq[i * n + j], 1e-12);
        double[] id = RecWeights.sample(RecInit.parse("identity"), n, new Random(2));
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) assertEquals(i == j ? 1 : 0, id[i * n + j]);
        // N(0, σ²/n): n² = 2,500 draws estimate the variance within a relative 3·√(2/2500) = 8.5 %
        double[] g = RecWeights.sample(RecInit.parse("normal:2"), n, new Random(2));
        double s2 = 0;
        for (double v : g) s2 += v * v;
        assertEquals(4.0 / n, s2 / g.length, 0.085 * 4.0 / n);
    }

    static double[] mul(double[] a, double[] b, int n) {
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) {
                double v = a[i * n + k];
                for (int j = 0; j < n; j++) c[i * n + j] += v * b[k * n + j];
            }
        return c;
    }

    static double[] transpose(double[] a, int n) {
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
        return t;
    }
}
