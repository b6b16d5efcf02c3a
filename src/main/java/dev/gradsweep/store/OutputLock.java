package dev.gradsweep.store;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.config.RuntimeOptions;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * One writer per output (per namespace with a configured catalog, {@link LockPlace}) at a time. Holding the lock is
 * what makes cleanup safe: every file in a table's location that no snapshot references is then debris of a failed
 * attempt or a dead writer, never a file another writer is about to commit.
 * <p>
 * The lock is a sequence of generations ({@link LockFiles}), built only on what every Hadoop file system promises:
 * creating a file if it does not exist is atomic and fails if it does. Taking the lock, free or stale, is creating
 * {@code _lock.<N+1>} where N is the newest generation; of two contenders exactly one creates it, the other looks
 * again and finds a live holder. A holder of N has lost the lock as soon as a generation above N exists, or its own
 * file is gone or holds another token; {@link #verify} checks that before every destructive step, and the heartbeat
 * every beat. Nothing ever deletes or rewrites the newest generation's file, so numbers are never reused while it
 * stands: release creates {@code _lock.<N>.released}, and the next holder deletes the generations below its own,
 * oldest first. So {@link #close} never touches another writer's lock.
 * <p>
 * Staleness is judged without comparing two hosts' clocks. A holder on this host is judged by its process: gone, or
 * its pid reused since, stale at once; running, live (busy at once); this very process, live only while one of its
 * OutputLocks holds that generation (else an acquisition failed right after creating it). Any other holder (another
 * host's, a stopped process's, an old-style {@code _lock}) is judged by its heartbeat: the holder moves its file's
 * mtime every {@link RuntimeOptions#LOCK_HEARTBEAT} ms, and the contender watches for a change, on its own clock,
 * for {@link RuntimeOptions#LOCK_STALE} ms; a change means live (busy), none means stale (taken over). A writer paused
 * past that interval (GC, SIGSTOP, a slow NFS) finds on waking that it lost the lock and stops before deleting
 * anything. What no lock can close: a writer paused between its check and the deletion itself; the check runs right
 * before it.
 */
public final class OutputLock implements Closeable {
    /** The lock files' prefix, and the name of an older gradsweep's single lock file. */
    public static final String NAME = LockFiles.OLD;

    /** The tokens of the locks this process holds (a lock file of this pid with another token was abandoned). */
    private static final Set<String> HELD_HERE = ConcurrentHashMap.newKeySet();

    private final LockFiles files;
    private final LockPlace place;
    private final long gen, staleMs, heartbeatMs;
    private final String what, token;
    private final PrintStream err;
    /** This holder's generation file, and the next generation's (whose existence means the lock is lost). */
    private final Path own, next;

    private final Thread heartbeat;
    private volatile boolean closed;
    /** Why this process no longer holds the lock, once the heartbeat or a check found out. */
    private volatile String lost;

    private OutputLock(
            LockFiles files, LockPlace place, long gen, String what, String token, long[] timing, PrintStream err) {
        this.files = files;
        this.place = place;
        this.gen = gen;
        this.own = files.gen(gen);
        this.next = files.gen(gen + 1);
        this.what = what;
        this.token = token;
        this.staleMs = timing[0];
        this.heartbeatMs = timing[1];
        this.err = err;
        HELD_HERE.add(token);
        this.heartbeat = new Thread(this::beat, "gradsweep-lock-heartbeat");
        heartbeat.setDaemon(true);
        heartbeat.start();
    }

    /** The lock of an output in the default catalog. */
    public static OutputLock acquire(OutputDir out, String what) {
        return acquire(out, ResultTables.CatalogSpec.of(out.location(), Map.of()), what, System.err);
    }

    /**
     * Takes the lock over the output's tables (their namespace, with a configured catalog), or stops with a {@link
     * BadInputException} naming the live holder. A holder only its heartbeat can judge is watched for up to the
     * stale interval first (said on {@code err}).
     *
     * @param what the holder's activity, for the other writer's messages ("sweep quick", "compact")
     */
    public static OutputLock acquire(OutputDir out, ResultTables.CatalogSpec spec, String what, PrintStream err) {
        long[] timing = timing();
        LockPlace place = LockPlace.of(out, spec, err);
        LockFiles files = new LockFiles(place.dir());
        String token = UUID.randomUUID().toString();
        String text = LockFiles.text(what, token);
        try {
            place.dir().fs().mkdirs(place.dir().path());
            while (true) {
                LockFiles.Scan scan = files.scan();
                if (!scan.holders().isEmpty() && !stale(files, place, scan, timing[0], err)) continue;
                long n = scan.newest() + 1;
                if (!files.create(files.gen(n), text)) { // another contender was first: look again
                    pause(10);
                    continue;
                }
                if (files.scan().newest() > n) { // our listing was older than a generation created since
                    place.dir().fs().delete(files.gen(n), false);
                    continue;
                }
                CommitPoints.reached(scan.holders().isEmpty() ? "lock acquire" : "lock takeover");
                // all below n, oldest first (lostBecause relies on it)
                for (FileStatus st : scan.files()) place.dir().fs().delete(st.getPath(), false);
                return new OutputLock(files, place, n, what, token, timing, err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot lock " + place.subject() + " (" + place.dir().root() + ")", e);
        }
    }

    /** True while a writer holds (or a dead writer left) a lock in {@code dir}: a lock file not released. */
    public static boolean held(OutputDir dir) throws IOException {
        return !new LockFiles(dir).scan().holders().isEmpty();
    }

    /** The lock's own files, which {@code --overwrite} keeps. */
    public static boolean isLockFile(String name) {
        return LockFiles.isLockFile(name);
    }

    /** The stale interval and heartbeat (ms) from their settings. */
    private static long[] timing() {
        long stale = RuntimeOptions.positive(RuntimeOptions.LOCK_STALE);
        long beat = RuntimeOptions.positive(RuntimeOptions.LOCK_HEARTBEAT);
        if (stale < 2 * beat)
            throw new BadInputException(RuntimeOptions.LOCK_STALE.key() + "=" + stale + " must be at least twice "
                    + RuntimeOptions.LOCK_HEARTBEAT.key() + "=" + beat
                    + ", or a live writer's lock could count as stale between two beats");
        return new long[] {stale, beat};
    }

    /**
     * True when every holder in {@code scan} is gone; false when the lock files changed while we looked (look again).
     *
     * @throws BadInputException when a holder is alive
     */
    private static boolean stale(LockFiles files, LockPlace place, LockFiles.Scan scan, long staleMs, PrintStream err)
            throws IOException {
        Map<Path, Long> watched = new HashMap<>();
        String line = null;
        for (FileStatus h : scan.holders()) {
            String text = files.read(h.getPath());
            if (text == null) return false; // released and cleaned up meanwhile
            line = LockFiles.holderLine(text);
            switch (LockFiles.judge(text, HELD_HERE)) {
                case LIVE -> throw busy(place, h.getPath(), line, staleMs);
                case UNKNOWN -> watched.put(h.getPath(), h.getModificationTime());
                case DEAD -> {}
            }
        }
        if (watched.isEmpty()) return true;
        err.println("gradsweep: " + place.subject() + " is locked by " + line + "; watching its heartbeat for up to "
                + seconds(staleMs) + " to tell whether that writer is alive");
        long start = System.nanoTime(), poll = Math.max(10, Math.min(1000, staleMs / 20));
        while (true) {
            pause(poll);
            LockFiles.Scan now = files.scan();
            if (now.newest() != scan.newest()
                    || now.holders().size() != scan.holders().size()) return false;
            for (Map.Entry<Path, Long> w : watched.entrySet()) {
                FileStatus st = now.holder(w.getKey());
                if (st == null) return false;
                if (st.getModificationTime() != w.getValue())
                    throw busy(place, w.getKey(), LockFiles.holderLine(files.read(w.getKey())), staleMs);
            }
            if (System.nanoTime() - start >= staleMs * 1_000_000L) return true;
        }
    }

    private static void pause(long ms) throws java.io.InterruptedIOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the lock");
        }
    }

    private static BadInputException busy(LockPlace place, Path p, String holder, long staleMs) {
        return new BadInputException(place.subject() + " is being written: " + holder + " (" + p
                + "); wait for it to finish, or, if that process is gone, retry: its lock is taken over once its"
                + " heartbeat has stood still for " + seconds(staleMs) + " (at once if it ran on this host)");
    }

    private static String seconds(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms / 1000.0 + " s";
    }

    /** Every heartbeat: check that the lock is still ours, then move the file's mtime (by a second at least, which
     * file systems with one-second mtimes still show as a change). */
    private void beat() {
        long mtime = 0;
        while (!closed) {
            try {
                Thread.sleep(heartbeatMs);
            } catch (InterruptedException e) {
                return;
            }
            try {
                String why = lostBecause();
                if (why != null && !closed) {
                    lost = why;
                    err.println("gradsweep: " + what + " " + lostMessage("its next deletion", why));
                    return;
                }
                mtime = Math.max(System.currentTimeMillis(), mtime + 1000);
                if (!closed) files.dir.fs().setTimes(own, mtime, -1);
            } catch (IOException e) {
                // a missed beat: the next one retries, and verify() checks the lock itself before any deletion
            }
        }
    }

    /**
     * Why this process no longer holds the lock, or null while it does. Two looks while it does: its file carries its
     * token, and generation N+1 does not exist (a generation above N+1 exists only once N+1 did, and a new holder
     * deletes the generations below its own oldest first, so N+1 is gone only after N is).
     */
    private String lostBecause() throws IOException {
        String text = files.read(own);
        boolean ours = text != null && token.equals(LockFiles.field(text, "token "));
        if (ours && !files.exists(next)) return null;
        LockFiles.Scan scan = files.scan();
        if (scan.newest() > gen)
            return LockFiles.holderLine(files.read(files.gen(scan.newest()))) + " took it over ("
                    + files.gen(scan.newest()) + ")";
        if (text == null) return "its lock file " + own + " was removed";
        if (!ours) return LockFiles.holderLine(text) + " holds it (" + own + ")";
        return null; // N+1 came and went between the two looks: a contender that stepped back
    }

    private String lostMessage(String step, String why) {
        return "stopped before " + step + ": it no longer holds the lock on " + place.subject() + ": " + why
                + " (a lock whose heartbeat stands still for " + seconds(staleMs) + " is taken over: this process was"
                + " paused, or its file system unreachable); nothing was deleted. Wait for that writer to finish, then"
                + " run the command again";
    }

    /**
     * Stops with an error, deleting nothing, when this process no longer holds the lock (another writer took it
     * over): called before every destructive step.
     *
     * @param what the step about to run, for the message
     * @throws LockLostException when the lock is lost, or cannot be read to tell
     * @throws IllegalStateException after {@link #close}
     */
    public void verify(String what) {
        if (closed) throw new IllegalStateException("the lock on " + place.subject() + " was released before " + what);
        String why = lost;
        try {
            if (why == null) why = lostBecause();
        } catch (IOException e) {
            why = "its lock " + own + " cannot be read (" + e.getMessage() + ")";
        }
        if (why != null) {
            lost = why;
            throw new LockLostException(this.what + " " + lostMessage(what, why));
        }
    }

    /** Releases the lock if this process still holds it; another writer's lock is left as it is. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        HELD_HERE.remove(token);
        heartbeat.interrupt();
        try {
            heartbeat.join(10_000);
            String why = lost != null ? lost : lostBecause();
            if (why != null) {
                err.println("gradsweep: " + what + " leaves the lock on " + place.subject() + " to its holder: " + why);
                return;
            }
            files.create(files.released(gen), "released\n");
            CommitPoints.reached("lock release");
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot release the lock " + own + "; it counts as stale once"
                            + " its heartbeat has stood still for " + seconds(staleMs),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
