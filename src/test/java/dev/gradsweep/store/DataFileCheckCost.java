package dev.gradsweep.store;

import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.sweep.RunExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.PartitionSpec;

/**
 * What {@link DataFileCheck} costs on an output of many files (docs/tables.md, "Damaged files"): one real task's data
 * files copied {@code tasks} times and committed in batches of {@code perBatch} tasks, as an uncompacted sweep leaves
 * them, then the check timed. Not a test (no timing is asserted); run from the worktree after {@code mvn test-compile}:
 * {@code java -cp target/test-classes:target/classes:$(cat cp.txt) dev.gradsweep.store.DataFileCheckCost DIR 8000 50}.
 */
public final class DataFileCheckCost {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int tasks = Integer.parseInt(args[1]), perBatch = Integer.parseInt(args[2]);
        ResultTables tables = dev.gradsweep.sweep.FixtureSweeps.newOutput(dir.toString());
        RunConfig rc = GridSpec.parse(
                        String.join(
                                "\n",
                                "name: cost",
                                "task: {kind: teacher, inputs: 5, samples: 64}",
                                "train: {steps: 20, batch: 16, optimizer: sgd, lr: 0.01, dtype: float32}",
                                "seeds: [1]",
                                "axes: {depth: [5], width: [8], activation: [relu], init: [xavier]}"),
                        "cost")
                .expand()
                .get(0);
        List<TaskFile> one = RunExecutor.run(rc, null, tables.layout(), 0, 1).files();
        long t0 = System.nanoTime();
        List<TaskFile> batch = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            for (TaskFile f : one) {
                Path src = Path.of(java.net.URI.create(f.file().location()));
                Path copy = src.resolveSibling(i + "-" + src.getFileName());
                Files.copy(src, copy);
                batch.add(new TaskFile(
                        f.table(),
                        DataFiles.builder(PartitionSpec.unpartitioned())
                                .copy(f.file())
                                .withPath("file:" + copy)
                                .build()));
            }
            if ((i + 1) % perBatch == 0 || i == tasks - 1) {
                tables.commit(batch, "cost-" + i);
                batch.clear();
            }
        }
        System.out.printf(
                "wrote and committed %d tasks x %d files in %.1f s%n",
                tasks, one.size(), (System.nanoTime() - t0) / 1e9);
        for (int r = 0; r < 5; r++) {
            long s = System.nanoTime();
            DataFileCheck.require(tables);
            long m = System.nanoTime();
            int n = DataFileCheck.find(new OutputDir(dir.toString()), tables.spec())
                    .size();
            System.out.printf(
                    "require (open tables): %.0f ms; find (catalog loaded anew): %.0f ms, %d damaged%n",
                    (m - s) / 1e6, (System.nanoTime() - m) / 1e6, n);
        }
    }
}
