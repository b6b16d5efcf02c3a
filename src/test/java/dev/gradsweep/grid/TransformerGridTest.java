package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The arch, heads and positions axes, train.ffn, norm rms, skip deepnorm and the token tasks. */
class TransformerGridTest {
    static final String TF = String.join(
            "\n",
            "name: tf",
            "task: {kind: reverse, vocab: 8}",
            "train: {steps: 5, batch: 4, optimizer: adam, lr: 0.001}",
            "axes:",
            "  arch: [transformer]",
            "  depth: [2]",
            "  width: [16]",
            "  activation: [gelu]",
            "  init: [xavier]",
            "  norm: [layer]",
            "  skip: [residual]",
            "  placement: [pre, post]",
            "  heads: [2, 4]",
            "  seq_len: [8]",
            "");

    static GridSpec parse(String yaml) {
        return GridSpecTest.parse(yaml);
    }

    @Test
    void transformerAxesExpandAndEnterTheCanonicalForm() {
        List<RunConfig> runs = parse(TF).expand();
        assertEquals(2 * 2, runs.size());
        assertEquals(runs.size(), runs.stream().map(r -> r.runId).distinct().count());
        RunConfig r = runs.get(0);
        assertEquals(Arch.TRANSFORMER, r.arch);
        assertEquals(Positions.LEARNED, r.positions);
        assertEquals(8, r.seqLen);
        assertTrue(
                r.canonical()
                        .endsWith(";task=reverse{vocab=8};train=steps=5,batch=4,optimizer=adam,lr=0.001,clip=none,"
                                + "dtype=float32;seed=1;arch=transformer;heads=2;ffn=4;positions=learned;seq_len=8"),
                r.canonical());
        // ffn, positions and the vocabulary each change the id
        String other =
                parse(TF.replace("lr: 0.001}", "lr: 0.001, ffn: 2}")).expand().get(0).runId;
        assertNotEquals(r.runId, other);
        assertNotEquals(
                r.runId, parse(TF + "  positions: [sinusoidal]\n").expand().get(0).runId);
        assertNotEquals(
                r.runId, parse(TF.replace("vocab: 8", "vocab: 9")).expand().get(0).runId);
    }

    @Test
    void placementMeansSomethingInATransformerBlockWithoutSkipsAndDeepnormIsPostOnly() {
        List<RunConfig> noSkip =
                parse(TF.replace("skip: [residual]", "skip: [none]")).expand();
        assertEquals(
                Set.of(Placement.PRE, Placement.POST),
                noSkip.stream().map(r -> r.placement).collect(Collectors.toSet()),
                "pre: F(N(x)), post: N(F(x)) are different nets");
        String deep = TF.replace("skip: [residual]", "skip: [residual, deepnorm]")
                        .replace("norm: [layer]", "norm: [layer, rms]")
                + "exclude:\n  - {skip: deepnorm, placement: pre}\n";
        List<RunConfig> runs = parse(deep).expand();
        assertEquals((2 * 2 + 2) * 2, runs.size());
        assertTrue(runs.stream().filter(r -> r.skip == Skip.DEEPNORM).allMatch(r -> r.placement == Placement.POST));
    }

