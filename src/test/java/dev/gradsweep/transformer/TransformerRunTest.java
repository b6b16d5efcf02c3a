package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.transformer.task.TokenTask;
import dev.gradsweep.transformer.task.TokenTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop's conventions on a tiny transformer, float64, without Spark. */
class TransformerRunTest {
    static RunConfig run(String task, String train) {
        return run(task, train, "layer");
    }

    static RunConfig run(String task, String train, String norm) {
        String yaml = String.join(
                "\n",
                "name: t",
                "task: " + task,
                "train: " + train,
                "axes:",
                "  arch: [transformer]",
                "  depth: [2]",
                "  width: [8]",
                "  heads: [2]",
                "  seq_len: [5]",
                "  activation: [gelu]",
                "  init: [xavier]",
                "  norm: [" + norm + "]",
                "  placement: [pre]",
                "  skip: [residual]",
                "");
        return GridSpec.parse(yaml, "t.yaml").expand().get(0);
    }

    /**
     * The layers rows' stream RMS, √(act_mean² + act_std²) from the recorder's reduction of a copy of the stream,
     * equals the engine's own RMS of the tap (a device sum of squares), and act_grad_l2 its δ, every step.
     */
    @Test
    void layersRowsAreTheEnginesTaps() {
        RunConfig rc =
                run("{kind: reverse, vocab: 5}", "{steps: 3, batch: 3, optimizer: adam, lr: 0.01, dtype: float64}");
        TokenTask task = TokenTasks.of(rc);
        TransformerTrainer t =
                new TransformerTrainer(TransformerRun.spec(rc, task), task, rc.train, TrainingMemory.forBackend());
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome out = new RunOutcome();
        for (int step = 0; t.hasNext(); step++) {
            t.step(rec, out);
            List<TransformerNet.Tap> taps = t.net().taps();
            List<MemoryRecorder.LayerRow> rows = rec.layers.subList(rec.layers.size() - taps.size(), rec.layers.size());
            for (int i = 0; i < taps.size(); i++) {
                MemoryRecorder.LayerRow r = rows.get(i);
                TransformerNet.Tap tap = taps.get(i);
                assertEquals(step, r.step());
                assertEquals(List.of(tap.layer(), tap.name()), List.of(r.layer(), r.name()));
                assertEquals(tap.rms(), Math.hypot(r.mean(), r.std()), 1e-12 * tap.rms(), tap.name());
                assertEquals(tap.deltaL2(), r.outGradL2(), 0.0, tap.name());
            }
        }
        assertEquals(
                List.of("embed", "attn", "block", "attn", "block"),
                rec.layers.subList(0, 5).stream()
                        .map(MemoryRecorder.LayerRow::kind)
                        .toList());
        assertEquals(3 * 2 * 2, rec.attention.size(), "steps × blocks × heads");
    }

    /** SGD with norm clipping at c: every update is lr · c (the gradient is far above c), at the warmup's lr. */
    @Test
    void normClippingAndWarmupShapeTheUpdate() {
        RunConfig rc = run(
                "{kind: reverse, vocab: 5}",
                "{steps: 4, batch: 3, optimizer: sgd, lr: 0.1, clip: 'norm:1e-3', warmup: 2, dtype: float64}");
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = TransformerRun.train(rc, rec);
        assertEquals(RunOutcome.Status.OK, o.status, o.error);
        double[] lr = {0.05, 0.1, 0.1, 0.1}; // linear warmup over 2 steps: lr·(s+1)/2
        for (MemoryRecorder.StepRow s : rec.steps) {
            assertTrue(s.gradL2Total() > 1e-2, "the gradient is clipped: " + s.gradL2Total());
            assertEquals(lr[s.step()], s.lr(), 1e-15);
            assertEquals(lr[s.step()] * 1e-3, s.updateL2Total(), 1e-12 * lr[s.step()] * 1e-3);
        }
    }

    /** A run whose parameters overflow stops diverged at its first non-finite step, which is recorded unapplied. */
    @Test
    void aNonFiniteStepEndsTheRunDiverged() {
        // no norm, SGD at lr 100: the weights grow by orders of magnitude per step until the float32 logits overflow
        RunConfig rc = run("{kind: reverse, vocab: 5}", "{steps: 50, batch: 3, optimizer: sgd, lr: 100}", "none");
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = TransformerRun.train(rc, rec);
        assertEquals(RunOutcome.Status.DIVERGED, o.status, "steps " + o.stepsDone + ", loss " + o.lossLast);
        int last = o.stepsDone - 1;
        assertTrue(o.error.endsWith("at step " + last), o.error);
        assertEquals(o.stepsDone, rec.steps.size());
        assertTrue(Double.isNaN(rec.steps.get(last).updateL2Total()), "its update is not applied");
        assertTrue(rec.params.stream().filter(p -> p.step() == last).allMatch(p -> Double.isNaN(p.updateL2())));
        assertEquals(Math.log(5), o.lossBaseline, 1e-15);
    }

    @Test
    void aRunThatCannotStartIsFailedWithTheReason(@TempDir Path tmp) throws Exception {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "abcabcabcabc");
        RunConfig rc = run("{kind: text, path: '" + text + "'}", "{steps: 2, batch: 2}");
        Files.delete(text); // after the grid's check: the executor cannot read it
        RunOutcome o = TransformerRun.train(rc, new MemoryRecorder());
        assertEquals(RunOutcome.Status.FAILED, o.status);
        assertTrue(o.error.contains(text.toString()), o.error);
    }
}
