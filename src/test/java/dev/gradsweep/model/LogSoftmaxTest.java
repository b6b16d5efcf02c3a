package dev.gradsweep.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LogSoftmaxTest {
    /** The logits of conf/grids/conv_quick.yaml's residual depth-4 net at step 45, row 2: they span 104.95. */
    static final double[][] ROWS = {{-61.0967, 0.4299, 43.8572, -4.4644}, {1, 2, 3, 4}, {-200, 150, 0, 149.5}};

    @Test
    void finiteWhereTheLogitsAreAndEqualToTheDefinitionInDouble() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray x = Nd4j.create(ROWS).castTo(dt);
            INDArray out = Nd4j.create(dt, 3, 4), tmp = Nd4j.create(dt, 3, 4);
            LogSoftmax.rows(x, out, tmp);
            for (int r = 0; r < ROWS.length; r++) {
                double[] row = ROWS[r];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (double v : row) max = Math.max(max, v);
                for (double v : row) sum += Math.exp(v - max);
                for (int c = 0; c < row.length; c++) {
                    double want = row[c] - max - Math.log(sum); // the definition, in double
                    double got = out.getDouble(r, c);
                    assertTrue(Double.isFinite(got), dt + " row " + r + " col " + c + ": " + got);
                    // float32: the logits' own rounding (≤ 2^-24 of 200) bounds the error
                    assertEquals(want, got, dt == DataType.FLOAT ? 200 * 0x1p-22 : 1e-12, dt + " " + r + "," + c);
                }
            }
        }
    }
}
