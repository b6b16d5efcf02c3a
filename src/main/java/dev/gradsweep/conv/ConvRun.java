package dev.gradsweep.conv;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.LossBaseline;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;

/**
 * Trains one grid run with {@code arch: conv} start to end, every step with statistics, with the other engines'
 * outcome bookkeeping ({@link Trainer#guarded}). Its runs row says {@code engine = conv}; {@code n_layers = depth +
 * 1} (stem −1, units 0 … depth − 1, head depth); {@code loss_baseline} as for the MLPs' classification tasks.
 */
public final class ConvRun {
    private ConvRun() {}

    public static RunOutcome train(RunConfig rc, TaskData data, RunRecorder rec) {
        return train(rc, data, rec, TrainingMemory.forBackend());
    }

    /** With a given memory path (doctor, tests). */
    public static RunOutcome train(RunConfig rc, TaskData data, RunRecorder rec, TrainingMemory memory) {
        return Trainer.guarded(out -> {
            out.lossBaseline = LossBaseline.of(data); // first, so a run that fails while setting up still has it
            out.nLayers = rc.depth + 1;
            ConvTrainer trainer = new ConvTrainer(spec(rc, data), data, rc.train, rc.seed, memory);
            out.nParams = trainer.net().params().length();
            while (trainer.hasNext()) trainer.step(rec, out);
        });
    }

    /**
     * The engine's spec of a run: the task's image shape [C, H, W] and classes; the grid's width, stages, depth,
     * groups, activation, init, norm, placement (pre, or post for anything else: the original ResNet), skip; the
     * run's dtype and seed.
     */
    public static ConvSpec spec(RunConfig rc, TaskData data) {
        if (rc.arch != Arch.CONV) throw new IllegalArgumentException("not a conv run: " + rc);
        int[] shape = rc.task.imageShape();
        if (shape == null) throw new IllegalArgumentException("arch conv needs an image task, not " + rc.task.name());
        if (data.objective != TaskSpec.Objective.CLASSIFICATION)
            throw new IllegalArgumentException("arch conv trains classification tasks only, not " + rc.task.name());
        if ((long) shape[0] * shape[1] * shape[2] != data.inputs)
            throw new IllegalArgumentException("image shape " + shape[0] + "×" + shape[1] + "×" + shape[2]
                    + " does not hold the task's " + data.inputs + " inputs");
        return new ConvSpec(
                shape[0],
                shape[1],
                shape[2],
                data.outputs,
                rc.width,
                rc.train.stages,
                rc.depth,
                rc.train.groups,
                rc.activation,
                rc.init,
                rc.norm,
                rc.placement == Placement.PRE ? Placement.PRE : Placement.POST,
                rc.skip,
                rc.train.dtype,
                rc.seed);
    }
}
