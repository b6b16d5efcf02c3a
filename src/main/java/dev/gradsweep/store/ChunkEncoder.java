package dev.gradsweep.store;

import io.airlift.compress.snappy.SnappyCompressor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;

/**
 * Encodes buffered rows the way parquet-hadoop's v1 writer lays them out: per column, data pages holding RLE
 * definition levels (the columns are optional, so max level 1, no repetition levels) and then the values, PLAIN for
 * numbers and dictionary ids for strings, with one dictionary page per column chunk; Snappy-compressed. Page
 * statistics are parquet-hadoop's: min and max in the column type's order (for doubles {@link Double#compare}, so NaN
 * is the maximum and -0.0 sorts below 0.0; readers discard or widen those) and the null count.
 * {@link ParquetFileWriter} builds the chunk statistics and the column index from them.
 * <p>
 * Snappy is aircompressor's pure-Java implementation (the one parquet-hadoop itself uses for LZ4_RAW), not
 * parquet-hadoop's snappy-java codec: inside the training process the JNI compress call was slow and erratic even
 * for small pages, all of it in native {@code rawCompress}, while the pure-Java one is steady and cheaper
 * (docs/performance.md). The output is the same raw Snappy block format.
 */
final class ChunkEncoder {
    static final CompressionCodecName CODEC = CompressionCodecName.SNAPPY;

    private final SnappyCompressor snappy = new SnappyCompressor();
    /** The page being encoded (little-endian, as Parquet's PLAIN encoding is) and the compressed copy. */
    private byte[] page = new byte[1 << 16], compressed = new byte[0];

    private ByteBuffer le = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
    private int pos;
    private boolean[] seen = new boolean[64];

    /** One column's page, compressed, waiting for its row group to be written. */
    record Page(byte[] bytes, int uncompressedSize, int rows, Statistics<?> stats, Encoding encoding) {}

    /**
     * Encodes column {@code c} of the first {@code rows} rows of a row-major buffer ({@code values[r * stride + c]};
     * bit {@code c} of {@code nullMasks[r]} set means null) as one data page.
     */
    Page encode(
            ColumnDescriptor col,
            Table.Kind kind,
            long[] values,
            int stride,
            int c,
            long[] nullMasks,
            int rows,
            RowWriter.StringDictionary dict)
            throws IOException {
        long bit = 1L << c;
        int nulls = 0;
        for (int r = 0; r < rows; r++) if ((nullMasks[r] & bit) != 0) nulls++;
        pos = 0;
        writeDefinitionLevels(nullMasks, bit, rows, nulls);
        Statistics<?> stats = Statistics.createStats(col.getPrimitiveType());
        stats.incrementNumNulls(nulls);
        Encoding encoding = Encoding.PLAIN;
        switch (kind) {
            case DOUBLE:
                doubles(values, stride, c, nullMasks, bit, rows, stats);
                break;
            case INT:
                integers(values, stride, c, nullMasks, bit, rows, stats, true);
                break;
            case LONG:
            case TIMESTAMP:
                integers(values, stride, c, nullMasks, bit, rows, stats, false);
                break;
            case STRING:
                // a page of nulls before the row group's first string has no values to encode: PLAIN, like a
                // dictionary writer's fallback page
                if (dict.size() > 0) {
                    dictionaryIds(values, stride, c, nullMasks, bit, rows, dict, stats);
                    encoding = Encoding.PLAIN_DICTIONARY;
                }
                break;
            default:
                throw new IllegalStateException(kind.toString());
        }
        return new Page(compress(), pos, rows, stats, encoding);
    }

    /** Writes one column chunk of the current row group: the dictionary page of a string column, then the pages. */
    void writeChunk(
            ParquetFileWriter file, ColumnDescriptor col, long rows, List<Page> pages, RowWriter.StringDictionary dict)
            throws IOException {
        file.startColumn(col, rows, CODEC);
        if (dict != null && dict.size() > 0) writeDictionaryPage(file, dict);
        for (Page p : pages)
            file.writeDataPage(
                    p.rows,
                    p.uncompressedSize,
                    BytesInput.from(p.bytes),
                    p.stats,
                    p.rows,
                    Encoding.BIT_PACKED,
                    Encoding.RLE,
                    p.encoding);
        file.endColumn();
    }

    /** A 4-byte length, then the levels: one RLE run when the page has no nulls or only nulls, else hybrid RLE. */
    private void writeDefinitionLevels(long[] nullMasks, long bit, int n, int nulls) throws IOException {
        ensure(4 + 6);
        pos = 4;
        if (nulls == 0 || nulls == n) {
            for (long header = (long) n << 1; ; header >>>= 7) { // varint run header: count << 1, low bit 0 = RLE run
                if (header < 0x80) {
                    page[pos++] = (byte) header;
                    break;
                }
                page[pos++] = (byte) (header | 0x80);
            }
            page[pos++] = (byte) (nulls == 0 ? 1 : 0);
        } else {
            RunLengthBitPackingHybridEncoder levels =
                    new RunLengthBitPackingHybridEncoder(1, 64, 1 << 20, HeapByteBufferAllocator.getInstance());
            for (int r = 0; r < n; r++) levels.writeInt((nullMasks[r] & bit) != 0 ? 0 : 1);
            append(levels.toBytes());
            levels.close();
        }
        le.putInt(0, pos - 4);
    }

