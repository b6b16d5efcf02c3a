package dev.gradsweep.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Metrics;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.parquet.ParquetUtil;
import org.apache.iceberg.shaded.org.apache.parquet.HadoopReadOptions;
import org.apache.iceberg.shaded.org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.iceberg.shaded.org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * The data files of one task attempt: one Parquet file per table, shared by every run the task trains (a stack of
 * runs writes 4 files, not 4 per run), written in place in the tables' data directories under names no other attempt
 * uses. Nothing is visible until the driver commits the descriptions {@link #finish} returns; files of an attempt that
 * never returns are orphans, which the driver removes.
 */
public final class TaskFiles implements Closeable {
    private final Layout layout;
    private final Configuration conf;
    private final String prefix;
    private final Map<Table, RowWriter> writers = new EnumMap<>(Table.class);
    private final Map<Table, Path> paths = new EnumMap<>(Table.class);
    private boolean finished;

    /** @param name a prefix of the files' names (the task's first run id and attempt, for people reading listings) */
    public TaskFiles(Layout layout, String name, Configuration conf) {
        this.layout = layout;
        this.conf = conf;
        this.prefix = name + "-" + UUID.randomUUID();
    }

    public Layout layout() {
        return layout;
    }

    /** The table's writer, opened on first use. */
    public RowWriter writer(Table t) throws IOException {
        RowWriter w = writers.get(t);
        if (w == null) {
            if (finished) throw new IllegalStateException("task files already finished");
            Path p = new Path(layout.dataFile(t, prefix + "-" + t.dir + ".parquet"));
            fs(p).setWriteChecksum(false); // no .crc sibling per data file
            w = new RowWriter(t, layout.schema(t), p, conf);
            writers.put(t, w);
            paths.put(t, p);
        }
        return w;
    }

    /** Closes every file and describes the non-empty ones for the commit (empty ones are deleted). */
    public List<TaskFile> finish() throws IOException {
        finished = true;
        List<TaskFile> out = new ArrayList<>();
        for (Map.Entry<Table, RowWriter> e : writers.entrySet()) {
            RowWriter w = e.getValue();
            w.close();
            Path p = paths.get(e.getKey());
            if (w.rows() == 0) {
                fs(p).delete(p, false);
                continue;
            }
            FileStatus st = fs(p).getFileStatus(p);
            out.add(new TaskFile(
                    e.getKey(),
                    DataFiles.builder(PartitionSpec.unpartitioned())
                            .withPath(p.toString())
                            .withFormat(FileFormat.PARQUET)
                            .withFileSizeInBytes(st.getLen())
                            .withMetrics(footerMetrics(st))
                            .build()));
        }
        return out;
    }

    /**
     * Iceberg's column metrics from the file's footer. Read with this task's Hadoop configuration:
     * {@code ParquetUtil.fileMetrics} opens the footer with default read options, which build a new Hadoop
     * configuration and parse its XML resources for every file, the largest Java cost of a small-run task.
     */
    private Metrics footerMetrics(FileStatus st) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(
                HadoopInputFile.fromStatus(st, conf),
                HadoopReadOptions.builder(conf, st.getPath()).build())) {
            return ParquetUtil.footerMetrics(reader.getFooter(), Stream.empty(), MetricsConfig.getDefault());
        }
    }

    /** Closes and deletes every file (the attempt's rows are abandoned, e.g. a stack that falls back to one-by-one runs). */
    public void abandon() throws IOException {
        for (Map.Entry<Table, RowWriter> e : writers.entrySet()) {
            try {
                e.getValue().close();
            } finally {
                Path p = paths.get(e.getKey());
                fs(p).delete(p, false);
            }
        }
        writers.clear();
        paths.clear();
    }

    private FileSystem fs(Path p) throws IOException {
        return p.getFileSystem(conf);
    }

    /** Closes the files without describing them (they stay unreferenced). */
    @Override
    public void close() throws IOException {
        for (RowWriter w : writers.values()) w.close();
    }
}
