package dev.gradsweep.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;

/**
 * Writes rows of one {@link Table} to one Parquet file. Per-step rows are built in place
 * ({@code begin().str(..).num(..)...end()}) straight into a page buffer: one row-major {@code long[]} of values (an
 * integer, a double's raw bits, or a string's dictionary id) and a null mask per row. A full buffer is encoded column
 * by column in bulk into compressed pages by {@link ChunkEncoder}; pages wait in memory until their row group is
 * full, as in parquet-hadoop, and are then laid out by its {@link ParquetFileWriter}, which also writes the column
 * and offset indexes and the footer.
 * <p>
 * Why not {@code ParquetWriter}: its per-value path (record consumer, value writers, statistics and level encoders per
 * value) cost more than computing the statistics on small nets (docs/performance.md); buffering a value here and
 * encoding it later in a tight loop costs a fraction of that.
 */
public final class RowWriter implements Closeable {
    /**
     * Row-group size (compressed pages): bounds the heap each open writer holds, since a task may hold many writers
     * open at once (a stack of runs x 3 tables); well below Parquet's 128 MB default.
     */
    public static final int ROW_GROUP_BYTES = 8 << 20;
    /**
     * Rows per data page (parquet-hadoop's default page row limit): the unit of the column index and of encoding,
     * which happens every this many rows, not value by value.
     */
    public static final int PAGE_ROWS = 20_000;

    private final Table table;
    private final Table.Kind[] kinds;
    /** The schema's columns: {@code MessageType.getColumns()} builds a new list on every call. */
    private final List<ColumnDescriptor> columns;

    private final ParquetFileWriter file;
    private final ChunkEncoder encoder;
    private final int rowGroupBytes, pageRows;
    private final Row row;
    private final StringDictionary[] dictionaries;
    /** The page being filled: rows in a row-major long[], and per row a mask of the null columns. */
    private long[] values = new long[0];

    private long[] nullMasks = new long[0];
    private int buffered;
    /** Encoded pages of the row group being filled, per column. */
    private final List<List<ChunkEncoder.Page>> pages = new ArrayList<>();

    private long groupRows, groupBytes;
    private long rows;
    private boolean closed;

    public RowWriter(Table table, Path file, Configuration conf) throws IOException {
        this(table, table.schema, file, conf, ROW_GROUP_BYTES, PAGE_ROWS);
    }

    /** @param schema {@code table.schema}, possibly with field ids (Iceberg reads columns by id) */
    public RowWriter(Table table, MessageType schema, Path file, Configuration conf) throws IOException {
        this(table, schema, file, conf, ROW_GROUP_BYTES, PAGE_ROWS);
    }

    /** Row-group and page sizes are parameters so that tests can write many of each with few rows. */
    RowWriter(Table table, Path file, Configuration conf, int rowGroupBytes, int pageRows) throws IOException {
        this(table, table.schema, file, conf, rowGroupBytes, pageRows);
    }

    private RowWriter(Table table, MessageType schema, Path file, Configuration conf, int rowGroupBytes, int pageRows)
            throws IOException {
        int n = table.columns.size();
        if (n > Long.SIZE)
            throw new IllegalArgumentException(table.dir + ": more than 64 columns do not fit the null mask");
        this.table = table;
        this.kinds = new Table.Kind[n];
        this.columns = schema.getColumns();
        this.dictionaries = new StringDictionary[n];
        for (int c = 0; c < n; c++) {
            kinds[c] = table.columns.get(c).kind();
            if (kinds[c] == Table.Kind.STRING) dictionaries[c] = new StringDictionary();
        }
        if (pageRows < 1) throw new IllegalArgumentException("pageRows must be >= 1");
        this.rowGroupBytes = rowGroupBytes;
        this.pageRows = pageRows;
        for (int c = 0; c < n; c++) pages.add(new ArrayList<>());
        this.file = new ParquetFileWriter(
                HadoopOutputFile.fromPath(file, conf),
                schema,
                ParquetFileWriter.Mode.OVERWRITE,
                rowGroupBytes,
                0,
                ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH,
                ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH,
                ParquetProperties.DEFAULT_PAGE_WRITE_CHECKSUM_ENABLED);
        this.encoder = new ChunkEncoder();
        this.row = new Row();
        this.file.start();
    }

    /** Writes one row given as values in column order (null: not applicable). */
    public void write(Object... values) throws IOException {
        if (values.length != kinds.length)
            throw new IllegalArgumentException(
                    table.dir + ": row has " + values.length + " values for " + kinds.length + " columns");
        begin();
        for (Object v : values) {
            Table.Kind k = row.kind();
            if (v == null) row.none();
            else if (k == Table.Kind.STRING) row.str(v.toString());
            else if (k == Table.Kind.DOUBLE) row.num(((Number) v).doubleValue());
            else row.num(((Number) v).longValue());
        }
        end();
    }

