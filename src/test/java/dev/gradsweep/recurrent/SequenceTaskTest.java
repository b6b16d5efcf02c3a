package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SequenceTaskTest {
    @Test
    void addingHasTwoMarkersOneInEachHalfAndTheirSumAsTarget() {
        int batch = 400, t = 11, half = t / 2;
        double[] x = new double[t * batch * 2], y = new double[batch];
        new AddingTask().fill(3, 0, batch, t, x, y);
        for (int b = 0; b < batch; b++) {
            int first = 0, second = 0;
            double sum = 0;
            for (int s = 0; s < t; s++) {
                double v = x[(s * batch + b) * 2], m = x[(s * batch + b) * 2 + 1];
                assertTrue(v >= 0 && v < 1);
                assertTrue(m == 0 || m == 1);
                if (m == 1) {
                    if (s < half) first++;
                    else second++;
                    sum += v;
                }
            }
            assertEquals(1, first);
            assertEquals(1, second);
            assertEquals(sum, y[b], 0);
        }
    }

    /**
     * Predicting the mean (1) gives MSE Var(U₁ + U₂) = 2/12 = 1/6. Over n = 40,000 samples the estimate has standard
     * error √(Var((S−1)²)/n) with Var((S−1)²) = E(S−1)⁴ − 1/36 = 1/15 − 1/36 (S − 1 is triangular on [−1, 1]), so 0.0013;
     * the bound is 4 of them.
     */
    @Test
    void predictingTheMeanGivesOneSixth() {
        int batch = 1000, t = 6;
        double[] x = new double[t * batch * 2], y = new double[batch];
        double sq = 0;
        AddingTask task = new AddingTask();
        for (int i = 0; i < 40; i++) {
            task.fill(5, (long) i * batch, batch, t, x, y);
            for (double v : y) sq += (v - 1) * (v - 1);
        }
        double se = Math.sqrt((1.0 / 15 - 1.0 / 36) / 40_000);
        assertEquals(1.0 / 6, sq / 40_000, 4 * se);
        assertEquals(1.0 / 6, task.chanceLoss(), 0);
    }

    @Test
    void samplesArePureFunctionsOfSeedAndIndex() {
        AddingTask task = new AddingTask();
        double[] x1 = new double[5 * 4 * 2], y1 = new double[4], x2 = new double[5 * 2 * 2], y2 = new double[2];
        task.fill(9, 10, 4, 5, x1, y1);
        task.fill(9, 12, 2, 5, x2, y2); // samples 12, 13 = the last two of the first call
        assertEquals(y1[2], y2[0], 0);
        assertEquals(y1[3], y2[1], 0);
        task.fill(10, 10, 4, 5, x2 = new double[5 * 4 * 2], y2 = new double[4]);
        assertTrue(y1[0] != y2[0], "another seed, other samples");
    }

    @Test
    void copyShowsKSymbolsThenBlanksThenTheRecallMarker() {
        CopyTask task = new CopyTask(3, 4);
        int batch = 50, t = 9, in = task.inputs();
        double[] x = new double[t * batch * in], y = new double[batch * task.outputs()];
        task.fill(1, 0, batch, t, x, y);
        assertEquals(5, in);
        assertEquals(12, task.outputs());
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < t; s++) {
                double[] row = new double[in];
                System.arraycopy(x, (s * batch + b) * in, row, 0, in);
                double ones = 0;
                for (double v : row) ones += v;
                if (s < 3) {
                    assertEquals(1, ones);
                    assertEquals(0, row[4]);
                    double[] target = new double[4];
                    System.arraycopy(y, b * 12 + s * 4, target, 0, 4);
                    double[] shown = new double[4];
                    System.arraycopy(row, 0, shown, 0, 4);
                    assertArrayEquals(shown, target, 0, "target group " + s + " is the symbol shown at step " + s);
                } else if (s < t - 1) assertEquals(0, ones);
                else {
                    assertEquals(1, ones);
                    assertEquals(1, row[4]);
                }
            }
        }
        assertEquals(Math.log(4), task.chanceLoss(), 0);
    }
}
