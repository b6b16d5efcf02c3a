package dev.gradsweep.grid;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The grid's {@code model: {class: …}} and {@code axes.custom} (docs/api.md): a user's network factory and the axes
 * only it understands. Values are validated as values here; whether the factory accepts them is checked on the
 * driver, where it builds each configuration once before anything trains.
 */
final class UserAxes {
    /** A Java binary class name: dot-separated identifiers ('$' for nested classes). */
    private static final String CLASS_NAME = "[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*";
    /** Custom axis names: lower-case words, so they read as columns and map keys. */
    private static final String AXIS_NAME = "[a-z][a-z0-9_]{0,39}";
    /** Custom values: no separator of the runs table's custom column (';', '='), no spaces. */
    private static final String VALUE = "[A-Za-z0-9._+-]{1,64}";
    /** What a custom axis may not be called: the built-in axes and the grid's other names for runs. */
    private static final List<String> TAKEN = List.of("seed", "seeds", "model", "custom", "run_id");

    private UserAxes() {}

    /** The factory's class name of {@code model}, or null when the grid has none. */
    static String parseModel(GridContext c, JsonNode root) {
        JsonNode m = root.get(GridKeys.MODEL.name);
        if (m == null) return null;
        if (!m.isObject()) throw c.err("model", "must be a mapping, e.g. model: {class: com.example.MyNets}");
        c.onlyKeys(m, "model", List.of("class"));
        JsonNode cls = m.get("class");
        if (cls == null || !cls.isTextual() || cls.asText().isBlank())
            throw c.err("model.class", "missing: the fully qualified name of a dev.gradsweep.api.ModelFactory");
        String name = cls.asText().trim();
        if (!name.matches(CLASS_NAME)) throw c.err("model.class", "'" + name + "' is not a Java class name");
        return name;
    }

    /**
     * The custom axes in file order, name → canonical values (numbers as {@link Canon#num}, words and true/false as
     * written).
     */
    static Map<String, List<String>> parseCustom(GridContext c, JsonNode axes, String model) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        JsonNode custom = axes.get(GridKeys.CUSTOM.name);
        if (custom == null) return out;
        String where = GridKeys.CUSTOM.path();
        if (model == null)
            throw c.err(where, "custom axes reach a user's network factory: name one with model: {class: …}");
        if (!custom.isObject() || custom.isEmpty())
            throw c.err(where, "must be a mapping of axis name -> list of values, e.g. {dropout: [0.1, 0.3]}");
        Iterator<Map.Entry<String, JsonNode>> it = custom.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey(), at = where + "." + name;
            if (!name.matches(AXIS_NAME))
                throw c.err(
                        at,
                        "'" + name + "' is not a custom axis name (a lower-case letter, then letters, digits, '_')");
            if (GridSpec.AXES.contains(name) || TAKEN.contains(name))
                throw c.err(at, "'" + name + "' is a built-in name; call the custom axis something else");
            JsonNode list = e.getValue().isArray() ? e.getValue() : null;
            if (list == null || list.isEmpty()) throw c.err(at, "must be a non-empty list of values, e.g. [0.1, 0.3]");
            List<String> values = new ArrayList<>();
            for (JsonNode v : list) {
                String text = value(c, at, v);
                if (values.contains(text)) throw c.err(at, "value '" + text + "' is listed twice");
                values.add(text);
            }
            out.put(name, List.copyOf(values));
        }
        return out;
    }

    /** One custom value's canonical text. */
    static String value(GridContext c, String at, JsonNode v) {
        if (v.isNumber()) {
            double d = v.asDouble();
            if (!Double.isFinite(d)) throw c.err(at, "'" + v.asText() + "' is not a finite number");
            return Canon.num(d);
        }
        if (v.isBoolean()) return Boolean.toString(v.asBoolean());
        if (v.isTextual() && v.asText().trim().matches(VALUE)) return v.asText().trim();
        throw c.err(
                at,
                "'" + (v.isValueNode() ? v.asText() : v.toString())
                        + "' is not a custom value: a number, true/false, or a word of letters, digits, '.', '_', '+', '-'");
    }
}
