package dev.gradsweep.model;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import java.util.List;

/** Run configurations for tests, without a grid file. */
public final class TestNets {
    private TestNets() {}

    public static RunConfig config(
            int depth,
            int width,
            Activation act,
            String init,
            String norm,
            String placement,
            String skip,
            TaskSpec task,
            TrainSpec train,
            long seed) {
        return new RunConfig(
                "test",
                depth,
                width,
                act,
                Init.parse(init),
                Norm.valueOf(norm.toUpperCase()),
                Placement.parse(placement),
                Skip.valueOf(skip.toUpperCase()),
                task,
                train,
                seed);
    }

    public static TaskSpec regression(TaskSpec.Kind kind, int inputs, int outputs, int samples) {
        return new TaskSpec(kind, inputs, outputs, samples, TaskSpec.Objective.REGRESSION, null, null, List.of());
    }

    public static TrainSpec train(int steps, int batch, double lr, String clip, TrainSpec.DType dtype) {
        return new TrainSpec(steps, batch, TrainSpec.Optimizer.SGD, lr, clip, dtype);
    }
}
