package dev.gradsweep.repro;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import java.util.function.IntToDoubleFunction;

/** Small seeded runs of the reference grids, recorded in memory, and the fits the reproduction tests use. */
final class Repro {
    private Repro() {}

    record Run(RunConfig rc, TaskData data, RunOutcome out, MemoryRecorder rec) {}

    /** A run on the teacher task with inputs = width, 512 samples, plain SGD. */
    static Run run(
            int depth,
            int width,
            String act,
            String init,
            String norm,
            String placement,
            String skip,
            int steps,
            int batch,
            double lr,
            TrainSpec.DType dtype,
            long seed) {
        return run(
                depth,
                width,
                act,
                init,
                norm,
                placement,
                skip,
                TestNets.regression(TaskSpec.Kind.TEACHER, width, 1, 512),
                TestNets.train(steps, batch, lr, "none", dtype),
                seed);
    }

    static Run run(
            int depth,
            int width,
            String act,
            String init,
            String norm,
            String placement,
            String skip,
            TaskSpec task,
            TrainSpec train,
            long seed) {
        RunConfig rc =
                TestNets.config(depth, width, Activation.parse(act), init, norm, placement, skip, task, train, seed);
        TaskData data = Tasks.generate(task, seed);
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = Trainer.train(rc, data, rec, true);
        assertEquals(RunOutcome.Status.OK, o.status, rc + ": " + o.error);
        return new Run(rc, data, o, rec);
    }

    /** Least-squares slope of y(l) over l = from … to−1. */
    static double slope(int from, int to, IntToDoubleFunction y) {
        double n = to - from, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int l = from; l < to; l++) {
            double v = y.applyAsDouble(l);
            sx += l;
            sy += v;
            sxx += (double) l * l;
            sxy += l * v;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** Mean training loss over the last {@code k} recorded steps. */
    static double tailLoss(MemoryRecorder rec, int k) {
        int n = rec.steps.size();
        return rec.steps.subList(n - k, n).stream()
                .mapToDouble(MemoryRecorder.StepRow::loss)
                .average()
                .orElseThrow();
    }

    /** Mean squared error of the best constant prediction (the targets' mean) over the whole data set: the loss of a net that ignores its input. */
    static double meanLevelLoss(TaskData d) {
        double mean = 0, sq = 0;
        for (double v : d.y) mean += v;
        mean /= d.y.length;
        for (double v : d.y) sq += (v - mean) * (v - mean);
        return sq / d.y.length;
    }
}
