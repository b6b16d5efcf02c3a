package dev.gradsweep.transformer;

import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import dev.gradsweep.transformer.task.TokenTask;
import dev.gradsweep.transformer.task.TokenTasks;

/**
 * Trains one grid run with {@code arch: transformer} start to end, every step with statistics, with the other engines'
 * outcome bookkeeping ({@link Trainer#guarded}: failed on an exception, diverged at the first non-finite step). Its
 * runs row says {@code engine = transformer}; {@code n_layers = depth + 1} as for block MLPs (embeddings −1, blocks 0 …
 * depth − 1, final norm and head {@code depth}); {@code loss_baseline} is the task's exact baseline.
 */
public final class TransformerRun {
    private TransformerRun() {}

    public static RunOutcome train(RunConfig rc, RunRecorder rec) {
        return train(rc, rec, TrainingMemory.forBackend());
    }

    /** With a given memory path (doctor, tests). */
    public static RunOutcome train(RunConfig rc, RunRecorder rec, TrainingMemory memory) {
        return Trainer.guarded(out -> {
            TokenTask task = TokenTasks.of(rc);
            out.lossBaseline = task.baseline(); // first, so a run that fails while setting up still has it
            out.nLayers = rc.depth + 1;
            TransformerTrainer trainer = new TransformerTrainer(spec(rc, task), task, rc.train, memory);
            out.nParams = trainer.net().params().length();
            while (trainer.hasNext()) trainer.step(rec, out);
        });
    }

    /**
     * The engine's spec of a run: the grid's width, heads, ffn, depth, activation, init, norm, placement (n/a, i.e.
     * no norm: pre, where both placements are the same net), skip and positions; vocabulary, context and the causal
     * mask from the task; the run's dtype and seed.
     */
    public static TransformerSpec spec(RunConfig rc, TokenTask task) {
        if (rc.arch != Arch.TRANSFORMER) throw new IllegalArgumentException("not a transformer run: " + rc);
        return new TransformerSpec(
                task.vocab(),
                task.seqLen(),
                rc.width,
                rc.heads,
                rc.train.ffn,
                rc.depth,
                rc.activation,
                rc.init,
                rc.norm,
                rc.placement == Placement.POST ? Placement.POST : Placement.PRE,
                rc.skip,
                rc.positions,
                task.causal(),
                rc.train.dtype,
                rc.seed);
    }
}
