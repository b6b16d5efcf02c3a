package dev.gradsweep.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Set;
import java.util.TreeSet;

/**
 * A sweep's output directory (local path or any Hadoop file system URI) and its commit protocol: a run's files
 * are written under {@code _staging/<run_id>/<attempt>/}, renamed into {@code <table>/<run_id>.parquet}, the
 * {@code runs} file last. A run is committed exactly when its runs file exists; a retried attempt replaces files
 * whole, so rows are never duplicated.
 */
public final class OutputDir {
    public static final String STAGING = "_staging";
    private final String root;
    private transient FileSystem fs;

    public OutputDir(String root) {
        this.root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    }

    public String root() {
        return root;
    }

    public Path path(String... parts) {
        return new Path(root + "/" + String.join("/", parts));
    }

    public Path tableFile(Table t, String runId) {
        return path(t.dir, runId + ".parquet");
    }

    public Path stagingDir(String runId, int attempt) {
        return path(STAGING, runId, Integer.toString(attempt));
    }

    public FileSystem fs() {
        if (fs == null) {
            try {
                Configuration conf = new Configuration();
                fs = FileSystem.get(URI.create(root.contains("://") ? root : "file:///"), conf);
                fs.setWriteChecksum(false); // no .crc siblings next to the tables
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open output file system for " + root, e);
            }
        }
        return fs;
    }

    /** run_ids whose runs file exists. */
    public Set<String> committedRuns() {
        Set<String> ids = new TreeSet<>();
        try {
            Path dir = path(Table.RUNS.dir);
            if (!fs().exists(dir)) return ids;
            for (FileStatus st : fs().listStatus(dir)) {
                String n = st.getPath().getName();
                if (n.endsWith(".parquet")) ids.add(n.substring(0, n.length() - ".parquet".length()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + path(Table.RUNS.dir), e);
        }
        return ids;
    }

    /** Moves a finished attempt's files into place; the runs file last, so readers never see half a run. */
    public void commit(String runId, int attempt) throws IOException {
        Path staging = stagingDir(runId, attempt);
        for (Table t : new Table[]{Table.STEPS, Table.PARAMS, Table.LAYERS, Table.TIMESTEPS, Table.RUNS}) {
            Path from = new Path(staging, t.dir + ".parquet");
            Path to = tableFile(t, runId);
            fs().mkdirs(to.getParent());
            if (fs().exists(to)) fs().delete(to, false); // an earlier attempt of the same run: replaced whole
            if (!fs().rename(from, to)) throw new IOException("could not rename " + from + " to " + to);
        }
        fs().delete(path(STAGING, runId), true);
    }

    /** Deletes everything under the directory (only when the user asked to overwrite). */
    public void deleteAll() throws IOException {
        fs().delete(path(), true);
    }

    public boolean exists() throws IOException {
        return fs().exists(path());
    }
}
