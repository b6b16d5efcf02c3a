package dev.gradsweep.grid;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A run whose network a user's factory builds (the grid's {@code model: {class: …}}): the factory's class, the run's
 * values of the grid's custom axes ({@code axes.custom.<name>}), and which built-in architecture axes the grid listed
 * (the others mean nothing for a user's network and are recorded as null).
 */
public final class UserModel implements Serializable {
    /**
     * The built-in axes a factory may read as its own knobs ({@link dev.gradsweep.api.ModelRequest}); a factory run
     * records them only when listed. norm, placement and skip are not among them: they say how gradsweep reads δ
     * (a plain net's, from each layer's bias gradient, as for every DL4J network it did not build), so a factory
     * describes such choices with custom axes.
     */
    public static final Set<String> ARCHITECTURE_AXES = Set.of("depth", "width", "activation", "init");

    /**
     * What an architecture axis the grid of a factory does not list holds inside gradsweep (a fixed value, so it never
     * changes a run id, recorded as null): for the required ones; the others keep their declared defaults.
     */
    static String placeholder(String axis) {
        switch (axis) {
            case "depth":
            case "width":
                return "1";
            case "activation":
                return "identity";
            case "init":
                return "standard";
            default:
                return null;
        }
    }

    public final String factoryClass;
    /** Custom axis name → the run's value as canonical text, by name. */
    public final SortedMap<String, String> custom;
    /** The architecture axes the grid listed ({@link #ARCHITECTURE_AXES}); they reach the factory and the tables. */
    public final Set<String> given;

    public UserModel(String factoryClass, Map<String, String> custom, Set<String> given) {
        this.factoryClass = factoryClass;
        this.custom = Collections.unmodifiableSortedMap(new TreeMap<>(custom));
        this.given = Set.copyOf(given);
    }

    /** The runs table's {@code custom} column: {@code name=value} pairs by name, joined by ';' (null when none). */
    public String customText() {
        if (custom.isEmpty()) return null;
        return custom.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(";"));
    }

    /** What a run's canonical form appends, so the factory and the custom values take part in the run id. */
    String canonical() {
        String c = customText();
        return ";model=" + factoryClass + (c == null ? "" : ";custom=" + c);
    }
}
