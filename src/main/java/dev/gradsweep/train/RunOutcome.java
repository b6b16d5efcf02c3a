package dev.gradsweep.train;

import java.io.Serializable;

/**
 * How one run ended: the `runs` table's training columns. Both engines feed it one step loss at a time through
 * {@link #addLoss}, so the loss columns are computed here and nowhere else.
 */
public final class RunOutcome implements Serializable {
    public enum Status {
        OK,
        DIVERGED,
        FAILED
    }

    /** The largest loss window (steps averaged by loss_first and loss_last). */
    public static final int MAX_LOSS_WINDOW = 20;

    public Status status = Status.OK;
    public String error;
    public int stepsDone;
    /**
     * Means of the first and the last {@link #lossWindow} finite step losses; the best finite step loss. A single
     * minibatch loss is noisy, a mean over a window is what "started at" and "ended at" should compare.
     */
    public double lossFirst = Double.NaN, lossLast = Double.NaN, lossBest = Double.NaN;
    /** W of {@link #lossWindow(int)} for the finite losses seen so far; 0 before the first. */
    public int lossWindow;
    /** Loss of the best constant predictor on the training data ({@link LossBaseline}); NaN when not known. */
    public double lossBaseline = Double.NaN;

    public long wallMs;
    public double msPerStep = Double.NaN;
    public long nParams;
    public int nLayers;

    /** The first MAX_LOSS_WINDOW finite losses, and the last MAX_LOSS_WINDOW as a ring; how many were seen. */
    private final double[] head = new double[MAX_LOSS_WINDOW], tail = new double[MAX_LOSS_WINDOW];

    private int finiteLosses;
    private double totalStepMs;

    /**
     * The loss window for a run with {@code finiteLosses} finite step losses: a tenth of them, at least 1 and at most
     * {@link #MAX_LOSS_WINDOW}, so the first and last windows never overlap once a run has 2 steps or more.
     */
    public static int lossWindow(int finiteLosses) {
        return Math.max(1, Math.min(MAX_LOSS_WINDOW, finiteLosses / 10));
    }

    /**
     * Takes one recorded step's loss (in step order). A non-finite loss only happens at the step a run diverges
     * and is left out of every loss column.
     */
    public void addLoss(double loss) {
        if (!Double.isFinite(loss)) return;
        if (!(loss >= lossBest)) lossBest = loss;
        if (finiteLosses < MAX_LOSS_WINDOW) head[finiteLosses] = loss;
        tail[finiteLosses % MAX_LOSS_WINDOW] = loss;
        finiteLosses++;
        int w = lossWindow(finiteLosses);
        double first = 0, last = 0;
        for (int i = 0; i < w; i++) {
            first += head[i];
            last += tail[(finiteLosses - w + i) % MAX_LOSS_WINDOW];
        }
        lossWindow = w;
        lossFirst = first / w;
        lossLast = last / w;
    }

    /**
     * 1 − loss_last / loss_baseline: the fraction of the gap between the best constant predictor and zero loss that
     * training closed (1 = zero loss, 0 = no better than the constant, negative = worse). NaN when there is no
     * finite loss or the baseline is not positive (targets that a constant already fits exactly).
     */
    public double gapClosed() {
        return lossBaseline > 0 ? 1 - lossLast / lossBaseline : Double.NaN;
    }

    /**
     * Books one recorded step of an engine that reports whole steps: its loss ({@link #addLoss}), the step count and
     * mean step time, and, for a step that was not finite, the divergence that ends the run.
     */
    public void endStep(double loss, double stepMs, boolean finite) {
        addLoss(loss);
        stepsDone++;
        totalStepMs += stepMs;
        msPerStep = totalStepMs / stepsDone;
        if (!finite) {
            status = Status.DIVERGED;
            error = "non-finite " + (Double.isFinite(loss) ? "gradient" : "loss") + " at step " + (stepsDone - 1);
        }
    }

    public String statusText() {
        return status.name().toLowerCase();
    }
}
