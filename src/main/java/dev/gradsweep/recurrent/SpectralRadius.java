package dev.gradsweep.recurrent;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

/**
 * Spectral radius max |λ| of a real square matrix. A general (non-symmetric) eigen solver, because power iteration
 * does not converge when the largest eigenvalues are a complex-conjugate pair, which is the typical case for a
 * random real matrix.
 */
public final class SpectralRadius {
    private SpectralRadius() {
    }

    /** @param w n × n, row-major */
    public static double of(double[] w, int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(w, i * n, m[i], 0, n);
        EigenDecomposition e = new EigenDecomposition(new Array2DRowRealMatrix(m, false));
        double[] re = e.getRealEigenvalues(), im = e.getImagEigenvalues();
        double r = 0;
        for (int i = 0; i < n; i++) r = Math.max(r, Math.hypot(re[i], im[i]));
        return r;
    }
}
