package dev.gradsweep.stats;

import dev.gradsweep.hostmem.HostMemory;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link HostDirectMemory}'s matrix products: one OpenBLAS gemm per run on each operand's host memory.
 */
final class HostMatmul {
    private HostMatmul() {}

    /**
     * One gemm per run on each operand's host memory, at the run's offset; a rank-2 product is one run (K = 1), which
     * leaves out ND4J's op set-up as well. The runs are the leading axes (none, [K] or [K1, K2]) at any strides, and
     * each run's matrix may have a leading dimension larger than its row (the transformer's heads, read and written in
     * place in the [B·T, ·] arrays). Other layouts (a last axis not of unit stride) and other types than float32 and
     * float64 go through ND4J's matmul.
     */
    static void matmul(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        DataType dt = c.dataType();
        int rank = c.rank();
        int m = (int) c.size(rank - 2), n = (int) c.size(rank - 1);
        int inner = (int) (transA ? a.size(rank - 2) : a.size(rank - 1));
        if (!(dt == DataType.FLOAT || dt == DataType.DOUBLE)
                || rank > 4
                || !gemmable(a, dt, rank)
                || !gemmable(b, dt, rank)
                || !gemmable(c, dt, rank)
                || inner == 0) {
            Nd4j.matmul(a, b, c, transA, transB, false);
            return;
        }
        for (int i = 0; i < rank - 2; i++)
            if (a.size(i) != c.size(i) || b.size(i) != c.size(i))
                throw new IllegalArgumentException("matmul: shapes " + java.util.Arrays.toString(a.shape()) + ", "
                        + java.util.Arrays.toString(b.shape()) + " → " + java.util.Arrays.toString(c.shape()));
        if ((transA ? a.size(rank - 1) : a.size(rank - 2)) != m
                || (transB ? b.size(rank - 2) : b.size(rank - 1)) != n
                || (transB ? b.size(rank - 1) : b.size(rank - 2)) != inner)
            throw new IllegalArgumentException("matmul: shapes " + java.util.Arrays.toString(a.shape()) + ", "
                    + java.util.Arrays.toString(b.shape()) + " → " + java.util.Arrays.toString(c.shape()));
        int lda = ld(a), ldb = ld(b), ldc = ld(c);
        int k2 = rank == 4 ? (int) c.size(1) : 1, k = rank == 2 ? 1 : (int) c.size(0) * k2;
        long oa = HostMemory.offset(a), ob = HostMemory.offset(b), oc = HostMemory.offset(c);
        int ta = transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                tb = transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        // pointers at element 0 of each NIO view, the origin of HostMemory.offset (JavaCPP's pointer of a buffer
        // whose position is not 0 is not at that position)
        if (dt == DataType.FLOAT) {
            FloatPointer pa = new FloatPointer(a.data().asNioFloat().clear()),
                    pb = new FloatPointer(b.data().asNioFloat().clear()),
                    pc = new FloatPointer(c.data().asNioFloat().clear());
            for (int r = 0; r < k; r++) {
                pa.position(oa + run(a, r, k2));
                pb.position(ob + run(b, r, k2));
                pc.position(oc + run(c, r, k2));
                openblas_nolapack.cblas_sgemm(
                        openblas_nolapack.CblasRowMajor, ta, tb, m, n, inner, 1f, pa, lda, pb, ldb, 0f, pc, ldc);
            }
        } else {
            DoublePointer pa = new DoublePointer(a.data().asNioDouble().clear()),
                    pb = new DoublePointer(b.data().asNioDouble().clear()),
                    pc = new DoublePointer(c.data().asNioDouble().clear());
            for (int r = 0; r < k; r++) {
                pa.position(oa + run(a, r, k2));
                pb.position(ob + run(b, r, k2));
                pc.position(oc + run(c, r, k2));
                openblas_nolapack.cblas_dgemm(
                        openblas_nolapack.CblasRowMajor, ta, tb, m, n, inner, 1.0, pa, lda, pb, ldb, 0.0, pc, ldc);
            }
        }
    }

    /** An array of this rank and type whose matrices have unit-stride rows (any leading dimension and run strides). */
    static boolean gemmable(INDArray x, DataType dt, int rank) {
        return x.rank() == rank
                && x.dataType() == dt
                && (x.stride(rank - 1) == 1 || x.size(rank - 1) == 1)
                && (x.stride(rank - 2) >= x.size(rank - 1) || x.size(rank - 2) == 1);
    }

    /** The row stride of x's matrices, as BLAS's leading dimension (at least the row's length). */
    static int ld(INDArray x) {
        int r = x.rank();
        return (int) (x.size(r - 2) == 1 ? x.size(r - 1) : x.stride(r - 2));
    }

    /** Element offset of run r's matrix from x's first element; k2 runs along the second axis of a rank-4 array. */
    static long run(INDArray x, int r, int k2) {
        int rank = x.rank();
        if (rank == 2) return 0;
        if (rank == 3) return r * x.stride(0);
        return (r / k2) * x.stride(0) + (r % k2) * x.stride(1);
    }
}
