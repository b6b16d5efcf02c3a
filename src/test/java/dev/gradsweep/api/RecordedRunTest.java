package dev.gradsweep.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.cli.Main;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.sweep.Sessions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The handle's contract and the listener's rows as committed, read back with Spark SQL from real Iceberg files: a
 * ComputationGraph with a dense layer without bias, batch norm and an activation layer, fitted through an iterator for
 * two epochs, its statistics recomputed here from DL4J's own arrays with plain loops; a MultiLayerNetwork; a failed
 * run; a second writer refused; {@code gradsweep sql} over the output.
 */
class RecordedRunTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = Sessions.forQueries("local[1]", "RecordedRunTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static DataSet data(long seed, int n, int in, int out) {
        Nd4j.getRandom().setSeed(seed);
        return new DataSet(Nd4j.randn(DataType.DOUBLE, n, in), Nd4j.randn(DataType.DOUBLE, n, out));
    }

    static ComputationGraph graph() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(7)
                .dataType(DataType.DOUBLE)
                .updater(new Adam(0.01))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer(
                        "dense0",
                        new DenseLayer.Builder()
                                .nIn(4)
                                .nOut(5)
                                .activation(Activation.TANH)
                                .hasBias(false)
                                .build(),
                        "in")
                .addLayer("bn1", new BatchNormalization.Builder().nOut(5).build(), "dense0")
                .addLayer(
                        "act2",
                        new ActivationLayer.Builder()
                                .activation(Activation.RELU)
                                .build(),
                        "bn1")
                .addLayer(
                        "dense3",
                        new DenseLayer.Builder()
                                .nIn(5)
                                .nOut(4)
                                .activation(Activation.SIGMOID)
                                .build(),
                        "act2")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                                .nIn(4)
                                .nOut(2)
                                .activation(Activation.IDENTITY)
                                .build(),
                        "dense3")
                .setOutputs("out")
                .build());
        g.init();
        return g;
    }

    /**
     * The statistics by plain loops over DL4J's own arrays: "step param" → grad L2, mean |g|, max |g|, mean g (each
     * of the mean loss: DL4J's gradient ÷ batch), param L2 at the gradient, update L2; "step layer" → act mean, std.
     */
    static final class Recompute extends BaseTrainingListener {
        final Map<String, double[]> values = new HashMap<>();
        int step;

        @Override
        public void onForwardPass(Model m, Map<String, INDArray> acts) {
            for (String v : List.of("dense0", "bn1", "act2", "dense3")) {
                double[] a = acts.get(v).dup().data().asDouble();
                double s = 0, s2 = 0;
                for (double x : a) {
                    s += x;
                    s2 += x * x;
                }
                double mean = s / a.length;
                values.put(step + " " + v, new double[] {mean, Math.sqrt(s2 / a.length - mean * mean)});
            }
        }

        @Override
        public void onGradientCalculation(Model m) {
            int batch = m.batchSize();
            ComputationGraph g = (ComputationGraph) m;
            m.gradient().gradientForVariable().forEach((k, grad) -> {
                if (k.endsWith("_mean") || k.endsWith("_var") || k.endsWith("_log10stdev")) return;
                double[] x = grad.dup().data().asDouble();
                double s2 = 0, sa = 0, mx = 0, s = 0;
                for (double v : x) {
                    double u = v / batch;
                    s2 += u * u;
                    sa += Math.abs(u);
                    mx = Math.max(mx, Math.abs(u));
                    s += u;
                }
                String layer = k.substring(0, k.lastIndexOf('_')), param = k.substring(k.lastIndexOf('_') + 1);
                double[] p = g.getLayer(layer).getParam(param).dup().data().asDouble();
                double p2 = 0;
                for (double v : p) p2 += v * v;
                values.put(
                        step + " " + k,
                        new double[] {Math.sqrt(s2), sa / x.length, mx, s / x.length, Math.sqrt(p2), 0});
            });
        }

        @Override
        public void iterationDone(Model m, int iteration, int epoch) {
            m.gradient().gradientForVariable().forEach((k, upd) -> {
                double[] row = values.get(step + " " + k);
                if (row == null) return;
                double u2 = 0;
                for (double v : upd.dup().data().asDouble()) u2 += v * v;
                row[5] = Math.sqrt(u2);
            });
            step++;
        }
    }

    @Test
    void aGraphsRowsAreDl4jsNumbersAndEveryLayerSaysWhereItsDeltaComesFrom() throws Exception {
        Path out = tmp.resolve("graph");
        ComputationGraph g = graph();
        Recompute check = new Recompute();
        String id = Gradsweep.record(out, "cg", Map.of("lr", 0.01, "optimizer", "adam", "batch", 8), listener -> {
            g.setListeners(listener, check);
            g.fit(new ListDataSetIterator<>(data(1, 24, 4, 2).asList(), 8), 2);
        });
        SqlViews.registerTableViews(spark, out.toString());
        Row run = spark.sql("SELECT status, steps_done, engine, n_params, n_layers, lr, optimizer, batch, sweep, depth,"
                        + " skip, cell, error FROM runs WHERE run_id = '" + id + "'")
                .first();
        assertEquals("ok", run.getString(0), run.getString(12));
        assertEquals(6, run.getInt(1)); // 3 minibatches × 2 epochs
        assertEquals("listener", run.getString(2));
        assertEquals(g.numParams(), run.getLong(3));
        assertEquals(5, run.getInt(4));
        assertEquals(0.01, run.getDouble(5));
        assertEquals(List.of("adam", 8, "cg"), List.of(run.getString(6), run.getInt(7), run.getString(8)));
        assertTrue(run.isNullAt(9), "depth was not given");
        assertEquals(List.of("none", "none"), List.of(run.getString(10), run.getString(11)));

        List<Row> params = spark.sql("SELECT step, layer_name, param, grad_l2, grad_mean_abs, grad_max_abs, grad_mean,"
                        + " param_l2, update_l2 FROM params ORDER BY step, layer, param")
                .collectAsList();
        assertEquals(6 * 7, params.size(), "W of dense0; gamma, beta of bn1; W, b of dense3 and out");
        for (Row r : params) {
            double[] want = check.values.get(r.getInt(0) + " " + r.getString(1) + "_" + r.getString(2));
            for (int c = 0; c < 6; c++)
                assertEquals(want[c], r.getDouble(3 + c), 1e-12 * Math.abs(want[c]), r + " column " + c);
        }
        List<Row> layers = spark.sql("SELECT step, layer, layer_name, delta_from, act_mean, act_std FROM layers"
                        + " ORDER BY step, layer")
                .collectAsList();
        assertEquals(6 * 5, layers.size());
        Map<String, String> deltaFrom = Map.of(
                "dense0", "none: DenseLayer has no bias (b) or beta parameter",
                "bn1", "beta",
                "act2", "none: ActivationLayer has no parameters",
                "dense3", "b",
                "out", "b");
        for (Row r : layers) {
            assertEquals(deltaFrom.get(r.getString(2)), r.getString(3), r.toString());
            if (r.getString(2).equals("out")) {
                assertTrue(r.isNullAt(4) && r.isNullAt(5), "no activations of the output layer: " + r);
                continue;
            }
            double[] want = check.values.get(r.getInt(0) + " " + r.getString(2));
            assertEquals(want[0], r.getDouble(4), 1e-12 * Math.abs(want[1]), r.toString());
            assertEquals(want[1], r.getDouble(5), 1e-12 * want[1], r.toString());
        }
        // layer_stalls: a row per layer with parameters; dense0 has no δ, the others theirs relative to the output's
        List<Row> stalls = spark.sql("SELECT layer, log10_delta_rel FROM "
                        + spark.conf().get("gradsweep.tables") + ".layer_stalls ORDER BY layer")
                .collectAsList();
        assertEquals(List.of(0, 1, 3, 4), stalls.stream().map(r -> r.getInt(0)).toList());
        assertTrue(stalls.get(0).isNullAt(1));
        assertEquals(0.0, stalls.get(3).getDouble(1)); // the output layer is its own reference
        assertFalse(stalls.get(1).isNullAt(1));
    }

    static MultiLayerNetwork mln() {
        MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(3)
                .dataType(DataType.DOUBLE)
                .updater(new Adam(0.02))
                .list()
                .layer(new DenseLayer.Builder()
                        .nIn(3)
                        .nOut(4)
                        .activation(Activation.TANH)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(4)
                        .nOut(1)
                        .activation(Activation.IDENTITY)
                        .build())
                .build());
        n.init();
        return n;
    }

    @Test
    void handlesCommitOkOrFailedOneAfterTheOtherAndASecondWriterIsRefused() throws Exception {
        Path out = tmp.resolve("mln");
        MultiLayerNetwork n = mln();
        DataSet ds = data(2, 20, 3, 1);
        String ok;
        try (RecordedRun run = Gradsweep.record(out, "mln")) {
            BadInputException busy = assertThrows(BadInputException.class, () -> Gradsweep.record(out, "second"));
            assertTrue(busy.getMessage().contains("is being written"), busy.getMessage());
            n.addListeners(run.listener());
            for (int epoch = 0; epoch < 3; epoch++) n.fit(new ListDataSetIterator<>(ds.asList(), 10));
            n.fit(ds); // a single DataSet too
            ok = run.runId();
            assertEquals(7, run.stepsDone());
            // written but not committed: the files are there, no reader sees the run (a JVM dying now leaves orphans)
            try (var files = Files.list(out.resolve("steps/data"))) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith(ok)));
            }
            OutputDir dir = new OutputDir(out.toString());
            assertEquals(
                    Set.of(), ResultTables.committedRuns(dir, ResultTables.CatalogSpec.of(dir.location(), Map.of())));
        }
        n.fit(ds); // the listener is inert once its run is committed: no error, no rows
        String failed;
        try (RecordedRun run = Gradsweep.record(out, "mln-fails")) {
            MultiLayerNetwork m = mln();
            m.addListeners(run.listener());
            m.fit(ds);
            run.fail(new IllegalStateException("the loader broke"));
            failed = run.runId();
        }
        SqlViews.registerTableViews(spark, out.toString());
        Map<String, Row> runs = new HashMap<>();
        for (Row r : spark.sql("SELECT run_id, status, error, steps_done, n_layers FROM runs")
                .collectAsList()) runs.put(r.getString(0), r);
        assertEquals(2, runs.size());
        assertEquals("ok", runs.get(ok).getString(1));
        assertEquals(7, runs.get(ok).getInt(3));
        assertEquals(2, runs.get(ok).getInt(4));
        assertEquals("failed", runs.get(failed).getString(1));
        assertEquals("IllegalStateException: the loader broke", runs.get(failed).getString(2));
        assertEquals(1, runs.get(failed).getInt(3));
        Row counts = spark.sql("SELECT count(*), count(DISTINCT step), count(act_mean) FROM layers WHERE run_id = '"
                        + ok + "'")
                .first();
        assertEquals(
                List.of(14L, 7L, 7L),
                List.of(counts.getLong(0), counts.getLong(1), counts.getLong(2)),
                "a hidden and an output layer each step; activations of the hidden one only");

        // gradsweep sql reads the output unchanged (the analysis views too: docs/api.md, checked by hand; here the
        // tables, whose views alone take seconds, not the tens of seconds of registering the verdicts' on this machine)
        PrintStream stdout = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute(
                    "sql",
                    "--in",
                    out.toString(),
                    "--format",
                    "csv",
                    "-e",
                    "SELECT r.run_id, r.status, count(*) FROM runs r JOIN params p USING (run_id) GROUP BY 1, 2");
        } finally {
            System.setOut(stdout);
        }
        String csv = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, csv);
        assertTrue(csv.contains(ok + ",ok,28"), csv); // 7 steps × W, b of 2 layers
        assertTrue(csv.contains(failed + ",failed,4"), csv);
    }
}
