package dev.gradsweep.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.OutputLock;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.sweep.Compaction;
import dev.gradsweep.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A JVM that dies with a run neither closed nor failed: nothing of it is visible, the next writer takes its lock over
 * at once (its process is gone) and commits its own run, and the orphan cleanup a sweep ends with deletes its files.
 */
class RecordedRunDeathTest {
    @TempDir
    Path tmp;

    /** Records 3 steps of a small net into {@code args[0]}, prints the run id, and halts without closing the run. */
    public static void main(String[] args) {
        RecordedRun run = Gradsweep.record(Path.of(args[0]), "dies");
        MultiLayerNetwork n = RecordedRunTest.mln();
        n.addListeners(run.listener());
        DataSet ds = RecordedRunTest.data(2, 8, 3, 1);
        for (int i = 0; i < 3; i++) n.fit(ds);
        System.out.println("RUN " + run.runId() + " " + run.stepsDone());
        System.out.flush();
        Runtime.getRuntime().halt(0); // as a JVM killed mid-training: no close(), no shutdown hook
    }

    @Test
    void aRunWhoseJvmDiedIsNeverVisibleAndItsFilesGoWithTheNextCleanup() throws Exception {
        Path out = tmp.resolve("out"), log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(ChildJvm.command(
                        "-Xmx512m", List.of(), RecordedRunDeathTest.class.getName(), List.of(out.toString())))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "child still running");
        String text = Files.readString(log);
        String dead = text.lines()
                .filter(l -> l.startsWith("RUN "))
                .map(l -> l.split(" ")[1])
                .findFirst()
                .orElseThrow(() -> new AssertionError(text));
        assertTrue(text.contains("RUN " + dead + " 3"), text);
        assertTrue(dataFiles(out).stream().anyMatch(f -> f.startsWith(dead)), "the dead run wrote files");

        String next;
        try (RecordedRun run = Gradsweep.record(out, "next")) { // the dead JVM's lock: taken over at once
            MultiLayerNetwork n = RecordedRunTest.mln();
            n.addListeners(run.listener());
            n.fit(RecordedRunTest.data(3, 8, 3, 1));
            next = run.runId();
        }
        OutputDir dir = new OutputDir(out.toString());
        ResultTables.CatalogSpec spec = ResultTables.CatalogSpec.of(dir.location(), Map.of());
        assertEquals(Set.of(next), ResultTables.committedRuns(dir, spec));

        try (OutputLock lock = OutputLock.acquire(dir, "compact")) {
            assertTrue(
                    Compaction.removeOrphans(ResultTables.open(dir, spec, false).lockedBy(lock)) > 0);
        }
        assertFalse(
                dataFiles(out).stream().anyMatch(f -> f.startsWith(dead)),
                dataFiles(out).toString());
        assertTrue(dataFiles(out).stream().anyMatch(f -> f.startsWith(next)), "the committed run's files stay");
    }

    private static List<String> dataFiles(Path out) throws Exception {
        try (Stream<Path> s = Files.walk(out)) {
            return s.filter(f -> f.getParent().getFileName().toString().equals("data"))
                    .map(f -> f.getFileName().toString())
                    .toList();
        }
    }
}
