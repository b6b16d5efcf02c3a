package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/** arch conv: train.stages and train.groups, its rules, its canonical form, placement for conv, and task.shape. */
class ConvGridTest {
    static final String CONV = String.join(
            "\n",
            "name: c",
            "task: {kind: bars, size: 8, samples: 64}",
            "train: {steps: 5, batch: 8, stages: 2, groups: 2}",
            "axes:",
            "  arch: [conv]",
            "  depth: [4]",
            "  width: [8]",
            "  activation: [relu]",
            "  init: [he]",
            "  norm: [group]",
            "  skip: [residual]",
            "");

    static GridSpec parse(String yaml) {
        return GridSpecTest.parse(yaml);
    }

    static RunConfig one(String yaml) {
        List<RunConfig> runs = parse(yaml).expand();
        assertEquals(1, runs.size());
        return runs.get(0);
    }

    @Test
    void theConvFieldsEnterTheCanonicalFormAfterEverythingElse() {
        RunConfig r = one(CONV);
        assertEquals(Arch.CONV, r.arch);
        assertEquals(
                "depth=4;width=8;activation=relu;init=he;norm=group;placement=pre;skip=residual;"
                        + "task=bars{channels=1, outputs=4, samples=64, size=8};"
                        + "train=steps=5,batch=8,optimizer=sgd,lr=0.05,clip=none,dtype=float32;seed=1;"
                        + "arch=conv;stages=2;groups=2",
                r.canonical());
        assertEquals(2, r.train.stages);
        assertEquals(2, r.train.groups);
        // the transformer's fields mean nothing here
        assertEquals(0, r.heads);
        assertEquals(0, r.seqLen);
        assertEquals("n/a", r.positionsText());
        assertNotEquals(r.runId, one(CONV.replace("stages: 2", "stages: 3")).runId);
        assertNotEquals(r.runId, one(CONV.replace("groups: 2", "groups: 4")).runId);
        // groups is group norm's G: with another norm it collapses to its default and leaves the id alone
        RunConfig batch = one(CONV.replace("norm: [group]", "norm: [batch]"));
        assertEquals(TrainSpec.DEFAULT_GROUPS, batch.train.groups);
        assertTrue(batch.canonical().endsWith(";arch=conv;stages=2"), batch.canonical());
        assertEquals(
                batch.runId,
                one(CONV.replace("norm: [group]", "norm: [batch]").replace("groups: 2", "groups: 8")).runId);
        // at their defaults the keys are still spelled out for conv (stages) and group norm (groups)
        RunConfig dflt = one(CONV.replace(", stages: 2, groups: 2", ""));
        assertTrue(dflt.canonical().endsWith(";arch=conv;stages=3;groups=4"), dflt.canonical());
    }

