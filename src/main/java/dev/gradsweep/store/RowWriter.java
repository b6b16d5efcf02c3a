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
import java.util.Map;

/** Writes {@code Object[]} rows of one {@link Table} to one Parquet file with parquet-hadoop. */
public final class RowWriter implements Closeable {
    /** Row-group size: bounds the heap each open writer holds. */
    public static final int ROW_GROUP_BYTES = 8 << 20;

    private final ParquetWriter<Object[]> writer;
    private long rows;

    public RowWriter(Table table, Path file, Configuration conf) throws IOException {
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

    public void write(Object... row) throws IOException {
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

    private static final class Builder extends ParquetWriter.Builder<Object[], Builder> {
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
        protected WriteSupport<Object[]> getWriteSupport(Configuration conf) {
            return new RowSupport(table);
        }
    }

    private static final class RowSupport extends WriteSupport<Object[]> {
        private final Table table;
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

        @Override
        public void write(Object[] row) {
            if (row.length != table.columns.size())
                throw new IllegalArgumentException(table.dir + ": row has " + row.length + " values for " + table.columns.size() + " columns");
            out.startMessage();
            for (int i = 0; i < row.length; i++) {
                Object v = row[i];
                if (v == null) continue;
                Table.Column c = table.columns.get(i);
                out.startField(c.name(), i);
                switch (c.kind()) {
                    case STRING: out.addBinary(Binary.fromString(v.toString())); break;
                    case INT: out.addInteger(((Number) v).intValue()); break;
                    case LONG: case TIMESTAMP: out.addLong(((Number) v).longValue()); break;
                    case DOUBLE: out.addDouble(((Number) v).doubleValue()); break;
                    default: throw new IllegalStateException();
                }
                out.endField(c.name(), i);
            }
            out.endMessage();
        }
    }
}
