package dev.gradsweep.recurrent;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TimeStepStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A stacked recurrent network (rnn, lstm, gru; see {@link Cell}) with a dense output layer on the top layer's last
 * hidden state, forward and back-propagation through time written out by hand, for a fixed batch size and sequence
 * length. Matrix products are ND4J's, batched over the whole minibatch: the input products of a layer over all T
 * steps in one matmul, the recurrent product one matmul per step, and after the backward loop the weight
 * gradients and the gradient into the layer below one matmul each. The gate arithmetic runs in Java loops over
 * host memory ({@link CellSteps}) (one bulk read and write per step instead of several native ops). Gradients are of the mean loss
 * (not DL4J's batch sum): MSE averaged over outputs and batch, or cross-entropy averaged over batch and groups.
 * float32 arrays hold float32 values; the Java arithmetic is double and rounded where it is stored.
 *
 * <p>Parameters live in one flat row-major buffer, per recurrent layer W_x [in, G·H], W_h [H, G·H], b [G·H], then
 * the output's W [H, out], b [out]; {@link #segments()} describe them for ParamStats.
 */
public final class RecurrentNet {
    private final RecurrentSpec spec;
    private final Cell cell;
    private final Activation act;
    private final int depth, h, g, gh, batch, seqLen, nIn, nOut;
    private final DataType dt;
    private final INDArray flatParams, flatGrad;
    private final HostBuf paramHost, gradHost;
    private final Segment[] segments;
    private final INDArray[] wx, wh, dwx, dwh, db, hs, hsPrev, hsOut, pre, dp, dr, dhin;
    private final INDArray[][] hPrevAt, drAt;
    private final HostBuf[] hsHost, preHost, dpHost, drHost, dhinHost;
    private final INDArray wo, dwo, dbo, x, out, dOut, ones, rec, dhRec, hLastTop, dhinTopLast;
    private final HostBuf xHost, outHost, dOutHost, recHost, dhRecHost;
    /** The gate arithmetic and the state it keeps between the forward and the backward pass. */
    private final CellSteps steps;

    private final double[] y;
    private final int[] biasOffset;
    private final double[] bias;
    private final int outBiasOffset;
    private double[] outValues;
    private final List<TimeStepStats> stats = new ArrayList<>();
    // test probe: adds eps to element idx of h_t of layer probeLayer in the forward pass
    private int probeLayer = -1, probeT, probeIdx;
    private double probeEps;

    public RecurrentNet(RecurrentSpec spec, int batch) {
        this.spec = spec;
        this.cell = spec.cell();
        this.act = spec.activation();
        this.depth = spec.depth();
        this.h = spec.width();
        this.g = cell.gates;
        this.gh = g * h;
        this.batch = batch;
        this.seqLen = spec.seqLen();
        this.nIn = spec.inputs();
        this.nOut = spec.outputs();
        this.dt = NetworkFactory.dataType(spec.dtype());
        int tb = seqLen * batch;
        long total = 0;
        for (int l = 0; l < depth; l++) total += (long) (in(l) + h + 1) * gh;
        total += (long) (h + 1) * nOut;
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("too many parameters: " + total);
        flatParams = Nd4j.create(dt, 1, total);
        flatGrad = Nd4j.create(dt, 1, total);
        paramHost = new HostBuf(flatParams);
        gradHost = new HostBuf(flatGrad);
        segments = new Segment[3 * depth + 2];
        wx = new INDArray[depth];
        wh = new INDArray[depth];
        dwx = new INDArray[depth];
        dwh = new INDArray[depth];
        db = new INDArray[depth];
        biasOffset = new int[depth];
        int off = 0;
        for (int l = 0; l < depth; l++) {
            String name = spec.layerName(l);
            int nx = in(l) * gh, nh = h * gh;
            wx[l] = view(flatParams, off, in(l), gh);
            dwx[l] = view(flatGrad, off, in(l), gh);
            segments[3 * l] = new Segment(l, name, "W_x", off, nx, true);
            off += nx;
            wh[l] = view(flatParams, off, h, gh);
            dwh[l] = view(flatGrad, off, h, gh);
            segments[3 * l + 1] = new Segment(l, name, "W_h", off, nh, true);
            off += nh;
            db[l] = view(flatGrad, off, 1, gh);
            biasOffset[l] = off;
            segments[3 * l + 2] = new Segment(l, name, "b", off, gh, true);
            off += gh;
        }
        wo = view(flatParams, off, h, nOut);
        dwo = view(flatGrad, off, h, nOut);
        segments[3 * depth] = new Segment(depth, "output", "W", off, h * nOut, true);
        off += h * nOut;
        dbo = view(flatGrad, off, 1, nOut);
        outBiasOffset = off;
        segments[3 * depth + 1] = new Segment(depth, "output", "b", off, nOut, true);
        bias = new double[Math.max(gh, nOut)];

        hs = new INDArray[depth];
        hsPrev = new INDArray[depth];
        hsOut = new INDArray[depth];
        pre = new INDArray[depth];
        dp = new INDArray[depth];
        dr = new INDArray[depth];
        dhin = new INDArray[depth];
        hPrevAt = new INDArray[depth][seqLen];
        drAt = new INDArray[depth][seqLen];
        hsHost = new HostBuf[depth];
        preHost = new HostBuf[depth];
        dpHost = new HostBuf[depth];
        drHost = new HostBuf[depth];
        dhinHost = new HostBuf[depth];
        for (int l = 0; l < depth; l++) {
            hs[l] = Nd4j.create(dt, (long) (seqLen + 1) * batch, h); // rows [0, B) hold h₋₁ = 0
            hsPrev[l] = view(hs[l], 0, tb, h);
            hsOut[l] = view(hs[l], (long) batch * h, tb, h);
            for (int t = 0; t < seqLen; t++) hPrevAt[l][t] = view(hs[l], (long) t * batch * h, batch, h);
            pre[l] = Nd4j.create(dt, tb, gh);
            dp[l] = Nd4j.create(dt, tb, gh);
            // rnn and lstm: the recurrent and the input products see the same pre-activation gradient
            dr[l] = cell == Cell.GRU ? Nd4j.create(dt, tb, gh) : dp[l];
            for (int t = 0; t < seqLen; t++) drAt[l][t] = view(dr[l], (long) t * batch * gh, batch, gh);
            dhin[l] = Nd4j.create(dt, tb, h);
            hsHost[l] = new HostBuf(hs[l]);
            preHost[l] = new HostBuf(pre[l]);
            dpHost[l] = new HostBuf(dp[l]);
            drHost[l] = new HostBuf(dr[l]);
            dhinHost[l] = new HostBuf(dhin[l]);
        }
        x = Nd4j.create(dt, tb, nIn);
        y = new double[batch * nOut];
        out = Nd4j.create(dt, batch, nOut);
        dOut = Nd4j.create(dt, batch, nOut);
        ones = Nd4j.ones(dt, 1, tb);
        rec = Nd4j.create(dt, batch, gh);
        dhRec = Nd4j.create(dt, batch, h);
        hLastTop = view(hs[depth - 1], (long) seqLen * batch * h, batch, h);
        dhinTopLast = view(dhin[depth - 1], (long) (seqLen - 1) * batch * h, batch, h);
        xHost = new HostBuf(x);
        outHost = new HostBuf(out);
        dOutHost = new HostBuf(dOut);
        recHost = new HostBuf(rec);
        dhRecHost = new HostBuf(dhRec);
        steps = new CellSteps(spec, batch, dt == DataType.FLOAT);
        initialize();
    }

    private int in(int l) {
        return l == 0 ? nIn : h;
    }

    /** A [rows, cols] row-major view of flat[off, off + rows·cols). */
    private static INDArray view(INDArray flat, long off, long rows, long cols) {
        return Nd4j.create(flat.data(), new long[] {rows, cols}, new long[] {cols, 1}, flat.offset() + off, 'c');
    }

    /**
     * W_x and the output W by the feed-forward initializer (DL4J's, seeded from the spec; fan-in the layer input,
     * fan-out H per gate block), W_h per gate block by the recurrent initializer, biases 0 except the LSTM forget
     * gate's (forget_bias).
     */
    private void initialize() {
        Nd4j.getRandom().setSeed(spec.seed());
        var init = NetworkFactory.weightInit(spec.inputInit());
        for (int l = 0; l < depth; l++) init.init(in(l), h, new long[] {in(l), gh}, 'c', wx[l]);
        init.init(h, nOut, new long[] {h, nOut}, 'c', wo);
        Random rng = new Random(spec.seed() * 1_000_003L + 17);
        double[] row = new double[gh];
        for (int l = 0; l < depth; l++) {
            double[][] blocks = new double[g][];
            for (int k = 0; k < g; k++) blocks[k] = RecWeights.sample(spec.recInit(), h, rng);
            int base = segments[3 * l + 1].offset;
            for (int i = 0; i < h; i++) {
                for (int k = 0; k < g; k++) System.arraycopy(blocks[k], i * h, row, k * h, h);
                paramHost.put(base + i * gh, gh, row, 0);
            }
            paramHost.fill(biasOffset[l], gh, 0);
            if (cell == Cell.LSTM) paramHost.fill(biasOffset[l] + h, h, spec.forgetBias());
        }
        paramHost.fill(outBiasOffset, nOut, 0);
    }

    public RecurrentSpec spec() {
        return spec;
    }

    public int batch() {
        return batch;
    }
    /** The flat parameter buffer [1, n] (writable: tests set parameters through it). */
    public INDArray params() {
        return flatParams;
    }
    /** The flat gradient buffer [1, n], same layout; after {@link #computeGradient} the mean-loss gradient. */
    public INDArray gradient() {
        return flatGrad;
    }

    public Segment[] segments() {
        return segments.clone();
    }

    public long numParams() {
        return flatParams.length();
    }

    /** Sets the minibatch: x time-major [(t·B + b)·inputs + j], y [b·outputs + k]. */
    public void setBatch(double[] xs, double[] ys) {
        xHost.put(0, seqLen * batch * nIn, xs, 0);
        System.arraycopy(ys, 0, y, 0, batch * nOut);
        // the loss sees the targets as the network's dtype stores them
        if (dt == DataType.FLOAT) for (int i = 0; i < y.length; i++) y[i] = (float) y[i];
    }

    /** Forward and backward on the current batch; returns the mean loss. With {@code withStats}, {@link #timeSteps()}. */
    public double computeGradient(boolean withStats) {
        steps.collect = withStats;
        stats.clear();
        double loss = forward();
        backward();
        return loss;
    }

    /** Forward only: the mean loss on the current batch. */
    public double loss() {
        steps.collect = false;
        return forward();
    }

    /** The statistics of the last {@link #computeGradient}(true), layer-major, t ascending. */
    public List<TimeStepStats> timeSteps() {
        return List.copyOf(stats);
    }

    /** The network output of the last forward pass (before softmax), [b·outputs + k]. */
    public double[] output() {
        return outValues.clone();
    }

    /** h_t of layer l after the last forward pass, [b·H + j]. */
    public double[] hidden(int l, int t) {
        double[] v = new double[batch * h];
        hsHost[l].get((t + 1) * batch * h, batch * h, v, 0);
        return v;
    }

    /** ∂L/∂h_t of layer l after the last backward pass, [b·H + j]. */
    public double[] hiddenGradient(int l, int t) {
        double[] v = new double[batch * h];
        dhinHost[l].get(t * batch * h, batch * h, v, 0);
        return v;
    }

    /** For finite-difference tests: the next forward passes add eps to element idx ([b·H + j]) of h_t of layer l. */
    void probe(int l, int t, int idx, double eps) {
        probeLayer = l;
        probeT = t;
        probeIdx = idx;
        probeEps = eps;
    }

    // ---------------------------------------------------------------- forward

    private double forward() {
        int bh = batch * h;
        double[] p = new double[batch * gh], r = new double[batch * gh], hv = new double[bh], hp = new double[bh];
        for (int l = 0; l < depth; l++) {
            Nd4j.matmul(l == 0 ? x : hsOut[l - 1], wx[l], pre[l], false, false, false);
            paramHost.get(biasOffset[l], gh, bias, 0);
            Arrays.fill(hp, 0);
            for (int t = 0; t < seqLen; t++) {
                preHost[l].get(t * batch * gh, batch * gh, p, 0);
                if (t > 0) {
                    Nd4j.matmul(hPrevAt[l][t], wh[l], rec, false, false, false);
                    recHost.get(0, batch * gh, r, 0);
                } else Arrays.fill(r, 0);
                steps.forward(l, t, p, r, bias, hp, hv);
                if (l == probeLayer && t == probeT) hv[probeIdx] += probeEps;
                hsHost[l].round(hv, bh);
                hsHost[l].put((t + 1) * bh, bh, hv, 0);
                double[] swap = hp;
                hp = hv;
                hv = swap;
            }
        }
        Nd4j.matmul(hLastTop, wo, out, false, false, false);
        double[] o = new double[batch * nOut];
        outHost.get(0, o.length, o, 0);
        paramHost.get(outBiasOffset, nOut, bias, 0);
        for (int b = 0; b < batch; b++) for (int k = 0; k < nOut; k++) o[b * nOut + k] += bias[k];
        outValues = o;
        return lossAndOutputGradient(o);
    }

    /** Mean loss of the batch; writes ∂L/∂out (of the mean loss) into dOut. */
    private double lossAndOutputGradient(double[] o) {
        double[] d = new double[o.length];
        double loss = OutputLoss.meanLoss(o, y, batch, nOut, spec.groups(), d);
        dOutHost.put(0, d.length, d, 0);
        return loss;
    }

    // ---------------------------------------------------------------- backward

    private void backward() {
        int bh = batch * h;
        Nd4j.matmul(hLastTop, dOut, dwo, true, false, false);
        double[] d = new double[batch * nOut], colSum = new double[nOut];
        dOutHost.get(0, d.length, d, 0);
        for (int b = 0; b < batch; b++) for (int k = 0; k < nOut; k++) colSum[k] += d[b * nOut + k];
        gradHost.put(outBiasOffset, nOut, colSum, 0);
        dhin[depth - 1].assign(0);
        Nd4j.matmul(dOut, wo, dhinTopLast, false, true, false);
        double[] dh = new double[bh],
                rec = new double[bh],
                carry = new double[bh],
                dz = new double[batch * gh],
                dzr = cell == Cell.GRU ? new double[batch * gh] : null,
                hp = new double[bh],
                hv = new double[bh];
        double[] gradSq = new double[seqLen], cSq = new double[seqLen];
        long[] zeros = new long[seqLen], bad = new long[seqLen];
        for (int l = depth - 1; l >= 0; l--) {
            Arrays.fill(carry, 0); // lstm: ∂L/∂c_t from step t+1; gru: the direct path z ⊙ ∂L/∂h_t
            for (int t = seqLen - 1; t >= 0; t--) {
                dhinHost[l].get(t * bh, bh, dh, 0);
                if (t < seqLen - 1) {
                    Nd4j.matmul(drAt[l][t + 1], wh[l], dhRec, false, true, false);
                    dhRecHost.get(0, bh, rec, 0);
                    for (int i = 0; i < bh; i++) dh[i] += rec[i];
                }
                if (cell == Cell.GRU) for (int i = 0; i < bh; i++) dh[i] += carry[i];
                dhinHost[l].round(dh, bh);
                dhinHost[l].put(t * bh, bh, dh, 0);
                if (steps.collect) {
                    double s2 = 0;
                    long z = 0, nf = 0;
                    for (int i = 0; i < bh; i++) {
                        double v = dh[i];
                        s2 += v * v;
                        z += v == 0.0 ? 1 : 0;
                        nf += Math.abs(v) < Double.POSITIVE_INFINITY ? 0 : 1;
                    }
                    gradSq[t] = s2;
                    zeros[t] = z;
                    bad[t] = nf;
                }
                switch (cell) {
                    case RNN: {
                        hsHost[l].get((t + 1) * bh, bh, hv, 0);
                        for (int i = 0; i < bh; i++) dz[i] = dh[i] * act.derivativeFromOutput(hv[i]);
                        break;
                    }
                    case LSTM:
                        cSq[t] = steps.lstmBackward(l, t, dh, carry, dz);
                        break;
                    default: {
                        hsHost[l].get(t * bh, bh, hp, 0);
                        steps.gruBackward(l, t, dh, hp, carry, dz, dzr);
                        break;
                    }
                }
                dpHost[l].round(dz, batch * gh);
                dpHost[l].put(t * batch * gh, batch * gh, dz, 0);
                if (dzr != null) drHost[l].put(t * batch * gh, batch * gh, dzr, 0);
            }
            INDArray input = l == 0 ? x : hsOut[l - 1];
            Nd4j.matmul(input, dp[l], dwx[l], true, false, false);
            Nd4j.matmul(ones, dp[l], db[l], false, false, false);
            Nd4j.matmul(hsPrev[l], dr[l], dwh[l], true, false, false);
            if (l > 0) Nd4j.matmul(dp[l], wx[l], dhin[l - 1], false, true, false);
            if (steps.collect) // layers are visited top-down; keep the list layer-major ascending
            stats.addAll(0, steps.timeSteps(l, gradSq, zeros, bad, cSq));
        }
    }
}
