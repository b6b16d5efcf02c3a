package dev.gradsweep.train;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.TaskSpec;

/**
 * The mean loss of the best constant predictor on a training set, normalized as the runs report their loss (DL4J's
 * score): regression with DL4J's MSE, which averages the squared error over the output columns and the examples,
 * is minimized by predicting each column's mean, so the baseline is the mean over columns of the targets' variance
 * (divided by n, not n − 1); classification with softmax cross-entropy, averaged over the examples, is minimized by
 * predicting the class prior p, so the baseline is its entropy −Σ p_c ln p_c. Computed in double from the data as
 * generated (a float32 run sees the targets rounded to float, a relative difference below float32's resolution).
 */
public final class LossBaseline {
    private LossBaseline() {}

    public static double of(TaskData d) {
        int n = d.n, m = d.outputs;
        double total = 0;
        for (int c = 0; c < m; c++) {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += d.y[i * m + c];
            mean /= n;
            if (d.objective == TaskSpec.Objective.CLASSIFICATION) {
                if (mean > 0) total -= mean * Math.log(mean);
            } else {
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    double e = d.y[i * m + c] - mean;
                    ss += e * e;
                }
                total += ss / n;
            }
        }
        return d.objective == TaskSpec.Objective.CLASSIFICATION ? total : total / m;
    }
}
