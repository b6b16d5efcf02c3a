package dev.gradsweep.store;

import dev.gradsweep.config.RuntimeOptions;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The metadata operations of a writer (each Iceberg commit, each file deletion, each lock acquisition, takeover and
 * release), counted so that a test can stop the process after the k-th one and check that nothing committed is lost.
 * Every such operation calls {@link #reached} right after it took effect, on the thread that drives the writer, so
 * the count is the same in every run of the same command on the same input ({@link RuntimeOptions#CRASH_AFTER}).
 */
public final class CommitPoints {
    /** Exit status of a process halted by {@link RuntimeOptions#CRASH_HALT}. */
    public static final int HALT_STATUS = 86;

    private static final AtomicLong COUNT = new AtomicLong();
    private static volatile Consumer<String> observer;

    private CommitPoints() {}

    /** The test hook's in-process fault: the k-th operation took effect, and nothing after it runs. */
    public static final class Crash extends IllegalStateException {
        Crash(long k, String what) {
            super(RuntimeOptions.CRASH_AFTER.key() + "=" + k + ": stopped right after metadata operation " + k + " ("
                    + what + ")");
        }
    }

    /** @param what the operation that just took effect, for the crash test's message (e.g. "append steps") */
    public static void reached(String what) {
        long n = COUNT.incrementAndGet();
        Consumer<String> o = observer;
        if (o != null) o.accept(what);
        String at = RuntimeOptions.get(RuntimeOptions.CRASH_AFTER).strip();
        if (at.chars().allMatch(Character::isDigit) ? Long.parseLong(at) != n : !at.equals(what)) return;
        if (RuntimeOptions.flag(RuntimeOptions.CRASH_HALT)) {
            System.err.println(RuntimeOptions.CRASH_AFTER.key() + "=" + n + ": halting right after " + what);
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
        throw new Crash(n, what);
    }

    /** Operations counted in this JVM so far: a test stops the next command after its k-th with {@code count() + k}. */
    public static long count() {
        return COUNT.get();
    }

    /** Tests: receives the name of every operation from now on (null: none); the operations' order, by phase. */
    public static void observe(Consumer<String> names) {
        observer = names;
    }
}
