package dev.gradsweep.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rows built in place and rows given as values come back from Parquet as written: NaN stays NaN, n/a is null. */
class RowWriterTest {
    @Test
    void rowsRoundTrip(@TempDir java.nio.file.Path dir) throws IOException {
        Path file = new Path(dir.resolve("steps.parquet").toUri());
        try (RowWriter w = new RowWriter(Table.STEPS, file, new Configuration())) {
            w.begin().str("r1").num(0).num(Double.NaN).numOrNull(Double.NaN).numOrNull(2.5).num(0.1).num(3.0);
            w.end();
            w.write("r1", 1, 1.25, null, 4.0, 0.1, 2.0);
            assertThrows(IllegalArgumentException.class, () -> w.begin().str("r1").num(1.5)); // step is an INT column
            w.begin().str("r2").num(2);
            assertThrows(IllegalStateException.class, w::end); // a row missing columns is not written
            assertEquals(2, w.rows());
        }
        assertTrue(Files.size(dir.resolve("steps.parquet")) > 0);
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).build()) {
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
        }
    }
}
