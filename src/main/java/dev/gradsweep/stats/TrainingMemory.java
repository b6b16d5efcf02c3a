package dev.gradsweep.stats;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.conv.kernel.NdConv;
import dev.gradsweep.grid.Activation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.reduce.same.Max;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The one way the training engines touch the memory of their ND4J arrays: the statistics' view of them, the
 * parameter step, and the few host writes (minibatches, the stacked engine's fills and copies). Two paths:
 * {@link HostDirectMemory} reads and writes host memory in place, which is the array only on the CPU backend;
 * {@link PortableMemory} uses ND4J ops alone and brings the reductions' results to the host in one bulk transfer,
 * so it is right wherever ND4J keeps separate host and device copies (CUDA). No other class of the engines may read
 * or write a training array's host memory ({@code HostAccessTest}).
 *
 * <p>Reductions are deferred: {@code gradient}, {@code update}, {@code activations}, {@code sumSq} and {@code read}
 * fill their targets at the latest at the next {@link #sync()}, so a step's results cross to the host together: the
 * engines call it once per step, after the parameter step, and {@link #clipByNorm} lets norm clipping act on the
 * gradient's norm before it has reached the host.
 */
public interface TrainingMemory {
    /** The path for this JVM: portable on any non-CPU backend, or when {@code -Dgradsweep.portable=true}. */
    static TrainingMemory forBackend() {
        return portableRequired() ? portable() : hostDirect();
    }

    /** Host memory read and written in place: the CPU backend only (refused elsewhere). */
    static TrainingMemory hostDirect() {
        return new HostDirectMemory();
    }

    /** ND4J ops and one bulk transfer of their results: any backend. */
    static TrainingMemory portable() {
        return new PortableMemory();
    }

    static boolean portableRequired() {
        return !Nd4j.getEnvironment().isCPU() || RuntimeOptions.flag(RuntimeOptions.PORTABLE);
    }

    /** "host-direct" or "portable". */
    String name();

    /**
     * Sets {@code into[i]} to the statistics of gradient segment {@code segs[i]} of the flat buffer {@code grad}
     * times {@code scale} and, with {@code params} non-null, Σp² of the same range of {@code params}.
     */
    void gradient(INDArray grad, INDArray params, Segment[] segs, double scale, ParamStats[] into);

    /** Adds Σu² over each segment of the flat update buffer to {@code into[i].updateSumSq}. */
    void update(INDArray update, Segment[] segs, ParamStats[] into);

    /** Σx² over each segment of a flat buffer into {@code into[i]}. */
    void sumSq(INDArray flat, Segment[] segs, double[] into);

    /** Σx² over a whole array into {@code into[at]}. */
    void sumSq(INDArray a, double[] into, int at);

    /**
     * Activation statistics of a [groups·rows × units] array produced by {@code fn}: group g (rows [g·rows,
     * (g+1)·rows)) is added to {@code into[g]}, which starts empty.
     */
    void activations(INDArray a, int groups, Activation fn, ActStats[] into);

    /**
     * {@link #activations(INDArray, int, Activation, ActStats[])} of several arrays of one shape at once: group g of
     * {@code arrays[i]} into {@code into[i · groups + g]}.
     */
    void activations(INDArray[] arrays, int groups, Activation fn, ActStats[] into);

    /** Copies the elements of {@code a} in row-major order into {@code into}. */
    void read(INDArray a, double[] into);

    /** Completes every deferred reduction and read. */
    void sync();

    /** Device-to-host transfers so far: each {@link #sync()} with results pending is one (host-direct: none, ever). */
    long transfers();

    /**
     * Norm clipping: scales set j's segments of {@code grad} (set j: one run's gradient segments) by {@code bound[j]
     * / n} when n > {@code bound[j]}, n being the L2 norm of set j as the last {@link #gradient} call reduced it (times
     * its scale), without n having to reach the host first. Every segment of {@code sets} must be one of that call's,
     * and {@code grad} its buffer; the statistics keep the unclipped gradient.
     */
    void clipByNorm(INDArray grad, Segment[][] sets, double[] bound);

    /** The factor of {@link #clipByNorm}: bound / norm when the norm exceeds the bound, else 1. */
    static double clipFactor(double norm, double bound) {
        return norm > bound ? bound / norm : 1;
    }

    /** The parameter step p ← p − u over these flat buffers. */
    ParamStep paramStep(INDArray params, INDArray update);

    /** Writes rows {@code order[from..from+rows)} of the row-major [n × cols] {@code src} into the [rows × cols] {@code target}. */
    void writeRows(INDArray target, double[] src, int[] order, int from, int rows, int cols);

    /**
     * x ← x · f over each run's segments of the flat buffer {@code x} (the float32 or float64 product, as ND4J's
     * {@code muli} by a vector holding the factors computes it); with {@code minuend} non-null, then minuend ← minuend −
     * x as well (a parameter step), in the same pass where the path allows.
     */
    void scale(INDArray x, RunFactors f, INDArray minuend);

    /** Writes {@code v} over the segments' ranges of a flat buffer. */
    void fill(INDArray flat, Segment[] segs, double v);

    /** Copies a 1-d or 2-d array (any storage order) into {@code flat[at …]} in row-major order. */
    void copyRowMajor(INDArray src, INDArray flat, int at);

    /**
     * A stacked dense layer's ReLU forward: with {@code rows} non-null, z [K, batch, units] ← z + each run's row
     * [K, units] first (ND4J's broadcast add); then a ← DL4J's ReLU of z, into a buffer of z's shape. With
     * {@code rows} null, the ReLU alone, for z of any shape.
     */
    void biasRelu(INDArray z, INDArray rows, INDArray a);

    /**
     * ∂L/∂z of DL4J's ReLU at z, given ∂L/∂a = {@code dy}. The host path writes it into {@code into} (which may be z)
     * and returns it; the ND4J path returns DL4J's own result, a new array.
     */
    INDArray reluBackprop(INDArray z, INDArray dy, INDArray into);

    /**
     * c [K, m, n] = op(a) · op(b) for each of the K runs (or c [m, n], one product), op transposing the last two
     * dimensions where asked: ND4J's
     * batched {@code Nd4j.matmul(a, b, c, transA, transB, false)}. The host path calls BLAS's gemm once per run on
     * the arrays' host memory (row-major [K, ·, ·] arrays), which is what ND4J's batched matmul calls per run, so the
     * results are the same bits; it leaves out ND4J's per-run sub-array set-up, which dominates a small net's matmul
     * (measured: docs/performance.md). The default, the portable path's, is ND4J's op.
     */
    default void matmul(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        Nd4j.matmul(a, b, c, transA, transB, false);
    }

    /**
     * z [K, batch, units] ← z + each run's row [K, units]: a bias, as ND4J's broadcast add computes it (the default,
     * the portable path's).
     */
    default void addRows(INDArray z, INDArray rows) {
        Nd4j.exec(new BroadcastAddOp(z, rows, z, 0, 2));
    }

    /**
     * out ← a + b elementwise, arrays of one shape ({@code out} may be a or b): a residual sum and its gradient's
     * two shares, as ND4J's {@code a.add(b, out)} computes it (the default, the portable path's).
     */
    default void add(INDArray a, INDArray b, INDArray out) {
        a.add(b, out);
    }

    /**
     * y [B·oh·ow, out] ← the convolution of x [B·H·W, in] (NHWC rows) with w [k·k·in, out] (tap-major, as {@link
     * ConvShape}). The default, the portable path's, is libnd4j's conv2d op; the host path runs float32 through the
     * Vector API's kernels ({@code VectorConv}).
     */
    default void conv(ConvShape s, INDArray x, INDArray w, INDArray y) {
        NdConv.forward(s, x, w, y);
    }

    /** Its gradients given dy: dw and, with dx non-null, dx (both overwritten); conv2d_bp by default. */
    default void convBackward(ConvShape s, INDArray x, INDArray w, INDArray dy, INDArray dx, INDArray dw) {
        NdConv.backward(s, x, w, dy, dx, dw);
    }

    /**
     * A conv net's batch, group or layer norm of x [rows, C] into {@code b} ({@link ChannelNormBuffers}): μ and f =
     * (σ² + eps)^-½ (biased variance) per (n, g) into b.mean, b.inv, x̂ = (x − μ)·f into b.xhat, y = x̂ ⊙ γ + β into
     * b.y; γ, β [1, C]. By default ND4J ops writing only into b (the portable path's); the host path two passes over
     * host memory, the sums in double.
     */
    default void channelNorm(INDArray x, INDArray gamma, INDArray beta, ChannelNormBuffers b) {
        b.forwardOps(x, gamma, beta);
    }

    /**
     * Its backward from ∂L/∂y = {@code dy} and the last forward's b.xhat, b.inv: dγ ← Σ_rows dy ⊙ x̂ and dβ ← Σ_rows
     * dy into their [1, C] views, ∂L/∂x = (d − mean d − x̂·mean(d ⊙ x̂))·f with d = dy ⊙ γ and means per (n, g) into
     * b.dx, which it returns.
     */
    default INDArray channelNormBackward(
            INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, ChannelNormBuffers b) {
        b.backwardOps(dy, gamma, dGamma, dBeta);
        return b.dx;
    }

    /** The activations whose derivative {@link #backpropFromOutput} takes from the forward's output. */
    static boolean backpropsFromOutput(Activation fn) {
        return fn == Activation.SIGMOID || fn == Activation.TANH;
    }

    /**
     * ∂L/∂z of DL4J's sigmoid or tanh at z, given a = f(z) as the forward computed it and ∂L/∂a = {@code dy}, into
     * {@code into} (which may be z; z is not written otherwise), returned. DL4J's backprop computes f(z) again, on
     * the CPU to the same bits as the forward; the host path reads a instead: one pass, no transcendental function.
     * The default, the portable path's, is DL4J's backprop, which writes over its input: on a copy of z unless
     * {@code into} is z.
     */
    default INDArray backpropFromOutput(Activation fn, INDArray z, INDArray a, INDArray dy, INDArray into) {
        if (!backpropsFromOutput(fn))
            throw new IllegalArgumentException("backpropFromOutput: sigmoid or tanh, not " + fn);
        if (into != z) into.assign(z);
        return (fn == Activation.SIGMOID ? new ActivationSigmoid() : new ActivationTanH())
                .backprop(into, dy)
                .getFirst();
    }

    /**
     * Attention weights: a ← softmax over the last axis of S = scale · s + mask, s and a row-major [n, T, T], mask
     * null or the causal mask (a large negative number above each [T, T]'s diagonal, so a masked key's weight is 0);
     * s may be overwritten. With {@code maxLogit} non-null, per row r of the n·T (sequence, head, query) rows, in
     * storage order: the largest logit max_j S_j (over the unmasked keys) into maxLogit[r] and the entropy −Σ_j A_j ln
     * A_j into entropy[r]. The host path computes all of it in one SIMD pass per row (float32; its own loop in
     * float64), the statistics from the softmax's own max and sum: H = ln Z − Σ_j e^t_j t_j / Z, t_j = S_j − max S.
     * The default, the portable path's, is ND4J's softmax op, then three reductions: H = max S − ln max_j A_j − Σ_j
     * A_j S_j (ln A_j = S_j − ln Z for every unmasked key, and max_j A_j = 1/Z).
     */
    default void attentionSoftmax(
            INDArray s, double scale, INDArray mask, INDArray a, double[] maxLogit, double[] entropy) {
        s.muli(scale);
        if (mask != null) s.addi(mask);
        Nd4j.exec(new SoftMax(s, a, 2));
        if (maxLogit == null) return;
        INDArray max = Nd4j.create(s.dataType(), s.size(0), s.size(1)), pmax = max.ulike(), dot = max.ulike();
        Nd4j.exec(new Max(s, max, 2));
        Nd4j.exec(new Max(a, pmax, 2));
        Nd4j.exec(new Dot(a, s, dot, 2));
        read(max, maxLogit);
        read(Transforms.log(pmax, false).rsubi(max).subi(dot), entropy);
    }

    /**
     * The softmax's backward in place: da ← scale · a ⊙ (da − Σ_keys da ⊙ a), a and da row-major [n, T, T] (ND4J ops
     * by default; the host path one pass per row).
     */
    default void attentionSoftmaxBackward(INDArray a, INDArray da, double scale) {
        INDArray dot = Nd4j.create(a.dataType(), a.size(0), a.size(1));
        Nd4j.exec(new Dot(da, a, dot, 2));
        da.subi(dot.reshape('c', a.size(0), a.size(1), 1)).muli(a).muli(scale);
    }

    /**
     * into[g·w + k] = Σ_i y_ik / ‖y_i‖ over the rows i of group g of the row-major [groups · rows, w] array y: per
     * sequence the sum of its unit token vectors (deferred to the next sync). By default ND4J's row norms and one
     * matrix product per group; the host path one pass over y.
     */
    default void unitRowSums(INDArray y, int groups, double[] into) {
        long rows = y.size(0) / groups, w = y.size(1);
        INDArray inv = Nd4j.create(y.dataType(), y.size(0));
        Nd4j.exec(new Norm2(y, inv, 1));
        inv.rdivi(1.0);
        INDArray out = Nd4j.create(y.dataType(), groups, 1, w);
        matmul(inv.reshape('c', groups, 1, rows), y.reshape('c', groups, rows, w), out, false, false);
        read(out, into);
    }

    /**
     * The transformer's norm of each row of x [rows, n]: layer norm with {@code beta} non-null, x̂ = (x − μ)·f, y = x̂
     * ⊙ γ + β, or RMSNorm with {@code beta} null, x̂ = x·f, y = x̂ ⊙ γ; f = 1/√(mean(c²) + eps) for c = x − μ or x.
     * x̂ into {@code xhat} [rows, n], f into {@code inv} [rows, 1], y into {@code y}; γ, β [1, n]. By default ND4J
     * ops (the portable path's); the host path one pass per row (float32 SIMD, its sums in lanes).
     */
    default void rowNorm(
            INDArray x, INDArray gamma, INDArray beta, double eps, INDArray xhat, INDArray inv, INDArray y) {
        xhat.assign(x);
        if (beta != null) xhat.subiColumnVector(x.mean(true, 1));
        Nd4j.exec(new Dot(xhat, xhat, inv.reshape(inv.length()), 1));
        Transforms.pow(inv.divi(x.size(1)).addi(eps), -0.5, false);
        xhat.muliColumnVector(inv);
        y.assign(xhat).muliRowVector(gamma);
        if (beta != null) y.addiRowVector(beta);
    }

    /**
     * Its backward from ∂L/∂y = {@code dy} and the forward's xhat, inv: dGamma ← Σ_rows dy ⊙ x̂ and, with dBeta
     * non-null (layer norm), dBeta ← Σ_rows dy; dx ← (d − [mean(d)] − x̂ · mean(d ⊙ x̂)) · f (+ {@code res} when
     * non-null: a residual share added in the same pass), d = dy ⊙ γ, means over each row, the bracket for layer norm.
     */
    default void rowNormBackward(
            INDArray dy,
            INDArray gamma,
            INDArray xhat,
            INDArray inv,
            INDArray res,
            INDArray dGamma,
            INDArray dBeta,
            INDArray dx) {
        long n = dy.size(1);
        dy.mul(xhat).sum(dGamma.reshape(n), 0);
        if (dBeta != null) dy.sum(dBeta.reshape(n), 0);
        dx.assign(dy).muliRowVector(gamma);
        INDArray m2 = dx.mul(xhat).mean(true, 1);
        if (dBeta != null) dx.subiColumnVector(dx.mean(true, 1));
        dx.subi(xhat.mulColumnVector(m2)).muliColumnVector(inv);
        if (res != null) dx.addi(res);
    }

    /**
     * A stacked layer norm's forward over the K·batch rows of {@code x} [K, batch, n], each row normalised alone:
     * x̂ = (x − μ)·(σ² + eps)^-½ into {@code b.xhat}, the factor (σ² + eps)^-½ of each row into {@code b.inv}, and
     * y = x̂ ⊙ γ + β into {@code b.y}, with each run's gain and bias rows {@code gamma}, {@code beta} [K, n]. The host
     * path repeats what ND4J's CPU ops compute, operation by operation and in their order (each row's mean a
     * sequential sum divided by n), so on the CPU both paths give the same bits.
     */
    void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, LayerNormBuffers b);

    /**
     * Its backward from ∂L/∂y = {@code dy} [K, batch, n] and the last forward's {@code b.xhat}, {@code b.inv}:
     * {@code dGamma}, {@code dBeta} [K, 1, n] ← each run's batch sums of dy ⊙ x̂ and of dy, and ∂L/∂x =
     * (1/σ)·(d − mean(d) − x̂·mean(d ⊙ x̂)), d = dy ⊙ γ, means over each row, into {@code b.dx}, which it returns.
     */
    INDArray layerNormBackward(INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, LayerNormBuffers b);

    /**
     * into [K, 1, units] = Σ over each run's batch of d [K, batch, units], as DL4J's dense layer sums its bias
     * gradient: ND4J's reduction over the batch, on the CPU a sum in batch order from 0 in d's type, which the host
     * path repeats (so both give the same bits). A batched matmul with ones took twice as long.
     */
    void sumOverBatch(INDArray d, INDArray into);

    /**
     * The arrays of one stacked layer norm, allocated once: x̂, the output y, ∂L/∂x and a scratch buffer [K, batch,
     * n]; 1/σ of each of the K·batch rows and two per-row means [K·batch, 1]; and their [K·batch, n] and [K·batch]
     * views, the operands of the row-wise ops.
     */
    final class LayerNormBuffers {
        public final INDArray xhat, y, dx, tmp, inv, m1, m2;
        final INDArray xhat2, dx2, tmp2, invFlat, m1Flat, m2Flat;

        public LayerNormBuffers(DataType dt, int k, int batch, long n) {
            long rows = (long) k * batch;
            xhat = Nd4j.create(dt, k, batch, n);
            y = Nd4j.create(dt, k, batch, n);
            dx = Nd4j.create(dt, k, batch, n);
            tmp = Nd4j.create(dt, k, batch, n);
            xhat2 = xhat.reshape('c', rows, n);
            dx2 = dx.reshape('c', rows, n);
            tmp2 = tmp.reshape('c', rows, n);
            inv = Nd4j.create(dt, rows, 1);
            m1 = Nd4j.create(dt, rows, 1);
            m2 = Nd4j.create(dt, rows, 1);
            invFlat = inv.reshape(rows);
            m1Flat = m1.reshape(rows);
            m2Flat = m2.reshape(rows);
        }
    }
}
