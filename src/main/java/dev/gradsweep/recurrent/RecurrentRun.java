package dev.gradsweep.recurrent;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;

/** Trains one grid run with a recurrent cell start to end, with the feed-forward runs' outcome bookkeeping. */
public final class RecurrentRun {
    private RecurrentRun() {}

    /** Every step with statistics: its steps, params and timesteps rows go to {@code rec}. */
    public static RunOutcome train(RunConfig rc, RunRecorder rec) {
        return Trainer.guarded(out -> {
            SequenceTask task = SequenceTask.parse(rc.task.name());
            if (task == null) throw new IllegalArgumentException("task " + rc.task.name() + " is not a sequence task");
            // the task's chance loss is exactly what LossBaseline estimates from a stored data set
            out.lossBaseline = task.chanceLoss();
            RecurrentTrainer trainer = new RecurrentTrainer(RecurrentSpec.of(rc, task), task, rc.train);
            out.nParams = trainer.net().numParams();
            out.nLayers = rc.depth + 1;
            while (trainer.hasNext()) {
                StepResult r = trainer.step(true);
                r.recordTo(rec);
                out.endStep(r.loss(), r.ms(), r.finite());
            }
        });
    }
}
