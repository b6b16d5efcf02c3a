package dev.gradsweep.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A sweep's output directory (local path or any Hadoop file system URI): the Iceberg tables of the default catalog
 * ({@link ResultTables}) and the writer's lock ({@link OutputLock}).
 */
public final class OutputDir {
    private final String root, location;
    private transient FileSystem fs;

    public OutputDir(String root) {
        this.root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
        // absolute, because Iceberg's metadata records every file's full path
        this.location = this.root.contains(":")
                ? this.root
                : "file:" + java.nio.file.Path.of(this.root).toAbsolutePath().normalize();
    }

    /** The directory as the user gave it (for messages). */
    public String root() {
        return root;
    }

    /** The directory as an absolute URI (local paths as {@code file:/...}). */
    public String location() {
        return location;
    }

    public Path path(String... parts) {
        return parts.length == 0 ? new Path(location) : new Path(location + "/" + String.join("/", parts));
    }

    /** A path on the local disk. */
    public boolean isLocal() {
        return location.startsWith("file:");
    }

    /** Hadoop's default resources, parsed once: a new Configuration parses their XML on first use (milliseconds). */
    private static final Configuration DEFAULTS = loaded(new Configuration());

    private static Configuration loaded(Configuration c) {
        c.size(); // loads the resources, which the copy constructor then copies instead of parsing again
        return c;
    }

    /** A fresh configuration of Hadoop's defaults, with this project's local file system (NioLocalFileSystem). */
    public static Configuration configuration() {
        return NioLocalFileSystem.configure(new Configuration(DEFAULTS));
    }

    public FileSystem fs() {
        if (fs == null) {
            try {
                Configuration conf = configuration();
                fs = FileSystem.get(URI.create(location), conf);
                fs.setWriteChecksum(false); // no .crc siblings next to the tables
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open output file system for " + root, e);
            }
        }
        return fs;
    }

    /** Deletes everything under the directory (only when the user asked to overwrite). */
    public void deleteAll() throws IOException {
        fs().delete(path(), true);
    }

    public boolean exists() throws IOException {
        return fs().exists(path());
    }
}
