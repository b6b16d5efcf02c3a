package dev.gradsweep.data;

import dev.gradsweep.grid.TaskSpec;
import java.io.Serializable;

/**
 * A training set in host memory: row-major features [n × inputs] and targets [n × outputs] (one-hot for
 * classification). Small enough to ship to executors inside a task or a broadcast.
 */
public final class TaskData implements Serializable {
    public final int n;
    public final int inputs;
    public final int outputs;
    public final TaskSpec.Objective objective;
    public final double[] x;
    public final double[] y;

    public TaskData(int n, int inputs, int outputs, TaskSpec.Objective objective, double[] x, double[] y) {
        if (x.length != (long) n * inputs || y.length != (long) n * outputs)
            throw new IllegalArgumentException(
                    "task data: arrays do not match " + n + " x (" + inputs + ", " + outputs + ")");
        this.n = n;
        this.inputs = inputs;
        this.outputs = outputs;
        this.objective = objective;
        this.x = x;
        this.y = y;
    }
}
