package dev.gradsweep.store;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FsStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system under the scheme {@code fulldisk:} ({@code fulldisk:/tmp/x} is {@code /tmp/x}), whose
 * disk can be made to fill up: once {@link #fill} is called, writes to files whose path contains the given part fail
 * after the given number of bytes exactly as a full local disk fails them, with {@code FSError(IOException("No space
 * left on device"))} thrown from under the stream's buffer (where Hadoop's {@code LocalFSFileOutputStream} wraps the
 * OS's error). Registered through META-INF/services, so every Hadoop configuration of the test JVM (the driver's, the
 * Iceberg catalog's, the executors') finds it. One budget for the JVM: tests using it do not run concurrently.
 */
public class FullDiskFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "fulldisk";
    /** The OS's words for ENOSPC. */
    public static final String ENOSPC = "No space left on device";

    private static final AtomicLong left = new AtomicLong(Long.MAX_VALUE);
    private static volatile String where = "";

    /** From now on, writes to files whose path contains {@code pathPart} fail after {@code bytes} more bytes. */
    public static void fill(String pathPart, long bytes) {
        where = pathPart;
        left.set(bytes);
    }

    /** Space freed: writes succeed again. */
    public static void free() {
        left.set(Long.MAX_VALUE);
    }

    /** {@code fulldisk:} followed by the local path. */
    public static String uri(java.nio.file.Path local) {
        return SCHEME + ":" + local.toAbsolutePath();
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    /** Permissions play no part here; Hadoop would fork chmod for each. */
    @Override
    public void setPermission(Path p, FsPermission permission) {}

    /** Plain statuses: Hadoop's local ones read their permissions through java.io.File, which takes file: URIs only. */
    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return plain(super.getFileStatus(f));
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        FileStatus[] st = super.listStatus(f);
        for (int i = 0; i < st.length; i++) st[i] = plain(st[i]);
        return st;
    }

    private static FileStatus plain(FileStatus s) {
        return new FileStatus(
                s.getLen(),
                s.isDirectory(),
                s.getReplication(),
                s.getBlockSize(),
                s.getModificationTime(),
                s.getPath());
    }

    @Override
    public FsStatus getStatus(Path p) throws IOException {
        FsStatus real = super.getStatus(p);
        return new FsStatus(real.getCapacity(), real.getUsed(), Math.min(real.getRemaining(), left.get()));
    }

    @Override
    protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission)
            throws IOException {
        OutputStream os = super.createOutputStreamWithMode(f, append, permission);
        return f.toUri().getPath().contains(where) ? new Budgeted(os) : os;
    }

    /** Counts the bytes that reach the OS and fails once the disk is "full". */
    private static final class Budgeted extends FilterOutputStream {
        Budgeted(OutputStream os) {
            super(os);
        }

        @Override
        public void write(int b) throws IOException {
            take(1);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            take(len);
            out.write(b, off, len);
        }

        private static void take(long n) {
            if (left.addAndGet(-n) < 0) {
                left.set(0);
                throw fsError(new IOException(ENOSPC));
            }
        }
    }

    /** Hadoop's FSError, whose constructor is package-private. */
    private static FSError fsError(IOException cause) {
        try {
            var c = FSError.class.getDeclaredConstructor(Throwable.class);
            c.setAccessible(true);
            return c.newInstance(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
