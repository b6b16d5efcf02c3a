package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.sweep.FixtureSweeps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * conf/grids/diagnosis.yaml trained as committed, every verdict asserted against the label theory gives it (the table
 * in the grid file), and tiny runs of every architecture: delta, its reference and the evidence exist for each.
 */
class DiagnosisGridTest {
    /** Every norm × skip × placement the factory builds, relu/he, depth 3: plain, plain + batch/layer norm, blocks. */
    static final String ARCH = String.join(
            "\n",
            "name: arch-test",
            "task: {kind: teacher, inputs: 4, samples: 64}",
            "train: {steps: 6, batch: 16, optimizer: sgd, lr: 0.01, dtype: float32}",
            "seeds: [1]",
            "axes:",
            "  depth: [3]",
            "  width: [8]",
            "  activation: [relu]",
            "  init: [he]",
            "  norm: [none, batch, layer]",
            "  skip: [none, residual, rezero, highway]",
            "  placement: [pre, post]",
            "");

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path diagnosis, arch, transformer, conv;

    @BeforeAll
    static void sweeps() throws Exception {
        diagnosis = tmp.resolve("diagnosis");
        // no compaction: nothing here reads file layout, and the views answer the same on the uncompacted tables
        FixtureSweeps.uncompacted("conf/grids/diagnosis.yaml", diagnosis.toString());
        arch = tmp.resolve("arch");
        Path g = tmp.resolve("arch.yaml");
        Files.writeString(g, ARCH);
        FixtureSweeps.uncompacted(g.toString(), arch.toString());
        transformer = tmp.resolve("transformer");
        FixtureSweeps.uncompacted("conf/grids/diagnosis_transformer.yaml", transformer.toString());
        conv = tmp.resolve("conv");
        FixtureSweeps.uncompacted("conf/grids/diagnosis_conv.yaml", conv.toString());
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("diagnosis-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static long count(String sql) {
        return spark.sql(sql).first().getLong(0);
    }

    /** Key of a diagnosis run: depth, activation, init, lr, norm, skip. */
    static String key(Row r) {
        return r.getAs("depth") + " " + r.getAs("activation") + " " + r.getAs("init") + " " + r.getAs("lr") + " "
                + r.getAs("norm") + " " + r.getAs("skip");
    }

    @Test
    void everyConfigurationGetsTheVerdictTheoryGivesIt() {
        SqlViews.register(spark, diagnosis.toString());
        // the labels of conf/grids/diagnosis.yaml, each from theory (see the grid file and docs/diagnosis.md)
        Map<String, String> expected = Map.of(
                "6 sigmoid standard 0.05 none none", "vanishing",
                "20 tanh normal:6 1.0E-7 none none", "exploding",
                "6 relu he 100.0 none none", "diverged",
                "6 sigmoid constant:1 0.05 none none", "saturated",
                "6 relu he 1.0E-7 none none", "frozen",
                "20 relu xavier 0.05 none none", "collapsed",
                "6 relu he 0.05 none none", "healthy",
                "6 relu he 0.05 layer none", "healthy",
                "6 relu he 0.05 layer residual", "healthy");
        Map<String, Row> got = new HashMap<>();
        for (Row r : spark.sql("SELECT * FROM verdicts").collectAsList()) got.put(key(r), r);
        assertEquals(expected.keySet(), got.keySet(), "the grid's exclude entries leave exactly the labelled runs");
        StringBuilder wrong = new StringBuilder();
        expected.forEach((k, v) -> {
            if (!v.equals(got.get(k).getAs("verdict")))
                wrong.append(k)
                        .append(": expected ")
                        .append(v)
                        .append(", got ")
                        .append((String) got.get(k).getAs("verdict"))
                        .append(" (")
                        .append((String) got.get(k).getAs("reason"))
                        .append(")\n");
        });
        assertEquals("", wrong.toString());

        for (Row r : got.values()) {
            assertNotNull(r.getAs("reason"), key(r));
            if (!"healthy".equals(r.getAs("verdict"))) assertNotNull(r.getAs("try"), key(r));
            else assertTrue((double) r.getAs("gap_closed") >= 0.1, "healthy runs learn: " + r);
        }
        // the evidence each rule read
        Row v = got.get("6 sigmoid standard 0.05 none none");
        assertTrue((double) v.getAs("log10_delta_in") < -3 && v.getAs("stall_layer") != null, v.toString());
        Row x = got.get("20 tanh normal:6 1.0E-7 none none");
        assertTrue(
                (double) x.getAs("log10_delta_in") > 3 && (double) x.getAs("slope_delta") < -0.1,
                "delta grows toward the input: " + x);
        Row c = got.get("20 relu xavier 0.05 none none");
        assertTrue((double) c.getAs("log10_act_out") < -1 && (double) c.getAs("gap_closed") < 0.1, c.toString());
        Row f = got.get("6 relu he 1.0E-7 none none");
        assertTrue((double) f.getAs("update_ratio_max") < 1e-4, f.toString());
        // lr 100 moves every layer by far more than 1e-4 of its size in the steps before the one it stopped at, and
        // that step (its update not applied: no update ratio) is no sign of a frozen layer
        Row d = got.get("6 relu he 100.0 none none");
        assertEquals(0L, (long) d.getAs("frozen_layers"), d.toString());
        assertEquals(7L, (long) f.getAs("frozen_layers"), "every layer of the frozen run: " + f);
        // the sweep itself shows the fix for the frozen and the diverged run: lr 0.05 in the same configuration
        for (Row r : List.of(f, got.get("6 relu he 100.0 none none"))) {
            assertEquals("sweep", r.getAs("try_from"), r.toString());
            assertTrue(((String) r.getAs("try")).startsWith("lr: 0.05"), r.toString());
        }
        // nothing in the sweep fixes the vanishing sigmoid in its own configuration: the textbook fix
        assertEquals("textbook", v.getAs("try_from"));
        assertTrue(((String) v.getAs("try")).contains("relu"), v.toString());

        // when, end to end: the frozen run's loss is minibatch noise around a constant (updates ~1e-8 of the weights),
        // so it plateaus at once; the healthy plain net improved at least over its first window
        assertEquals(0, (int) f.getAs("stall_step"), f.toString());
        Row h = got.get("6 relu he 0.05 none none");
        assertTrue(h.getAs("stall_step") == null || (int) h.getAs("stall_step") > 0, h.toString());
    }

    /**
     * conf/grids/diagnosis_transformer.yaml: the four transformer outcomes measured (docs/diagnosis.md), each with the
     * evidence its rule read and, where the grid holds it, the twin that differs in one axis and is healthy.
     */
    @Test
    void everyTransformerCaseGetsTheVerdictMeasured() {
        SqlViews.register(spark, transformer.toString());
        Map<String, Row> got = new HashMap<>();
        for (Row r : spark.sql("SELECT * FROM verdicts").collectAsList())
            got.put(r.getAs("placement") + " " + r.getAs("skip") + " " + r.getAs("lr"), r);
        assertEquals(4, got.size(), got.keySet().toString());
        Row healthy = got.get("pre residual 0.01"), post = got.get("post residual 0.01");
        Row noSkip = got.get("pre none 0.01"), fast = got.get("pre residual 0.05");
        assertEquals("healthy", healthy.getAs("verdict"), healthy.toString());
        assertEquals("vanishing", post.getAs("verdict"), post.toString());
        assertEquals("rank_collapse", noSkip.getAs("verdict"), noSkip.toString());
        assertEquals("logit_growth", fast.getAs("verdict"), fast.toString());
        // the pre-LN twin learns where post-LN, one axis away, does not; the sweep itself shows the fix
        assertTrue((double) healthy.getAs("gap_closed") > 0.5, healthy.toString());
        assertTrue((double) post.getAs("gap_closed") < 0.1, post.toString());
        assertTrue((double) post.getAs("log10_delta_in") < -3, post.toString());
        assertEquals("sweep", post.getAs("try_from"), post.toString());
        assertTrue(((String) post.getAs("try")).startsWith("placement: pre"), post.toString());
        // rank collapse is the no-skip net's from step 0; the residual nets' tokens start apart
        assertTrue((double) noSkip.getAs("token_cos_first") > 0.99, noSkip.toString());
        for (Row r : List.of(healthy, post, fast)) assertTrue((double) r.getAs("token_cos_first") < 0.99, r.toString());
        // 5x the healthy lr: logits far past 10x their step-0 value and 30, and a head at a single key
        assertTrue(
                (double) fast.getAs("max_logit_last") > 10 * (double) fast.getAs("max_logit_first"), fast.toString());
        assertTrue((double) fast.getAs("max_logit_last") > 30, fast.toString());
        assertTrue((double) fast.getAs("entropy_low") < 0.1, fast.toString());
        assertTrue(((String) noSkip.getAs("try")).startsWith("skip: residual"), noSkip.toString());
        assertTrue(((String) fast.getAs("try")).startsWith("lr: 0.01"), fast.toString());
    }

    /** conf/grids/diagnosis_conv.yaml: the three conv outcomes measured on seeds 1-3 (the table in the grid file). */
    @Test
    void everyConvCaseGetsTheVerdictMeasured() {
        SqlViews.register(spark, conv.toString());
        Map<String, Row> got = new HashMap<>();
        for (Row r : spark.sql("SELECT * FROM verdicts").collectAsList())
            got.put(r.getAs("depth") + " " + r.getAs("norm") + " " + r.getAs("skip"), r);
        assertEquals(3, got.size(), got.keySet().toString());
        Row resnet = got.get("6 batch residual"), plain = got.get("6 none none"), deep = got.get("20 none none");
        assertEquals("healthy", resnet.getAs("verdict"), resnet.toString());
        assertEquals("not_learning", plain.getAs("verdict"), plain.toString());
        assertEquals("vanishing", deep.getAs("verdict"), deep.toString());
        assertTrue((double) resnet.getAs("gap_closed") > 0.3, resnet.toString());
        // the plain net's gradient reaches layer 0; the deep xavier net's does not (a stall below 1e-3)
        assertTrue((double) plain.getAs("log10_delta_in") > -2 && plain.isNullAt(plain.fieldIndex("stall_layer")));
        assertTrue((double) deep.getAs("log10_delta_in") < -3 && deep.getAs("stall_layer") != null, deep.toString());
    }

    @Test
    void theStoredLayerStallsAreTheRowsTheViewComputesForEveryArchitecture() {
        // norms (beta instead of b), blocks (delta from the block outputs, the last block as reference), highway gates
        assertTrue(StoredStalls.assertMatchComputed(spark, arch.toString()) > 0);
        assertTrue(StoredStalls.assertMatchComputed(spark, diagnosis.toString()) > 0);
    }

    @Test
    void deltaAndItsEvidenceExistForEveryArchitecture() {
        SqlViews.register(spark, arch.toString());
        // 3 plain (no norm, batch, layer) + 3 block kinds x (no norm, batch pre/post, layer pre/post)
        assertEquals(18, count("SELECT count(*) FROM runs WHERE status = 'ok'"));
        // every hidden layer of every run has delta at every step; the output layer has one in plain nets only
        assertEquals(
                0,
                count(
                        "SELECT count(*) FROM layer_profile p JOIN runs r USING (run_id) WHERE p.layer < r.depth AND p.delta IS NULL"));
        assertEquals(
                0,
                count("SELECT count(*) FROM layer_profile p JOIN runs r USING (run_id) "
                        + "WHERE p.layer = r.depth AND (p.delta IS NULL) <> (r.skip <> 'none')"));
        // the reference: the output layer (plain), the last block (block nets), where delta_rel is 1
        assertEquals(
                0,
                count("SELECT count(*) FROM layer_profile p JOIN runs r USING (run_id) "
                        + "WHERE p.delta_ref_layer <> CASE WHEN r.skip = 'none' THEN r.depth ELSE r.depth - 1 END"));
        assertEquals(
                0,
                count(
                        "SELECT count(*) FROM layer_profile WHERE layer = delta_ref_layer AND abs(delta_rel - 1) > 1e-12"));
        // delta is the recorded quantity of its architecture: b, the norm's beta, or the block-output gradient
        assertEquals(
                0,
                count("SELECT count(*) FROM layer_profile p JOIN runs r USING (run_id) "
                        + "JOIN params q ON q.run_id = p.run_id AND q.step = p.step AND q.layer = p.layer "
                        + "WHERE r.skip = 'none' AND p.layer < r.depth AND q.param = CASE WHEN r.norm = 'none' THEN 'b' ELSE 'beta' END "
                        + "AND q.layer_name = concat('dense', p.layer, CASE r.norm WHEN 'none' THEN '' WHEN 'batch' THEN '.bn' ELSE '.ln' END) "
                        + "AND NOT (q.grad_l2 <=> p.delta)"));
        assertEquals(
                3L * 3 * 6,
                count("SELECT count(*) FROM params q JOIN runs r USING (run_id) "
                        + "WHERE r.skip = 'none' AND q.layer < r.depth AND q.param IN ('b', 'beta')"),
                "one b or beta per plain hidden layer and step");
        assertEquals(
                15L * 3 * 6,
                count("SELECT count(*) FROM layer_profile p JOIN runs r USING (run_id) "
                        + "JOIN layers l ON l.run_id = p.run_id AND l.step = p.step AND l.layer = p.layer AND l.kind = 'block' "
                        + "WHERE r.skip <> 'none' AND l.act_grad_l2 <=> p.delta"));
        // ReZero at step 0: alpha = 0 makes every block the identity, so the same gradient reaches every block output;
        // not with post (a norm after the sum is no identity): there it differs
        assertEquals(
                0,
                count(
                        "SELECT count(*) FROM layer_profile p JOIN runs r USING (run_id) "
                                + "WHERE r.skip = 'rezero' AND r.placement <> 'post' AND p.step = 0 AND p.layer < r.depth AND abs(p.delta_rel - 1) > 1e-9"));
        assertTrue(count(
                        "SELECT count(*) FROM layer_profile p JOIN runs r USING (run_id) "
                                + "WHERE r.skip = 'rezero' AND r.placement = 'post' AND p.step = 0 AND p.layer < r.depth - 1 AND abs(p.delta_rel - 1) > 1e-6")
                > 0);
        // the run-level evidence is never missing; the verdicts view is read once (planning it takes seconds) and
        // checked row by row against the layers rows
        List<Row> verdicts = spark.sql("SELECT * FROM verdicts").collectAsList();
        assertEquals(18, verdicts.size());
        for (Row v : verdicts)
            for (String c : List.of(
                    "log10_delta_in",
                    "slope_delta",
                    "slope_w",
                    "slope_act",
                    "log10_act_out",
                    "update_ratio_in",
                    "update_ratio_out",
                    "dead_frac",
                    "reason")) assertFalse(v.isNullAt(v.fieldIndex(c)), c + " missing: " + v);
        assertEquals(
                0,
                count(
                        "SELECT count(*) FROM layer_stalls l JOIN runs r USING (run_id) WHERE l.layer < r.depth AND l.log10_delta_rel IS NULL"));
        // dead units from the dense activation rows only (kind 'dense'), gates on their own (highway only)
        Map<String, Double> dense =
                perRun("SELECT run_id, avg(act_dead_frac) FROM layers WHERE kind = 'dense' GROUP BY run_id");
        Map<String, Double> gate =
                perRun("SELECT run_id, avg(act_mean) FROM layers WHERE kind = 'gate' GROUP BY run_id");
        for (Row v : verdicts) {
            String id = v.getAs("run_id");
            assertTrue(
                    !dense.containsKey(id) || Math.abs((double) v.getAs("dead_frac") - dense.get(id)) <= 1e-12,
                    "dead_frac of the dense rows: " + v);
            assertEquals(!"highway".equals(v.getAs("skip")), v.isNullAt(v.fieldIndex("gate_mean")), v.toString());
            if (gate.containsKey(id))
                assertTrue(
                        Math.abs((double) v.getAs("gate_mean") - gate.get(id)) <= 1e-12,
                        "gate_mean of the gate rows: " + v);
        }
        // highway gates start near sigmoid(-2) = 0.12 (the gate bias): carrying, not saturated
        for (Row r : verdicts) {
            if (!"highway".equals(r.getAs("skip"))) continue;
            double g = r.getAs("gate_mean");
            assertTrue(g > 0.05 && g < 0.3, r.toString());
            assertFalse(r.isNullAt(r.fieldIndex("gate_saturated_frac")), r.toString());
        }
    }

    /** run_id -> the query's second column, where it is not null (as a SQL join on it would drop the others). */
    static Map<String, Double> perRun(String sql) {
        Map<String, Double> m = new HashMap<>();
        for (Row r : spark.sql(sql).collectAsList()) if (!r.isNullAt(1)) m.put(r.getString(0), r.getDouble(1));
        return m;
    }
}
