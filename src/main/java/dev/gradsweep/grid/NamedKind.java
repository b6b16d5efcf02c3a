package dev.gradsweep.grid;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The grammar of initializer values ({@link Init}, {@link RecInit}): a kind's lower-case name, or for kinds that take
 * one, {@code name:<number>}. One parser and one printer, so both axes accept and canonicalise alike.
 */
final class NamedKind<K extends Enum<K>> {
    /** Marks a kind that takes no number. */
    static final double BARE = Double.NaN;

    final K kind;
    /** The number after the colon; {@link #BARE} when none. */
    final double value;

    private NamedKind(K kind, double value) {
        this.kind = kind;
        this.value = value;
    }

    /**
     * @param minValue per kind, the smallest number it accepts, or {@link #BARE} when it takes none
     * @return null when the name is unknown, a number is missing, unwanted, not finite or below the minimum
     */
    static <K extends Enum<K>> NamedKind<K> parse(String s, Class<K> kinds, ToDoubleFunction<K> minValue) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        int colon = t.indexOf(':');
        K kind = kind(colon < 0 ? t : t.substring(0, colon), kinds);
        if (kind == null) return null;
        double min = minValue.applyAsDouble(kind);
        if (colon < 0) return Double.isNaN(min) ? new NamedKind<>(kind, BARE) : null;
        if (Double.isNaN(min)) return null;
        double v;
        try {
            v = Double.parseDouble(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        return Double.isFinite(v) && v >= min ? new NamedKind<>(kind, v) : null;
    }

    /** The canonical text: {@code name} or {@code name:<Canon.num(value)>}. */
    static String format(Enum<?> kind, double value) {
        String name = kind.name().toLowerCase(Locale.ROOT);
        return Double.isNaN(value) ? name : name + ":" + Canon.num(value);
    }

    private static <K extends Enum<K>> K kind(String name, Class<K> kinds) {
        for (K k : kinds.getEnumConstants())
            if (k.name().toLowerCase(Locale.ROOT).equals(name)) return k;
        return null;
    }
}
