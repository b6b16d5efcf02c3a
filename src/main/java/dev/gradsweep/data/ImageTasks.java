package dev.gradsweep.data;

import dev.gradsweep.grid.TaskSpec;
import java.util.Random;

/**
 * The image tasks (docs/grid.md#tasks): {@code samples} images of channels × size × size, flattened row-major
 * ([c][y][x]) into each row of the inputs, as a convolutional net reads them and a dense net sees them.
 */
final class ImageTasks {
    /** A bar covers this share of the side (at least 2 pixels); noise is N(0, NOISE²) on every pixel. */
    static final double BAR_LENGTH = 0.6, NOISE = 0.1;
    /** The teacher CNN's hidden channels; its weights are N(0, (GAIN² / fan_in)) as the teacher MLP's. */
    static final int TEACHER_CHANNELS = 8;

    static final double TEACHER_GAIN = 1.5;

    private ImageTasks() {}

    /**
     * bars: each image holds one bar of length round(0.6·size) pixels at a uniform position where it fits, in one of 4
     * orientations (the class: 0 horizontal, 1 vertical, 2 diagonal, 3 anti-diagonal; classes alternate by row, so
     * they are balanced and the baseline is ln 4). Each channel shows the bar at its own gain, uniform in [0.5, 1.5),
     * over Gaussian noise. The class is where no single pixel can tell it: a translation-invariant feature.
     */
    static TaskData bars(TaskSpec s, Random r) {
        int n = s.samples, c = s.channels, side = s.size, len = Math.max(2, (int) Math.round(BAR_LENGTH * side));
        int plane = side * side, in = c * plane;
        double[] x = new double[n * in], y = new double[n * TaskSpec.BARS_CLASSES];
        for (int i = 0; i < n; i++) {
            int cls = i % TaskSpec.BARS_CLASSES, o = i * in;
            y[i * TaskSpec.BARS_CLASSES + cls] = 1;
            for (int k = 0; k < in; k++) x[o + k] = NOISE * r.nextGaussian();
            // horizontal: any row, a start column where it fits; the others by symmetry
            int along = r.nextInt(side - len + 1), across = r.nextInt(cls < 2 ? side : side - len + 1);
            double[] gain = new double[c];
            for (int ch = 0; ch < c; ch++) gain[ch] = 0.5 + r.nextDouble();
            for (int k = 0; k < len; k++) {
                int row, col;
                switch (cls) {
                    case 0 -> {
                        row = across;
                        col = along + k;
                    }
                    case 1 -> {
                        row = along + k;
                        col = across;
                    }
                    case 2 -> {
                        row = across + k;
                        col = along + k;
                    }
                    default -> {
                        row = across + k;
                        col = along + len - 1 - k;
                    }
                }
                for (int ch = 0; ch < c; ch++) x[o + ch * plane + row * side + col] += gain[ch];
            }
        }
        return new TaskData(n, in, TaskSpec.BARS_CLASSES, TaskSpec.Objective.CLASSIFICATION, x, y);
    }

    /**
     * teacher_cnn: standard normal images labelled by the argmax of a random teacher CNN: two 3 × 3 convolutions
     * (zero padding, stride 1, {@link #TEACHER_CHANNELS} channels, tanh), then a linear layer from the flattened
     * feature maps to the classes. A label depends on local spatial patterns; the classes are as balanced as the
     * random teacher makes them (the loss baseline is their entropy, from the data).
     */
    static TaskData teacherCnn(TaskSpec s, Random r) {
        int n = s.samples, c = s.channels, side = s.size, plane = side * side, in = c * plane, k = s.outputs;
        int h = TEACHER_CHANNELS;
        double[] w1 = weights(r, h * c * 9, c * 9, TEACHER_GAIN), w2 = weights(r, h * h * 9, h * 9, TEACHER_GAIN);
        double[] head = weights(r, k * h * plane, h * plane, 1); // linear output: no gain
        double[] x = Tasks.normals(r, n * in), y = new double[n * k];
        double[] img = new double[in], a1 = new double[h * plane], a2 = new double[h * plane];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, i * in, img, 0, in);
            conv3x3Tanh(img, c, side, w1, h, a1);
            conv3x3Tanh(a1, h, side, w2, h, a2);
            int best = 0;
            double bestZ = Double.NEGATIVE_INFINITY;
            for (int cls = 0; cls < k; cls++) {
                double z = 0;
                for (int j = 0; j < a2.length; j++) z += head[cls * a2.length + j] * a2[j];
                if (z > bestZ) {
                    bestZ = z;
                    best = cls;
                }
            }
            y[i * k + best] = 1;
        }
        return new TaskData(n, in, k, TaskSpec.Objective.CLASSIFICATION, x, y);
    }

    /**
     * out[o][y][x] = tanh(Σ_{i, dy, dx} w[o][i][dy][dx] · in[i][y + dy − 1][x + dx − 1]), zero outside the image: the
     * definition, loop by loop (data generation, not training).
     */
    static void conv3x3Tanh(double[] in, int cin, int side, double[] w, int cout, double[] out) {
        int plane = side * side;
        for (int o = 0; o < cout; o++)
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++) {
                    double z = 0;
                    for (int i = 0; i < cin; i++)
                        for (int dy = 0; dy < 3; dy++) {
                            int yy = y + dy - 1;
                            if (yy < 0 || yy >= side) continue;
                            for (int dx = 0; dx < 3; dx++) {
                                int xx = x + dx - 1;
                                if (xx >= 0 && xx < side)
                                    z += w[((o * cin + i) * 3 + dy) * 3 + dx] * in[i * plane + yy * side + xx];
                            }
                        }
                    out[o * plane + y * side + x] = Math.tanh(z);
                }
    }

    /** N(0, gain² / fanIn) weights. */
    private static double[] weights(Random r, int count, int fanIn, double gain) {
        double[] w = Tasks.normals(r, count);
        double scale = gain / Math.sqrt(fanIn);
        for (int i = 0; i < w.length; i++) w[i] *= scale;
        return w;
    }
}
