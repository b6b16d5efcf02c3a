package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.stats.Segment;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** train.clip and train.warmup act on the recorded update (plain SGD: update = lr · clipped mean gradient). */
class ClipWarmupTest {
    static MemoryRecorder train(String clip, int warmup, String norm) {
        TaskSpec task = TestNets.regression(TaskSpec.Kind.TEACHER, 8, 1, 128);
        TrainSpec t = new TrainSpec(6, 16, TrainSpec.Optimizer.SGD, 0.1, clip, TrainSpec.DType.FLOAT64, warmup, -2);
        RunConfig rc = TestNets.config(3, 8, Activation.TANH, "he", norm, "n/a", "none", task, t, 3);
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = Trainer.train(rc, Tasks.generate(task, 3), rec, true);
        assertEquals(RunOutcome.Status.OK, o.status, o.error);
        return rec;
    }

    @Test
    void normClipScalesTheUpdateToLrTimesC() {
        for (String norm : List.of("none", "batch")) {
            for (MemoryRecorder.StepRow s : train("norm:0.01", 0, norm).steps) {
                assertTrue(s.gradL2Total() > 0.01, "the test needs gradients above the clip norm");
                assertEquals(0.1 * 0.01, s.updateL2Total(), 1e-12, norm + " step " + s.step());
            }
            for (MemoryRecorder.StepRow s : train("none", 0, norm).steps)
                assertEquals(
                        0.1 * s.gradL2Total(), s.updateL2Total(), 1e-12 * s.gradL2Total(), norm + " step " + s.step());
        }
    }

    @Test
    void valueClipBoundsEveryElement() {
        var g = Nd4j.createFromArray(new double[] {-5, -0.5, 0, 0.5, 5}).reshape(1, 5);
        var seg = new Segment[] {new Segment(0, "d", "W", 0, 5, true)};
        TrainLoop.Clip.parse("value:0.25", TrainLoop.gradientViews(seg, g))
                .apply(Double.NaN, 2); // batch 2: bound 0.5 on the sum
        assertEquals(
                List.of(-0.5, -0.5, 0.0, 0.5, 0.5),
                java.util.Arrays.stream(g.toDoubleVector()).boxed().toList());
        for (MemoryRecorder.ParamRow p : train("value:0.001", 0, "none").params)
            assertTrue(p.updateL2() <= 0.1 * 0.001 * Math.sqrt(p.size()) * (1 + 1e-12), p.toString());
    }

    @Test
    void runningStatisticsAreNotClippedOrCounted() {
        var g = Nd4j.createFromArray(new double[] {3, 4, 100, 100}).reshape(1, 4);
        var segs = new Segment[] {new Segment(0, "bn", "gamma", 0, 2, true), new Segment(0, "bn", "mean", 2, 2, false)};
        TrainLoop.Clip c = TrainLoop.Clip.parse("norm:1", TrainLoop.gradientViews(segs, g));
        assertEquals(5, c.norm(), 1e-12);
        c.apply(5, 1);
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                new double[] {0.6, 0.8, 100, 100}, g.toDoubleVector(), 1e-12);
    }

    @Test
    void warmupRampsTheRecordedLearningRate() {
        MemoryRecorder rec = train("none", 4, "none");
        for (MemoryRecorder.StepRow s : rec.steps) {
            double lr = 0.1 * Math.min(1, (s.step() + 1) / 4.0);
            assertEquals(lr, s.lr(), 1e-15);
            assertEquals(lr * s.gradL2Total(), s.updateL2Total(), 1e-12 * s.gradL2Total(), "step " + s.step());
        }
    }
}
