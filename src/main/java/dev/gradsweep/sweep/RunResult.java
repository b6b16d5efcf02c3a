package dev.gradsweep.sweep;

import java.io.Serializable;

/** What a task sends back to the driver about one run (the full record is in the tables). */
public record RunResult(
        String runId, String status, String error, int stepsDone, double lossLast, long wallMs, String host)
        implements Serializable {}
