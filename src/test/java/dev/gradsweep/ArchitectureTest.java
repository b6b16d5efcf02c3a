package dev.gradsweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The main code's packages form no cycle, so each can be read, tested and replaced from the bottom up. */
class ArchitectureTest {
    static final Path MAIN = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "src/main/java");
    static final Pattern IMPORT =
            Pattern.compile("^import (?:static )?dev\\.gradsweep\\.([a-z0-9_.]+)\\.[A-Z]", Pattern.MULTILINE);

    static Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> g = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN.resolve("dev/gradsweep"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String pkg = MAIN.relativize(f.getParent())
                        .toString()
                        .replace('/', '.')
                        .substring("dev.gradsweep.".length());
                Set<String> deps = g.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = IMPORT.matcher(Files.readString(f));
                while (m.find()) if (!m.group(1).equals(pkg)) deps.add(m.group(1));
            }
        }
        return g;
    }

    @Test
    void noPackageCycle() throws IOException {
        Map<String, Set<String>> g = graph();
        assertTrue(g.size() > 10, "found the packages: " + g.keySet());
        List<String> cycle = new ArrayList<>();
        Map<String, Integer> state = new TreeMap<>();
        for (String p : g.keySet()) if (cycle.isEmpty()) visit(p, g, state, new ArrayList<>(), cycle);
        assertEquals(List.of(), cycle, "package cycle");
    }

    /** Depth-first search; state 1 = on the current path, 2 = done. */
    private static void visit(
            String p, Map<String, Set<String>> g, Map<String, Integer> state, List<String> path, List<String> cycle) {
        if (!cycle.isEmpty() || state.getOrDefault(p, 0) == 2) return;
        if (state.getOrDefault(p, 0) == 1) {
            cycle.addAll(path.subList(path.indexOf(p), path.size()));
            cycle.add(p);
            return;
        }
        state.put(p, 1);
        path.add(p);
        for (String d : g.getOrDefault(p, Set.of())) visit(d, g, state, path, cycle);
        path.remove(path.size() - 1);
        state.put(p, 2);
    }
}
