package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.conv.ConvRun;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.store.Table;
import dev.gradsweep.store.TaskFiles;
import dev.gradsweep.train.RunOutcome;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conv run's rows through the real {@link RunWriter} into Iceberg tables: layers.response_std is set on the stem's
 * and units' rows and null on the head's, and null on a row whose engine measured none (every other architecture).
 */
class ConvTablesTest {
    @TempDir
    Path tmp;

    @Test
    void responseStdIsWrittenForConvRowsAndNullElsewhere() throws Exception {
        RunConfig rc = dev.gradsweep.conv.ConvTrainerTest.run(Norm.BATCH, Skip.RESIDUAL, 3, 2, 0.01);
        ResultTables tables = FixtureSweeps.newOutput(tmp.toString());
        TaskFiles files = new TaskFiles(tables.layout(), "t", new Configuration());
        RunWriter w = new RunWriter(files, rc);
        RunOutcome o = ConvRun.train(rc, Tasks.generate(rc.task, rc.seed), w);
        assertEquals(RunOutcome.Status.OK, o.status, o.error);
        RunConfig other = rc.withSeed(2); // an engine without responses: layer rows alone
        RunWriter w2 = new RunWriter(files, other);
        w2.layer(0, new LayerInfo(0, "dense0", "dense", null), new ActStats(1, false), 1.0);
        w.commit(
                o, new RunWriter.Placement("cpu", "cpu", "h", 1, "conv"), dev.gradsweep.store.Machine.PROVENANCE, 0, 1);
        w2.commit(
                new RunOutcome(),
                new RunWriter.Placement("cpu", "cpu", "h", 1, "dl4j"),
                dev.gradsweep.store.Machine.PROVENANCE,
                0,
                1);
        tables.commit(files.finish(), "b");
        int rows = 0;
        try (CloseableIterable<Record> it =
                IcebergGenerics.read(tables.table(Table.LAYERS)).build()) {
            for (Record r : it) {
                Double v = (Double) r.getField("response_std");
                if (r.getField("run_id").equals(other.runId)) {
                    assertNull(v, "no response measured");
                    continue;
                }
                rows++;
                String name = (String) r.getField("layer_name");
                if (name.equals("head")) assertNull(v, "the head has no response");
                else {
                    assertNotNull(v, name);
                    assertTrue(v > 0, name + " " + v);
                }
            }
        }
        assertEquals(2 * (1 + 3 + 1), rows, "2 steps × (stem, 3 blocks, head)");
    }
}