    @Test
    void modaddHasItsFixedContextAndTokenTasksTheirKeys() {
        String mod = TF.replace("{kind: reverse, vocab: 8}", "{kind: modadd, p: 13, train_fraction: 0.3}")
                .replace("  seq_len: [8]\n", "");
        RunConfig r = parse(mod).expand().get(0);
        assertEquals(TaskSpec.MODADD_SEQ_LEN, r.seqLen);
        assertEquals(13, r.task.p);
        assertEquals(0.3, r.task.trainFraction);
        assertTrue(r.canonical().contains(";task=modadd{p=13, train_fraction=0.3};"), r.canonical());
        TaskSpec dflt = parse(mod.replace(", p: 13, train_fraction: 0.3", "")).task;
        assertEquals((int) GridKeys.TASK_P.dflt, dflt.p);
        assertEquals(GridKeys.TASK_TRAIN_FRACTION.dflt, dflt.trainFraction);
        assertEquals((int) GridKeys.TASK_VOCAB.dflt, parse(TF.replace(", vocab: 8", "")).task.vocab);
        assertEquals(
                (int) GridKeys.HEADS.dflt,
                parse(TF.replace("  heads: [2, 4]\n", "")).expand().get(0).heads);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "arch: [transformer]|arch: [conv]|task.kind|reverse with arch conv: a conv net needs images",
                "arch: [transformer]|arch: [cnn]|axes.arch|allowed: mlp, transformer, conv",
                "arch: [transformer]|arch: [transformer]~  cell: [rnn]|axes.cell|no recurrent cell",
                "kind: reverse, vocab: 8|kind: teacher|task.kind|needs a token task",
                "arch: [transformer]|arch: [mlp]|task.kind|reverse is a token task: it needs axes.arch transformer",
                "norm: [layer]|norm: [batch]|axes.norm|allowed: none, layer, rms",
                "skip: [residual]|skip: [highway]|axes.skip|allowed: none, residual, rezero, deepnorm",
                "skip: [residual]|skip: [deepnorm]|axes.placement|exclude: [{skip: deepnorm, placement: pre}]",
                "heads: [2, 4]|heads: [3]|axes.heads|heads 3 does not divide width 16",
                "heads: [2, 4]|heads: [32]|axes.heads|heads 32 does not divide width 16",
                "  seq_len: [8]|  depth: [2]|axes.seq_len|missing: a transformer needs its context length",
                "vocab: 8|vocab: 1|task.vocab|out of range; allowed 2 to 65536",
                "vocab: 8|vocab: 8, p: 7|task.p|does not apply to kind: reverse",
                "vocab: 8|vocab: 8, samples: 7|task.samples|does not apply to kind: reverse",
                "lr: 0.001|lr: 0.001, ffn: 0|train.ffn|out of range; allowed 1 to 64",
                "positions: [learned]|positions: [rope]|axes.positions|allowed: learned, sinusoidal",
            })
    void badCombinationsFailBeforeSparkNamingTheKey(String from, String to, String key, String hint) {
        String base = TF + "  positions: [learned]\n";
        String yaml = base.replace(from, to.replace("~", "\n"));
        assertNotEquals(base, yaml, "the replacement applies");
        BadInputException e = assertThrows(BadInputException.class, () -> parse(yaml));
        assertTrue(e.getMessage().startsWith("grid file g.yaml: " + key + ":"), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }

    @Test
    void mlpTasksAndAxesRejectTheTransformerOnes() {
        String mlp = String.join(
                "\n",
                "name: m",
                "task: {kind: teacher, inputs: 4, samples: 64}",
                "train: {steps: 10, batch: 8}",
                "axes: {depth: [2], width: [4], activation: [tanh], init: [xavier], norm: [layer], skip: [residual]}",
                "");
        for (String[] c : new String[][] {
            {"skip: [residual]", "skip: [deepnorm]", "axes.skip", "DeepNorm is for transformer blocks"},
            {"skip: [residual]", "skip: [residual], arch: [transformer]", "task.kind", "needs a token task"},
            {"norm: [layer], skip: [residual]", "norm: [none], skip: [deepnorm]", "axes.skip", "DeepNorm is for"},
            {"samples: 64}", "samples: 64, vocab: 4}", "task.vocab", "only applies to kind: reverse, sort"},
        }) {
            BadInputException e = assertThrows(BadInputException.class, () -> parse(mlp.replace(c[0], c[1])), c[1]);
            assertTrue(e.getMessage().startsWith("grid file g.yaml: " + c[2] + ":"), e.getMessage());
            assertTrue(e.getMessage().contains(c[3]), e.getMessage());
        }
        String deepNone = TF.replace("norm: [layer]", "norm: [none]").replace("skip: [residual]", "skip: [deepnorm]");
        BadInputException none = assertThrows(BadInputException.class, () -> parse(deepNone));
        assertTrue(
                none.getMessage().startsWith("grid file g.yaml: axes.norm: none with skip deepnorm"),
                none.getMessage());
        // modadd's context is fixed
        String mod = TF.replace("{kind: reverse, vocab: 8}", "{kind: modadd}");
        BadInputException e = assertThrows(BadInputException.class, () -> parse(mod));
        assertTrue(e.getMessage().startsWith("grid file g.yaml: axes.seq_len: 8 with modadd"), e.getMessage());
    }

    @Test
    void aTextFileIsCheckedBeforeSparkStarts(@TempDir Path tmp) throws Exception {
        Path ok = Files.writeString(tmp.resolve("ok.txt"), "abcab\u00e9\ud83d\ude00c"); // 8 code points, 10 chars
        String text = TF.replace("{kind: reverse, vocab: 8}", "{kind: text, path: '" + ok + "'}")
                .replace("seq_len: [8]", "seq_len: [7]");
        RunConfig r = parse(text).expand().get(0);
        assertTrue(r.canonical().contains(";task=text{path=" + ok + "};"), r.canonical());
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        Path latin1 = Files.write(tmp.resolve("latin1.txt"), new byte[] {'a', (byte) 0xe9, 'b'});
        String[][] cases = {
            {text.replace("seq_len: [7]", "seq_len: [8]"), "has 8 characters; seq_len 8 needs at least 9"},
            {text.replace(ok.toString(), tmp.resolve("missing.txt").toString()), "not found"},
            {text.replace(ok.toString(), empty.toString()), "is empty"},
            {text.replace(ok.toString(), latin1.toString()), "is not UTF-8 text"},
            {text.replace(", path: '" + ok + "'", ""), "task.path: missing"},
        };
        for (String[] c : cases) {
            BadInputException e = assertThrows(BadInputException.class, () -> parse(c[0]), c[1]);
            assertTrue(e.getMessage().startsWith("grid file g.yaml: task."), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }
}
