package dev.gradsweep.sweep;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;

/**
 * Progress of a sweep on stderr: runs done / total, failed and diverged runs, elapsed time and ETA. Driven by
 * Spark's task-end events (a task may train a stack of runs); the accumulators are merged before Spark posts the
 * event, so counts are current.
 */
public final class Progress extends SparkListener {
    private final String name;
    private final int total;
    private final LongAccumulator done, failed, diverged;
    private final PrintStream err;
    private final long start = System.nanoTime();
    private final AtomicInteger taskFailures = new AtomicInteger();
    private volatile long lastPrint;

    public Progress(
            String name,
            int total,
            LongAccumulator done,
            LongAccumulator failed,
            LongAccumulator diverged,
            PrintStream err) {
        this.name = name;
        this.done = done;
        this.total = total;
        this.failed = failed;
        this.diverged = diverged;
        this.err = err;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (!e.taskInfo().successful()) taskFailures.incrementAndGet();
        long now = System.nanoTime();
        if (done.value() >= total || now - lastPrint > 1_000_000_000L) {
            lastPrint = now;
            err.println(line());
        }
    }

    public String line() {
        long d = done.value();
        double secs = (System.nanoTime() - start) / 1e9;
        String eta = d == 0 ? "?" : duration(secs / d * (total - d));
        return String.format(
                "[%s] %d/%d runs done (%d failed, %d diverged%s), %s elapsed, ETA %s",
                name,
                d,
                total,
                failed.value(),
                diverged.value(),
                taskFailures.get() > 0 ? ", " + taskFailures.get() + " task attempts retried" : "",
                duration(secs),
                eta);
    }

    static String duration(double secs) {
        long s = Math.round(secs);
        return s >= 3600
                ? String.format("%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
