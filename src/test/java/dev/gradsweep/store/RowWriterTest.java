package dev.gradsweep.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.internal.column.columnindex.ColumnIndex;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer encodes pages itself, so every file it writes is checked against parquet-hadoop's own semantics: values
 * read back by parquet-hadoop's reader and by Spark's vectorized reader, statistics of every row group and of every
 * page (the column index) equal to what parquet-hadoop computes value by value, and Spark's filter pushdown (which
 * prunes by those statistics) giving the counts a full scan gives.
 */
class RowWriterTest {
    @Test
    void rowsRoundTrip(@TempDir java.nio.file.Path dir) throws IOException {
        Path file = new Path(dir.resolve("steps.parquet").toUri());
        try (RowWriter w = new RowWriter(Table.STEPS, file, new Configuration())) {
            w.begin()
                    .str("r1")
                    .num(0)
                    .num(Double.NaN)
                    .numOrNull(Double.NaN)
                    .numOrNull(2.5)
                    .num(0.1)
                    .num(3.0)
                    .none();
            w.end();
            w.write("r1", 1, 1.25, null, 4.0, 0.1, 2.0, 0.75);
            assertThrows(
                    IllegalArgumentException.class, () -> w.begin().str("r1").num(1.5)); // step is an INT column
            assertThrows(
                    IllegalArgumentException.class, () -> w.begin().str("r1").num(1L << 40)); // does not fit an INT
            w.begin().str("r2").num(2);
            assertThrows(IllegalStateException.class, w::end); // a row missing columns is not written
            assertThrows(IllegalStateException.class, w::end); // nor a row ended twice
            assertEquals(2, w.rows());
        }
        assertTrue(Files.size(dir.resolve("steps.parquet")) > 0);
        try (ParquetReader<Group> r =
                ParquetReader.builder(new GroupReadSupport(), file).build()) {
            Group a = r.read(), b = r.read();
            assertNull(r.read());
            assertEquals("r1", a.getString("run_id", 0));
            assertEquals(0, a.getInteger("step", 0));
            assertTrue(Double.isNaN(a.getDouble("loss", 0)));
            assertEquals(0, a.getFieldRepetitionCount("grad_l2_total")); // null
            assertEquals(2.5, a.getDouble("update_l2_total", 0), 0.0);
            assertEquals(1, b.getInteger("step", 0));
            assertEquals(1.25, b.getDouble("loss", 0), 0.0);
            assertEquals(0, b.getFieldRepetitionCount("grad_l2_total"));
            assertEquals(2.0, b.getDouble("step_ms", 0), 0.0);
            assertEquals(0, a.getFieldRepetitionCount("heldout_loss"));
            assertEquals(0.75, b.getDouble("heldout_loss", 0), 0.0);
        }
    }

    @Test
    void emptyFileIsValid(@TempDir java.nio.file.Path dir) throws IOException {
        Path file = new Path(dir.resolve("layers.parquet").toUri());
        new RowWriter(Table.LAYERS, file, new Configuration()).close();
        try (ParquetFileReader r = ParquetFileReader.open(new Configuration(), file)) {
            assertEquals(0, r.getRecordCount());
            assertEquals(Table.LAYERS.schema, r.getFooter().getFileMetaData().getSchema());
        }
    }

