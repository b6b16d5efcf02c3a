package dev.gradsweep.grid;

import java.io.Serializable;
import java.util.Objects;

/**
 * A weight initializer named in a grid: a kind plus, for {@code normal:<σw>} and {@code constant:<c>}, one number.
 * The canonical text ({@link #toString()}) is what enters the run id.
 */
public final class Init implements Serializable {
    public enum Kind {
        XAVIER,
        XAVIER_UNIFORM,
        HE,
        HE_UNIFORM,
        LECUN,
        STANDARD,
        ORTHOGONAL,
        NORMAL,
        CONSTANT
    }

    public static final String ALLOWED =
            "xavier, xavier_uniform, he, he_uniform, lecun, standard, orthogonal, normal:<sigma_w>, constant:<c>";

    public final Kind kind;
    /** σw for NORMAL (weights ~ N(0, σw²/fan_in)), the value for CONSTANT, NaN otherwise. */
    public final double value;

    private Init(Kind kind, double value) {
        this.kind = kind;
        this.value = value;
    }

    /** Parses a grid value; returns null when unknown (the caller names the file and key in its error). */
    public static Init parse(String s) {
        NamedKind<Kind> n = NamedKind.parse(s, Kind.class, k -> switch (k) {
            case NORMAL -> 0;
            case CONSTANT -> Double.NEGATIVE_INFINITY;
            default -> NamedKind.BARE;
        });
        return n == null ? null : new Init(n.kind, n.value);
    }

    @Override
    public String toString() {
        return NamedKind.format(kind, value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Init && o.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return Objects.hash(toString());
    }
}
