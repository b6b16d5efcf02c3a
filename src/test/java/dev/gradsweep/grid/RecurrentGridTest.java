package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cell, seq_len and rec_init axes, train.forget_bias and the sequence tasks. */
class RecurrentGridTest {
    static final String RNN = String.join(
            "\n",
            "name: r",
            "task: {kind: adding}",
            "train: {steps: 5, batch: 4, optimizer: sgd, lr: 0.05}",
            "axes:",
            "  depth: [1]",
            "  width: [8]",
            "  activation: [tanh, relu]",
            "  init: [xavier]",
            "  cell: [rnn, lstm, gru]",
            "  seq_len: [10, 20]",
            "  rec_init: [orthogonal, 'spectral:0.90']",
            "");

    static GridSpec parse(String yaml) {
        return GridSpecTest.parse(yaml);
    }

    @Test
    void feedForwardRunIdsAreThoseFromBeforeTheCellAxis() {
        // the first and last run of conf/grids/quick.yaml as the code before the cell axis computed them
        List<RunConfig> quick =
                GridSpec.load(java.nio.file.Path.of("conf/grids/quick.yaml")).expand();
        assertEquals("d5a975da8ef588dd", quick.get(0).runId);
        assertEquals("ad3d98342e02bb9a", quick.get(quick.size() - 1).runId);
        // naming the new axes with their feed-forward values changes nothing, and they collapse
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
                "");
        List<RunConfig> plain = parse(base).expand();
        List<RunConfig> named = parse(
                        base.replace("train: {steps: 10, batch: 8}", "train: {steps: 10, batch: 8, forget_bias: 3}")
                                + "  cell: [none]\n  seq_len: [10, 20]\n  rec_init: [identity, orthogonal]\n")
                .expand();
        assertEquals(1, named.size());
        assertEquals(plain.get(0).runId, named.get(0).runId);
        assertEquals(0, named.get(0).seqLen);
        assertNull(named.get(0).recInit);
        assertEquals("n/a", named.get(0).recInitText());
        assertTrue(!named.get(0).canonical().contains("cell"));
    }

    @Test
    void recurrentAxesExpandAndMeaninglessValuesCollapse() {
        List<RunConfig> runs = parse(RNN).expand();
        // rnn: 2 activations; lstm and gru: the activation collapses to tanh -> (2 + 1 + 1) x 2 seq_len x 2 rec_init
        assertEquals(4 * 2 * 2, runs.size());
        assertEquals(runs.size(), runs.stream().map(r -> r.runId).distinct().count());
        assertTrue(runs.stream().filter(r -> r.cell != Cell.RNN).allMatch(r -> r.activation == Activation.TANH));
        assertEquals(Set.of(10, 20), runs.stream().map(r -> r.seqLen).collect(Collectors.toSet()));
        assertEquals(
                Set.of("orthogonal", "spectral:0.9"),
                runs.stream().map(RunConfig::recInitText).collect(Collectors.toSet()));
        RunConfig r = runs.get(0);
        assertTrue(r.canonical().endsWith(";cell=rnn;seq_len=10;rec_init=orthogonal"), r.canonical());
        assertEquals("adding", r.task.canonical());
        // forget_bias means something for lstm only
        List<RunConfig> fb =
                parse(RNN.replace("lr: 0.05}", "lr: 0.05, forget_bias: 2}")).expand();
        for (int i = 0; i < runs.size(); i++) {
            RunConfig a = runs.get(i), b = fb.get(i);
            assertEquals(a.cell == Cell.LSTM, !a.runId.equals(b.runId), a.canonical());
            assertEquals(a.cell == Cell.LSTM ? 2.0 : 1.0, b.train.forgetBias);
        }
        // rec_init defaults to orthogonal; the copy task
        RunConfig c = parse(RNN.replace("kind: adding", "kind: copy")
                        .replace("  rec_init: [orthogonal, 'spectral:0.90']\n", ""))
                .expand()
                .get(0);
        assertEquals("orthogonal", c.recInitText());
        assertEquals(TaskSpec.Objective.CLASSIFICATION, c.task.objective);
        assertNotEquals(r.runId, c.runId);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "  cell: [rnn, lstm, gru]|  cell: [none, rnn]|task.kind|sequence task",
                "kind: adding|kind: teacher|axes.cell|needs a sequence task",
                "  cell: [rnn, lstm, gru]|  cell: [lstm]~  norm: [layer]|axes.norm|no norm",
                "  cell: [rnn, lstm, gru]|  cell: [gru]~  skip: [residual]|axes.skip|no skip",
                "activation: [tanh, relu]|activation: [gelu]|axes.activation|allowed: tanh, relu, sigmoid",
                "rec_init: [orthogonal, 'spectral:0.90']|rec_init: [spectral]|axes.rec_init|orthogonal, identity, normal:<sigma>, spectral:<rho>",
                "rec_init: [orthogonal, 'spectral:0.90']|rec_init: ['normal:-1']|axes.rec_init|unknown recurrent initializer",
                "cell: [rnn, lstm, gru]|cell: [transformer]|axes.cell|none, rnn, lstm, gru",
                "kind: adding|kind: adding, samples: 100|task.samples|fresh sequences",
                "lr: 0.05|lr: 0.05, forget_bias: 50|train.forget_bias|[-20, 20]",
            })
    void badCombinationsFailBeforeSparkNamingTheKey(String from, String to, String key, String hint) {
        String yaml = RNN.replace(from, to.replace("~", "\n"));
        BadInputException e = assertThrows(BadInputException.class, () -> parse(yaml));
        assertTrue(e.getMessage().startsWith("grid file g.yaml: " + key), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }

    @Test
    void excludedCombinationsAreNotChecked() {
        // cell none with a sequence task is excluded, so the grid is valid
        String g = RNN.replace("  cell: [rnn, lstm, gru]", "  cell: [none, rnn]") + "exclude:\n  - {cell: none}\n";
        assertTrue(parse(g).expand().stream().allMatch(r -> r.cell == Cell.RNN));
        BadInputException missing =
                assertThrows(BadInputException.class, () -> parse(RNN.replace("  seq_len: [10, 20]\n", "")));
        assertTrue(missing.getMessage().startsWith("grid file g.yaml: axes.seq_len: missing"), missing.getMessage());
        BadInputException zero =
                assertThrows(BadInputException.class, () -> parse(RNN.replace("seq_len: [10, 20]", "seq_len: [0]")));
        assertTrue(
                zero.getMessage().startsWith("grid file g.yaml: axes.seq_len: 0 is out of range"), zero.getMessage());
        String copy = RNN.replace("kind: adding", "kind: copy");
        assertEquals(
                16,
                parse(copy.replace("seq_len: [10, 20]", "seq_len: [4, 20]"))
                        .expand()
                        .size());
        BadInputException e =
                assertThrows(BadInputException.class, () -> parse(copy.replace("seq_len: [10, 20]", "seq_len: [3]")));
        assertTrue(
                e.getMessage().startsWith("grid file g.yaml: axes.seq_len: 3 is too short for copy"), e.getMessage());
    }
}
