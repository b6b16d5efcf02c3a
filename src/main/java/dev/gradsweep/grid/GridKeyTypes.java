package dev.gradsweep.grid;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The kinds of key a grid file has (integer, number, word, text, list or mapping), each parsing and checking one value;
 * every key itself is declared in {@link GridKeys}, which registers them here in declaration order.
 */
public final class GridKeyTypes {
    /** Every key, in declaration order (GridKeys' constants add themselves as they are created). */
    static final List<Key<?>> ALL = new ArrayList<>();

    private GridKeyTypes() {}

    /** Where a key sits in the file. */
    public enum Section {
        TOP(""),
        TASK("task"),
        TRAIN("train"),
        AXES("axes");

        public final String prefix;

        Section(String prefix) {
            this.prefix = prefix;
        }
    }

    /**
     * One key. {@code defaultText} is what the docs show (null: required); {@link #parse} validates one value and
     * throws a {@link GridContext#err} naming the file, the key and what is allowed.
     */
    public abstract static class Key<T> {
        public final Section section;
        public final String name, type, allowed, defaultText, doc;

        Key(Section section, String name, String type, String allowed, String defaultText, String doc) {
            this.section = section;
            this.name = name;
            this.type = type;
            this.allowed = allowed;
            this.defaultText = defaultText;
            this.doc = doc;
            ALL.add(this);
        }

        /** "train.steps", "axes.depth", "name". */
        public String path() {
            return section == Section.TOP ? name : section.prefix + "." + name;
        }

        abstract T parse(GridContext c, String where, JsonNode v);

        /** The value under {@code parent}, or {@code dflt} when absent (null default: the key is required). */
        T read(GridContext c, JsonNode parent, T dflt) {
            JsonNode v = parent.get(name);
            if (v == null || v.isNull()) {
                if (dflt == null) throw c.err(path(), "missing" + (allowed.isEmpty() ? "" : "; allowed: " + allowed));
                return dflt;
            }
            return parse(c, path(), v);
        }
    }

    /** An integer in [min, max]. */
    public static final class IntKey extends Key<Integer> {
        final int min, max;
        public final Integer dflt;

        IntKey(Section s, String name, int min, int max, Integer dflt, String defaultText, String doc) {
            super(
                    s,
                    name,
                    "integer",
                    min + " to " + max,
                    defaultText != null ? defaultText : dflt == null ? null : dflt.toString(),
                    doc);
            this.min = min;
            this.max = max;
            this.dflt = dflt;
        }

        @Override
        Integer parse(GridContext c, String where, JsonNode v) {
            if (!v.isIntegralNumber()) throw c.err(where, "'" + v.asText() + "' is not an integer");
            long x = v.asLong();
            if (x < min || x > max) throw c.err(where, x + " is out of range; allowed " + min + " to " + max);
            return (int) x;
        }

        int read(GridContext c, JsonNode parent) {
            return read(c, parent, dflt);
        }
    }

    /** A number in (lo, hi] ({@code openLow}) or [lo, hi]. */
    public static final class NumKey extends Key<Double> {
        final double lo, hi;
        final boolean openLow;
        public final Double dflt;

        NumKey(
                Section s,
                String name,
                double lo,
                double hi,
                boolean openLow,
                Double dflt,
                String defaultText,
                String doc) {
            super(
                    s,
                    name,
                    "number",
                    (openLow ? "(" : "[") + Canon.num(lo) + ", " + Canon.num(hi) + "]",
                    defaultText != null ? defaultText : dflt == null ? null : Canon.num(dflt),
                    doc);
            this.lo = lo;
            this.hi = hi;
            this.openLow = openLow;
            this.dflt = dflt;
        }

        @Override
        Double parse(GridContext c, String where, JsonNode v) {
            if (!v.isNumber()) throw c.err(where, "'" + v.asText() + "' is not a number; allowed " + allowed);
            double x = v.asDouble();
            if (!((openLow ? x > lo : x >= lo) && x <= hi))
                throw c.err(where, v.asText() + " is out of range; allowed " + allowed);
            return x;
        }

        double read(GridContext c, JsonNode parent) {
            return read(c, parent, dflt);
        }
    }

    /** A word from a fixed list, or a form such as "normal:<σw>", parsed by {@code parser} (null: not allowed). */
    public static final class ChoiceKey<T> extends Key<T> {
        final Function<String, T> parser;
        public final T dflt;
        /** What a value is called in messages ("unknown activation 'sigmod'"). */
        private String noun = "value";

        ChoiceKey(
                Section s,
                String name,
                String allowed,
                Function<String, T> parser,
                T dflt,
                String defaultText,
                String doc) {
            super(s, name, "word", allowed, defaultText, doc);
            this.parser = parser;
            this.dflt = dflt;
        }

        @Override
        T parse(GridContext c, String where, JsonNode v) {
            if (!v.isValueNode()) throw c.err(where, "must be one value; allowed: " + allowed);
            T t = parser.apply(v.asText().trim().toLowerCase(Locale.ROOT));
            if (t == null)
                throw c.err(where, "unknown " + noun + " '" + v.asText().trim() + "'; allowed: " + allowed);
            return t;
        }

        ChoiceKey<T> calling(String valueNoun) {
            this.noun = valueNoun;
            return this;
        }

        T read(GridContext c, JsonNode parent) {
            return read(c, parent, dflt);
        }
    }

    /** Free text (a name, a path, a column). */
    public static final class TextKey extends Key<String> {
        TextKey(Section s, String name, String allowed, String doc) {
            super(s, name, "text", allowed, null, doc);
        }

        @Override
        String parse(GridContext c, String where, JsonNode v) {
            if (!v.isValueNode() || v.asText().isBlank()) throw c.err(where, "missing");
            return v.asText().trim();
        }

        String read(GridContext c, JsonNode parent) {
            return read(c, parent, null);
        }
    }

    /** A key whose value is a list or a mapping, validated by {@link GridSpec} itself. */
    public static final class StructKey extends Key<JsonNode> {
        StructKey(Section s, String name, String type, String defaultText, String doc) {
            super(s, name, type, "", defaultText, doc);
        }

        @Override
        JsonNode parse(GridContext c, String where, JsonNode v) {
            return v;
        }
    }

    static <E extends Enum<E>> Function<String, E> enumParser(Class<E> type) {
        return t -> {
            for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(t)) return e;
            return null;
        };
    }

    static <E extends Enum<E>> String names(Class<E> type) {
        List<String> n = new ArrayList<>();
        for (E e : type.getEnumConstants()) n.add(e.name().toLowerCase(Locale.ROOT));
        return String.join(", ", n);
    }
}
