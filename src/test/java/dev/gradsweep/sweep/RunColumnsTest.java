package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.data.TableLoader;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.train.LossBaseline;
import dev.gradsweep.train.RunOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runs table's loss columns and a diverged step's update statistics, written to Parquet and read back by Spark. */
class RunColumnsTest {
    static final int STEPS = 30;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SweepLocalTest.spark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static RunConfig run(String init, double lr, int warmup, long seed, TaskSpec task) {
        return new RunConfig(
                "cols",
                3,
                6,
                Activation.RELU,
                Init.parse(init),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                task,
                new TrainSpec(
                        STEPS,
                        8,
                        TrainSpec.Optimizer.SGD,
                        lr,
                        "none",
                        TrainSpec.DType.FLOAT64,
                        warmup,
                        TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS),
                seed);
    }

    static void views(Path dir) {
        SqlViews.registerTableViews(spark, dir.toString());
    }

    static long count(String q) {
        return spark.sql(q).collectAsList().get(0).getLong(0);
    }

    /**
     * One run trains, one diverges after some updates (lr 1e200), one at its first step (weights 1e300), through the
     * stacked engine and one by one through DL4J: in both, the diverged step's update_l2, update_ratio and
     * update_l2_total are NULL (its update was not applied), every earlier step's are not, and the loss columns
     * follow from the steps table.
     */
    @Test
    void divergedStepHasNoUpdateStatisticsAndLossColumnsFollowFromTheSteps(@TempDir Path tmp) {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.TEACHER, 5, 2, 64, TaskSpec.Objective.REGRESSION, null, null, List.of());
        List<RunConfig> runs = List.of(
                run("xavier", 0.05, 0, 1, task),
                run("xavier", 1e200, 3, 2, task),
                run("constant:1e300", 0.1, 0, 3, task));
        Path stacked = tmp.resolve("stacked"), single = tmp.resolve("single");
        ResultTables st = ResultTables.open(new OutputDir(stacked.toString())),
                si = ResultTables.open(new OutputDir(single.toString()));
        RunExecutor.Result sr = RunExecutor.runStack(runs, null, st.layout(), 0, 1);
        st.commit(sr.files(), "stack");
        List<RunResult> rs = sr.runs();
        for (RunConfig rc : runs)
            si.commit(RunExecutor.run(rc, null, si.layout(), 0, 1).files(), rc.runId);
        assertEquals(
                List.of("ok", "diverged", "diverged"),
                rs.stream().map(RunResult::status).toList());
        assertTrue(rs.get(1).stepsDone() >= 2, "the test needs a run that diverges after an update");
        Map<String, Row> stackedRuns = new HashMap<>();
        for (Path dir : List.of(stacked, single)) {
            views(dir);
            String engine = dir == stacked ? "stacked:3" : "dl4j";
            assertEquals(3, count("SELECT count(*) FROM runs WHERE engine = '" + engine + "'"));
            String last =
                    "FROM params p JOIN runs r USING (run_id) WHERE r.status = 'diverged' AND p.step = r.steps_done - 1";
            assertTrue(count("SELECT count(*) " + last) > 0, engine);
            assertEquals(
                    0,
                    count("SELECT count(*) " + last + " AND (p.update_l2 IS NOT NULL OR p.update_ratio IS NOT NULL)"),
                    engine);
            assertEquals(
                    0,
                    count("SELECT count(*) FROM steps s JOIN runs r USING (run_id) WHERE r.status = 'diverged' "
                            + "AND s.step = r.steps_done - 1 AND s.update_l2_total IS NOT NULL"),
                    engine);
            // before it, every update was applied: only biases that start at 0 have no ratio, at step 0
            String before =
                    "FROM params p JOIN runs r USING (run_id) WHERE (p.step < r.steps_done - 1 OR r.status = 'ok')";
            assertTrue(count("SELECT count(*) " + before) > 0, engine);
            assertEquals(
                    0,
                    count("SELECT count(*) " + before
                            + " AND (p.update_l2 IS NULL OR (p.update_ratio IS NULL AND p.param_l2 > 0))"),
                    engine);
            assertEquals(
                    0,
                    count(
                            "SELECT count(*) FROM steps s JOIN runs r USING (run_id) WHERE (s.step < r.steps_done - 1 OR r.status = 'ok') "
                                    + "AND s.update_l2_total IS NULL"),
                    engine);

            Map<String, List<Double>> finite = new HashMap<>();
            for (Row s : spark.sql("SELECT run_id, loss FROM steps ORDER BY run_id, step")
                    .collectAsList())
                if (Double.isFinite(s.getDouble(1)))
                    finite.computeIfAbsent(s.getString(0), k -> new ArrayList<>())
                            .add(s.getDouble(1));
            for (Row r : spark.sql(
                            "SELECT run_id, seed, loss_first, loss_last, loss_best, loss_window, loss_baseline, gap_closed, status FROM runs")
                    .collectAsList()) {
                String id = r.getString(0), what = engine + " run " + id + " (" + r.getString(8) + ")";
                double baseline = LossBaseline.of(Tasks.generate(task, r.getLong(1)));
                assertEquals(baseline, r.getDouble(6), 0.0, what + " loss_baseline");
                List<Double> f = finite.getOrDefault(id, List.of());
                if (f.isEmpty()) {
                    for (int c = 2; c <= 5; c++)
                        assertTrue(r.isNullAt(c), what + ": no finite loss, column " + c + " is null");
                    assertTrue(r.isNullAt(7), what + " gap_closed");
                    continue;
                }
                int w = r.getInt(5);
                assertEquals(
                        Math.max(1, Math.min(RunOutcome.MAX_LOSS_WINDOW, f.size() / 10)), w, what + " loss_window");
                double first = f.subList(0, w).stream()
                        .mapToDouble(Double::doubleValue)
                        .average()
                        .orElseThrow();
                double lastMean = f.subList(f.size() - w, f.size()).stream()
                        .mapToDouble(Double::doubleValue)
                        .average()
                        .orElseThrow();
                assertEquals(first, r.getDouble(2), 1e-12 * first, what + " loss_first");
                assertEquals(lastMean, r.getDouble(3), 1e-12 * lastMean, what + " loss_last");
                assertEquals(
                        f.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                        r.getDouble(4),
                        0.0,
                        what + " loss_best");
                assertEquals(1 - lastMean / baseline, r.getDouble(7), 1e-12, what + " gap_closed");
                if (dir == stacked) stackedRuns.put(id, r);
                else
                    for (int c = 2; c <= 7; c++)
                        assertEquals(
                                ((Number) stackedRuns.get(id).get(c)).doubleValue(),
                                ((Number) r.get(c)).doubleValue(),
                                1e-10 * Math.abs(((Number) r.get(c)).doubleValue()),
                                what + " stacked vs dl4j, column " + c);
            }
            assertTrue(
                    count("SELECT count(*) FROM runs WHERE status = 'ok' AND loss_window = 3 AND gap_closed > 0") == 1,
                    engine + ": the run that trains has 30 finite losses (W = 3) and beats the constant predictor");
        }
    }

    /** A table task's baseline, from the values written into the CSV (TableLoader one-hot encodes the classes). */
    @Test
    void tableTaskBaselineMatchesTheFileValues(@TempDir Path tmp) throws Exception {
        Random r = new Random(11);
        int n = 60;
        int[] labels = new int[n];
        double[] target = new double[n];
        StringBuilder csv = new StringBuilder("a,b,y,t\n");
        for (int i = 0; i < n; i++) {
            double a = r.nextGaussian(), b = r.nextGaussian();
            labels[i] = a > 0.8 ? 2 : a > -0.3 ? 1 : 0; // unbalanced classes
            target[i] = 5 + a - 2 * b + 0.3 * r.nextGaussian();
            csv.append(a)
                    .append(',')
                    .append(b)
                    .append(',')
                    .append(labels[i])
                    .append(',')
                    .append(target[i])
                    .append('\n');
        }
        Path file = tmp.resolve("d.csv");
        Files.writeString(file, csv.toString());
        TaskData cls = TableLoader.load(
                spark,
                new TaskSpec(
                        TaskSpec.Kind.TABLE,
                        0,
                        0,
                        0,
                        TaskSpec.Objective.CLASSIFICATION,
                        file.toString(),
                        "y",
                        List.of("a", "b")),
                "test.yaml");
        TaskData reg = TableLoader.load(
                spark,
                new TaskSpec(
                        TaskSpec.Kind.TABLE,
                        0,
                        0,
                        0,
                        TaskSpec.Objective.REGRESSION,
                        file.toString(),
                        "t",
                        List.of("a", "b")),
                "test.yaml");
        int[] counts = new int[3];
        for (int l : labels) counts[l]++;
        double entropy = 0;
        for (int c : counts) {
            assertFalse(c == 0);
            entropy -= (double) c / n * Math.log((double) c / n);
        }
        double sumSq = 0, sum = 0;
        for (double t : target) {
            sum += t;
            sumSq += t * t;
        }
        double variance = sumSq / n - (sum / n) * (sum / n);
        assertEquals(entropy, LossBaseline.of(cls), 1e-12, "classification: entropy of the class prior");
        assertEquals(variance, LossBaseline.of(reg), 1e-10 * variance, "regression: variance of the target");
    }
}
