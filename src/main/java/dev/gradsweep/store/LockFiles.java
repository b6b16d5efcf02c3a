package dev.gradsweep.store;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * The files of {@link OutputLock} in one directory, and what a contender can tell about their holder:
 * <ul>
 *   <li>{@code _lock.<N>}: generation N, created only if absent; its first line names the holder ("sweep quick by
 *       HOST pid PID since INSTANT"), the next ones the holder's token and this boot's id (Linux); its mtime is the
 *       heartbeat;</li>
 *   <li>{@code _lock.<N>.released}: generation N was released (created, again only if absent, by its holder);</li>
 *   <li>{@code _lock}: the one lock file of a gradsweep from before generations, read as generation 0.</li>
 * </ul>
 */
final class LockFiles {
    static final String OLD = "_lock";
    private static final String RELEASED = ".released";
    private static final Pattern NAME = Pattern.compile("_lock(?:\\.(\\d{1,18})(\\.released)?)?");
    private static final Pattern HOLDER = Pattern.compile(".* by (\\S+) pid (\\d{1,18}) since (\\S+)");

    /** This machine: its host name, and the kernel's boot id where there is one (a reused host name differs in it). */
    private static final String HOST = host(), BOOT = bootId();

    final OutputDir dir;

    LockFiles(OutputDir dir) {
        this.dir = dir;
    }

    static boolean isLockFile(String name) {
        return NAME.matcher(name).matches();
    }

    /** The generation a lock file's name gives ({@code _lock}: 0). */
    private static long genOf(String name) {
        Matcher m = NAME.matcher(name);
        return m.matches() && m.group(1) != null ? Long.parseLong(m.group(1)) : 0;
    }

    Path gen(long n) {
        return n == 0 ? dir.path(OLD) : dir.path(OLD + "." + n);
    }

    Path released(long n) {
        return dir.path(OLD + "." + n + RELEASED);
    }

    /**
     * One listing of the directory.
     *
     * @param newest the highest generation number present (0: none)
     * @param holders the files whose holders may still write: generation {@code newest} unless released, and an
     *     old-style {@code _lock}
     * @param files every lock file, oldest generation first
     */
    record Scan(long newest, List<FileStatus> holders, List<FileStatus> files) {
        /** The holder file at {@code p} in this listing, or null. */
        FileStatus holder(Path p) {
            for (FileStatus h : holders) if (h.getPath().getName().equals(p.getName())) return h;
            return null;
        }
    }

    Scan scan() throws IOException {
        FileStatus[] listing;
        try {
            listing = dir.fs().listStatus(dir.path());
        } catch (FileNotFoundException e) {
            listing = new FileStatus[0];
        }
        long newest = 0;
        FileStatus old = null, newestFile = null;
        boolean newestReleased = false;
        List<FileStatus> files = new ArrayList<>();
        for (FileStatus st : listing) {
            Matcher m = NAME.matcher(st.getPath().getName());
            if (st.isDirectory() || !m.matches()) continue;
            files.add(st);
            if (m.group(1) == null) {
                old = st;
                continue;
            }
            long n = Long.parseLong(m.group(1));
            if (n > newest) {
                newest = n;
                newestFile = null;
                newestReleased = false;
            }
            if (n == newest && m.group(2) != null) newestReleased = true;
            else if (n == newest) newestFile = st;
        }
        files.sort(Comparator.comparingLong((FileStatus f) -> genOf(f.getPath().getName()))
                .thenComparing(f -> f.getPath().getName()));
        List<FileStatus> holders = new ArrayList<>();
        if (newestFile != null && !newestReleased) holders.add(newestFile);
        if (old != null) holders.add(old);
        return new Scan(newest, holders, files);
    }

    /**
     * Creates {@code p} with {@code text} unless it exists, atomically: {@code O_EXCL} on a local disk (Hadoop's local
     * create checks, then creates), the file system's {@code create(overwrite=false)} elsewhere.
     *
     * @return false when the file existed
     */
    boolean create(Path p, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (dir.isLocal()) {
            try {
                Files.write(Files.createFile(local(p)), bytes);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            }
        }
        try (FSDataOutputStream o = dir.fs().create(p, false)) {
            o.write(bytes);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    /** A new generation's text: who holds it, and its token. */
    static String text(String what, String token) {
        return what + " by " + HOST + " pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\ntoken "
                + token + "\n" + (BOOT == null ? "" : "boot " + BOOT + "\n");
    }

    /** The file's text, or null when it is gone (on a local disk through java.nio: a tenth of Hadoop's cost). */
    String read(Path p) throws IOException {
        if (dir.isLocal()) {
            try {
                return new String(
                        Files.readAllBytes(local(p)), StandardCharsets.UTF_8); // lenient, like the other branch
            } catch (java.nio.file.NoSuchFileException e) {
                return null;
            }
        }
        try (var in = dir.fs().open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    boolean exists(Path p) throws IOException {
        return dir.isLocal() ? Files.exists(local(p)) : dir.fs().exists(p);
    }

    private static java.nio.file.Path local(Path p) {
        return java.nio.file.Path.of(p.toUri().getPath());
    }

    /** The holder named by a lock file's text (its first line). */
    static String holderLine(String text) {
        if (text == null) return "another writer";
        String first = text.strip().lines().findFirst().orElse("");
        return first.isEmpty() ? "another writer (its lock file is still empty)" : first;
    }

    enum Verdict {
        /** A running process of this host. */
        LIVE,
        /** Its process is gone from this host. */
        DEAD,
        /** Another host's, stopped (SIGSTOP), or unreadable: only its heartbeat can tell. */
        UNKNOWN
    }

    /**
     * What this host can tell about a lock's holder from its text, with no clock but this host's.
     *
     * @param heldHere the tokens of the locks this process holds: a lock of this process with another token was
     *     left by an acquisition that failed after creating it (as if that process had died there)
     */
    static Verdict judge(String text, Set<String> heldHere) {
        Matcher m = HOLDER.matcher(holderLine(text));
        if (!m.matches() || !m.group(1).equals(HOST)) return Verdict.UNKNOWN;
        String boot = field(text, "boot ");
        if (boot != null && !boot.equals(BOOT)) return Verdict.UNKNOWN; // another machine of that name, or a reboot ago
        long pid = Long.parseLong(m.group(2));
        if (pid == ProcessHandle.current().pid())
            return heldHere.contains(field(text, "token ")) ? Verdict.LIVE : Verdict.DEAD;
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) return Verdict.DEAD;
        Optional<Instant> started = p.get().info().startInstant();
        try {
            // the pid now belongs to a process started after the lock was taken: the holder is gone
            if (started.isPresent()
                    && started.get().isAfter(Instant.parse(m.group(3)).plusSeconds(1))) return Verdict.DEAD;
        } catch (DateTimeParseException e) {
            // no start time to compare: judge by the process state
        }
        String state = procState(p.get().pid());
        if (state == null || state.equals("T") || state.equals("t")) return Verdict.UNKNOWN;
        return state.equals("Z") || state.equals("X") ? Verdict.DEAD : Verdict.LIVE;
    }

    /** The rest of the text's line that starts with {@code key}, or null. */
    static String field(String text, String key) {
        return text.lines()
                .filter(l -> l.startsWith(key))
                .map(l -> l.substring(key.length()))
                .findFirst()
                .orElse(null);
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    private static String bootId() {
        try {
            return Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id"))
                    .strip();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The process's state letter from /proc (R, S, D, T, Z, ...), or null where there is no /proc. */
    private static String procState(long pid) {
        try {
            String stat = Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')'); // the command name in parentheses may hold spaces
            return close < 0 || close + 2 >= stat.length() ? null : stat.substring(close + 2, close + 3);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
