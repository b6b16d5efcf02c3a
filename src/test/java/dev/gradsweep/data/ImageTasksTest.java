package dev.gradsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The image tasks: deterministic from the seed, labels recoverable by an independent reading, grid keys checked. */
class ImageTasksTest {
    static RunConfig run(String task) {
        String yaml = String.join(
                "\n",
                "name: t",
                "task: " + task,
                "train: {steps: 2, batch: 8}",
                "axes:",
                "  depth: [2]",
                "  width: [8]",
                "  activation: [relu]",
                "  init: [he]",
                "");
        return GridSpec.parse(yaml, "t.yaml").expand().get(0);
    }

    /**
     * A matched filter, written from the task's definition and not from its generator: for each orientation, the
     * largest sum of the channel-summed image along any straight run of the bar's length. A bar of length L at gains ≥
     * 0.5 per channel sums to ≥ L/2 along its own line; a line of another orientation crosses it in at most one
     * pixel. So the orientation with the largest filter response is the label, for every image.
     */
    @Test
    void everyBarsLabelIsTheOrientationOfItsBar() {
        RunConfig rc = run("{kind: bars, size: 10, channels: 3, samples: 200}");
        assertEquals(java.util.List.of(300, 4), java.util.List.of(rc.task.inputs, rc.task.outputs));
        TaskData d = Tasks.generate(rc.task, rc.seed);
        int side = 10, len = 6, plane = side * side;
        int[][] step = {{0, 1}, {1, 0}, {1, 1}, {1, -1}}; // (row, col) step of each orientation
        int[] count = new int[4];
        for (int i = 0; i < d.n; i++) {
            double[] sum = new double[plane];
            for (int ch = 0; ch < 3; ch++) for (int p = 0; p < plane; p++) sum[p] += d.x[i * 300 + ch * plane + p];
            int best = -1;
            double bestR = Double.NEGATIVE_INFINITY;
            for (int o = 0; o < 4; o++)
                for (int r0 = 0; r0 < side; r0++)
                    for (int c0 = 0; c0 < side; c0++) {
                        int r1 = r0 + step[o][0] * (len - 1), c1 = c0 + step[o][1] * (len - 1);
                        if (r1 < 0 || r1 >= side || c1 < 0 || c1 >= side) continue;
                        double resp = 0;
                        for (int k = 0; k < len; k++) resp += sum[(r0 + step[o][0] * k) * side + c0 + step[o][1] * k];
                        if (resp > bestR) {
                            bestR = resp;
                            best = o;
                        }
                    }
            int label = -1;
            for (int c = 0; c < 4; c++) if (d.y[i * 4 + c] == 1) label = c;
            assertEquals(label, best, "image " + i);
            count[label]++;
        }
        assertArrayEquals(new int[] {50, 50, 50, 50}, count, "classes alternate by row");
    }

    @Test
    void imageTasksAreDeterministicFromTheSeed() {
        for (String kind : new String[] {"bars", "teacher_cnn"}) {
            TaskSpec t = run("{kind: " + kind + ", size: 6, samples: 32}").task;
            TaskData a = Tasks.generate(t, 5), b = Tasks.generate(t, 5), c = Tasks.generate(t, 6);
            assertArrayEquals(a.x, b.x, kind);
            assertArrayEquals(a.y, b.y, kind);
            assertFalse(Arrays.equals(a.x, c.x), kind + ": another seed, other images");
        }
    }

    /** The teacher's convolution against a hand computation on a 3 × 3 image of ones with a kernel of ones. */
    @Test
    void theTeachersConvolutionIsTheDefinition() {
        double[] in = new double[9], w = new double[9], out = new double[9];
        Arrays.fill(in, 1);
        Arrays.fill(w, 0.1);
        ImageTasks.conv3x3Tanh(in, 1, 3, w, 1, out);
        // zero padding: corners see 4 pixels, edges 6, the centre 9
        assertEquals(Math.tanh(0.4), out[0], 1e-15);
        assertEquals(Math.tanh(0.6), out[1], 1e-15);
        assertEquals(Math.tanh(0.9), out[4], 1e-15);
    }

    /** Labels from a random teacher use every class, none for most images: a task, not a constant. */
    @Test
    void teacherCnnLabelsSpreadOverTheClasses() {
        RunConfig rc = run("{kind: teacher_cnn, size: 8, channels: 2, outputs: 5, samples: 1000}");
        TaskData d = Tasks.generate(rc.task, rc.seed);
        int[] count = new int[5];
        for (int i = 0; i < d.n; i++) for (int c = 0; c < 5; c++) if (d.y[i * 5 + c] == 1) count[c]++;
        assertEquals(1000, Arrays.stream(count).sum(), "one label per image");
        for (int c = 0; c < 5; c++) assertTrue(count[c] > 0 && count[c] < 600, Arrays.toString(count));
    }

    @Test
    void imageKeysAreCheckedAndNamed() {
        String[][] cases = {
            {"{kind: bars, inputs: 4}", "task.inputs"},
            {"{kind: bars, outputs: 3}", "task.outputs"},
            {"{kind: teacher, size: 8}", "task.size"},
            {"{kind: teacher_cnn, outputs: 1}", "task.outputs"},
            {"{kind: bars, size: 2}", "task.size"},
            {"{kind: bars, channels: 0}", "task.channels"}
        };
        for (String[] c : cases) {
            BadInputException e = assertThrows(BadInputException.class, () -> run(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
        assertFalse(run("{kind: bars, size: 8}").runId.equals(run("{kind: bars, size: 9}").runId), "size is in the id");
    }
}