    /** Starts a row built in place; fill every column in order, then {@link #end()}. */
    public Row begin() {
        if (closed) throw new IllegalStateException(table.dir + ": writer is closed");
        if (buffered == nullMasks.length) {
            int cap = Math.min(pageRows, Math.max(256, 2 * buffered));
            nullMasks = Arrays.copyOf(nullMasks, cap);
            values = Arrays.copyOf(values, cap * kinds.length);
        }
        nullMasks[buffered] = 0;
        row.base = buffered * kinds.length;
        row.at = 0;
        return row;
    }

    /** Adds the row built since {@link #begin()}; encodes a page when the buffer is full. */
    public void end() throws IOException {
        if (row.at < 0) throw new IllegalStateException(table.dir + ": end() without begin()");
        if (row.at != kinds.length)
            throw new IllegalStateException(
                    table.dir + ": row has " + row.at + " values for " + kinds.length + " columns");
        row.at = -1; // a second end() without begin() is an error, not a duplicate row
        rows++;
        if (++buffered == pageRows) encodePage();
    }

    public long rows() {
        return rows;
    }

    private void encodePage() throws IOException {
        if (buffered == 0) return;
        for (int c = 0; c < kinds.length; c++) {
            ChunkEncoder.Page p = encoder.encode(
                    columns.get(c), kinds[c], values, kinds.length, c, nullMasks, buffered, dictionaries[c]);
            pages.get(c).add(p);
            groupBytes += p.bytes().length;
        }
        groupRows += buffered;
        buffered = 0;
        if (groupBytes >= rowGroupBytes) writeRowGroup();
    }

    private void writeRowGroup() throws IOException {
        if (groupRows == 0) return;
        file.startBlock(groupRows);
        for (int c = 0; c < kinds.length; c++) {
            encoder.writeChunk(file, columns.get(c), groupRows, pages.get(c), dictionaries[c]);
            pages.get(c).clear();
            if (dictionaries[c] != null) dictionaries[c].clear();
        }
        file.endBlock();
        groupRows = groupBytes = 0;
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        encodePage();
        writeRowGroup();
        file.end(Map.of("gradsweep.table", table.dir));
    }

    /** One row being built: each call sets the next column's value. */
    public final class Row {
        private int base, at = -1;

        Table.Kind kind() {
            if (at < 0) throw new IllegalStateException(table.dir + ": begin() a row first");
            if (at >= kinds.length)
                throw new IllegalStateException(table.dir + ": more values than " + kinds.length + " columns");
            return kinds[at];
        }

        public Row str(String v) {
            if (kind() != Table.Kind.STRING) throw wrong("a string");
            if (v == null) return none();
            values[base + at] = dictionaries[at].id(v);
            at++;
            return this;
        }

        /** An INT, LONG or TIMESTAMP column's value. */
        public Row num(long v) {
            Table.Kind k = kind();
            if (k != Table.Kind.INT && k != Table.Kind.LONG && k != Table.Kind.TIMESTAMP) throw wrong("an integer");
            if (k == Table.Kind.INT && (int) v != v)
                throw new IllegalArgumentException(column() + " is INT; " + v + " does not fit");
            values[base + at++] = v;
            return this;
        }

        /** A DOUBLE column's value (NaN is written as NaN). */
        public Row num(double v) {
            if (kind() != Table.Kind.DOUBLE) throw wrong("a double");
            values[base + at++] = Double.doubleToRawLongBits(v);
            return this;
        }

        /** A DOUBLE column's value where NaN means "not applicable": written as null. */
        public Row numOrNull(double v) {
            return Double.isNaN(v) ? none() : num(v);
        }

        public Row none() {
            kind();
            nullMasks[buffered] |= 1L << at;
            values[base + at++] = 0;
            return this;
        }

        private String column() {
            return table.dir + "." + table.columns.get(at).name();
        }

        private IllegalArgumentException wrong(String what) {
            return new IllegalArgumentException(column() + " is " + kinds[at] + ", not " + what);
        }
    }

    /** A string column's distinct values in one row group, numbered in order of first use. */
    static final class StringDictionary {
        private final java.util.HashMap<String, Integer> ids = new java.util.HashMap<>();
        private byte[][] utf8 = new byte[8][];

        int id(String s) {
            Integer id = ids.get(s);
            if (id != null) return id;
            int next = ids.size();
            if (next == utf8.length) utf8 = Arrays.copyOf(utf8, 2 * next);
            utf8[next] = s.getBytes(StandardCharsets.UTF_8);
            ids.put(s, next);
            return next;
        }

        int size() {
            return ids.size();
        }

        byte[] utf8(int id) {
            return utf8[id];
        }

        void clear() {
            ids.clear();
            Arrays.fill(utf8, null);
        }
    }
}
