package dev.gradsweep.recurrent;

import dev.gradsweep.grid.RecInit;
import java.util.Random;

/** Samples the recurrent weight blocks a {@link RecInit} names. */
public final class RecWeights {
    private RecWeights() {}

    /** Fills an n × n row-major block. */
    public static double[] sample(RecInit init, int n, Random rng) {
        double[] w = new double[n * n];
        switch (init.kind) {
            case IDENTITY:
                for (int i = 0; i < n; i++) w[i * n + i] = 1;
                return w;
            case ORTHOGONAL:
                return orthogonal(n, rng);
            case NORMAL:
                for (int i = 0; i < w.length; i++) w[i] = rng.nextGaussian() * init.value / Math.sqrt(n);
                return w;
            case SPECTRAL: {
                for (int i = 0; i < w.length; i++) w[i] = rng.nextGaussian() / Math.sqrt(n);
                double r = SpectralRadius.of(w, n);
                for (int i = 0; i < w.length; i++) w[i] *= init.value / r;
                return w;
            }
            default:
                throw new IllegalStateException(init.kind.toString());
        }
    }

    /**
     * Q of the QR decomposition of a Gaussian matrix, with the signs of R's diagonal folded in so that Q is
     * Haar-distributed (modified Gram-Schmidt over the columns, in double).
     */
    static double[] orthogonal(int n, Random rng) {
        double[][] col = new double[n][n];
        for (int j = 0; j < n; j++) for (int i = 0; i < n; i++) col[j][i] = rng.nextGaussian();
        for (int j = 0; j < n; j++) {
            double[] v = col[j];
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += col[k][i] * v[i];
                for (int i = 0; i < n; i++) v[i] -= dot * col[k][i];
            }
            double norm = 0;
            for (double x : v) norm += x * x;
            norm = Math.sqrt(norm); // the norm is R's (positive) diagonal, so no sign correction is needed
            for (int i = 0; i < n; i++) v[i] /= norm;
        }
        double[] w = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) w[i * n + j] = col[j][i];
        return w;
    }
}
