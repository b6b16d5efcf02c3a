package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.TableLoader;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import dev.gradsweep.sweep.FixtureSweeps;
import dev.gradsweep.sweep.RunExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analysis views on sweeps whose outcome is known: 30-layer sigmoid vs relu/he (a real local Spark sweep), and
 * single runs built to vanish behind a flat weight-gradient profile, explode, saturate, die, diverge, fail and stand
 * still. Residual nets (the "what fixes it" case) wait for the skip axis.
 */
class AnalysisViewsTest {
    static final String GRID = String.join(
            "\n",
            "name: views-test",
            "task: {kind: teacher, inputs: 8, samples: 256}",
            // enough steps for relu/he to close the gap to the best constant predictor (a healthy run must learn)
            "train: {steps: 60, batch: 32, optimizer: adam, lr: 0.003, dtype: float32}",
            "seeds: [1, 2]",
            "axes:",
            "  depth: [30]",
            "  width: [32]",
            "  activation: [sigmoid, relu]",
            "  init: [he]",
            "");

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Path grid, special;
    static final Map<String, RunConfig> runs = new HashMap<>();

    @BeforeAll
    static void sweeps() throws Exception {
        grid = tmp.resolve("grid-out");
        Path g = tmp.resolve("g.yaml");
        Files.writeString(g, GRID);
        FixtureSweeps.uncompacted(g.toString(), grid.toString());

        special = tmp.resolve("special");
        ResultTables out = FixtureSweeps.newOutput(special.toString());
        TaskSpec teacher =
                new TaskSpec(TaskSpec.Kind.TEACHER, 8, 1, 64, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TaskSpec gauss =
                new TaskSpec(TaskSpec.Kind.GAUSS, 10, 10, 16, TaskSpec.Objective.REGRESSION, null, null, List.of());
        add(
                out,
                "exploding",
                rc(10, 16, "identity", "normal:3", teacher, train(4, 16, 1e-12, TrainSpec.DType.FLOAT32)));
        add(out, "saturated", rc(6, 16, "sigmoid", "normal:20", teacher, train(4, 16, 0.01, TrainSpec.DType.FLOAT32)));
        add(out, "dead", rc(6, 8, "relu", "constant:-0.1", teacher, train(4, 16, 0.01, TrainSpec.DType.FLOAT32)));
        add(out, "diverged", rc(4, 16, "relu", "constant:3", teacher, train(50, 8, 50, TrainSpec.DType.FLOAT32)));
        add(
                out,
                "failed",
                rc(2, 4, "relu", "he", teacher.withShape(8, 1, 8), train(5, 16, 0.1, TrainSpec.DType.FLOAT32)));
        // the classic example: flat ||dW_l|| over layers, while delta and the activations shrink ~0.4x per layer
        add(out, "hidden", rc(50, 10, "relu", "standard", gauss, train(3, 16, 0.01, TrainSpec.DType.FLOAT64)));
        add(
                out,
                "unlearnable",
                rc(
                        3,
                        8,
                        "relu",
                        "he",
                        new TaskSpec(
                                TaskSpec.Kind.GAUSS, 8, 1, 2048, TaskSpec.Objective.REGRESSION, null, null, List.of()),
                        train(40, 32, 0.01, TrainSpec.DType.FLOAT32)));
        // lr 0 on the full batch: the loss never moves and no layer is ever updated
        add(out, "still", rc(3, 8, "tanh", "xavier", teacher, train(8, 64, 0, TrainSpec.DType.FLOAT32)));
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("views-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        // a table whose target is one constant: the best constant predictor's loss is 0, there is no gap to close
        StringBuilder csv = new StringBuilder("a,b,y\n");
        Random rnd = new Random(3);
        for (int i = 0; i < 40; i++)
            csv.append(rnd.nextGaussian())
                    .append(',')
                    .append(rnd.nextGaussian())
                    .append(",0.5\n");
        Path table = tmp.resolve("constant.csv");
        Files.writeString(table, csv);
        RunConfig constant = GridSpec.parse(
                        String.join(
                                "\n",
                                "name: special",
                                "task: {kind: table, path: '" + table + "', label: y, objective: regression}",
                                "train: {steps: 8, batch: 16, optimizer: sgd, lr: 0.05, dtype: float32}",
                                "axes: {depth: [3], width: [8], activation: [relu], init: [he]}",
                                ""),
                        "constant")
                .expand()
                .get(0);
        TaskData data = TableLoader.load(spark, constant.task, "constant");
        add(out, "constant", constant.withTask(constant.task.withShape(data.inputs, data.outputs, data.n)), data);
    }

    /**
     * The analysis views of {@code dir} with {@code overrides}, registered once in a session of their own (registering
     * plans the layered views, which costs seconds; sessions share the one SparkContext and keep their own views).
     */
    static SparkSession views(Path dir, Map<String, String> overrides) {
        return sessions.computeIfAbsent(dir + " " + new TreeMap<>(overrides), k -> {
            SparkSession s = spark.newSession();
            SqlViews.register(s, dir.toString(), overrides);
            return s;
        });
    }

    /** The verdicts view of {@code dir} with {@code overrides}, by run_id, read once; each run_id occurs once. */
    static Map<String, Row> verdicts(Path dir, Map<String, String> overrides) {
        return verdictRows.computeIfAbsent(dir + " " + new TreeMap<>(overrides), k -> {
            Map<String, Row> byRun = new TreeMap<>();
            for (Row r : views(dir, overrides).sql("SELECT * FROM verdicts").collectAsList())
                assertNull(byRun.put(r.getAs("run_id"), r), "one verdicts row per run: " + r);
            return byRun;
        });
    }

    static final Map<String, SparkSession> sessions = new HashMap<>();
    static final Map<String, Map<String, Row>> verdictRows = new HashMap<>();

    /** The verdicts row of the named special run. */
    static Row special(String name) {
        Row r = verdicts(special, Map.of()).get(runs.get(name).runId);
        assertTrue(r != null, "a verdicts row for " + name);
        return r;
    }

    static TrainSpec train(int steps, int batch, double lr, TrainSpec.DType dtype) {
        return new TrainSpec(steps, batch, TrainSpec.Optimizer.SGD, lr, "none", dtype);
    }

    static RunConfig rc(int depth, int width, String act, String init, TaskSpec task, TrainSpec train) {
        return new RunConfig(
                "special",
                depth,
                width,
                Activation.parse(act),
                Init.parse(init),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                task,
                train,
                1);
    }

    static void add(ResultTables out, String name, RunConfig rc) {
        add(out, name, rc, null);
    }

    /** @param data the task's rows for a table task (as the driver ships them), else null */
    static void add(ResultTables out, String name, RunConfig rc, TaskData data) {
        out.commit(RunExecutor.run(rc, data, out.layout(), 0, 1).files(), name);
        runs.put(name, rc);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static Row one(SparkSession s, String sql) {
        List<Row> r = s.sql(sql).collectAsList();
        assertEquals(1, r.size(), sql);
        return r.get(0);
    }

    static String verdict(String name) {
        return special(name).getAs("verdict");
    }

    @Test
    void sigmoidVanishesReluHeIsHealthyAndAxisEffectsSaysWhatFixesIt() {
        SparkSession spark = views(grid, Map.of());
        for (Row r : verdicts(grid, Map.of()).values()) {
            if (r.getAs("activation").equals("relu")) {
                assertEquals("healthy", r.getAs("verdict"), r.toString());
                assertTrue(r.isNullAt(r.fieldIndex("stall_layer")), "no starved layer in relu/he: " + r);
            } else {
                assertEquals("vanishing", r.getAs("verdict"), r.toString());
                assertTrue((double) r.getAs("log10_delta_in") < -6, "sigmoid delta at layer 0 vs output: " + r);
                assertTrue((double) r.getAs("slope_delta") > 0.2, "sigmoid decays per layer: " + r);
                assertTrue((int) r.getAs("stall_layer") >= 10, "the starved block reaches well above layer 0: " + r);
            }
        }
        // layer_profile: one row per run, step and layer (30 hidden + output), relative to the output layer
        assertEquals(
                4L * 60 * 31, one(spark, "SELECT count(*) FROM layer_profile").getLong(0));
        assertEquals(
                0,
                one(spark, "SELECT count(*) FROM layer_profile WHERE layer = 30 AND abs(delta_rel - 1) > 1e-12")
                        .getLong(0));
        // stall_layer, starved_layers and the starved set on rows derived by hand: VerdictRulesTest

        Map<String, Row> eff = new HashMap<>();
        for (Row r : spark.sql("SELECT * FROM axis_effects").collectAsList())
            eff.put(r.getAs("axis") + "=" + r.getAs("value"), r);
        assertEquals(2, eff.size(), "only activation varies: " + eff.keySet());
        Row relu = eff.get("activation=relu"), sigmoid = eff.get("activation=sigmoid");
        assertEquals(1.0, ((Number) relu.getAs("healthy")).doubleValue());
        assertEquals(1.0, ((Number) sigmoid.getAs("vanishing")).doubleValue());
        assertEquals(Boolean.TRUE, relu.getAs("held_fixed"));
        assertEquals(1L, (long) relu.getAs("fixes"));
        assertEquals(1L, (long) relu.getAs("broken_contexts"));
        assertEquals(0L, (long) sigmoid.getAs("fixes"));
        assertTrue((double) sigmoid.getAs("median_slope_delta") > (double) relu.getAs("median_slope_delta") + 0.2);
        assertEquals(2L, (long) relu.getAs("runs"));
    }

    @Test
    void everyVerdictOnARunBuiltForIt() {
        SparkSession spark = views(special, Map.of());
        assertEquals("exploding", verdict("exploding"));
        assertEquals("saturated", verdict("saturated"));
        assertEquals("dead", verdict("dead"));
        assertEquals("diverged", verdict("diverged"));
        // a constant target (loss baseline 0): whether the run learns is unknown, and a 3-layer relu/he net has none
        // of the gradient-flow pathologies: progress_unknown, not healthy
        Row c = special("constant");
        assertEquals("progress_unknown", c.getAs("verdict"), c.toString());
        assertEquals(0.0, (double) c.getAs("loss_baseline"), c.toString());
        assertTrue(
                ((String) c.getAs("reason"))
                        .startsWith("progress is unknown: the best constant predictor's loss is"
                                + " 0.00, so there is no gap to close"),
                c.toString());
        assertEquals("failed", verdict("failed"));
        // weight gradients flat at step 0, while delta and the forward signal decay: the verdict reads delta
        Row h = one(
                spark,
                "SELECT slope_w, slope_delta, slope_act FROM layer_profile WHERE step = 0 AND layer = 0 AND run_id = '"
                        + runs.get("hidden").runId + "'");
        assertTrue(Math.abs(h.getDouble(0)) < 0.1, "flat ||dW_l||: " + h);
        assertTrue(h.getDouble(1) > 0.25 && h.getDouble(2) < -0.25, "delta and activations shrink: " + h);
        // the activations shrink toward the output (slope_act above): a forward collapse beyond vanish_ratio. At
        // step 0, U[±1/√n] weights (σw² = 1/(3n)) and ReLU keep n σw² / 2 = 1/6 of the second moment per layer, so the
        // scale falls √6 per layer, 10^-19 over the 49 layers to the last hidden one; the median over 3 steps is far
        // less deep (the biases' first updates lift the deepest layers' scale), but below 10^-3.
        // Not dead, although dead units are tested first: a unit is dead when w·a ≤ 0 for all 16 examples, which for
        // one example alone has probability 1/2 (w is symmetric, a ≠ 0), so no layer's expected dead share exceeds
        // 1/2, and the first layers, on independent Gaussian inputs, have almost none: the mean is below 0.5.
        Row hr = special("hidden");
        assertTrue((double) hr.getAs("log10_act_out") < -3, hr.toString());
        assertTrue((double) hr.getAs("dead_frac") < 0.5, hr.toString());
        assertEquals("collapsed", hr.getAs("verdict"), hr.toString());
        // targets independent of the inputs (gauss task, 2048 samples, a 3 x 8 net): nothing to learn beyond the mean,
        // while gradients, activations and updates are those of a relu/he net
        Row u = special("unlearnable");
        assertEquals("not_learning", u.getAs("verdict"), u.toString());
        assertTrue((double) u.getAs("gap_closed") < 0.1, u.toString());
        assertEquals(
                "textbook", u.getAs("try_from"), "no other configuration in this directory shares its context: " + u);
        assertTrue(((String) u.getAs("try")).contains("targets depend on the inputs"), (String) u.getAs("try"));
        // the evidence stands beside the verdict
        Row e = special("exploding");
        assertTrue((double) e.getAs("log10_delta_in") > 3, e.toString());
    }

    @Test
    void aRunThatNeverMovesStallsAtStepZeroWithEveryLayerFrozen() {
        Map<String, String> window3 = Map.of("loss_window", "3");
        Row s = one(
                views(special, window3),
                "SELECT stall_step, frozen_layers, first_frozen_step, n_layers FROM stalls WHERE run_id = '"
                        + runs.get("still").runId + "'");
        assertEquals(0, s.getInt(0), "the loss never improved");
        assertEquals(s.getInt(3), (int) s.getLong(1), "every layer frozen");
        assertEquals(0, s.getInt(2));
        // nothing moves: the largest update ratio is exactly 0 (the verdict also depends on where the untrained net's
        // loss
        // happens to sit against the best constant predictor's; DiagnosisGridTest asserts frozen on a labelled run)
        Row v = verdicts(special, window3).get(runs.get("still").runId);
        assertEquals(0.0, (double) v.getAs("update_ratio_max"), String.valueOf(v));
    }

    @Test
    void theStoredLayerStallsAreTheRowsTheViewComputes() {
        // plain nets, and the special runs: NaN and infinite steps (diverged), a failure, exactly-zero updates (still)
        assertTrue(StoredStalls.assertMatchComputed(spark, grid.toString()) >= 4 * 31);
        assertTrue(StoredStalls.assertMatchComputed(spark, special.toString()) > 0);
    }

    @Test
    void aFrozenThresholdOtherThanTheStoredOneIsComputedFromTheSteps() {
        Map<String, String> zero = Map.of("frozen_update_ratio", "0");
        assertTrue(SqlViews.storedStallsAnswer(spark, special.toString(), AnalysisParams.resolve(Map.of())));
        assertFalse(SqlViews.storedStallsAnswer(spark, special.toString(), AnalysisParams.resolve(zero)));
        // the still run's update ratios are exactly 0: below 1e-4 (every layer frozen), never below 0
        String still = "SELECT frozen_layers FROM stalls WHERE run_id = '" + runs.get("still").runId + "'";
        assertEquals(0, one(views(special, zero), still).getLong(0));
        assertTrue(one(views(special, Map.of()), still).getLong(0) > 0);
    }

    @Test
    void thresholdsAreOverridableAndCheckedBeforeAnyQuery() {
        // with vanishing switched off, sigmoid is no longer judged vanishing: the override reaches the SQL
        assertEquals(
                0,
                one(
                                views(grid, Map.of("vanish_ratio", "1e-300", "gradsweep.frozen_update_ratio", "0")),
                                "SELECT count(*) FROM verdicts WHERE verdict = 'vanishing'")
                        .getLong(0));
        assertEquals(
                2,
                verdicts(grid, Map.of()).values().stream()
                        .filter(r -> r.getAs("verdict").equals("vanishing"))
                        .count());
        IllegalArgumentException bad =
                assertThrows(IllegalArgumentException.class, () -> AnalysisParams.resolve(Map.of("vanish", "1")));
        assertTrue(bad.getMessage().contains("gradsweep.vanish_ratio"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AnalysisParams.resolve(Map.of("loss_window", "2.5")));
        assertThrows(IllegalArgumentException.class, () -> AnalysisParams.resolve(Map.of("dead_frac", "x")));
        assertFalse(
                AnalysisParams.ALL.values().stream().anyMatch(p -> p.doc().isEmpty()), "every parameter documented");
    }

    @Test
    void theShippedSqlFilesRunOnTheirOwnAndAgreeWithRegister() {
        List<Row> viaRegister = new ArrayList<>();
        for (Row r : verdicts(grid, Map.of()).values()) // sorted by run_id
        viaRegister.add(RowFactory.create(r.getAs("run_id"), r.getAs("verdict"), r.getAs("stall_layer")));
        // what a spark-sql user runs in a fresh session: a catalog on the output directory (their --conf), parameters,
        // tables, the view files
        SparkSession spark = AnalysisViewsTest.spark.newSession();
        spark.conf().set("spark.sql.catalog.gs", "org.apache.iceberg.spark.SparkCatalog");
        spark.conf().set("spark.sql.catalog.gs.type", "hadoop");
        spark.conf().set("spark.sql.catalog.gs.warehouse", grid.toAbsolutePath().toString());
        spark.sql("SET gradsweep.tables=gs");
        for (String f : List.of(SqlScript.PARAMS_FILE, "01_tables.sql"))
            SqlScript.statements(SqlScript.resource(f)).forEach(spark::sql);
        for (String f : SqlScript.VIEW_FILES)
            SqlScript.statements(SqlScript.resource(f)).forEach(spark::sql);
        assertEquals(
                viaRegister,
                spark.sql("SELECT run_id, verdict, stall_layer FROM verdicts ORDER BY run_id")
                        .collectAsList());
        // the resources are the jobs/sql files themselves
        assertEquals(SqlScript.resource("30_verdicts.sql"), readJobs("30_verdicts.sql"));
    }

    /**
     * The stall step on hand-made loss curves (windows of 20 steps, 3 standard errors, 1 %): each answer is derived in
     * the comments from the window means and their standard errors, not read off the output.
     */
    @Test
    void stallStepIsWhereWindowMeansStopImprovingBeyondTheirNoise() {
        Random rnd = new Random(11);
        Map<String, double[]> curves = new HashMap<>();
        // descent 1 -> 0.6 over steps 0-99, then flat at 0.6, noise sigma 0.01, 300 steps. Window 4 (steps 80-99) has
        // mean 0.642, the later windows 0.600: 0.042 above, far beyond 3 x sqrt(se_4^2 + se_later^2) ~ 0.017 (se_4 ~
        // 0.0056 with the descent inside the window) and 1 % of 0.642. Windows 5-14 differ from their later mean by
        // noise only, sd ~ 0.0022 x sqrt(1 + 1/m): 3 standard errors is a 0.1 % event. So the plateau is found at step
        // 100, the first step of window 5; any answer within one window (80-120) of the true onset passes.
        double[] plateau = new double[300];
        for (int s = 0; s < 300; s++) plateau[s] = (s < 100 ? 1 - 0.004 * s : 0.6) + 0.01 * rnd.nextGaussian();
        curves.put("plateau", plateau);
        // a steady descent 1 - 0.002 s with the same noise: the last two windows differ by 0.04, the threshold is
        // 3 x sqrt(2) x se with se = sqrt(0.01^2 + (0.04 / sqrt(12))^2) / sqrt(20) ~ 0.0034, i.e. 0.014: still
        // improving at the end, no stall step
        double[] steady = new double[300];
        for (int s = 0; s < 300; s++) steady[s] = 1 - 0.002 * s + 0.01 * rnd.nextGaussian();
        curves.put("steady", steady);
        // pure noise around 0.5 (sigma 0.05): no window is 3 standard errors above the later windows' mean, so the
        // plateau starts at once (0); the old running-minimum test called this a late stall
        double[] noise = new double[300];
        for (int s = 0; s < 300; s++) noise[s] = 0.5 + 0.05 * rnd.nextGaussian();
        curves.put("noise", noise);
        // 30 steps: one full window and a partial one, too short to compare windows: null
        curves.put("short", java.util.Arrays.copyOf(steady, 30));
        SparkSession spark = AnalysisViewsTest.spark.newSession();
        registerHandMade(spark, curves);
        Map<String, Row> st = new HashMap<>();
        for (Row r : spark.sql("SELECT run_id, stall_step, plateau_loss, plateau_noise FROM stalls")
                .collectAsList()) st.put(r.getString(0), r);
        Row p = st.get("plateau");
        assertFalse(p.isNullAt(1), "plateau found: " + p);
        assertTrue(Math.abs(p.getInt(1) - 100) <= 20, "within one window of step 100: " + p);
        assertEquals(0.6, p.getDouble(2), 0.01, "the plateau's level: " + p);
        assertEquals(
                0.01 / Math.sqrt(20), p.getDouble(3), 0.001, "its noise is the standard error of a window mean: " + p);
        assertTrue(st.get("steady").isNullAt(1), "still improving: " + st.get("steady"));
        assertEquals(0, st.get("noise").getInt(1), "pure noise plateaus at once: " + st.get("noise"));
        assertTrue(st.get("short").isNullAt(1), st.get("short").toString());
    }

    /**
     * Hand-made runs (full runs schema, the named columns set) and steps rows with the given losses, no params, layers
     * or timesteps, registered as the five tables' views with the analysis views over them.
     */
    static void registerHandMade(SparkSession spark, Map<String, double[]> losses) {
        List<Row> runs = new ArrayList<>(), steps = new ArrayList<>();
        for (var e : losses.entrySet()) {
            double[] l = e.getValue();
            runs.add(VerdictRulesTest.runRow(VerdictRulesTest.run(
                    e.getKey(),
                    "depth",
                    2,
                    "width",
                    4,
                    "steps_done",
                    l.length,
                    "n_layers",
                    3,
                    "loss_first",
                    l[0],
                    "loss_last",
                    l[l.length - 1])));
            for (int s = 0; s < e.getValue().length; s++)
                steps.add(RowFactory.create(e.getKey(), s, e.getValue()[s], 1.0, 0.01, 0.1, 1.0, null));
        }
        spark.createDataFrame(runs, Schemas.sparkSchema(Table.RUNS)).createOrReplaceTempView(Table.RUNS.dir);
        spark.createDataFrame(steps, Schemas.sparkSchema(Table.STEPS)).createOrReplaceTempView(Table.STEPS.dir);
        for (Table t : new Table[] {Table.PARAMS, Table.LAYERS, Table.TIMESTEPS, Table.ATTENTION})
            spark.createDataFrame(List.of(), Schemas.sparkSchema(t)).createOrReplaceTempView(t.dir);
        SqlViews.registerAnalysis(spark, AnalysisParams.resolve(Map.of()));
    }

    @Test
    void cachedViewsAnswerWithTheCommitsMadeAfterTheirFirstUse() {
        Path dir = tmp.resolve("growing");
        ResultTables out = ResultTables.open(new OutputDir(dir.toString()));
        TaskSpec teacher =
                new TaskSpec(TaskSpec.Kind.TEACHER, 8, 1, 64, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TrainSpec t = train(4, 16, 0.01, TrainSpec.DType.FLOAT32);
        String count = "SELECT count(*) FROM verdicts";
        out.commit(
                RunExecutor.run(rc(3, 8, "tanh", "xavier", teacher, t), null, out.layout(), 0, 1)
                        .files(),
                "a");
        SparkSession first = spark.newSession();
        LiveViews live = new LiveViews(first, dir.toString(), Map.of());
        assertEquals(1L, live.sql(count).first().getLong(0));
        // the stored plans match the cached views' plans: the one pass over params and layers is shared
        assertTrue(first.catalog().isCached("layer_stalls") && first.catalog().isCached("verdict_evidence"));
        out.commit(
                RunExecutor.run(rc(3, 8, "relu", "he", teacher, t), null, out.layout(), 0, 1)
                        .files(),
                "b");
        assertEquals(2L, live.sql(count).first().getLong(0), "the shell's views follow the commits");
        // a registration in another session does not answer with the rows the first session cached
        out.commit(
                RunExecutor.run(rc(4, 8, "relu", "he", teacher, t), null, out.layout(), 0, 1)
                        .files(),
                "c");
        SparkSession second = spark.newSession();
        SqlViews.register(second, dir.toString());
        assertEquals(3L, second.sql(count).first().getLong(0));
        assertEquals(3L, live.sql(count).first().getLong(0));
        // a single query drops the caches and reads the same rows through the views' plans
        String all = "SELECT * FROM verdicts ORDER BY run_id";
        List<org.apache.spark.sql.Row> cached = second.sql(all).collectAsList();
        SqlViews.forOneQuery(second);
        assertTrue(
                !second.catalog().isCached("layer_stalls") && !second.catalog().isCached("verdict_evidence"));
        assertEquals(cached, second.sql(all).collectAsList());
    }

    static String readJobs(String f) {
        try {
            return Files.readString(Path.of("jobs/sql", f));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
