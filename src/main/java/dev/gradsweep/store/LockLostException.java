package dev.gradsweep.store;

import dev.gradsweep.config.BadInputException;

/**
 * Thrown by {@link OutputLock#verify} before a destructive step when another writer has taken over the output's lock
 * (this process was paused, or its file system unreachable, longer than the stale interval): the step did not run,
 * nothing was deleted. Like the busy lock at the start, it means "another writer has this output", so the CLI prints
 * its one-line message and exits 2.
 */
public final class LockLostException extends BadInputException {
    public LockLostException(String message) {
        super(message);
    }
}
