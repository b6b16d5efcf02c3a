package dev.gradsweep.recurrent;

import dev.gradsweep.grid.Canon;
import java.util.Random;

/**
 * Initializer of a recurrent weight block W_h (H × H; LSTM and GRU initialize each gate's block on its own):
 * {@code orthogonal} (a Haar-random orthogonal matrix), {@code identity} (IRNN, Le et al. 2015), {@code normal:<σ>}
 * (N(0, σ²/H)) and {@code spectral:<ρ>} (N(0, 1/H), then scaled so that its spectral radius is exactly ρ).
 */
public final class RecInit {
    public enum Kind { ORTHOGONAL, IDENTITY, NORMAL, SPECTRAL }

    public static final String ALLOWED = "orthogonal, identity, normal:<sigma>, spectral:<rho>";

    public final Kind kind;
    /** σ for NORMAL, ρ for SPECTRAL, NaN otherwise. */
    public final double value;

    private RecInit(Kind kind, double value) {
        this.kind = kind;
        this.value = value;
    }

    /** Parses a name; null when unknown or out of range (σ, ρ must be finite and ≥ 0). */
    public static RecInit parse(String s) {
        String t = s.trim().toLowerCase();
        if (t.equals("orthogonal")) return new RecInit(Kind.ORTHOGONAL, Double.NaN);
        if (t.equals("identity")) return new RecInit(Kind.IDENTITY, Double.NaN);
        int colon = t.indexOf(':');
        if (colon < 0) return null;
        double v;
        try {
            v = Double.parseDouble(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        if (!Double.isFinite(v) || v < 0) return null;
        switch (t.substring(0, colon)) {
            case "normal": return new RecInit(Kind.NORMAL, v);
            case "spectral": return new RecInit(Kind.SPECTRAL, v);
            default: return null;
        }
    }

    /** Fills an n × n row-major block. */
    public double[] sample(int n, Random rng) {
        double[] w = new double[n * n];
        switch (kind) {
            case IDENTITY:
                for (int i = 0; i < n; i++) w[i * n + i] = 1;
                return w;
            case ORTHOGONAL:
                return orthogonal(n, rng);
            case NORMAL:
                for (int i = 0; i < w.length; i++) w[i] = rng.nextGaussian() * value / Math.sqrt(n);
                return w;
            case SPECTRAL: {
                for (int i = 0; i < w.length; i++) w[i] = rng.nextGaussian() / Math.sqrt(n);
                double r = SpectralRadius.of(w, n);
                for (int i = 0; i < w.length; i++) w[i] *= value / r;
                return w;
            }
            default: throw new IllegalStateException(kind.toString());
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

    @Override
    public String toString() {
        switch (kind) {
            case NORMAL: return "normal:" + Canon.num(value);
            case SPECTRAL: return "spectral:" + Canon.num(value);
            default: return kind.name().toLowerCase();
        }
    }

}