    /** Seeded: random rows of every column kind, with nulls, NaN, ±0, infinities and strings, over many pages and row groups. */
    @Test
    void randomRowsReadBackWithParquetStatistics(@TempDir java.nio.file.Path dir) throws IOException {
        int groups = 0, seeds = 6;
        for (long seed = 1; seed <= seeds; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L);
            Table table = seed % 2 == 0 ? Table.RUNS : Table.PARAMS;
            int rows = 200 + rnd.nextInt(1500), pageRows = 1 + rnd.nextInt(300), groupBytes = 256 + rnd.nextInt(20_000);
            List<Object[]> written = randomRows(table, rows, rnd);
            Path file = new Path(dir.resolve("t" + seed + ".parquet").toUri());
            try (RowWriter w = new RowWriter(table, file, new Configuration(), groupBytes, pageRows)) {
                for (Object[] r : written) w.write(r);
            }
            String what = "seed " + seed + " (" + table.dir + ", " + rows + " rows, pages of " + pageRows
                    + ", groups of " + groupBytes + " B)";
            assertReadBack(table, file, written, what);
            groups += assertStatistics(table, file, written, what);
        }
        assertTrue(groups > 2 * seeds, groups + " row groups: the sizes chosen test too few");
    }

    /** Spark's vectorized reader decodes the same values, and pushed-down filters (pruning by the statistics) lose no row. */
    @Test
    void sparkReadsValuesAndPrunesCorrectly(@TempDir java.nio.file.Path dir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(42);
        List<Object[]> written = randomRows(Table.PARAMS, 3000, rnd);
        // step ascending, as in a run: row groups and pages then have disjoint step ranges to prune by
        for (int i = 0; i < written.size(); i++) written.get(i)[Table.PARAMS.index("step")] = i / 7;
        java.nio.file.Path out = dir.resolve("params");
        Files.createDirectories(out);
        try (RowWriter w = new RowWriter(
                Table.PARAMS, new Path(out.resolve("part.parquet").toUri()), new Configuration(), 4096, 97)) {
            for (Object[] r : written) w.write(r);
        }
        SparkSession spark = SparkSession.builder()
                .master("local[1]")
                .appName("row-writer-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        List<Row> back = spark.read().parquet(out.toString()).collectAsList();
        assertEquals(written.size(), back.size());
        for (int i = 0; i < back.size(); i++)
            for (int c = 0; c < Table.PARAMS.columns.size(); c++)
                assertSameValue(
                        Table.PARAMS.columns.get(c),
                        written.get(i)[c],
                        back.get(i).get(c),
                        "row " + i);

        spark.read().parquet(out.toString()).createOrReplaceTempView("p");
        String[] filters = {
            "step >= 300",
            "step < 17",
            "step = 200",
            "layer_name = 's3'",
            "layer_name > 's5'",
            "param IS NULL",
            "grad_l2 > 0",
            "grad_l2 <= 0",
            "grad_l2 = 0",
            "grad_mean > 1e10",
            "update_ratio IS NULL",
            "update_ratio < -1",
            "nonfinite > 0",
            "size BETWEEN -5 AND 5"
        };
        for (String f : filters) {
            String q = "SELECT count(*) FROM p WHERE " + f;
            spark.conf().set("spark.sql.parquet.filterPushdown", "true");
            long pushed = spark.sql(q).first().getLong(0);
            spark.conf().set("spark.sql.parquet.filterPushdown", "false");
            long scanned = spark.sql(q).first().getLong(0);
            spark.conf().unset("spark.sql.parquet.filterPushdown");
            assertEquals(scanned, pushed, f);
        }
        long expected = written.stream()
                .filter(r -> (int) r[Table.PARAMS.index("step")] >= 300)
                .count();
        assertEquals(
                expected,
                spark.sql("SELECT count(*) FROM p WHERE step >= 300").first().getLong(0));
    }

    // ---- random rows ---------------------------------------------------------------------------------------------

    private static final double[] SPECIAL = {
        Double.NaN,
        0.0,
        -0.0,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.MIN_VALUE,
        -Double.MIN_VALUE,
        Double.MAX_VALUE,
        -Double.MAX_VALUE,
        1e-300
    };

    /** Per column a null rate (none, some, half, all, or nulls first and values later) and a value distribution. */
    static List<Object[]> randomRows(Table table, int n, SplittableRandom rnd) {
        int cols = table.columns.size();
        double[] nullRate = new double[cols];
        boolean[] nullsFirst = new boolean[cols];
        int[] cardinality = new int[cols];
        for (int c = 0; c < cols; c++) {
            nullRate[c] = new double[] {0, 0, 0.05, 0.5, 1}[rnd.nextInt(5)];
            nullsFirst[c] = rnd.nextInt(6) == 0;
            cardinality[c] = 1 + rnd.nextInt(rnd.nextBoolean() ? 5 : 400);
        }
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object[] r = new Object[cols];
            for (int c = 0; c < cols; c++) {
                boolean isNull = nullsFirst[c] ? i < n / 2 : rnd.nextDouble() < nullRate[c];
                if (!isNull) r[c] = value(table.columns.get(c).kind(), cardinality[c], rnd);
            }
            rows.add(r);
        }
        return rows;
    }

    private static Object value(Table.Kind kind, int cardinality, SplittableRandom rnd) {
        switch (kind) {
            case STRING: {
                int k = rnd.nextInt(cardinality);
                return k == 0 ? "" : k % 7 == 0 ? "s" + k + " é→∂" : "s" + k;
            }
            case INT:
                return rnd.nextInt(10) == 0 ? rnd.nextInt() : rnd.nextInt(-cardinality, cardinality + 1);
            case LONG:
                return rnd.nextInt(10) == 0 ? rnd.nextLong() : (long) rnd.nextInt(-cardinality, cardinality + 1);
            case TIMESTAMP:
                return 1_600_000_000_000L + rnd.nextLong(-4_000_000_000_000L, 4_000_000_000_000L);
            case DOUBLE:
                if (rnd.nextInt(8) == 0) return SPECIAL[rnd.nextInt(SPECIAL.length)];
                return rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-30, 31));
            default:
                throw new IllegalStateException();
        }
    }

    // ---- checks --------------------------------------------------------------------------------------------------

    private static void assertReadBack(Table table, Path file, List<Object[]> written, String what) throws IOException {
        try (ParquetReader<Group> r =
                ParquetReader.builder(new GroupReadSupport(), file).build()) {
            for (int i = 0; i < written.size(); i++) {
                Group g = r.read();
                for (int c = 0; c < table.columns.size(); c++) {
                    Table.Column col = table.columns.get(c);
                    Object want = written.get(i)[c];
                    String at = what + ", row " + i + ", " + col.name();
                    if (want == null) {
                        assertEquals(0, g.getFieldRepetitionCount(c), at);
                        continue;
                    }
                    Object got;
                    switch (col.kind()) {
                        case STRING:
                            got = g.getString(c, 0);
                            break;
                        case INT:
                            got = g.getInteger(c, 0);
                            break;
                        case DOUBLE:
                            got = g.getDouble(c, 0);
                            break;
                        default:
                            got = g.getLong(c, 0);
                    }
                    assertSameValue(col, want, got, at);
                }
            }
            assertNull(r.read(), what + ": more rows than written");
        }
    }

    /** Same value: doubles compared bit for bit (NaN, -0.0), timestamps as epoch µs. */
    private static void assertSameValue(Table.Column col, Object want, Object got, String at) {
        if (want == null || got == null) assertEquals(want, got, at);
        else if (col.kind() == Table.Kind.DOUBLE)
            assertEquals(
                    Double.doubleToLongBits((Double) want),
                    Double.doubleToLongBits((Double) got),
                    at + ": " + want + " vs " + got);
        else if (got instanceof java.sql.Timestamp t)
            assertEquals(want, Math.floorDiv(t.getTime(), 1000) * 1_000_000 + t.getNanos() / 1000, at);
        else assertEquals(want, got, at);
    }

    /** Every row group's and every page's statistics are those parquet-hadoop computes value by value. */
    private static int assertStatistics(Table table, Path file, List<Object[]> written, String what)
            throws IOException {
        ParquetMetadataConverter converter = new ParquetMetadataConverter();
        try (ParquetFileReader reader = ParquetFileReader.open(new Configuration(), file)) {
            ParquetMetadata footer = reader.getFooter();
            String createdBy = footer.getFileMetaData().getCreatedBy();
            long first = 0;
            for (BlockMetaData block : footer.getBlocks()) {
                for (int c = 0; c < table.columns.size(); c++) {
                    ColumnChunkMetaData chunk = block.getColumns().get(c);
                    ColumnDescriptor desc = table.schema.getColumns().get(c);
                    PrimitiveType type = desc.getPrimitiveType();
                    String at = what + ", row group at row " + first + ", "
                            + table.columns.get(c).name();
                    Statistics<?> want = converter.fromParquetStatistics(
                            createdBy,
                            ParquetMetadataConverter.toParquetStatistics(
                                    expected(type, c, written, first, first + block.getRowCount())),
                            type);
                    assertEquals(want, chunk.getStatistics(), at);
                    assertEquals(want.getNumNulls(), chunk.getStatistics().getNumNulls(), at);

                    OffsetIndex pages = reader.readOffsetIndex(chunk);
                    ColumnIndex index = reader.readColumnIndex(chunk);
                    boolean nan = false;
                    List<Statistics<?>> perPage = new ArrayList<>();
                    for (int p = 0; p < pages.getPageCount(); p++) {
                        long from = first + pages.getFirstRowIndex(p),
                                to = first + pages.getLastRowIndex(p, block.getRowCount()) + 1;
                        Statistics<?> s = expected(type, c, written, from, to);
                        perPage.add(s);
                        nan |= s.hasNonNullValue() && (s.genericGetMax() instanceof Double d && d.isNaN());
                    }
                    if (nan) { // parquet-hadoop drops a column index whose pages have NaN bounds
                        assertNull(index, at + ": column index despite NaN");
                        continue;
                    }
                    for (int p = 0; p < perPage.size(); p++) {
                        Statistics<?> s = perPage.get(p);
                        assertEquals(
                                s.getNumNulls(), (long) index.getNullCounts().get(p), at + ", page " + p);
                        assertEquals(!s.hasNonNullValue(), index.getNullPages().get(p), at + ", page " + p);
                        if (!s.hasNonNullValue()) continue;
                        assertArrayEquals(
                                s.getMinBytes(), bytes(index.getMinValues().get(p)), at + ", page " + p + " min");
                        assertArrayEquals(
                                s.getMaxBytes(), bytes(index.getMaxValues().get(p)), at + ", page " + p + " max");
                    }
                }
                first += block.getRowCount();
            }
            assertEquals(written.size(), first, what);
            return footer.getBlocks().size();
        }
    }

    /** parquet-hadoop's statistics of rows [from, to) of column c, updated value by value as its column writers do. */
    private static Statistics<?> expected(PrimitiveType type, int c, List<Object[]> rows, long from, long to) {
        Statistics<?> s = Statistics.createStats(type);
        for (long i = from; i < to; i++) {
            Object v = rows.get((int) i)[c];
            if (v == null) s.incrementNumNulls();
            else if (v instanceof String str) s.updateStats(Binary.fromString(str));
            else if (v instanceof Integer x) s.updateStats((int) x);
            else if (v instanceof Long x) s.updateStats((long) x);
            else s.updateStats((double) (Double) v);
        }
        return s;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
