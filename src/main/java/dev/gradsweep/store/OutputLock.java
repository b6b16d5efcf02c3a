package dev.gradsweep.store;

import dev.gradsweep.config.BadInputException;
import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Instant;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * One writer per output at a time: {@code <out>/_lock}, created atomically, holds the writer's host, process and
 * start time; the holder touches it every {@link #HEARTBEAT_MS} ms. A second sweep or compaction of the same output
 * stops with an error naming the holder. A lock not touched for {@link #STALE_MS} ms belongs to a writer that died
 * (a killed sweep) and is taken over.
 * <p>
 * Holding the lock is what makes cleanup safe: every file in a table's location that no snapshot references is
 * then debris of a failed attempt or a dead writer, never a file another sweep is about to commit.
 */
public final class OutputLock implements Closeable {
    public static final String NAME = "_lock";
    static final long HEARTBEAT_MS = 5_000, STALE_MS = 60_000;

    private final OutputDir out;
    private final Path path;
    private final Thread heartbeat;
    private volatile boolean closed;

    private OutputLock(OutputDir out, Path path) {
        this.out = out;
        this.path = path;
        this.heartbeat = new Thread(this::beat, "gradsweep-lock-heartbeat");
        heartbeat.setDaemon(true);
        heartbeat.start();
    }

    /** @param what the holder's activity, for the other writer's error message ("sweep", "compact") */
    public static OutputLock acquire(OutputDir out, String what) {
        Path p = out.path(NAME);
        String owner =
                what + " by " + host() + " pid " + ProcessHandle.current().pid() + " since " + Instant.now();
        try {
            out.fs().mkdirs(out.path());
            if (create(out, p, owner)) return acquired(out, p);
            FileStatus st;
            try {
                st = out.fs().getFileStatus(p);
            } catch (FileNotFoundException released) {
                if (create(out, p, owner)) return acquired(out, p);
                throw busy(out, p);
            }
            if (System.currentTimeMillis() - st.getModificationTime() < STALE_MS) throw busy(out, p);
            // the holder stopped touching it: a killed writer
            out.fs().delete(p, false);
            CommitPoints.reached("lock takeover");
            if (create(out, p, owner)) return acquired(out, p);
            throw busy(out, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + p, e);
        }
    }

    private static OutputLock acquired(OutputDir out, Path p) {
        CommitPoints.reached("lock acquired");
        return new OutputLock(out, p);
    }

    private static BadInputException busy(OutputDir out, Path p) {
        String holder;
        try (var in = out.fs().open(p)) {
            holder = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            holder = "another process";
        }
        return new BadInputException("output " + out.root() + " is being written: " + holder + " (" + p
                + "); wait for it to finish, " + "or, if that process is gone, retry in " + STALE_MS / 1000
                + " s, when its lock counts as stale");
    }

    /** Creates the lock file unless it exists, atomically: O_EXCL on a local disk, the file system's create otherwise. */
    private static boolean create(OutputDir out, Path p, String owner) throws IOException {
        byte[] text = (owner + "\n").getBytes(StandardCharsets.UTF_8);
        if (out.isLocal()) {
            try {
                Files.write(Files.createFile(java.nio.file.Path.of(p.toUri().getPath())), text);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            }
        }
        try (FSDataOutputStream o = out.fs().create(p, false)) {
            o.write(text);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    private void beat() {
        while (!closed) {
            try {
                Thread.sleep(HEARTBEAT_MS);
                if (!closed) out.fs().setTimes(path, System.currentTimeMillis(), -1);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                // a missed beat only makes the lock look older; the next one retries
            }
        }
    }

    /**
     * Stops with an error, deleting nothing, when this process no longer holds the lock (another writer took it
     * over): called before every destructive step.
     *
     * @param what the step about to run, for the message
     */
    public void verify(String what) {}

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        heartbeat.interrupt();
        try {
            out.fs().delete(path, false);
            CommitPoints.reached("lock released");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove lock " + path, e);
        }
    }
}
