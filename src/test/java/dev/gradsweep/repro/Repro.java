package dev.gradsweep.repro;

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

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Small seeded runs of the reference grids, recorded in memory, and the fits the reproduction tests use. */
final class Repro {
    private Repro() {
    }

    record Run(RunConfig rc, RunOutcome out, MemoryRecorder rec) {}

    static Run run(int depth, int width, String act, String init, String norm, String placement, String skip,
                   int steps, int batch, double lr, TrainSpec.DType dtype, long seed) {
        TaskSpec task = TestNets.regression(TaskSpec.Kind.TEACHER, width, 1, 512);
        TrainSpec train = TestNets.train(steps, batch, lr, "none", dtype);
        RunConfig rc = TestNets.config(depth, width, Activation.parse(act), init, norm, placement, skip, task, train, seed);
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = Trainer.train(rc, Tasks.generate(task, seed), rec, true);
        assertEquals(RunOutcome.Status.OK, o.status, rc + ": " + o.error);
        return new Run(rc, o, rec);
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
        return rec.steps.subList(n - k, n).stream().mapToDouble(MemoryRecorder.StepRow::loss).average().orElseThrow();
    }
}
