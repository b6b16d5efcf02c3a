package dev.gradsweep.recurrent;

/** The recurrent net's output loss: MSE averaged over outputs and batch, or softmax cross-entropy per group of classes. */
final class OutputLoss {
    private OutputLoss() {}

    /**
     * The mean loss of outputs o [b·nOut + k] against targets y, its gradient of the mean loss into d.
     *
     * @param groups 0 for MSE; else the outputs are {@code groups} softmax groups of nOut / groups classes each,
     *     the loss averaged over batch and groups
     */
    static double meanLoss(double[] o, double[] y, int batch, int nOut, int groups, double[] d) {
        double sum = 0;
        if (groups == 0) {
            double scale = 2.0 / ((double) batch * nOut);
            for (int i = 0; i < o.length; i++) {
                double e = o[i] - y[i];
                sum += e * e;
                d[i] = scale * e;
            }
            sum /= (double) batch * nOut;
        } else {
            int cls = nOut / groups;
            double scale = 1.0 / ((double) batch * groups);
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < groups; k++) {
                    int at = b * nOut + k * cls;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < cls; c++) max = Math.max(max, o[at + c]);
                    double z = 0;
                    for (int c = 0; c < cls; c++) z += Math.exp(o[at + c] - max);
                    double logZ = Math.log(z) + max;
                    for (int c = 0; c < cls; c++) {
                        double lp = o[at + c] - logZ;
                        if (y[at + c] != 0) sum -= y[at + c] * lp;
                        d[at + c] = scale * (Math.exp(lp) - y[at + c]);
                    }
                }
            }
            sum /= (double) batch * groups;
        }
        return sum;
    }
}
