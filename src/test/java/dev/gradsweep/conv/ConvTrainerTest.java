package dev.gradsweep.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvRun} end to end on the bars task without a sweep: the rows every step records (a params row per array, a
 * layers row per stem, unit and head, δ never missing), δ's definitions (a plain unit's is its β gradient, the head's
 * its bias gradient, as layer_stalls reads them), the response std a batch norm fixes at 1, and a loss that falls.
 */
public class ConvTrainerTest {
    /** A conv run on 1 × 8 × 8 bars (256 samples), width 4, batch 16, Adam, float32. */
    public static RunConfig run(Norm norm, Skip skip, int depth, int steps, double lr) {
        TaskSpec task = TaskSpec.image(TaskSpec.Kind.BARS, 1, 8, TaskSpec.BARS_CLASSES, 256);
        TrainSpec train = new TrainSpec(steps, 16, TrainSpec.Optimizer.ADAM, lr, "none", TrainSpec.DType.FLOAT32);
        return new RunConfig(
                "t",
                depth,
                4,
                Activation.RELU,
                Init.parse("he"),
                norm,
                Placement.POST,
                skip,
                Cell.NONE,
                0,
                null,
                Arch.CONV,
                0,
                null,
                task,
                train,
                1,
                null);
    }

    @Test
    void aPlainBatchNormNetRecordsEveryRowAndLearns() {
        RunConfig rc = run(Norm.BATCH, Skip.NONE, 3, 30, 0.01);
        TaskData data = Tasks.generate(rc.task, rc.seed);
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome out = ConvRun.train(rc, data, rec);
        assertEquals(RunOutcome.Status.OK, out.status, out.error);
        assertEquals(4, out.nLayers);
        assertEquals(30, rec.steps.size());
        int arrays = rec.params.size() / 30, rows = rec.layers.size() / 30;
        assertEquals(1 + 3 + 1, rows, "stem, 3 units, head");
        for (MemoryRecorder.LayerRow l : rec.layers) {
            assertTrue(Double.isFinite(l.outGradL2()) && l.outGradL2() > 0, "δ of " + l.name());
            assertEquals(l.name().equals("head"), Double.isNaN(l.responseStd()), "response of " + l.name());
        }
        for (int u = 0; u < 3; u++) {
            String name = "conv" + u;
            assertEquals(
                    rec.param(5, name + ".bn", "beta").gradL2(),
                    rec.layer(5, name).outGradL2(),
                    1e-6,
                    name);
            // batch norm's output at γ = 1, β = 0: unit variance per channel, up to ε / (σ² + ε)
            assertEquals(1.0, rec.layer(0, name).responseStd(), 1e-3, name + " response at init");
        }
        assertEquals(rec.param(5, "head", "b").gradL2(), rec.layer(5, "head").outGradL2(), 1e-6);
        assertTrue(arrays >= 3 * 3 + 3, "arrays: " + arrays);
        double first = rec.steps.get(0).loss(), last = rec.steps.get(29).loss();
        assertTrue(last < 0.7 * first, "loss " + first + " → " + last);
    }

    @Test
    void blockNetsRecordTheBlockOutputGradient() {
        for (Skip skip : new Skip[] {Skip.RESIDUAL, Skip.REZERO, Skip.FIXUP}) {
            RunConfig rc = run(Norm.NONE, skip, 3, 3, 0.01);
            MemoryRecorder rec = new MemoryRecorder();
            RunOutcome out = ConvRun.train(rc, Tasks.generate(rc.task, rc.seed), rec);
            assertEquals(RunOutcome.Status.OK, out.status, out.error);
            for (MemoryRecorder.LayerRow l : rec.layers) {
                // Fixup's zero head passes no gradient down at step 0: δ is 0 there, and recorded
                boolean moving = l.step() > 0 || skip != Skip.FIXUP || l.name().equals("head");
                assertTrue(
                        Double.isFinite(l.outGradL2()) && (l.outGradL2() > 0 || !moving), skip + " δ of " + l.name());
                if (l.kind().equals("block")) assertTrue(l.name().startsWith("block"), l.name());
            }
        }
    }
}
