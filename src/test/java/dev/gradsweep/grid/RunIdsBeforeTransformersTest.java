package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The transformer keys (arch, heads, positions, train.ffn, norm rms, skip deepnorm) and the conv keys (arch conv,
 * train.stages, train.groups, task.shape) leave the run id of every existing configuration as it was: the shipped
 * grids' ids equal those main's code computed before them (src/test/resources/grid/run-ids-before-transformers.txt,
 * made once from commit a7d76bb, and run-ids-before-conv.txt, from commit 1b8353c).
 */
public class RunIdsBeforeTransformersTest {
    static final Path ROOT = GridKeysTest.ROOT;
    static final Path FIXTURE = ROOT.resolve("src/test/resources/grid/run-ids-before-transformers.txt");
    static final Path BEFORE_CONV = ROOT.resolve("src/test/resources/grid/run-ids-before-conv.txt");

    /** The fixture: per grid file, its run ids in expansion order, or "count:sha256" for a grid of over 100 runs. */
    public static Map<String, List<String>> before() throws IOException {
        return before(FIXTURE);
    }

    static Map<String, List<String>> before(Path fixture) throws IOException {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(fixture)) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] f = line.split(" ");
            m.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f[1]);
        }
        return m;
    }

    /** The same form from today's code. */
    static List<String> now(String grid) throws NoSuchAlgorithmException {
        List<String> ids = GridSpec.load(ROOT.resolve(grid)).expand().stream()
                .map(r -> r.runId)
                .toList();
        if (ids.size() <= 100) return ids;
        StringBuilder sb = new StringBuilder();
        for (String id : ids) sb.append(id).append('\n');
        byte[] d = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
        return List.of(ids.size() + ":" + HexFormat.of().formatHex(d));
    }

    @Test
    void everyShippedGridKeepsItsRunIds() throws Exception {
        Map<String, List<String>> before = before();
        List<String> grids;
        try (var s = Files.list(ROOT.resolve("conf/grids"))) {
            grids = s.map(p -> "conf/grids/" + p.getFileName())
                    .filter(p -> p.endsWith(".yaml"))
                    .sorted()
                    .toList();
        }
        // a grid added since the fixture was made has no ids to compare with; every one there must still exist
        assertTrue(grids.containsAll(
                before.keySet().stream().filter(g -> g.startsWith("conf/")).toList()));
        assertTrue(before.size() >= 17, "the fixture lists the 16 shipped grids and the tiny one: " + before.keySet());
        for (Map.Entry<String, List<String>> e : before.entrySet())
            assertEquals(e.getValue(), now(e.getKey()), e.getKey());
    }

    /** The grids of commit 1b8353c (transformer, image-task and table grids among them) keep their ids after conv. */
    @Test
    void everyGridOfTheCommitBeforeConvKeepsItsRunIds() throws Exception {
        Map<String, List<String>> before = before(BEFORE_CONV);
        assertTrue(before.size() >= 24, "the 23 grids of 1b8353c and the tiny one: " + before.keySet());
        for (Map.Entry<String, List<String>> e : before.entrySet())
            assertEquals(e.getValue(), now(e.getKey()), e.getKey());
    }

    /** Naming the new axes with their defaults (or values that mean nothing for an MLP) changes no id. */
    @Test
    void newKeysAtTheirDefaultsOrCollapsedChangeNothing() {
        String base = String.join(
                "\n",
                "name: f",
                "task: {kind: teacher, inputs: 4, samples: 64}",
                "train: {steps: 10, batch: 8}",
                "axes:",
                "  depth: [2]",
                "  width: [4]",
                "  activation: [tanh]",
                "  init: [xavier]",
                "  norm: [layer]",
                "  skip: [residual]",
                "");
        List<RunConfig> plain = GridSpecTest.parse(base).expand();
        List<RunConfig> named = GridSpecTest.parse(base.replace("batch: 8}", "batch: 8, ffn: 8, stages: 2, groups: 2}")
                        + "  arch: [mlp]\n  heads: [1, 2]\n  positions: [learned, sinusoidal]\n")
                .expand();
        assertEquals(1, named.size(), "heads, positions, ffn, stages and groups collapse for arch mlp");
        assertEquals(plain.get(0).runId, named.get(0).runId);
        assertEquals(plain.get(0).canonical(), named.get(0).canonical());
        assertEquals(0, named.get(0).heads);
        assertEquals("n/a", named.get(0).positionsText());
        assertEquals(TrainSpec.DEFAULT_FFN, named.get(0).train.ffn);
        assertEquals(TrainSpec.DEFAULT_STAGES, named.get(0).train.stages);
        assertEquals(TrainSpec.DEFAULT_GROUPS, named.get(0).train.groups);
    }

    /** stages and groups leave a transformer's id alone too (its canonical form has its own fields only). */
    @Test
    void convKeysLeaveTransformerIdsAlone() {
        String t = String.join(
                "\n",
                "name: t",
                "task: {kind: reverse, vocab: 5}",
                "train: {steps: 2, batch: 4}",
                "axes: {arch: [transformer], depth: [2], width: [8], activation: [gelu], init: [xavier], norm: [layer],"
                        + " seq_len: [6]}",
                "");
        RunConfig plain = GridSpecTest.parse(t).expand().get(0);
        RunConfig named = GridSpecTest.parse(t.replace("batch: 4}", "batch: 4, stages: 5, groups: 2}"))
                .expand()
                .get(0);
        assertEquals(plain.canonical(), named.canonical());
        assertEquals(plain.runId, named.runId);
    }
}
