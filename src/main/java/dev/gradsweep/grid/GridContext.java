package dev.gradsweep.grid;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gradsweep.config.BadInputException;
import java.util.Iterator;
import java.util.List;

/** Validation bound to one grid file, so every message starts with the file and the key. */
final class GridContext {
    final String source;

    GridContext(String source) {
        this.source = source;
    }

    BadInputException err(String key, String msg) {
        return new BadInputException("grid file " + source + (key.isEmpty() ? "" : ": " + key) + ": " + msg);
    }

    void onlyKeys(JsonNode n, String where, List<String> allowed) {
        Iterator<String> it = n.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!allowed.contains(k))
                throw err(
                        where.isEmpty() ? k : where + "." + k,
                        "unknown key; allowed keys: " + String.join(", ", allowed));
        }
    }

    JsonNode obj(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isObject()) throw err(key, "missing or not a mapping");
        return n;
    }
}
