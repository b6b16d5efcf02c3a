package dev.gradsweep.cli;

import dev.gradsweep.store.DataFileCheck;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.filter.AbstractFilter;
import org.apache.logging.log4j.core.filter.AbstractFilterable;
import org.apache.spark.SparkConf;

/**
 * Failures a user can act on, each explained in one paragraph (exit 1, no stack trace unless
 * {@code -Dgradsweep.stackTrace=true}): a full disk, and tables whose data files are damaged. Anything else is a crash.
 */
final class Failures {
    private Failures() {}

    /** A command that writes an output: the output, for the message, and the command that continues its work. */
    interface Writes {
        String output();

        String continueWith();
    }

    /** A command that reads an output ({@code sql}, {@code report}). A failed read of either is checked for damaged files. */
    interface Reads {
        String input();
    }

    /** What the OS says (ENOSPC, EDQUOT), in an exception message anywhere in the chain, also in a Spark task's. */
    private static final String[] FULL = {"No space left on device", "Disk quota exceeded"};

    /** The paragraph for {@code t}, or null when it is none of the failures above. */
    static String explain(Throwable t, Object command) {
        for (Throwable c = t; c != null; c = c.getCause())
            if (c instanceof DataFileCheck.Damaged d) return d.getMessage();
        String full = fullDisk(t);
        if (full != null) {
            diskFullSeen = true;
            return diskFull(full, command);
        }
        if ((command instanceof Writes || command instanceof Reads) && readFailure(t)) {
            try { // a file the command read may be damaged: say which
                OutputDir out = new OutputDir(command instanceof Writes w ? w.output() : ((Reads) command).input());
                return DataFileCheck.describe(
                        DataFileCheck.find(out, ResultTables.CatalogSpec.of(out.location(), sparkConf())));
            } catch (RuntimeException checkFailed) {
                return null; // the original failure is reported as it is
            }
        }
        return null;
    }

    /** The OS's words for a full disk when {@code t} or one of its causes says them, else null. */
    static String fullDisk(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause())
            if (find(c.getMessage(), FULL) != null) return find(c.getMessage(), FULL);
        return null;
    }

    /** The first of {@code words} in {@code message}, or null. */
    private static String find(String message, String[] words) {
        if (message != null) for (String w : words) if (message.contains(w)) return w;
        return null;
    }

    private static String diskFull(String reason, Object command) {
        if (!(command instanceof Writes w))
            return "a disk is full (" + reason + "): free space where this command writes (Spark's scratch directory,"
                    + " spark.local.dir, is /tmp by default) and run it again.";
        long free = free(w.output());
        return "a disk is full (" + reason + ") while writing output " + w.output()
                + (free < 0
                        ? ""
                        : " (its file system has " + mb(free) + " free now"
                                + (free > 64L << 20
                                        ? "; the full one may be Spark's scratch directory, spark.local.dir, /tmp by default"
                                        : "")
                                + ")")
                + ". Everything committed before stays in the tables and can be read (bin/gradsweep sql --in "
                + w.output() + "); what was being written was not committed and its files are removed by the next run."
                + " Free space on that disk (a compaction needs about as much again as the tables take while it"
                + " rewrites them), then continue with: " + w.continueWith();
    }

    /** Free bytes of the output's file system, or -1 when unknown. */
    private static long free(String output) {
        try {
            OutputDir out = new OutputDir(output);
            return out.exists() ? out.fs().getStatus(out.path()).getRemaining() : -1;
        } catch (IOException | UncheckedIOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    private static String mb(long bytes) {
        return bytes < 10L << 20 ? (bytes >> 10) + " KB" : (bytes >> 20) + " MB";
    }

    /** A query that failed reading files (a Spark job, an I/O or missing-file error), not one that failed to parse. */
    private static boolean readFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause())
            if (c instanceof IOException
                    || c instanceof UncheckedIOException
                    || c instanceof org.apache.spark.SparkException
                    || c instanceof org.apache.iceberg.exceptions.NotFoundException
                    || c instanceof org.apache.iceberg.exceptions.RuntimeIOException) return true;
        return false;
    }

    private static boolean quiet;
    /** A full disk was reported: Iceberg's reports of the streams it left open are noise from then on, Spark or not. */
    private static volatile boolean diskFullSeen;

    /**
     * In local mode, Spark's and Iceberg's log lines about a full disk or an unreadable data file (a task's exception,
     * its loss, the aborted writes or reads, each with its stack trace, and Iceberg's reports of the streams a full
     * disk left open) are not shown: the driver gets the same exception, which the paragraph explains or, when it
     * does not, prints with its stack trace. On a cluster the driver's lines stay: they say which executor failed.
     */
    static synchronized void quietExplainedLogs() {
        if (quiet || !(LogManager.getContext(false) instanceof LoggerContext ctx)) return;
        quiet = true;
        Filter f = new AbstractFilter(Filter.Result.DENY, Filter.Result.NEUTRAL) {
            @Override
            public Result filter(LogEvent e) {
                String msg = e.getMessage() == null ? "" : e.getMessage().getFormattedMessage();
                // Iceberg's report of a stream a failed write left open (found when it is collected): noise
                if (msg.startsWith("Unclosed output stream") && (diskFullSeen || localSpark())) return Result.DENY;
                boolean full = fullDisk(e.getThrown()) != null || find(msg, FULL) != null;
                if (!(full || unreadable(e.getThrown()) || find(msg, UNREADABLE) != null) || !localSpark())
                    return Result.NEUTRAL;
                diskFullSeen |= full;
                return Result.DENY;
            }
        };
        for (Appender a : ctx.getConfiguration().getAppenders().values())
            if (a instanceof AbstractFilterable af) af.addFilter(f);
    }

    /** How Iceberg and Parquet report a missing, truncated or half-written data file. */
    private static final String[] UNREADABLE = {
        "File does not exist", "is not a Parquet file", "Corrupted file", "Cannot return unfinished footer"
    };

    private static boolean unreadable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) if (find(c.getMessage(), UNREADABLE) != null) return true;
        return false;
    }

    /**
     * Spark runs here in local mode: SparkEnv, which executor threads see too (SparkSession hides its sessions from
     * them), read without SparkContext's lock (a log call must never wait on it).
     */
    private static boolean localSpark() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env != null && env.conf().get("spark.master", "").startsWith("local");
    }

    /** The catalog settings a reader's session sees: spark-submit's and the JVM's spark.* properties. */
    private static Map<String, String> sparkConf() {
        Map<String, String> m = new HashMap<>();
        for (scala.Tuple2<String, String> kv : new SparkConf(true).getAll()) m.put(kv._1(), kv._2());
        return m;
    }
}
