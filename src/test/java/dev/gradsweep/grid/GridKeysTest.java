package dev.gradsweep.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The grid keys' declarations are what the parser takes and what the docs show. */
class GridKeysTest {
    static final Path ROOT = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));

    @Test
    void docsTableIsGeneratedFromTheDeclarations() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/grid.md"));
        int from = doc.indexOf("\n", doc.indexOf("<!-- grid-keys:")) + 1, to = doc.indexOf("<!-- /grid-keys -->");
        assertTrue(from > 0 && to > from, "docs/grid.md has no grid-keys markers");
        assertEquals(
                GridKeys.markdownTable(),
                doc.substring(from, to),
                "docs/grid.md is stale: paste the output of bin/gradsweep options --format grid between the markers");
    }

    /** Each section's unknown-key message lists exactly the declared keys of that section. */
    @Test
    void unknownKeysNameTheDeclaredOnes() {
        String base =
                "name: t\ntask: {kind: gauss}\ntrain: {steps: 2}\naxes: {depth: [1], width: [2], activation: [relu], init: [he]}\n";
        for (GridKeyTypes.Section s : GridKeyTypes.Section.values()) {
            String yaml =
                    switch (s) {
                        case TOP -> base + "colour: red\n";
                        case TASK -> base.replace("{kind: gauss}", "{kind: gauss, colour: red}");
                        case TRAIN -> base.replace("{steps: 2}", "{steps: 2, colour: red}");
                        case AXES -> base.replace("init: [he]}", "init: [he], colour: [red]}");
                    };
            BadInputException e = assertThrows(BadInputException.class, () -> GridSpec.parse(yaml, "g.yaml"));
            assertTrue(
                    e.getMessage()
                            .contains("colour: unknown key; allowed keys: " + String.join(", ", GridKeys.names(s))),
                    e.getMessage());
        }
    }

    /** An absent key takes its declared default. */
    @Test
    void absentKeysTakeTheirDeclaredDefaults() {
        GridSpec g = GridSpec.parse(
                "name: t\ntask: {kind: teacher}\ntrain: {}\naxes: {depth: [1], width: [2], activation: [relu], init: [he]}\n",
                "g.yaml");
        assertEquals((int) GridKeys.STEPS.dflt, g.train.steps);
        assertEquals((int) GridKeys.BATCH.dflt, g.train.batch);
        assertEquals(GridKeys.LR.dflt, g.train.lr);
        assertEquals(GridKeys.OPTIMIZER.dflt, g.train.optimizer);
        assertEquals(GridKeys.DTYPE.dflt, g.train.dtype);
        assertEquals(GridKeys.CLIP.dflt, g.train.clip);
        assertEquals((int) GridKeys.TASK_SAMPLES.dflt, g.task.samples);
        assertEquals((int) GridKeys.TASK_INPUTS.dflt, g.task.inputs);
        RunConfig rc = g.expand().get(0);
        assertEquals(GridKeys.NORM.dflt, rc.norm);
        assertEquals(GridKeys.SKIP.dflt, rc.skip);
        assertEquals(Placement.NA, rc.placement, "no norm in a skip block: placement collapses");
    }
}