    @Test
    void placementMeansSomethingInAConvNetWithANormOrASkip() {
        String both = CONV.replace("  skip: [residual]\n", "  skip: [residual]\n  placement: [pre, post]\n");
        Set<Placement> all = Set.of(Placement.PRE, Placement.POST);
        String[][] cases = { // norm, skip, the placements its runs record
            {"none", "none", "n/a"},
            {"batch", "none", "pre post"},
            {"none", "residual", "pre post"},
            {"none", "fixup", "pre post"},
            {"layer", "rezero", "pre post"},
        };
        for (String[] c : cases) {
            String yaml = both.replace("norm: [group]", "norm: [" + c[0] + "]")
                    .replace("skip: [residual]", "skip: [" + c[1] + "]");
            Set<Placement> got =
                    parse(yaml).expand().stream().map(r -> r.placement).collect(Collectors.toSet());
            assertEquals(c[2].equals("n/a") ? Set.of(Placement.NA) : all, got, c[0] + ", " + c[1]);
        }
        // an MLP residual block without a norm keeps its one meaning (no norm to place)
        String mlp = both.replace("arch: [conv]", "arch: [mlp]")
                .replace("norm: [group]", "norm: [none]")
                .replace(", stages: 2, groups: 2", "");
        assertEquals(
                Set.of(Placement.NA),
                parse(mlp).expand().stream().map(r -> r.placement).collect(Collectors.toSet()));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "arch: [conv]|arch: [conv]~  cell: [rnn]|axes.cell|a conv net has no recurrent cell",
                "kind: bars, size: 8, samples: 64|kind: teacher, inputs: 4, samples: 64|task.kind|teacher with arch conv",
                "kind: bars, size: 8, samples: 64|kind: table, path: x.csv, label: y|task.shape|missing: arch conv reads",
                "kind: bars, size: 8, samples: 64|kind: table, path: x.csv, label: y, shape: [1, 2, 2]|task.objective|regression with arch conv",
                "norm: [group]|norm: [rms]|axes.norm|rms with arch conv; allowed: none, batch, group, layer",
                "skip: [residual]|skip: [highway]|axes.skip|highway with arch conv; allowed: none, residual, rezero, fixup",
                "skip: [residual]|skip: [deepnorm]|axes.skip|deepnorm with arch conv",
                "skip: [residual]|skip: [fixup]|axes.norm|group with skip fixup: Fixup trains residual nets without",
                "width: [8]|width: [9]|train.groups|2 does not divide width 9",
                "groups: 2|groups: 3|train.groups|3 does not divide width 8",
                "depth: [4]|depth: [1]|axes.depth|1 with train.stages 2: every stage needs a conv layer or block",
                "stages: 2|stages: 5|axes.depth|4 with train.stages 5",
                "size: 8, samples: 64}~train: {steps: 5, batch: 8, stages: 2|size: 4, samples: 64}~train: {steps: 5, batch: 8,"
                        + " stages: 4|train.stages|4 halve the image 3 times: its side must be at least 8, task.size gives 4 x 4",
                "stages: 2|stages: 7|train.stages|out of range; allowed 1 to 6",
                "groups: 2|groups: 0|train.groups|out of range; allowed 1 to 8192",
            })
    void badConvRunsFailBeforeSparkNamingTheKey(String from, String to, String key, String hint) {
        String yaml = CONV.replace(from.replace("~", "\n"), to.replace("~", "\n"));
        assertNotEquals(CONV, yaml, "the replacement applies");
        BadInputException e = assertThrows(BadInputException.class, () -> parse(yaml));
        assertTrue(e.getMessage().startsWith("grid file g.yaml: " + key + ":"), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }

    @Test
    void theLimitsThemselvesAreAllowed() {
        // depth 4 = stages; side 8 = 2^(stages-1); groups 8 = width (one channel per group)
        RunConfig r = one(CONV.replace("stages: 2, groups: 2", "stages: 4, groups: 8"));
        assertEquals(4, r.train.stages);
        assertEquals(8, r.train.groups);
        // a table's image: 2 stages need a side of 2
        String table = CONV.replace("kind: bars, size: 8, samples: 64", TABLE);
        assertEquals(2, one(table.replace("[2, 4, 5]", "[1, 2, 2]")).train.stages);
        BadInputException side =
                assertThrows(BadInputException.class, () -> parse(table.replace("[2, 4, 5]", "[1, 1, 5]")));
        assertTrue(
                side.getMessage()
                        .startsWith("grid file g.yaml: train.stages: 2 halve the image 1 times: its side must be at"
                                + " least 2, task.shape gives 1 x 5"),
                side.getMessage());
        // fixup without a norm, and group norm and fixup are still refused for the other arches
        assertEquals(
                Skip.FIXUP, one(CONV.replace("norm: [group]", "norm: [none]").replace("[residual]", "[fixup]")).skip);
        String mlp = CONV.replace("arch: [conv]", "arch: [mlp]");
        BadInputException g = assertThrows(BadInputException.class, () -> parse(mlp));
        assertTrue(g.getMessage().startsWith("grid file g.yaml: axes.norm: group with arch mlp"), g.getMessage());
        BadInputException f = assertThrows(
                BadInputException.class,
                () -> parse(mlp.replace("norm: [group]", "norm: [none]").replace("[residual]", "[fixup]")));
        assertTrue(f.getMessage().startsWith("grid file g.yaml: axes.skip: fixup with arch mlp"), f.getMessage());
    }

    @Test
    void teacherCnnImagesAndChannelsAreImagesToo() {
        RunConfig r = one(CONV.replace("kind: bars, size: 8", "kind: teacher_cnn, size: 8, channels: 3, outputs: 5"));
        assertArrayEquals(new int[] {3, 8, 8}, r.task.imageShape());
    }

    static final String TABLE = "kind: table, path: x.csv, label: y, objective: classification, shape: [2, 4, 5]";

    @Test
    void aTableWithAShapeIsAnImageTaskForConvAndAFlatRowForAnMlp() {
        RunConfig r = one(CONV.replace("kind: bars, size: 8, samples: 64", TABLE));
        assertArrayEquals(new int[] {2, 4, 5}, r.task.imageShape());
        assertTrue(
                r.canonical()
                        .contains(";task=table{features=, label=y, objective=classification, path=x.csv,"
                                + " samples=0, shape=2x4x5};"),
                r.canonical());
        // the driver's file shape keeps it, and the caller's array cannot change it
        TaskSpec resolved = r.task.withShape(40, 1, 100);
        assertArrayEquals(new int[] {2, 4, 5}, resolved.imageShape());
        resolved.imageShape()[0] = 9;
        assertArrayEquals(new int[] {2, 4, 5}, resolved.imageShape());
        // without shape: the canonical form of a table task before the key, and no image
        String flat = "kind: table, path: x.csv, label: y";
        String mlp = CONV.replace("arch: [conv]", "arch: [mlp]")
                .replace("norm: [group]", "norm: [none]")
                .replace(", stages: 2, groups: 2", "");
        RunConfig plain = one(mlp.replace("kind: bars, size: 8, samples: 64", flat));
        assertNull(plain.task.imageShape());
        assertTrue(
                plain.canonical()
                        .contains(";task=table{features=, label=y, objective=regression, path=x.csv, samples=0};"),
                plain.canonical());
        RunConfig shaped = one(mlp.replace("kind: bars, size: 8, samples: 64", TABLE));
        assertArrayEquals(new int[] {2, 4, 5}, shaped.task.imageShape(), "an MLP reads the flat row");
        assertNotEquals(plain.runId, shaped.runId);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "shape: [2, 4, 5]|shape: [2, 4]|must be [channels, height, width]",
                "shape: [2, 4, 5]|shape: 40|must be [channels, height, width]",
                "shape: [2, 4, 5]|shape: [2, 0, 5]|'0' must be [channels, height, width]",
                "shape: [2, 4, 5]|shape: [2, 4.5, 5]|'4.5' must be",
                "shape: [2, 4, 5]|shape: [64, 256, 256]|64x256x256 is more than 1048576 inputs",
                "classification, shape|classification, features: [a, b, c], shape|2x4x5 = 40 values, but task.features lists 3 columns",
            })
    void taskShapeIsCheckedAsItIsRead(String from, String to, String hint) {
        String yaml = CONV.replace("kind: bars, size: 8, samples: 64", TABLE).replace(from, to);
        assertNotEquals(CONV.replace("kind: bars, size: 8, samples: 64", TABLE), yaml, "the replacement applies");
        BadInputException e = assertThrows(BadInputException.class, () -> parse(yaml));
        assertTrue(e.getMessage().startsWith("grid file g.yaml: task.shape:"), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }

    @Test
    void taskShapeBelongsToTablesOnly() {
        BadInputException bars = assertThrows(
                BadInputException.class, () -> parse(CONV.replace("size: 8,", "size: 8, shape: [1, 8, 8],")));
        assertTrue(
                bars.getMessage().startsWith("grid file g.yaml: task.shape: does not apply to kind: bars"),
                bars.getMessage());
        String teacher = CONV.replace("kind: bars, size: 8", "kind: teacher, inputs: 4, shape: [1, 2, 2]");
        BadInputException t = assertThrows(BadInputException.class, () -> parse(teacher));
        assertTrue(
                t.getMessage().startsWith("grid file g.yaml: task.shape: only applies to kind: table"), t.getMessage());
    }

    @Test
    void theConvQuickGridParsesAndExpands() {
        List<RunConfig> runs = GridSpec.load(GridKeysTest.ROOT.resolve("conf/grids/conv_quick.yaml"))
                .expand();
        assertEquals(3 * 2, runs.size(), "depths 2, 4, 8 x skip none, residual");
        assertEquals(runs.size(), runs.stream().map(r -> r.runId).distinct().count());
        for (RunConfig r : runs) {
            assertEquals(Arch.CONV, r.arch);
            assertEquals(2, r.train.stages);
            assertArrayEquals(new int[] {1, 16, 16}, r.task.imageShape());
            assertEquals(r.skip == Skip.NONE ? Placement.NA : Placement.POST, r.placement, r.canonical());
            assertTrue(r.canonical().endsWith(";arch=conv;stages=2"), r.canonical());
        }
        assertEquals(List.of(2, 2, 4, 4, 8, 8), runs.stream().map(r -> r.depth).toList());
    }
}
