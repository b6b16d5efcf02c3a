package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A grid naming a user's network factory ({@code model}) and its custom axes (issue #30 item 2). */
class UserAxesTest {
    static final String FACTORY = String.join(
            "\n",
            "name: f",
            "model: {class: com.example.MyNets}",
            "task: {kind: spirals, samples: 64}",
            "train: {steps: 10, batch: 8, optimizer: adam, lr: 0.01}",
            "seeds: [1, 2]",
            "axes:",
            "  lr: [0.01, 0.001]",
            "  custom:",
            "    dropout: [0.1, 0.30]",
            "    residual: [true, false]",
            "");

    static GridSpec parse(String yaml) {
        return GridSpec.parse(yaml, "g.yaml");
    }

    @Test
    void customAxesMultiplyTheRunsAndReachEachRun() {
        List<RunConfig> runs = parse(FACTORY).expand();
        assertEquals(2 * 2 * 2 * 2, runs.size());
        assertEquals(runs.size(), runs.stream().map(r -> r.runId).distinct().count());
        Set<Map<String, String>> seen = runs.stream().map(r -> r.user.custom).collect(Collectors.toSet());
        assertEquals(4, seen.size());
        assertTrue(seen.contains(Map.of("dropout", "0.3", "residual", "false")), seen.toString()); // 0.30 → 0.3
        RunConfig r = runs.get(0);
        assertEquals("com.example.MyNets", r.user.factoryClass);
        assertEquals("dropout=0.1;residual=true", r.user.customText());
        assertTrue(r.canonical().endsWith(";model=com.example.MyNets;custom=dropout=0.1;residual=true"), r.canonical());
        // depth, width, activation and init were not listed: required for gradsweep's nets, not for a factory's
        assertEquals(Set.of(), r.user.given);
    }

    @Test
    void listedArchitectureAxesAreGivenToTheFactory() {
        RunConfig r = parse(FACTORY.replace("  lr: [0.01, 0.001]", "  width: [16, 32]\n  activation: [relu]"))
                .expand()
                .get(0);
        assertEquals(Set.of("width", "activation"), r.user.given);
        assertEquals(16, r.width);
    }

    @Test
    void theFactoryAndItsValuesAreInTheRunIdButSpellingIsNot() {
        String other = FACTORY.replace("com.example.MyNets", "com.example.Other");
        assertNotEquals(
                parse(FACTORY).expand().get(0).runId, parse(other).expand().get(0).runId);
        String respelled = FACTORY.replace("[0.1, 0.30]", "[1.0e-1, 0.3]").replace("name: f", "name: g");
        assertEquals(ids(FACTORY), ids(respelled));
    }

    @Test
    void excludeNamesCustomAxes() {
        String g = FACTORY + "exclude:\n  - {dropout: 0.3, residual: false}\n  - {lr: 0.001, dropout: 0.10}\n";
        List<RunConfig> runs = parse(g).expand();
        assertEquals(2 * (8 - 2 - 2), runs.size()); // 8 configurations, each exclude names 2 of them; 2 seeds
        assertTrue(runs.stream().noneMatch(r -> r.user.custom.equals(Map.of("dropout", "0.3", "residual", "false"))));
    }

    @Test
    void gradsweepsOwnNetsAreUnchanged() {
        RunConfig r = parse(GridSpecTest.BASE).expand().get(0);
        assertNull(r.user);
        assertTrue(!r.canonical().contains("model="), r.canonical());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "model: {class: com.example.MyNets}|model: com.example.MyNets|model|must be a mapping",
                "model: {class: com.example.MyNets}|model: {klass: x}|model.klass|unknown key",
                "model: {class: com.example.MyNets}|model: {class: 'my nets'}|model.class|not a Java class name",
                "model: {class: com.example.MyNets}|seeds: [3]|axes.custom|name one with model",
                "dropout: [0.1, 0.30]|Dropout: [0.1]|axes.custom.Dropout|not a custom axis name",
                "dropout: [0.1, 0.30]|depth: [0.1]|axes.custom.depth|built-in name",
                "dropout: [0.1, 0.30]|dropout: []|axes.custom.dropout|non-empty list",
                "dropout: [0.1, 0.30]|dropout: 0.1|axes.custom.dropout|non-empty list",
                "dropout: [0.1, 0.30]|dropout: [0.1, 1e-1]|axes.custom.dropout|listed twice",
                "dropout: [0.1, 0.30]|dropout: ['a;b']|axes.custom.dropout|not a custom value",
                "dropout: [0.1, 0.30]|dropout: [[1, 2]]|axes.custom.dropout|not a custom value",
                "lr: [0.01, 0.001]|arch: [transformer]|axes.arch|the factory builds the network",
                "kind: spirals, samples: 64|kind: adding|task.kind|feature rows",
                "lr: 0.01}|lr: 0.01, clip: 'norm:1'}|train.clip|gradientNormalization",
                "lr: [0.01, 0.001]|skip: [residual]|axes.skip|custom axes",
                "lr: [0.01, 0.001]|norm: [layer]|axes.norm|custom axes",
            })
    void badFactoryGridsFailNamingTheKey(String from, String to, String key, String hint) {
        BadInputException e = assertThrows(BadInputException.class, () -> parse(FACTORY.replace(from, to)));
        assertTrue(e.getMessage().startsWith("grid file g.yaml: " + key), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }

    private static Set<String> ids(String yaml) {
        return parse(yaml).expand().stream().map(r -> r.runId).collect(Collectors.toSet());
    }
}
