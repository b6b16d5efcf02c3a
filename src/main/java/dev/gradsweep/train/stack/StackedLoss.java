package dev.gradsweep.train.stack;

/**
 * Per-run mean loss of a stack (DL4J's score): MSE averaged over outputs, or cross-entropy, averaged over the batch.
 * The cross-entropy takes log of the softmax output clipped as DL4J's LossMCXENT clips it, in the array's
 * precision, so an output that underflowed to 0 costs −ln(eps) as in DL4J instead of an infinite loss; the gradient
 * (softmax − labels) is unclipped in DL4J and here. The sums run in double; a float32 score that DL4J's float32 sum
 * would overflow is infinite here too, so both engines see the same non-finite loss.
 */
final class StackedLoss {
    private final boolean classification;
    /** LossMCXENT clips the softmax output to [eps, 1 − eps] in the score (not in the gradient); its eps. */
    private final double softmaxClipEps;

    StackedLoss(boolean classification, double softmaxClipEps) {
        this.classification = classification;
        this.softmaxClipEps = softmaxClipEps;
    }

    /** @param o, t [K, batch, outputs] network outputs and targets, row-major; f32: computed in float32 */
    double[] of(double[] o, double[] t, int k, int batch, int outputs, boolean f32) {
        int per = batch * outputs;
        double lo = softmaxClipEps, hi = 1.0 - softmaxClipEps;
        double[] l = new double[k];
        for (int r = 0; r < k; r++) {
            double s = 0;
            for (int i = r * per; i < (r + 1) * per; i++) {
                double pv = o[i], tv = t[i];
                if (classification) {
                    double pc = pv < lo ? lo : pv > hi ? hi : pv; // NaN stays NaN, as with DL4J's replaceWhere
                    s -= tv * Math.log(f32 ? (float) pc : pc);
                } else s += (pv - tv) * (pv - tv);
            }
            // DL4J sums a float32 score in float32: its terms are non-negative, so it overflows when the total does
            if (f32 && s > Float.MAX_VALUE) s = Double.POSITIVE_INFINITY;
            l[r] = classification ? s / batch : s / outputs / batch;
        }
        return l;
    }
}
