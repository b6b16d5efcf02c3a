package dev.gradsweep.data;

import dev.gradsweep.grid.TaskSpec;
import java.util.Random;
import java.util.SplittableRandom;

/** The built-in tasks (docs/grid.md#tasks), generated deterministically from the run's seed (same seed, same data). */
public final class Tasks {
    /** Hidden width and depth of the teacher network; tanh keeps its targets bounded and non-trivial. */
    static final int TEACHER_WIDTH = 32, TEACHER_DEPTH = 2;

    private Tasks() {}

    /** Built-in data for {@code spec}; {@code table} comes from {@link TableTask} on the driver instead. */
    public static TaskData generate(TaskSpec spec, long seed) {
        // Data seed differs from the weight seed so data and init are not correlated through one generator.
        Random r = new Random(new SplittableRandom(seed).split().nextLong() ^ spec.kind.ordinal());
        switch (spec.kind) {
            case TEACHER:
                return teacher(spec, r);
            case GAUSS:
                return gauss(spec, r);
            case SPIRALS:
                return spirals(spec, r);
            case PARITY:
                return parity(spec, r);
            case BARS:
                return ImageTasks.bars(spec, r);
            case TEACHER_CNN:
                return ImageTasks.teacherCnn(spec, r);
            default:
                throw new IllegalArgumentException(
                        "task kind " + spec.name() + " is not generated (it is read from a file)");
        }
    }

    static TaskData gauss(TaskSpec s, Random r) {
        double[] x = normals(r, s.samples * s.inputs), y = normals(r, s.samples * s.outputs);
        return new TaskData(s.samples, s.inputs, s.outputs, TaskSpec.Objective.REGRESSION, x, y);
    }

    /** Regression on a random tanh teacher MLP (weights N(0, 1/fan_in)): a smooth target every student can fit. */
    static TaskData teacher(TaskSpec s, Random r) {
        double[] x = normals(r, s.samples * s.inputs);
        double[][] w = new double[TEACHER_DEPTH + 1][];
        int[] dims = new int[TEACHER_DEPTH + 2];
        dims[0] = s.inputs;
        for (int l = 1; l <= TEACHER_DEPTH; l++) dims[l] = TEACHER_WIDTH;
        dims[TEACHER_DEPTH + 1] = s.outputs;
        for (int l = 0; l <= TEACHER_DEPTH; l++) {
            w[l] = normals(r, dims[l] * dims[l + 1]);
            double scale = (l == TEACHER_DEPTH ? 1.0 : 1.5) / Math.sqrt(dims[l]);
            for (int i = 0; i < w[l].length; i++) w[l][i] *= scale;
        }
        double[] y = new double[s.samples * s.outputs];
        for (int i = 0; i < s.samples; i++) {
            double[] h = new double[s.inputs];
            System.arraycopy(x, i * s.inputs, h, 0, s.inputs);
            for (int l = 0; l <= TEACHER_DEPTH; l++) {
                double[] next = new double[dims[l + 1]];
                for (int o = 0; o < next.length; o++) {
                    double z = 0;
                    for (int k = 0; k < h.length; k++) z += h[k] * w[l][k * next.length + o];
                    next[o] = l == TEACHER_DEPTH ? z : Math.tanh(z);
                }
                h = next;
            }
            System.arraycopy(h, 0, y, i * s.outputs, s.outputs);
        }
        return new TaskData(s.samples, s.inputs, s.outputs, TaskSpec.Objective.REGRESSION, x, y);
    }

    /** Two interleaved spirals (Lang & Witbrock), 1.5 turns each, small Gaussian noise; classes alternate rows. */
    static TaskData spirals(TaskSpec s, Random r) {
        double[] x = new double[s.samples * 2], y = new double[s.samples * 2];
        for (int i = 0; i < s.samples; i++) {
            int cls = i % 2;
            double t = r.nextDouble();
            double angle = t * 3 * Math.PI + cls * Math.PI, radius = 0.1 + 0.9 * t;
            x[2 * i] = radius * Math.cos(angle) + 0.02 * r.nextGaussian();
            x[2 * i + 1] = radius * Math.sin(angle) + 0.02 * r.nextGaussian();
            y[2 * i + cls] = 1;
        }
        return new TaskData(s.samples, 2, 2, TaskSpec.Objective.CLASSIFICATION, x, y);
    }

    /** n random ±1 bits; the class is the parity of the +1 bits. */
    static TaskData parity(TaskSpec s, Random r) {
        int n = s.inputs;
        double[] x = new double[s.samples * n], y = new double[s.samples * 2];
        for (int i = 0; i < s.samples; i++) {
            int ones = 0;
            for (int b = 0; b < n; b++) {
                boolean bit = r.nextBoolean();
                x[i * n + b] = bit ? 1 : -1;
                if (bit) ones++;
            }
            y[2 * i + (ones & 1)] = 1;
        }
        return new TaskData(s.samples, n, 2, TaskSpec.Objective.CLASSIFICATION, x, y);
    }

    static double[] normals(Random r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextGaussian();
        return a;
    }
}
