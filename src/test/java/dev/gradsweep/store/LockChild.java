package dev.gradsweep.store;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.sweep.Compaction;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A writer in a JVM of its own, for {@link OutputLockTest}; it talks to the test through files in a sync directory.
 * <ul>
 *   <li>{@code race LOCKDIR ID ROUNDS SYNC}: in each round, once {@code go.<r>} exists, takes the lock if it can and
 *       holds it a moment: records entering and leaving in {@code log} (appends) and holds {@code held} (created
 *       O_EXCL, so a second holder at the same time fails to create it); writes its outcome to {@code done.<r>.<ID>}.
 *   <li>{@code hold OUT SYNC}: takes the output's lock as {@code compact}, opens its tables, creates {@code holding},
 *       waits for {@code go}, then removes orphan files as compact does, through {@link
 *       ResultTables#beforeDestructive}; writes what happened to {@code result}.
 * </ul>
 */
public final class LockChild {
    static final long HOLD_MS = 150;

    public static void main(String[] a) throws Exception {
        if (a[0].equals("race")) race(new OutputDir(a[1]), a[2], Integer.parseInt(a[3]), Path.of(a[4]));
        else hold(new OutputDir(a[1]), Path.of(a[2]));
        System.exit(0);
    }

    private static void race(OutputDir dir, String id, int rounds, Path sync) throws Exception {
        for (int r = 1; r <= rounds; r++) {
            awaitFile(sync.resolve("go." + r));
            String outcome;
            try (OutputLock lock = OutputLock.acquire(dir, "race " + id)) {
                boolean alone = create(sync.resolve("held"));
                append(sync.resolve("log"), r + " " + id + " enter" + (alone ? "" : " OVERLAP"));
                lock.verify("round " + r);
                Thread.sleep(HOLD_MS);
                lock.verify("round " + r);
                append(sync.resolve("log"), r + " " + id + " exit");
                if (alone) Files.delete(sync.resolve("held"));
                outcome = "won";
            } catch (LockLostException lost) { // a BadInputException too: caught first
                outcome = "lost " + lost.getMessage();
            } catch (BadInputException busy) {
                outcome = "busy " + busy.getMessage();
            }
            publish(sync.resolve("done." + r + "." + id), outcome);
        }
    }

    private static void hold(OutputDir out, Path sync) throws Exception {
        String result;
        try (OutputLock lock = OutputLock.acquire(out, "compact")) {
            ResultTables tables = ResultTables.open(out).lockedBy(lock);
            Files.writeString(sync.resolve("holding"), "");
            awaitFile(sync.resolve("go"));
            try {
                tables.beforeDestructive("removing orphan files");
                result = "deleted " + Compaction.removeOrphans(tables);
            } catch (LockLostException e) {
                result = "lost " + e.getMessage();
            }
        }
        publish(sync.resolve("result"), result);
    }

    /** Writes the file whole before its name appears (the test reads it as soon as it exists). */
    private static void publish(Path p, String text) throws IOException {
        Path part = Files.writeString(p.resolveSibling(p.getFileName() + ".part"), text);
        Files.move(part, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void awaitFile(Path p) throws InterruptedException {
        while (!Files.exists(p)) Thread.sleep(1);
    }

    private static boolean create(Path p) throws IOException {
        try {
            Files.createFile(p);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    private static void append(Path log, String line) throws IOException {
        Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