    private void doubles(long[] values, int stride, int c, long[] nullMasks, long bit, int rows, Statistics<?> stats) {
        ensure(Long.BYTES * rows);
        double min = 0, max = 0;
        boolean any = false;
        for (int r = 0; r < rows; r++) {
            if ((nullMasks[r] & bit) != 0) continue;
            long b = values[r * stride + c];
            le.putLong(pos, b);
            pos += Long.BYTES;
            double v = Double.longBitsToDouble(b);
            if (!any) {
                min = max = v;
                any = true;
            } else if (Double.compare(v, min) < 0) min = v;
            else if (Double.compare(v, max) > 0) max = v;
        }
        if (any) {
            stats.updateStats(min);
            stats.updateStats(max);
        }
    }

    /** INT32 ({@code int32}) or INT64 values; both are ordered as signed numbers. */
    private void integers(
            long[] values,
            int stride,
            int c,
            long[] nullMasks,
            long bit,
            int rows,
            Statistics<?> stats,
            boolean int32) {
        ensure(Long.BYTES * rows);
        long min = 0, max = 0;
        boolean any = false;
        for (int r = 0; r < rows; r++) {
            if ((nullMasks[r] & bit) != 0) continue;
            long v = values[r * stride + c];
            if (int32) {
                le.putInt(pos, (int) v);
                pos += Integer.BYTES;
            } else {
                le.putLong(pos, v);
                pos += Long.BYTES;
            }
            if (!any) {
                min = max = v;
                any = true;
            } else if (v < min) min = v;
            else if (v > max) max = v;
        }
        if (!any) return;
        if (int32) {
            stats.updateStats((int) min);
            stats.updateStats((int) max);
        } else {
            stats.updateStats(min);
            stats.updateStats(max);
        }
    }

    /** One byte of bit width, then the ids in parquet's RLE/bit-packing hybrid; min and max over the strings used. */
    private void dictionaryIds(
            long[] values,
            int stride,
            int c,
            long[] nullMasks,
            long bit,
            int rows,
            RowWriter.StringDictionary dict,
            Statistics<?> stats)
            throws IOException {
        int bitWidth =
                BytesUtils.getWidthFromMaxInt(dict.size() - 1); // of the dictionary so far, like parquet-hadoop's
        if (seen.length < dict.size()) seen = new boolean[Math.max(dict.size(), 2 * seen.length)];
        Arrays.fill(seen, 0, dict.size(), false);
        RunLengthBitPackingHybridEncoder ids =
                new RunLengthBitPackingHybridEncoder(bitWidth, 64, 1 << 20, HeapByteBufferAllocator.getInstance());
        for (int r = 0; r < rows; r++) {
            if ((nullMasks[r] & bit) != 0) continue;
            int id = (int) values[r * stride + c];
            ids.writeInt(id);
            seen[id] = true;
        }
        ensure(1);
        page[pos++] = (byte) bitWidth;
        append(ids.toBytes());
        ids.close();
        for (int id = 0; id < dict.size(); id++)
            if (seen[id]) stats.updateStats(Binary.fromConstantByteArray(dict.utf8(id)));
    }

    /** PLAIN: each string as a 4-byte length and its UTF-8 bytes; compressed like the data pages. */
    private void writeDictionaryPage(ParquetFileWriter file, RowWriter.StringDictionary dict) throws IOException {
        pos = 0;
        for (int id = 0; id < dict.size(); id++) {
            byte[] s = dict.utf8(id);
            ensure(4 + s.length);
            le.putInt(pos, s.length);
            System.arraycopy(s, 0, page, pos + 4, s.length);
            pos += 4 + s.length;
        }
        BytesInput compressed = BytesInput.from(compress());
        file.writeDictionaryPage(new DictionaryPage(compressed, pos, dict.size(), Encoding.PLAIN_DICTIONARY));
    }

    /** The encoded page, compressed, in an array of its own: pages wait in memory until their row group is written. */
    private byte[] compress() {
        int max = snappy.maxCompressedLength(pos);
        if (compressed.length < max) compressed = new byte[Math.max(max, 2 * compressed.length)];
        return Arrays.copyOf(compressed, snappy.compress(page, 0, pos, compressed, 0, compressed.length));
    }

    private void append(BytesInput bytes) throws IOException {
        byte[] b = bytes.toByteArray();
        ensure(b.length);
        System.arraycopy(b, 0, page, pos, b.length);
        pos += b.length;
    }

    private void ensure(int more) {
        if (pos + more <= page.length) return;
        page = Arrays.copyOf(page, Math.max(pos + more, 2 * page.length));
        le = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
    }
}
