package dev.gradsweep.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ChannelNormBuffers;
import dev.gradsweep.stats.TrainingMemory;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.Deallocatable;
import org.nd4j.linalg.api.memory.deallocation.DeallocatorService;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A conv step allocates no array-sized ND4J temporary: ND4J frees a buffer's native memory only when the collector
 * finalises its Java object, so per-step temporaries made {@code bench --soak} grow by ≈ 1.5 MB a step
 * (docs/performance.md). Every ND4J data buffer registers with {@link Nd4j#getDeallocatorService()}; the test puts an
 * observer in its place for one step (it records each new floating-point buffer that owns memory, views excluded,
 * and hands it on to ND4J's own service) and requires that none is larger than a scalar or two (16 bytes). Before
 * this test the step made 8 KB buffers (one activation array) in the norms, the bias sums, the head and Fixup's
 * and ReZero's scalar gradients.
 */
class ConvStepAllocationTest {
    /** Largest floating-point buffer a step may create: the scalars ND4J's ops make for their arguments. */
    static final long SCALARS = 16;

    @Test
    void aHostStepCreatesNoArraySizedBuffer() throws Exception {
        Object[][] nets = {
            {Skip.RESIDUAL, Norm.BATCH, Placement.POST},
            {Skip.NONE, Norm.GROUP, Placement.PRE},
            {Skip.REZERO, Norm.LAYER, Placement.POST},
            {Skip.FIXUP, Norm.NONE, Placement.POST}
        };
        for (Object[] n : nets) {
            ConvSpec spec = new ConvSpec(
                    3,
                    8,
                    8,
                    10,
                    8,
                    2,
                    2,
                    2,
                    Activation.RELU,
                    Init.parse("he"),
                    (Norm) n[1],
                    (Placement) n[2],
                    (Skip) n[0],
                    TrainSpec.DType.FLOAT32,
                    1);
            ConvNet net = new ConvNet(spec, 4, TrainingMemory.hostDirect());
            INDArray labels = Nd4j.zeros(DataType.FLOAT, 4, 10);
            labels.getColumn(0).assign(1);
            net.setBatch(Nd4j.rand(DataType.FLOAT, 4, 192), labels);
            net.computeGradient(); // first-call set-up is not a step's
            Observed o = observe(net::computeGradient);
            assertTrue(o.count > 0, "the observer saw the step's ND4J buffers");
            assertTrue(o.largest <= SCALARS, n[0] + "/" + n[1] + ": a " + o.largest + "-byte buffer at " + o.where);
        }
    }

    /** The portable path's norms (ND4J ops) write into their preallocated buffers too. */
    @Test
    void theNd4jNormsCreateNoArraySizedBuffer() throws Exception {
        TrainingMemory nd = TrainingMemory.portable();
        for (int groups : new int[] {0, 2, 1}) {
            ChannelNormBuffers b = new ChannelNormBuffers(DataType.FLOAT, 4, 16, 8, groups, 1e-5);
            INDArray x = Nd4j.rand(DataType.FLOAT, 64, 8), dy = Nd4j.rand(DataType.FLOAT, 64, 8);
            INDArray g = Nd4j.ones(DataType.FLOAT, 1, 8), beta = Nd4j.zeros(DataType.FLOAT, 1, 8);
            INDArray dg = g.ulike(), db = g.ulike();
            Runnable pass = () -> {
                nd.channelNorm(x, g, beta, b);
                nd.channelNormBackward(dy, g, dg, db, b);
            };
            pass.run();
            Observed o = observe(pass);
            assertTrue(o.largest <= SCALARS, "groups " + groups + ": a " + o.largest + "-byte buffer at " + o.where);
        }
    }

    /** The observer catches an array-sized temporary: the check above can fail. */
    @Test
    void theObserverSeesATemporary() throws Exception {
        INDArray a = Nd4j.rand(DataType.FLOAT, 64, 8);
        Observed o = observe(() -> a.mul(2));
        assertEquals(64 * 8 * 4, o.largest);
    }

    static final class Observed extends DeallocatorService {
        private final DeallocatorService nd4j;
        long count, largest;
        String where = "";

        Observed(DeallocatorService nd4j) {
            this.nd4j = nd4j;
        }

        @Override
        public long nextValue() {
            return nd4j.nextValue();
        }

        @Override
        public void pickObject(Deallocatable d) {
            if (d instanceof DataBuffer b
                    && b.originalDataBuffer() == null
                    && b.dataType().isFPType()) {
                count++;
                long bytes = b.length() * b.getElementSize();
                if (bytes > largest) {
                    largest = bytes;
                    where = java.util.Arrays.toString(
                            java.util.Arrays.copyOfRange(new Throwable().getStackTrace(), 1, 8));
                }
            }
            nd4j.pickObject(d);
        }
    }

    private static Observed shared;

    /** Runs {@code step} with the observer in place of ND4J's deallocator service, which it then restores. */
    static synchronized Observed observe(Runnable step) throws Exception {
        Field f = Nd4j.class.getDeclaredField("deallocatorService");
        f.setAccessible(true);
        DeallocatorService own = Nd4j.getDeallocatorService();
        if (shared == null) shared = new Observed(own); // one: each service starts its own threads
        Observed o = shared;
        o.count = o.largest = 0;
        f.set(null, o);
        try {
            step.run();
        } finally {
            f.set(null, own);
        }
        return o;
    }
}
