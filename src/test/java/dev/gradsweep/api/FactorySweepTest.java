package dev.gradsweep.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.report.Report;
import dev.gradsweep.sweep.SweepDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A grid naming a model factory (TestFactories.Good) and a custom axis, swept end to end on local Spark into real
 * Iceberg tables and read back with Spark SQL: the runs are the factory's, their custom values are recorded and are
 * axes of axis_effects, and what the first step recorded is the loss of the factory's network on the task's first
 * minibatch, recomputed here without gradsweep's training loop.
 */
class FactorySweepTest {
    static final int STEPS = 12;
    static final String GRID = String.join(
            "\n",
            "name: factory",
            "model: {class: " + TestFactories.Good.class.getName() + "}",
            "task: {kind: spirals, samples: 128}",
            "train: {steps: " + STEPS + ", batch: 16, optimizer: adam, lr: 0.01}",
            "axes:",
            "  width: [5]",
            "  custom: {hidden: [4, 12]}",
            "");

    @TempDir
    static Path tmp;

    @Test
    void aFactorysRunsAreSweptRecordedAndJudgedLikeBuiltInOnes() throws Exception {
        Path grid = tmp.resolve("g.yaml"), out = tmp.resolve("out");
        Files.writeString(grid, GRID);
        AtomicBoolean checked = new AtomicBoolean();
        SweepDriver.run(
                new SweepDriver.Options(grid.toString(), out.toString(), false, false, "local[2]", 0, true, false),
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                (s, session) -> {
                    checked.set(true);
                    assertEquals(2, s.count("ok"), "both runs train");
                    SparkSession spark = session.newSession();
                    SqlViews.registerForOneQuery(spark, out.toString(), Map.of());
                    List<Row> runs = spark.sql("SELECT run_id, engine, model, custom, depth, width, activation,"
                                    + " n_layers, steps_done, loss_first, skip FROM runs ORDER BY custom")
                            .collectAsList();
                    assertEquals(2, runs.size());
                    Map<String, RunConfig> configs = new HashMap<>();
                    for (RunConfig rc : GridSpec.parse(GRID, "g").expand()) configs.put(rc.runId, rc);
                    for (Row r : runs) {
                        RunConfig rc = configs.get(r.getString(0));
                        assertEquals("factory", r.getString(1));
                        assertEquals(TestFactories.Good.class.getName(), r.getString(2));
                        assertEquals("hidden=" + rc.user.custom.get("hidden"), r.getString(3));
                        assertNull(r.get(4), "depth was not listed: null");
                        assertEquals(5, r.getInt(5), "width was listed: recorded");
                        assertNull(r.get(6), "activation was not listed: null");
                        assertEquals(2, r.getInt(7), "the factory's net has 2 layers");
                        assertEquals(STEPS, r.getInt(8));
                        assertEquals("none", r.getString(10), "read as a plain net");
                        // independent: the factory's network on the task's first minibatch, before any update
                        TaskData data = Tasks.generate(rc.task, rc.seed);
                        MultiLayerNetwork net = (MultiLayerNetwork) Factories.build(rc);
                        Batches b =
                                new Batches(data, rc.train.batch, net.params().dataType(), rc.seed);
                        b.next();
                        assertEquals(net.score(new DataSet(b.features, b.labels)), r.getDouble(9), 1e-6);
                    }
                    long params =
                            spark.sql("SELECT count(*) FROM params").first().getLong(0);
                    assertEquals(2L * STEPS * 4, params, "W and b of both layers, every step of both runs");
                    List<Row> axes = spark.sql("SELECT axis, value, runs FROM axis_effects ORDER BY axis, value")
                            .collectAsList();
                    assertEquals(
                            List.of("custom.hidden", "custom.hidden"),
                            axes.stream().map(a -> a.getString(0)).toList());
                    assertEquals(
                            List.of("12", "4"),
                            axes.stream().map(a -> a.getString(1)).toList());
                    List<Row> verdicts = spark.sql("SELECT verdict, reason FROM verdicts WHERE verdict IS NOT NULL")
                            .collectAsList();
                    assertEquals(2, verdicts.size());
                    for (Row v : verdicts) // a missing statistic is named, never printed as "10^null"
                    assertFalse(v.getString(1).contains("null"), v.getString(1));
                    // the report reads the custom axis as the axis it is: listed, labelled and plotted
                    Path to = tmp.resolve("report");
                    try {
                        Report.Summary rep = Report.write(
                                session.newSession(),
                                new Report.Options(out.toString(), to, List.of("0", "last"), 8, 6, Map.of(), "cmd"));
                        String md = Files.readString(rep.readme());
                        assertTrue(md.contains("Axes that vary: **custom.hidden** 4, 12."), md);
                        assertTrue(md.contains("hidden 12"), "runs labelled by the custom value: " + md);
                        assertTrue(Files.size(to.resolve("loss_by_custom_hidden.png")) > 0);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        assertTrue(checked.get(), "the checks ran in the sweep's session");
    }
}
