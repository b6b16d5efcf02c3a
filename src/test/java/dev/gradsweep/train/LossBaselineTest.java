package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.Net;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.factory.Nd4j;

/** The best constant predictor's loss, and the windowed loss columns of the runs table. */
class LossBaselineTest {
    static TaskSpec spec(TaskSpec.Kind kind, int inputs, int outputs, int samples) {
        TaskSpec.Objective o = kind == TaskSpec.Kind.SPIRALS || kind == TaskSpec.Kind.PARITY
                ? TaskSpec.Objective.CLASSIFICATION
                : TaskSpec.Objective.REGRESSION;
        return new TaskSpec(kind, inputs, outputs, samples, o, null, null, List.of());
    }

    /** Mean over output columns of the population variance, from all pairs: Var = Σ_i Σ_j (y_i − y_j)² / (2n²). */
    static double pairwiseVariance(double[] y, int n, int m) {
        double total = 0;
        for (int c = 0; c < m; c++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    double d = y[i * m + c] - y[j * m + c];
                    s += d * d;
                }
            total += s / (2.0 * n * n);
        }
        return total / m;
    }

    /** Entropy of the class counts of one-hot rows: ln n − Σ n_c ln n_c / n. */
    static double countEntropy(double[] y, int n, int m) {
        long[] counts = new long[m];
        for (int i = 0; i < n; i++) {
            int hot = -1;
            for (int c = 0; c < m; c++) if (y[i * m + c] == 1) hot = c;
            assertTrue(hot >= 0, "row " + i + " is one-hot");
            counts[hot]++;
        }
        double h = Math.log(n);
        for (long k : counts) if (k > 0) h -= k * Math.log(k) / n;
        return h;
    }

    static double independentBaseline(TaskData d) {
        return d.objective == TaskSpec.Objective.CLASSIFICATION
                ? countEntropy(d.y, d.n, d.outputs)
                : pairwiseVariance(d.y, d.n, d.outputs);
    }

    @ParameterizedTest
    @CsvSource({"TEACHER,5,3,96", "GAUSS,4,2,80", "SPIRALS,2,2,70", "PARITY,5,2,75"})
    void baselineOfEachGeneratedTaskMatchesAnIndependentComputation(
            TaskSpec.Kind kind, int inputs, int outputs, int samples) {
        for (long seed = 1; seed <= 3; seed++) {
            TaskData d = Tasks.generate(spec(kind, inputs, outputs, samples), seed);
            double expected = independentBaseline(d);
            assertTrue(expected > 0);
            assertEquals(expected, LossBaseline.of(d), 1e-12 * expected, kind + " seed " + seed);
        }
    }

    @Test
    void baselineOfTableShapedDataMatchesAnIndependentComputation() {
        // unbalanced three-class labels as TableLoader one-hot encodes them, and a one-column regression target
        int n = 50;
        double[] x = new double[n], cls = new double[n * 3], reg = new double[n];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian();
            cls[i * 3 + (i % 5 == 0 ? 0 : i % 5 < 3 ? 1 : 2)] = 1;
            reg[i] = 3 + 2 * r.nextGaussian();
        }
        TaskData c = new TaskData(n, 1, 3, TaskSpec.Objective.CLASSIFICATION, x, cls);
        TaskData g = new TaskData(n, 1, 1, TaskSpec.Objective.REGRESSION, x, reg);
        assertEquals(countEntropy(cls, n, 3), LossBaseline.of(c), 1e-12);
        assertEquals(pairwiseVariance(reg, n, 1), LossBaseline.of(g), 1e-12 * LossBaseline.of(g));
    }

    /**
     * A net whose output weights are 0 and whose output bias is the constant optimum (column means; the log of the
     * class prior, which softmax turns into the prior) reports, on a batch that is the whole training set, exactly the
     * baseline: this checks the baseline's normalization against DL4J's own loss (MSE over columns, mean over examples).
     */
    @ParameterizedTest
    @CsvSource({"TEACHER,5,3,96", "GAUSS,4,2,80", "SPIRALS,2,2,70", "PARITY,5,2,75"})
    void aConstantPredictorLosesExactlyTheBaseline(TaskSpec.Kind kind, int inputs, int outputs, int samples) {
        TaskSpec task = spec(kind, inputs, outputs, samples);
        var rc = TestNets.config(
                3,
                7,
                Activation.TANH,
                "xavier",
                "none",
                "n/a",
                "none",
                task,
                TestNets.train(1, samples, 0.1, "none", TrainSpec.DType.FLOAT64),
                4);
        TaskData d = Tasks.generate(task, rc.seed);
        double[] bias = new double[d.outputs];
        for (int c = 0; c < d.outputs; c++) {
            double mean = 0;
            for (int i = 0; i < d.n; i++) mean += d.y[i * d.outputs + c];
            mean /= d.n;
            bias[c] = d.objective == TaskSpec.Objective.CLASSIFICATION ? Math.log(mean) : mean;
        }
        Net net = NetworkFactory.build(rc);
        Layer out = net.graph().getLayer("output");
        out.getParam("W").assign(0);
        out.getParam("b")
                .assign(Nd4j.createFromArray(bias).reshape(out.getParam("b").shape()));
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = new RunOutcome();
        new TrainLoop(net, rc, d, rec, true, o).step();
        double baseline = independentBaseline(d);
        assertEquals(baseline, o.lossBaseline, 1e-12 * baseline, "recorded baseline");
        assertEquals(baseline, rec.steps.get(0).loss(), 1e-12 * baseline, "DL4J's loss of the constant predictor");
        assertEquals(0, o.gapClosed(), 1e-12, "a constant predictor closes none of the gap");
    }

    /** Window means against the losses recomputed here, for short, long and diverged runs. */
    @Test
    void lossFirstAndLastAreMeansOfTheFirstAndLastWindowOfFiniteLosses() {
        java.util.Random r = new java.util.Random(3);
        for (int steps : new int[] {1, 2, 9, 19, 20, 37, 100, 199, 200, 201, 257, 1000}) {
            for (boolean diverged : new boolean[] {false, true}) {
                RunOutcome o = new RunOutcome();
                o.lossBaseline = 2;
                List<Double> finite = new ArrayList<>();
                for (int s = 0; s < steps; s++) {
                    double loss = 1 + r.nextDouble() + 1.0 / (s + 1);
                    finite.add(loss);
                    o.addLoss(loss);
                }
                if (diverged) o.addLoss(Double.NaN); // the diverged step's loss
                if (diverged) o.addLoss(Double.POSITIVE_INFINITY);
                int n = finite.size(), w = Math.max(1, Math.min(20, n / 10));
                String what = steps + " steps" + (diverged ? ", diverged" : "");
                assertEquals(w, o.lossWindow, what);
                double first = finite.subList(0, w).stream()
                        .mapToDouble(Double::doubleValue)
                        .average()
                        .orElseThrow();
                double last = finite.subList(n - w, n).stream()
                        .mapToDouble(Double::doubleValue)
                        .average()
                        .orElseThrow();
                assertEquals(first, o.lossFirst, 1e-14, what);
                assertEquals(last, o.lossLast, 1e-14, what);
                assertEquals(
                        finite.stream().mapToDouble(Double::doubleValue).min().orElseThrow(), o.lossBest, 0.0, what);
                assertEquals(1 - last / 2, o.gapClosed(), 1e-14, what);
                if (n >= 2) assertTrue(2 * w <= n, what + ": the windows do not overlap");
            }
        }
        RunOutcome none = new RunOutcome();
        none.lossBaseline = 1;
        none.addLoss(Double.NaN);
        assertEquals(0, none.lossWindow);
        assertTrue(Double.isNaN(none.lossFirst) && Double.isNaN(none.lossLast) && Double.isNaN(none.gapClosed()));
        RunOutcome flat = new RunOutcome();
        flat.lossBaseline = 0; // constant targets: no gap to close
        flat.addLoss(0.5);
        assertTrue(Double.isNaN(flat.gapClosed()));
    }
}
