package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.store.Table;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules above layer_stalls (stalls, verdict_evidence, axis_effects, verdicts) on hand-made runs and layer_stalls
 * rows, each expected value derived in the comments from the rows and the default thresholds (vanish_ratio 1e-3:
 * starved below log10 = -3; min_gap_closed 0.1), not read off the output. No training: the rows are the input.
 */
class VerdictRulesTest {
    static SparkSession spark, s;
    static final List<Map<String, Object>> runs = new ArrayList<>();
    static final List<Row> st = new ArrayList<>();
    static Map<String, Row> v, stalls;

    /** Both tests' runs in one registration (registering plans the views: seconds); their contexts are apart. */
    @BeforeAll
    static void session() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("verdict-rules-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        rulesRuns();
        contextRuns();
        s = views(runs, st);
        v = byRun(s, "SELECT * FROM verdicts");
        stalls = byRun(s, "SELECT * FROM stalls");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** A plain depth-10 run (n_layers 11) that learns (gap_closed 0.5), with {@code set} overriding columns. */
    static Map<String, Object> run(String id, Object... set) {
        Map<String, Object> v = new HashMap<>();
        Object[] base = {
            "run_id",
            id,
            "sweep",
            "hand",
            "depth",
            10,
            "width",
            16,
            "activation",
            "relu",
            "init",
            "he",
            "norm",
            "none",
            "placement",
            "n/a",
            "skip",
            "none",
            "task",
            "teacher",
            "optimizer",
            "sgd",
            "lr",
            0.05,
            "batch",
            16,
            "steps",
            60,
            "clip",
            "none",
            "dtype",
            "float32",
            "seed",
            1L,
            "status",
            "ok",
            "steps_done",
            60,
            "loss_first",
            1.0,
            "loss_last",
            0.5,
            "loss_baseline",
            1.0,
            "gap_closed",
            0.5,
            "n_layers",
            11,
            "cell",
            "none",
            "rec_init",
            "n/a"
        };
        for (Object[] kv : new Object[][] {base, set})
            for (int i = 0; i < kv.length; i += 2) v.put((String) kv[i], kv[i + 1]);
        return v;
    }

    /** A runs row with these columns' values, null elsewhere. */
    static Row runRow(Map<String, Object> v) {
        Object[] row = new Object[Table.RUNS.columns.size()];
        for (int i = 0; i < row.length; i++)
            row[i] = v.get(Table.RUNS.columns.get(i).name());
        return RowFactory.create(row);
    }

    /**
     * layer_stalls rows of a run: layers 0-10, log10_delta_rel -0.5 (healthy) except where {@code starved} says (layer
     * to value), update ratio 1e-2, frozen_from as {@code frozenFrom} says (layer to step; others null).
     */
    static List<Row> stalls(String id, Map<Integer, Double> delta, Map<Integer, Integer> frozenFrom) {
        List<Row> rows = new ArrayList<>();
        for (int l = 0; l <= 10; l++) {
            Object[] r = new Object[Table.LAYER_STALLS.columns.size()];
            Object[] kv = {
                "run_id",
                id,
                "layer",
                l,
                "from_output",
                10 - l,
                "delta_ref_layer",
                10,
                "steps",
                60L,
                "log10_delta_rel",
                l == 10 ? 0.0 : delta.getOrDefault(l, -0.5),
                "log10_act_rel",
                0.0,
                "update_ratio",
                1e-2,
                "frozen_steps",
                0L,
                "frozen_from",
                frozenFrom.get(l),
                "dead_frac",
                0.0
            };
            for (int i = 0; i < kv.length; i += 2) r[Table.LAYER_STALLS.index((String) kv[i])] = kv[i + 1];
            rows.add(RowFactory.create(r));
        }
        return rows;
    }

    /** verdicts and axis_effects over the runs and layer_stalls rows: the view files above layer_stalls. */
    static SparkSession views(List<Map<String, Object>> runs, List<Row> stalls) {
        return views(spark, runs, stalls, List.of(), Map.of());
    }

    /** The same in a new session of {@code spark}, with these attention rows and parameter overrides. */
    static SparkSession views(
            SparkSession spark,
            List<Map<String, Object>> runs,
            List<Row> stalls,
            List<Row> attn,
            Map<String, String> params) {
        SparkSession s = spark.newSession();
        List<Row> runRows = runs.stream().map(VerdictRulesTest::runRow).toList();
        s.createDataFrame(runRows, Schemas.sparkSchema(Table.RUNS)).createOrReplaceTempView("runs");
        s.createDataFrame(stalls, Schemas.sparkSchema(Table.LAYER_STALLS)).createOrReplaceTempView("layer_stalls");
        s.createDataFrame(attn, Schemas.sparkSchema(Table.ATTENTION)).createOrReplaceTempView("attention");
        for (Table t : new Table[] {Table.STEPS, Table.TIMESTEPS}) // loss plateaus, memory: no rows
        s.createDataFrame(List.of(), Schemas.sparkSchema(t)).createOrReplaceTempView(t.dir);
        List<String> files = SqlScript.VIEW_FILES.subList(
                SqlScript.VIEW_FILES.indexOf("20_stalls.sql"), SqlScript.VIEW_FILES.size());
        SqlViews.registerAnalysis(s, AnalysisParams.resolve(params), files, false);
        return s;
    }

    static Map<String, Row> byRun(SparkSession s, String sql) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : s.sql(sql).collectAsList()) assertNull(m.put(r.getAs("run_id"), r), "one row per run");
        return m;
    }

    /** A run of the rules test: its own width and task, so it shares no context with the context test's runs. */
    static Map<String, Object> rule(String id, Object... set) {
        Object[] all = new Object[set.length + 6];
        System.arraycopy(new Object[] {"depth", 2, "width", 64, "task", "rules"}, 0, all, 0, 6);
        System.arraycopy(set, 0, all, 6, set.length);
        return run(id, all);
    }

    static void rulesRuns() {
        // layers 0-3 at 10^-4 and layer 7 exactly 0 (-Infinity) are starved, 4-6, 8, 9 are not (10^-0.5), and the
        // output layer is the reference: 5 starved layers, the highest 7, printed as two runs "0–3, 7"
        runs.add(rule("gaps", "seed", 1L));
        st.addAll(stalls("gaps", Map.of(0, -4.0, 1, -4.0, 2, -4.0, 3, -4.0, 7, Double.NEGATIVE_INFINITY), Map.of()));
        // one starved layer: "layer 0 is below"
        runs.add(rule("one", "seed", 2L));
        st.addAll(stalls("one", Map.of(0, -3.5), Map.of()));
        // a loss baseline of 0 (a constant target): gap_closed is null, every signal healthy: progress unknown,
        // not healthy
        runs.add(rule("unknown", "seed", 3L, "loss_baseline", 0.0, "gap_closed", null, "loss_last", 0.01));
        st.addAll(stalls("unknown", Map.of(), Map.of()));
        // the same with layer 0 starved: the gradient-flow rules still come first
        runs.add(rule("unknown-vanishing", "seed", 4L, "loss_baseline", 0.0, "gap_closed", null));
        st.addAll(stalls("unknown-vanishing", Map.of(0, -5.0), Map.of()));
        // a run that stopped on a non-finite value at step 2 (steps_done 3): that step has no update ratio, so
        // layer_stalls says frozen from step 2 in layers 0-9; only layer 10, frozen from step 0, froze before it
        Map<Integer, Integer> atTheEnd = new HashMap<>();
        for (int l = 0; l < 10; l++) atTheEnd.put(l, 2);
        Map<Integer, Integer> diverged = new HashMap<>(atTheEnd);
        diverged.put(10, 0);
        runs.add(rule("diverged", "seed", 5L, "status", "diverged", "steps_done", 3, "loss_last", 0.9));
        st.addAll(stalls("diverged", Map.of(), diverged));
        // the same rows for a run that completed its 3 steps: its layers 0-9 froze at its last step, 10 at step 0
        runs.add(rule("ok-frozen", "seed", 6L, "steps_done", 3));
        st.addAll(stalls("ok-frozen", Map.of(), diverged));
        runs.add(rule("healthy", "seed", 7L));
        st.addAll(stalls("healthy", Map.of(), Map.of()));
        // the same without activation statistics (a listener's run may record none): log10_act_out is null
        runs.add(rule("no-act", "seed", 8L));
        for (Row r : stalls("no-act", Map.of(), Map.of())) {
            Object[] a = new Object[r.size()];
            for (int i = 0; i < a.length; i++) a[i] = r.get(i);
            a[Table.LAYER_STALLS.index("log10_act_rel")] = null;
            st.add(RowFactory.create(a));
        }
    }

    @Test
    void starvedLayersFrozenLayersAndUnknownProgressAsDerivedByHand() {
        Row gaps = v.get("gaps");
        assertEquals("vanishing", gaps.getAs("verdict"), gaps.toString());
        assertEquals(7, (int) gaps.getAs("stall_layer"));
        assertEquals(5L, (long) gaps.getAs("starved_layers"));
        assertEquals("0–3, 7", gaps.getAs("starved_layer_set"));
        assertEquals(
                "δ at layer 0 is 10^-4.0 of the output layer's; layers 0–3, 7 are below 1e-3", gaps.getAs("reason"));
        assertEquals(7, (int) stalls.get("gaps").getAs("stall_layer"));
        assertEquals(3, (int) stalls.get("gaps").getAs("stall_from_output"));
        assertEquals(5L, (long) stalls.get("gaps").getAs("starved_layers"));
        assertEquals(
                "δ at layer 0 is 10^-3.5 of the output layer's; layer 0 is below 1e-3",
                v.get("one").getAs("reason"));

        Row unknown = v.get("unknown");
        assertEquals("progress_unknown", unknown.getAs("verdict"), unknown.toString());
        assertEquals(
                "progress is unknown: the best constant predictor's loss is 0.00, so there is no gap to close (a"
                        + " constant target?); the loss went from 1.00 to 0.0100; δ at layer 0 is 10^-0.5 of the output"
                        + " layer's, the activation scale 10^0.0 of layer 0's",
                unknown.getAs("reason"));
        assertEquals("textbook", unknown.getAs("try_from"));
        assertTrue(((String) unknown.getAs("try")).startsWith("check the task's target"), unknown.toString());
        assertEquals("vanishing", v.get("unknown-vanishing").getAs("verdict"));
        assertEquals("healthy", v.get("healthy").getAs("verdict"));
        assertEquals(
                "closed 50% of the gap; δ at layer 0 is 10^-0.5 of the output layer's, the activation scale"
                        + " 10^0.0 of layer 0's",
                v.get("healthy").getAs("reason"));
        assertEquals("healthy", v.get("no-act").getAs("verdict"));
        assertEquals(
                "closed 50% of the gap; δ at layer 0 is 10^-0.5 of the output layer's, no activation scale recorded",
                v.get("no-act").getAs("reason"));

        assertEquals("diverged", v.get("diverged").getAs("verdict"));
        for (Map<String, Row> view : List.of(v, stalls)) {
            assertEquals(1L, (long) view.get("diverged").getAs("frozen_layers"), "frozen before the divergence");
            assertEquals(11L, (long) view.get("ok-frozen").getAs("frozen_layers"));
            assertEquals(0L, (long) view.get("healthy").getAs("frozen_layers"));
        }
        assertEquals(0, (int) stalls.get("diverged").getAs("first_frozen_step"));
    }

    /**
     * Contexts hold every other axis with its position and the steps: runs that differ there are not the same
     * configuration, so a healthy depth 2 is advice for a vanishing depth 3 only where they share everything else.
     */
    static void contextRuns() {
        Map<Integer, Double> starved = Map.of(0, -4.0);
        // width 16: depth 2 healthy, depth 3 vanishing, all else equal: depth 2 fixes this configuration
        runs.add(run("p2", "depth", 2));
        runs.add(run("p3", "depth", 3));
        // width 8: the healthy depth 2 trained 120 steps (a --resume after the grid's train: changed), the
        // vanishing depth 3 60: not the same configuration
        runs.add(run("q2", "depth", 2, "width", 8, "steps", 120));
        runs.add(run("q3", "depth", 3, "width", 8));
        // width 32: two configurations whose other axes line up only when their nulls are dropped (cell, seq_len,
        // rec_init, forget_bias: none, null, 8, 1.0 against none, 8, 1.0, null): not the same configuration
        runs.add(run("r2", "depth", 2, "width", 32, "rec_init", "8", "forget_bias", 1.0));
        runs.add(run("r3", "depth", 3, "width", 32, "seq_len", 8, "rec_init", "1.0"));
        // widths 40 and 48: train settings that are not axes, warmup and the highway gates' bias, changed between a
        // sweep and its --resume: not the same configuration either
        runs.add(run("s2", "depth", 2, "width", 40, "warmup", 10));
        runs.add(run("s3", "depth", 3, "width", 40, "warmup", 0));
        runs.add(run("t2", "depth", 2, "width", 48, "skip", "highway", "highway_gate_bias", -2.0));
        runs.add(run("t3", "depth", 3, "width", 48, "skip", "highway", "highway_gate_bias", -1.0));
        for (String id : List.of("p2", "p3", "q2", "q3", "r2", "r3", "s2", "s3", "t2", "t3"))
            st.addAll(stalls(id, id.endsWith("3") ? starved : Map.of(), Map.of()));
    }

    @Test
    void contextsKeepNullsAndTheTrainSettingsApart() {
        for (String id : List.of("p2", "q2", "r2", "s2", "t2"))
            assertEquals("healthy", v.get(id).getAs("verdict"), id);
        for (String id : List.of("p3", "q3", "r3", "s3", "t3"))
            assertEquals("vanishing", v.get(id).getAs("verdict"), id);
        assertEquals("sweep", v.get("p3").getAs("try_from"));
        assertTrue(
                ((String) v.get("p3").getAs("try"))
                        .startsWith("depth: 2 (healthy in the same configuration; in"
                                + " the sweep it fixes 1 of 1 broken configurations)"),
                v.get("p3").toString());
        for (String id : List.of("q3", "r3", "s3", "t3"))
            assertEquals("textbook", v.get(id).getAs("try_from"), v.get(id).toString());
        // depth: only width 16's context holds both values, so only its two runs count (held fixed)
        Row d2 = s.sql("SELECT * FROM axis_effects WHERE axis = 'depth' AND value = '2'")
                .first();
        assertEquals(1L, (long) d2.getAs("runs"), d2.toString());
        assertEquals(Boolean.TRUE, d2.getAs("held_fixed"));
        assertEquals(1L, (long) d2.getAs("fixes"));
        assertEquals(1L, (long) d2.getAs("broken_contexts"));
    }
}
