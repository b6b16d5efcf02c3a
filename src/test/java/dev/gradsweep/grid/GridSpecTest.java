package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GridSpecTest {
    static final String BASE = String.join(
            "\n",
            "name: t",
            "task: {kind: teacher, inputs: 4, samples: 64}",
            "train: {steps: 10, batch: 8, optimizer: sgd, lr: 0.05, dtype: float32}",
            "seeds: [1, 2]",
            "axes:",
            "  depth: [2, 3]",
            "  width: [4]",
            "  activation: [sigmoid, relu]",
            "  init: [xavier, 'normal:1.5']",
            "");

    static GridSpec parse(String yaml) {
        return GridSpec.parse(yaml, "g.yaml");
    }

    @Test
    void expandsTheCartesianProductInAFixedOrder() {
        List<RunConfig> runs = parse(BASE).expand();
        assertEquals(2 * 2 * 2 * 2, runs.size());
        assertEquals(
                runs.stream().map(r -> r.runId).collect(Collectors.toList()),
                parse(BASE).expand().stream().map(r -> r.runId).collect(Collectors.toList()));
        // seeds vary fastest, depth slowest
        assertEquals(1, runs.get(0).seed);
        assertEquals(2, runs.get(1).seed);
        assertEquals(2, runs.get(0).depth);
        assertEquals(3, runs.get(runs.size() - 1).depth);
        assertEquals(runs.size(), runs.stream().map(r -> r.runId).distinct().count());
        assertTrue(runs.stream().allMatch(r -> r.runId.matches("[0-9a-f]{16}")));
    }

    @Test
    void runIdDependsOnTheConfigOnlyNotOnSpellingOrSweepName() {
        String respelled = BASE.replace("name: t", "name: other")
                .replace("lr: 0.05", "lr: 5.0e-2")
                .replace(
                        "task: {kind: teacher, inputs: 4, samples: 64}",
                        "task: {samples: 64, inputs: 4, kind: teacher}");
        Set<String> a = parse(BASE).expand().stream().map(r -> r.runId).collect(Collectors.toSet());
        Set<String> b = parse(respelled).expand().stream().map(r -> r.runId).collect(Collectors.toSet());
        assertEquals(a, b);
        Set<String> c = parse(BASE.replace("lr: 0.05", "lr: 0.06")).expand().stream()
                .map(r -> r.runId)
                .collect(Collectors.toSet());
        assertTrue(java.util.Collections.disjoint(a, c));
    }

    @Test
    void placementCollapsesWithoutNormAndSkipAndExcludesApply() {
        String g = BASE + "  placement: [pre, post]\n";
        List<RunConfig> runs = parse(g).expand();
        assertEquals(16, runs.size(), "placement must not multiply runs when norm/skip are none");
        assertTrue(runs.stream().allMatch(r -> r.placement == Placement.NA));
        String ex = BASE + "exclude:\n  - {activation: relu, depth: 3}\n";
        List<RunConfig> kept = parse(ex).expand();
        assertEquals(12, kept.size());
        assertTrue(kept.stream().noneMatch(r -> r.activation == Activation.RELU && r.depth == 3));
    }

    @Test
    void placementMultipliesOnlyNormInsideSkipBlocks() {
        String g = BASE.replace("  depth: [2, 3]\n", "  depth: [2]\n").replace("seeds: [1, 2]", "seeds: [1]")
                + "  norm: [none, layer]\n  skip: [none, residual]\n  placement: [pre, post]\n";
        List<RunConfig> runs = parse(g).expand();
        // per (activation, init): none/none, none/residual, layer/none, layer/residual x {pre, post}
        assertEquals(2 * 2 * 5, runs.size());
        assertTrue(runs.stream()
                .allMatch(r -> r.placement == Placement.NA == (r.norm == Norm.NONE || r.skip == Skip.NONE)));
    }

    @Test
    void warmupAndGateBiasEnterTheRunIdOnlyWhenSet() {
        String with = BASE.replace("dtype: float32}", "dtype: float32, warmup: 0, highway_gate_bias: -2}");
        assertEquals(parse(BASE).expand().get(0).runId, parse(with).expand().get(0).runId);
        String warm = BASE.replace("dtype: float32}", "dtype: float32, warmup: 5}");
        assertNotEquals(parse(BASE).expand().get(0).runId, parse(warm).expand().get(0).runId);
        assertEquals(5, parse(warm).train.warmup);
        assertEquals(0.01, parse(warm).train.lrAt(0), 1e-12);
        assertEquals(0.05, parse(warm).train.lrAt(4), 1e-12);
        assertEquals(0.05, parse(warm).train.lrAt(9), 1e-12);
    }

    @Test
    void axesOverrideTrainDefaults() {
        List<RunConfig> runs = parse(BASE + "  lr: [0.1, 0.01]\n  optimizer: [adam]\n  clip: ['norm:1']\n")
                .expand();
        assertEquals(32, runs.size());
        assertTrue(runs.stream()
                .allMatch(r -> r.train.optimizer == TrainSpec.Optimizer.ADAM && r.train.clip.equals("norm:1")));
        assertEquals(Set.of(0.1, 0.01), runs.stream().map(r -> r.train.lr).collect(Collectors.toSet()));
    }

    @Test
    void everyNamedInitializerAndActivationParses() {
        for (String i : List.of(
                "xavier",
                "xavier_uniform",
                "he",
                "he_uniform",
                "lecun",
                "standard",
                "orthogonal",
                "normal:2",
                "constant:0.1")) assertEquals(i, Init.parse(i).toString());
        for (String a :
                List.of("sigmoid", "tanh", "relu", "leakyrelu", "elu", "selu", "gelu", "swish", "softsign", "identity"))
            assertEquals(a, Activation.parse(a).key);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "activation: [sigmoid, relu]|activation: [sigmod]|axes.activation|sigmoid, tanh",
                "init: [xavier, 'normal:1.5']|init: [glorot]|axes.init|xavier, xavier_uniform",
                "depth: [2, 3]|depth: [-1]|axes.depth|out of range",
                "depth: [2, 3]|depth: [100000]|axes.depth|out of range",
                "width: [4]|width: []|axes.width|empty",
                "width: [4]|width: [4]~color: [red]|axes.color|unknown key",
                "width: [4]|width: [4]~norm: [batch]~batch: [1, 8]|axes.batch|at least 2 examples",
                "width: [4]|width: [4]~skip: [resnet]|axes.skip|none, residual, highway, rezero",
                "width: [4]|width: [4]~placement: [middle]|axes.placement|pre, post",
                "steps: 10|steps: 10, warmup: 11|train.warmup|longer than the run",
                "steps: 10|steps: 10, highway_gate_bias: x|train.highway_gate_bias|[-20, 20]",
                "width: [4]|width: [4]~norm: [weight]|axes.norm|none, batch, layer, rms, group",
                "lr: 0.05|lr: -1|train.lr|out of range",
                "optimizer: sgd|optimizer: rmsprop|train.optimizer|sgd, momentum, adam",
                "dtype: float32|dtype: float16|train.dtype|float32, float64",
                "kind: teacher|kind: mnist|task.kind|teacher, gauss, spirals, parity, table",
                "seeds: [1, 2]|seeds: [1, 1]|seeds|twice",
                "steps: 10|steps: 0|train.steps|out of range",
                "steps: 10|steps: 10, clip: 'norm:-1'|train.clip|none, norm:<c>, value:<c>",
            })
    void badValuesFailWithFileKeyAndAllowedValues(String from, String to, String key, String hint) {
        // '~' stands for a new axis line (CSV rows cannot hold a newline)
        BadInputException e =
                assertThrows(BadInputException.class, () -> parse(BASE.replace(from, to.replace("~", "\n  "))));
        assertTrue(e.getMessage().startsWith("grid file g.yaml: " + key), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }

    @Test
    void structuralErrorsAreClear() {
        assertTrue(assertThrows(BadInputException.class, () -> parse("name: [unclosed"))
                .getMessage()
                .contains("not valid YAML"));
        assertTrue(assertThrows(
                        BadInputException.class,
                        () -> parse(BASE.replace("seeds: [1, 2]\n", "seeds: [1, 2]\nextra: 1\n")))
                .getMessage()
                .contains("extra: unknown key"));
        assertTrue(
                assertThrows(BadInputException.class, () -> parse(BASE + "exclude:\n  - {depth: 2}\n  - {depth: 3}\n"))
                        .getMessage()
                        .contains("every combination is excluded"));
        assertTrue(assertThrows(BadInputException.class, () -> parse(BASE.replace("  depth: [2, 3]\n", "")))
                .getMessage()
                .contains("axes.depth: missing"));
        assertTrue(
                assertThrows(BadInputException.class, () -> GridSpec.load(java.nio.file.Path.of("/no/such/grid.yaml")))
                        .getMessage()
                        .contains("/no/such/grid.yaml: not found"));
    }

    @Test
    void tableTaskTakesPathLabelAndFeatures() {
        GridSpec g = parse(BASE.replace(
                "task: {kind: teacher, inputs: 4, samples: 64}",
                "task: {kind: table, path: data.csv, label: y, features: [a, b], objective: classification}"));
        assertEquals(TaskSpec.Kind.TABLE, g.task.kind);
        assertEquals(List.of("a", "b"), g.task.features);
        assertEquals(TaskSpec.Objective.CLASSIFICATION, g.task.objective);
        assertThrows(
                BadInputException.class,
                () -> parse(BASE.replace("kind: teacher, inputs: 4", "kind: table, label: y, inputs: 4")));
        assertNotEquals(parse(BASE).expand().get(0).runId, g.expand().get(0).runId);
    }

    @Test
    void shippedGridFilesAreValid() throws Exception {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("conf/grids"))) {
            List<java.nio.file.Path> grids =
                    files.filter(p -> p.toString().endsWith(".yaml")).collect(Collectors.toList());
            assertTrue(grids.size() >= 1);
            Set<String> names = new HashSet<>();
            for (java.nio.file.Path p : grids) {
                GridSpec g = GridSpec.load(p);
                assertTrue(names.add(g.name), "two grid files named " + g.name);
                assertTrue(!g.expand().isEmpty());
            }
        }
    }
}
