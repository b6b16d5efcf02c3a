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
        String t = s.trim().toLowerCase();
        int colon = t.indexOf(':');
        if (colon < 0) {
            switch (t) {
                case "xavier":
                    return new Init(Kind.XAVIER, Double.NaN);
                case "xavier_uniform":
                    return new Init(Kind.XAVIER_UNIFORM, Double.NaN);
                case "he":
                    return new Init(Kind.HE, Double.NaN);
                case "he_uniform":
                    return new Init(Kind.HE_UNIFORM, Double.NaN);
                case "lecun":
                    return new Init(Kind.LECUN, Double.NaN);
                case "standard":
                    return new Init(Kind.STANDARD, Double.NaN);
                case "orthogonal":
                    return new Init(Kind.ORTHOGONAL, Double.NaN);
                default:
                    return null;
            }
        }
        String head = t.substring(0, colon);
        double v;
        try {
            v = Double.parseDouble(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        if (!Double.isFinite(v)) return null;
        if (head.equals("normal") && v >= 0) return new Init(Kind.NORMAL, v);
        if (head.equals("constant")) return new Init(Kind.CONSTANT, v);
        return null;
    }

    @Override
    public String toString() {
        switch (kind) {
            case NORMAL:
                return "normal:" + Canon.num(value);
            case CONSTANT:
                return "constant:" + Canon.num(value);
            default:
                return kind.name().toLowerCase();
        }
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
