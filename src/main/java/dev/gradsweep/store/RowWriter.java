package dev.gradsweep.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;

import java.io.Closeable;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes rows of one {@link Table} to one Parquet file with parquet-hadoop. Per-step rows are built in place
 * ({@code begin().str(..).num(..)...end()}): no boxing and no row array per row, since a 50-layer net writes ~150
 * rows a step; {@link #write(Object...)} is the general form.
 */
public final class RowWriter implements Closeable {
    /** Row-group size: bounds the heap each open writer holds. */
    public static final int ROW_GROUP_BYTES = 8 << 20;

    private final ParquetWriter<Row> writer;
    private final Row row;
    private long rows;

    public RowWriter(Table table, Path file, Configuration conf) throws IOException {
        this.row = new Row(table);
        Builder b = new Builder(file, table).withConf(conf).withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                // A task may hold many writers open at once (a stack of runs x 3 tables); each buffers one row group
                // in memory, so keep row groups well below Parquet's 128 MB default.
                .withRowGroupSize(ROW_GROUP_BYTES)
                // Statistics are high-cardinality doubles: a dictionary only costs time before Parquet falls back.
                .withDictionaryEncoding(false);
        for (Table.Column c : table.columns)
            if (c.kind() == Table.Kind.STRING || c.kind() == Table.Kind.INT) b = b.withDictionaryEncoding(c.name(), true);
        this.writer = b.build();
    }

    /** Writes one row given as values in column order (null: not applicable). */
    public void write(Object... values) throws IOException {
        if (values.length != row.table.columns.size())
            throw new IllegalArgumentException(row.table.dir + ": row has " + values.length + " values for " + row.table.columns.size() + " columns");
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
        row.at = 0;
        return row;
    }

    /** Writes the row built since {@link #begin()}. */
    public void end() throws IOException {
        if (row.at != row.table.columns.size())
            throw new IllegalStateException(row.table.dir + ": row has " + row.at + " values for " + row.table.columns.size() + " columns");
        writer.write(row);
        rows++;
    }

    public long rows() {
        return rows;
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }

    /** One reusable row: the next column's value is set by each call. */
    public static final class Row {
        final Table table;
        final boolean[] isNull;
        final long[] bits; // long values, or a double's raw bits
        final String[] strings;
        int at;

        Row(Table table) {
            this.table = table;
            int n = table.columns.size();
            isNull = new boolean[n];
            bits = new long[n];
            strings = new String[n];
        }

        Table.Kind kind() {
            if (at >= table.columns.size()) throw new IllegalStateException(table.dir + ": more values than " + table.columns.size() + " columns");
            return table.columns.get(at).kind();
        }

        public Row str(String v) {
            if (kind() != Table.Kind.STRING) throw wrong("a string");
            isNull[at] = v == null;
            strings[at++] = v;
            return this;
        }

        /** An INT, LONG or TIMESTAMP column's value. */
        public Row num(long v) {
            Table.Kind k = kind();
            if (k != Table.Kind.INT && k != Table.Kind.LONG && k != Table.Kind.TIMESTAMP) throw wrong("an integer");
            isNull[at] = false;
            bits[at++] = v;
            return this;
        }

        /** A DOUBLE column's value (NaN is written as NaN). */
        public Row num(double v) {
            if (kind() != Table.Kind.DOUBLE) throw wrong("a double");
            isNull[at] = false;
            bits[at++] = Double.doubleToRawLongBits(v);
            return this;
        }

        /** A DOUBLE column's value where NaN means "not applicable": written as null. */
        public Row numOrNull(double v) {
            return Double.isNaN(v) ? none() : num(v);
        }

        public Row none() {
            kind();
            isNull[at++] = true;
            return this;
        }

        private IllegalArgumentException wrong(String what) {
            Table.Column c = table.columns.get(at);
            return new IllegalArgumentException(table.dir + "." + c.name() + " is " + c.kind() + ", not " + what);
        }
    }

    private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        private final Table table;

        Builder(Path file, Table table) {
            super(file);
            this.table = table;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(Configuration conf) {
            return new RowSupport(table);
        }
    }

    private static final class RowSupport extends WriteSupport<Row> {
        /** Encoded strings: the same run ids and layer and parameter names recur on every row. */
        private static final int MAX_CACHED = 4096;
        private final Table table;
        private final Map<String, Binary> binaries = new HashMap<>();
        private RecordConsumer out;

        RowSupport(Table table) {
            this.table = table;
        }

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(table.schema, Map.of("gradsweep.table", table.dir));
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        private Binary binary(String s) {
            Binary b = binaries.get(s);
            if (b == null) {
                if (binaries.size() >= MAX_CACHED) binaries.clear();
                binaries.put(s, b = Binary.fromConstantByteArray(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            return b;
        }

        @Override
        public void write(Row row) {
            out.startMessage();
            for (int i = 0; i < row.isNull.length; i++) {
                if (row.isNull[i]) continue;
                Table.Column c = table.columns.get(i);
                out.startField(c.name(), i);
                switch (c.kind()) {
                    case STRING: out.addBinary(binary(row.strings[i])); break;
                    case INT: out.addInteger((int) row.bits[i]); break;
                    case LONG: case TIMESTAMP: out.addLong(row.bits[i]); break;
                    case DOUBLE: out.addDouble(Double.longBitsToDouble(row.bits[i])); break;
                    default: throw new IllegalStateException();
                }
                out.endField(c.name(), i);
            }
            out.endMessage();
        }
    }
}
