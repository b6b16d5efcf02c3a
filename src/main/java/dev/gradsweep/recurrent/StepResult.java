package dev.gradsweep.recurrent;

import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TimeStepStats;
import java.util.List;

/**
 * One training step of a recurrent run: what the {@code steps} table holds, the per-parameter reductions
 * ({@code params[i]} of {@code segments[i]}, for the params table's columns) and the per-(layer, t) rows for a
 * {@code timesteps} table. Without statistics, params and timeSteps are empty.
 *
 * @param gradL2   ‖∇L‖ of the mean loss over every parameter, before clipping (NaN when not finite)
 * @param updateL2 ‖update applied‖ (NaN when the step was not applied)
 */
public record StepResult(
        int step,
        double loss,
        double gradL2,
        double updateL2,
        double lr,
        boolean finite,
        Segment[] segments,
        ParamStats[] params,
        List<TimeStepStats> timeSteps,
        double ms) {
    /**
     * The steps row and, when statistics were taken, the params rows, as the feed-forward loops send them, then
     * one timesteps row per (layer, t).
     */
    public void recordTo(RunRecorder rec) {
        rec.step(step, loss, gradL2, updateL2, lr, ms);
        for (int i = 0; i < params.length; i++) rec.param(step, segments[i], params[i]);
        for (TimeStepStats t : timeSteps) rec.timeStep(step, t);
    }
}
