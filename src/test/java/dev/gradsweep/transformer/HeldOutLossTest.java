package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.transformer.task.TokenBatch;
import dev.gradsweep.transformer.task.TokenTask;
import dev.gradsweep.transformer.task.TokenTasks;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * modadd's held-out loss: recorded at the steps task.eval_every names, and equal to one forward pass of a second net
 * over the whole held-out set at once (no chunks, no padding) with the parameters the step starts from.
 */
class HeldOutLossTest {
    /** p = 5, a 0.4 split: 10 pairs trained on, 15 held out, evaluated in chunks of 4 (the last padded with 1). */
    static RunConfig modadd(String evalEvery) {
        String yaml = String.join(
                "\n",
                "name: t",
                "task: {kind: modadd, p: 5, train_fraction: 0.4" + evalEvery + "}",
                "train: {steps: 5, batch: 4, optimizer: adam, lr: 0.05, dtype: float64}",
                "axes:",
                "  arch: [transformer]",
                "  depth: [2]",
                "  width: [8]",
                "  heads: [2]",
                "  activation: [gelu]",
                "  init: [xavier]",
                "  norm: [layer]",
                "  placement: [pre]",
                "  skip: [residual]",
                "");
        return GridSpec.parse(yaml, "t.yaml").expand().get(0);
    }

    @Test
    void theHeldOutLossIsTheWholeSetsLossAtTheStepsEvalEveryNames() {
        RunConfig rc = modadd(", eval_every: 2");
        TokenTask task = TokenTasks.of(rc);
        TransformerSpec spec = TransformerRun.spec(rc, task);
        TransformerTrainer trainer = new TransformerTrainer(spec, task, rc.train, TrainingMemory.forBackend());
        TokenBatch held = task.heldOut();
        assertEquals(15, held.batch);
        TransformerNet whole = new TransformerNet(spec, held.batch, TrainingMemory.forBackend());
        int[] targets = new int[held.tokens.length];
        for (int i = 0; i < targets.length; i++) targets[i] = held.mask[i] ? held.targets[i] : -1;
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome out = new RunOutcome();
        double[] expected = new double[5];
        for (int step = 0; step < 5; step++) {
            whole.params().assign(trainer.net().params()); // the parameters this step starts from
            whole.setBatch(held.tokens, targets);
            expected[step] = whole.loss();
            trainer.step(rec, out);
        }
        assertEquals(Set.of(0, 2, 4), rec.heldOut.keySet(), "steps 0, 2, 4: multiples of 2, and the last");
        for (int step : rec.heldOut.keySet())
            assertEquals(expected[step], rec.heldOut.get(step), 1e-12 * expected[step], "step " + step);
        assertNotEquals(expected[0], expected[4], "the parameters changed between evaluations");
        assertEquals(5, rec.steps.size());
    }

    @Test
    void evalEveryAtItsDefaultKeepsTheRunIdAndZeroTurnsItOff() {
        RunConfig dflt = modadd(""), hundred = modadd(", eval_every: 100"), off = modadd(", eval_every: 0");
        assertEquals(dflt.runId, hundred.runId, "the default is left out of the canonical form");
        assertNotEquals(dflt.runId, off.runId);
        assertEquals(100, TokenTasks.of(dflt).evalEvery());
        MemoryRecorder rec = new MemoryRecorder();
        TransformerRun.train(off, rec);
        assertEquals(List.of(), List.copyOf(rec.heldOut.keySet()));
        MemoryRecorder on = new MemoryRecorder();
        TransformerRun.train(dflt, on);
        assertEquals(List.of(0, 4), List.copyOf(on.heldOut.keySet()), "step 0 and the last of 5");
    }

    @Test
    void evalEveryIsAModaddKey() {
        String yaml = String.join(
                "\n",
                "name: t",
                "task: {kind: reverse, vocab: 5, eval_every: 10}",
                "axes:",
                "  arch: [transformer]",
                "  width: [8]",
                "  heads: [2]",
                "  seq_len: [4]",
                "");
        BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(
                BadInputException.class, () -> GridSpec.parse(yaml, "t.yaml"));
        assertTrue(e.getMessage().contains("task.eval_every"), e.getMessage());
    }
}
