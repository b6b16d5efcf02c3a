package dev.gradsweep.grid;

import java.io.Serializable;

/**
 * Initializer of a recurrent weight block W_h (H × H; LSTM and GRU initialize each gate's block on its own):
 * {@code orthogonal} (a Haar-random orthogonal matrix), {@code identity} (IRNN, Le et al. 2015), {@code normal:<σ>}
 * (N(0, σ²/H)) and {@code spectral:<ρ>} (N(0, 1/H), then scaled so that its spectral radius is exactly ρ). The
 * sampling is {@code recurrent.RecWeights}; the canonical text ({@link #toString()}) enters the run id.
 */
public final class RecInit implements Serializable {
    public enum Kind {
        ORTHOGONAL,
        IDENTITY,
        NORMAL,
        SPECTRAL
    }

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
        NamedKind<Kind> n =
                NamedKind.parse(s, Kind.class, k -> k == Kind.NORMAL || k == Kind.SPECTRAL ? 0 : NamedKind.BARE);
        return n == null ? null : new RecInit(n.kind, n.value);
    }

    @Override
    public String toString() {
        return NamedKind.format(kind, value);
    }
}
