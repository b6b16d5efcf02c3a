package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The recurrent engine is CPU-only (its gate loops read host memory): a sweep of recurrent runs on a build without
 * ND4J's CPU backend is refused before it starts, naming the grid file, a run and the reason. The build is simulated by
 * the backend class looked up (this JVM has the CPU backend); the executor's own refusal, off the CPU, cannot run here.
 */
class RecurrentBackendTest {
    static List<RunConfig> runs(String grid) {
        return GridSpec.load(Path.of("conf/grids/" + grid)).expand();
    }

    @Test
    void aBuildWithoutTheCpuBackendRefusesRecurrentGridsOnly() {
        List<RunConfig> recurrent = runs("pascanu2013.yaml"), feedForward = runs("quick.yaml");
        assertTrue(recurrent.stream().allMatch(r -> r.cell.recurrent()), "the test needs a recurrent grid");
        assertTrue(feedForward.stream().noneMatch(r -> r.cell.recurrent()), "and a feed-forward one");
        String missing = "org.nd4j.linalg.cpu.nativecpu.NoSuchBackend";
        BadInputException e = assertThrows(
                BadInputException.class, () -> RecurrentRun.requireBackend(recurrent, "pascanu2013.yaml", missing));
        String m = e.getMessage();
        assertTrue(
                m.contains("pascanu2013.yaml")
                        && m.contains(recurrent.get(0).runId)
                        && m.contains(recurrent.size() + " run(s)")
                        && m.contains("CPU backend")
                        && m.contains("host memory"),
                m);
        assertDoesNotThrow(() -> RecurrentRun.requireBackend(feedForward, "quick.yaml", missing));
        // this JVM's own build has the CPU backend: nothing is refused
        assertDoesNotThrow(() -> RecurrentRun.requireCpuBuild(recurrent, "pascanu2013.yaml"));
    }
}
