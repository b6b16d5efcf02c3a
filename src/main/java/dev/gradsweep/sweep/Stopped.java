package dev.gradsweep.sweep;

import dev.gradsweep.config.BadInputException;

/**
 * The error a writer (sweep, compact, migrate) leaves when it stops partway, whatever stopped it (a failed commit, a
 * full disk, the crash tests' fault): what it committed is kept, and the message names the command that finishes
 * the work. A writer that is killed leaves no message; the next command's is the stale lock's.
 */
public final class Stopped extends RuntimeException {
    private Stopped(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code e} with the advice to run {@code finish}; bad input (exit 2, nothing started) passes unchanged. */
    static RuntimeException advise(Exception e, String command, String finish) {
        if (e instanceof BadInputException || e instanceof IllegalArgumentException || e instanceof Stopped)
            return (RuntimeException) e;
        return new Stopped(
                command + " stopped before it finished (" + e.getMessage() + "); what it committed is kept, and"
                        + " nothing committed is lost: finish it with " + finish,
                e);
    }
}
