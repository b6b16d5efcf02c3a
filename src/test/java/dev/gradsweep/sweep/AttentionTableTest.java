package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.AttentionStats;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.store.Table;
import dev.gradsweep.store.TaskFiles;
import dev.gradsweep.train.RunOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attention table: a sweep without transformers leaves it empty, an output written before it resumes without
 * training anything and gains it, and rows written through the recorder are read back by Spark SQL.
 */
class AttentionTableTest {
    static final Path BEFORE = Path.of("src/test/resources/grid/before-transformers.yaml");

    @TempDir
    static Path tmp;

    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = CrashCases.session("attention-table");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static long count(String q) {
        return spark.sql(q).collectAsList().get(0).getLong(0);
    }

    static SweepDriver.Summary sweep(Path grid, Path out, boolean resume) throws Exception {
        return SweepDriver.run(
                // stacked, no compaction (docs/testing.md: the tables answer the same uncompacted)
                new SweepDriver.Options(grid.toString(), out.toString(), resume, false, "local[2]", 0, true, false),
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()));
    }

    @Test
    void anOutputWrittenBeforeTheTransformerKeysResumesWithoutTrainingAnything() throws Exception {
        // the tiny grid's run ids are the ones main's code computed before the new keys (the fixture)
        List<String> ids =
                GridSpec.load(BEFORE).expand().stream().map(r -> r.runId).toList();
        assertEquals(dev.gradsweep.grid.RunIdsBeforeTransformersTest.before().get(BEFORE.toString()), ids);
        Path out = tmp.resolve("before");
        SweepDriver.Summary first = sweep(BEFORE, out, false);
        assertEquals(ids.size(), first.count("ok"));
        SqlViews.registerTableViews(spark, out.toString());
        assertEquals(0, count("SELECT count(*) FROM attention"), "no transformer runs: the table is there, empty");
        assertEquals(
                ids.size(), count("SELECT count(*) FROM runs WHERE arch = 'mlp' AND heads IS NULL AND stages IS NULL"));
        long steps = count("SELECT count(*) FROM steps");

        // what an output of the code before looks like: no attention table, no transformer or conv columns in runs
        OutputDir dir = new OutputDir(out.toString());
        ResultTables.open(dir)
                .table(Table.RUNS)
                .updateSchema()
                .deleteColumn("arch")
                .deleteColumn("heads")
                .deleteColumn("ffn")
                .deleteColumn("positions")
                .deleteColumn("warmup")
                .deleteColumn("highway_gate_bias")
                .deleteColumn("stages")
                .deleteColumn("groups")
                .commit();
        try (var walk = Files.walk(out.resolve(Table.ATTENTION.dir))) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
        assertFalse(ResultTables.exists(
                dir, ResultTables.CatalogSpec.of(dir.location(), java.util.Map.of()), Table.ATTENTION));
        // a reader of such an output sees an empty attention view, the columns runs lacks as nulls, and every
        // analysis view answers (without a write to the output: readers take no lock)
        long versions = metadataFiles(out);
        SqlViews.register(spark, out.toString());
        assertEquals(0, count("SELECT count(*) FROM attention"));
        assertEquals(ids.size(), count("SELECT count(*) FROM runs WHERE arch IS NULL AND warmup IS NULL"));
        assertEquals(ids.size(), count("SELECT count(*) FROM verdict_evidence WHERE highway_gate_bias IS NULL"));
        assertTrue(count("SELECT count(*) FROM axis_effects") > 0);
        assertEquals(versions, metadataFiles(out), "the reader committed nothing to runs");
        // a sweep refused for lack of --resume writes nothing either, not even the columns a writer adds
        assertThrows(dev.gradsweep.config.BadInputException.class, () -> sweep(BEFORE, out, false));
        assertEquals(versions, metadataFiles(out), "the refused sweep committed nothing to runs");

        SweepDriver.Summary resumed = sweep(BEFORE, out, true);
        assertEquals(0, resumed.results().size(), "--resume trains nothing");
        assertEquals(ids.size(), resumed.skipped());
        SqlViews.registerTableViews(spark, out.toString());
        assertEquals(ids.size(), count("SELECT count(*) FROM runs WHERE arch IS NULL"), "older rows: no arch");
        assertEquals(ids.size(), count("SELECT count(*) FROM runs WHERE stages IS NULL AND groups IS NULL"));
        assertEquals(steps, count("SELECT count(*) FROM steps"));
        assertEquals(0, count("SELECT count(*) FROM attention"), "the table is created, empty");
    }

    /** The runs table's metadata versions: one more for each commit. */
    private static long metadataFiles(Path out) throws java.io.IOException {
        try (var s = Files.list(out.resolve(Table.RUNS.dir).resolve("metadata"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".metadata.json"))
                    .count();
        }
    }

    @Test
    void rowsWrittenThroughTheRecorderAreReadBackBySparkSql() throws Exception {
        String grid = String.join(
                "\n",
                "name: t",
                "task: {kind: reverse, vocab: 5}",
                "train: {steps: 2, batch: 4}",
                "axes: {arch: [transformer], depth: [2], width: [8], activation: [gelu], init: [xavier], heads: [2],"
                        + " seq_len: [6], positions: [sinusoidal]}",
                "");
        RunConfig rc = GridSpec.parse(grid, "g.yaml").expand().get(0);
        String dir = tmp.resolve("rows").toString();
        ResultTables tables = FixtureSweeps.newOutput(dir);
        TaskFiles files = new TaskFiles(tables.layout(), "t", new Configuration());
        RunWriter w = new RunWriter(files, rc);
        // value = step + block / 10 + head / 100, so each row's numbers name it
        for (int step = 0; step < 2; step++)
            for (int block = 0; block < 2; block++)
                for (int head = 0; head < 2; head++) {
                    double v = step + block / 10.0 + head / 100.0;
                    w.attention(
                            step,
                            new AttentionStats(
                                    block,
                                    head,
                                    v,
                                    v / 2,
                                    step == 1 && block == 1 ? Double.POSITIVE_INFINITY : 10 + v,
                                    block == 0 ? Double.NaN : 0.5 + step));
                }
        RunOutcome o = new RunOutcome(); // no steps: the runs row alone
        w.commit(
                o, new RunWriter.Placement("cpu", "cpu", "h", 1, "test"), dev.gradsweep.store.Machine.PROVENANCE, 0, 1);
        // a second run's rows without its runs row: never visible
        RunConfig other = rc.withSeed(9);
        new RunWriter(files, other).attention(0, new AttentionStats(0, 0, 1, 1, 1, 1));
        ConvInputsTest.writeConvRuns(files);
        tables.commit(files.finish(), "b");

        SqlViews.registerTableViews(spark, dir);
        assertEquals(
                8,
                count("SELECT count(*) FROM attention WHERE run_id = '" + rc.runId + "'"),
                "2 steps x 2 blocks x 2 heads");
        assertEquals(8, count("SELECT count(*) FROM attention"), "the uncommitted run's row is not visible");
        List<Row> rows = spark.sql("SELECT step, layer, head, entropy_mean, entropy_min, max_logit, token_cos_mean "
                        + "FROM attention ORDER BY step, layer, head")
                .collectAsList();
        for (Row r : rows) {
            double v = r.getInt(0) + r.getInt(1) / 10.0 + r.getInt(2) / 100.0;
            assertEquals(v, r.getDouble(3), 0);
            assertEquals(v / 2, r.getDouble(4), 0);
            if (r.getInt(0) == 1 && r.getInt(1) == 1) assertEquals(Double.POSITIVE_INFINITY, r.getDouble(5));
            else assertEquals(10 + v, r.getDouble(5), 0);
            if (r.getInt(1) == 0) assertTrue(r.isNullAt(6), "NaN token similarity is stored as null");
            else assertEquals(0.5 + r.getInt(0), r.getDouble(6), 0);
        }
        Row run = spark.sql("SELECT arch, heads, ffn, positions, seq_len, task, cell, stages, groups FROM runs"
                        + " WHERE arch = 'transformer'")
                .collectAsList()
                .get(0);
        assertEquals("transformer", run.getString(0));
        assertEquals(2, run.getInt(1));
        assertEquals(4, run.getInt(2));
        assertEquals("sinusoidal", run.getString(3));
        assertEquals(6, run.getInt(4));
        assertEquals("reverse{vocab=5}", run.getString(5));
        assertEquals("none", run.getString(6));
        assertTrue(run.isNullAt(7) && run.isNullAt(8), "stages and groups: conv only");
        ConvInputsTest.assertConvColumns(spark);
    }
}
