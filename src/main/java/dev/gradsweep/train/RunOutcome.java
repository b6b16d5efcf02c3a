package dev.gradsweep.train;

import java.io.Serializable;

/** How one run ended: the `runs` table's training columns. */
public final class RunOutcome implements Serializable {
    public enum Status { OK, DIVERGED, FAILED }

    public Status status = Status.OK;
    public String error;
    public int stepsDone;
    public double lossFirst = Double.NaN, lossLast = Double.NaN, lossBest = Double.NaN;
    public long wallMs;
    public double msPerStep = Double.NaN;
    public long nParams;
    public int nLayers;

    public String statusText() {
        return status.name().toLowerCase();
    }
}
