package dev.gradsweep.recurrent;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.ActStats;
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
 * host memory (one bulk read and write per step instead of several native ops). Gradients are of the mean loss
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
    /** Java-side state: gate activations per step [T·B·G·H] (lstm, gru), cell state [(T+1)·B·H] (lstm), h₋W_hn (gru). */
    private final double[][] gates, cells, recN, tanhCells;

    private final double[] y;
    private final int[] biasOffset;
    private final double[] bias;
    private final int outBiasOffset;
    private double[] outValues;
    private final List<TimeStepStats> stats = new ArrayList<>();
    private final double[] fwdAbs, fwdSat, fwdSlope, fwdGate; // [layer·T + t] sums of the forward pass
    private boolean collect;
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
        gates = new double[depth][];
        cells = new double[depth][];
        recN = new double[depth][];
        tanhCells = new double[depth][];
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
            if (cell != Cell.RNN) gates[l] = new double[tb * gh];
            if (cell == Cell.LSTM) {
                cells[l] = new double[(seqLen + 1) * batch * h];
                tanhCells[l] = new double[tb * h]; // kept from the forward pass: one exp per element less in backward
            }
            if (cell == Cell.GRU) recN[l] = new double[tb * h];
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
        int n = depth * seqLen;
        fwdAbs = new double[n];
        fwdSat = new double[n];
        fwdSlope = new double[n];
        fwdGate = new double[n];
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
        collect = withStats;
        stats.clear();
        double loss = forward();
        backward();
        return loss;
    }

    /** Forward only: the mean loss on the current batch. */
    public double loss() {
        collect = false;
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
                int s = l * seqLen + t;
                switch (cell) {
                    case RNN:
                        rnnForward(p, r, hv, s);
                        break;
                    case LSTM:
                        lstmForward(l, t, p, r, hv, s);
                        break;
                    default:
                        gruForward(l, t, p, r, hp, hv, s);
                        break;
                }
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

    private void rnnForward(double[] p, double[] r, double[] hv, int s) {
        double sumAbs = 0, sat = 0, slope = 0;
        double[] bounds = act.unsaturatedOutputs(ActStats.SATURATION_THRESHOLD);
        double mid = (bounds[0] + bounds[1]) / 2, half = (bounds[1] - bounds[0]) / 2;
        for (int b = 0; b < batch; b++) {
            int row = b * h;
            for (int j = 0; j < h; j++) {
                double v = apply(act, p[row + j] + r[row + j] + bias[j]);
                hv[row + j] = v;
                if (collect) {
                    sumAbs += Math.abs(v);
                    sat += Math.abs(v - mid) < half ? 0 : 1;
                    double d = act.derivativeFromOutput(v);
                    slope += d * d;
                }
            }
        }
        if (collect) {
            fwdAbs[s] = sumAbs;
            fwdSat[s] = act.hasSaturation() ? sat : Double.NaN;
            fwdSlope[s] = slope;
            fwdGate[s] = Double.NaN;
        }
    }

    /** DL4J's block order [a, f, o, i]; gates[l] keeps the activations, cells[l] the cell state (row block t+1). */
    private void lstmForward(int l, int t, double[] p, double[] r, double[] hv, int s) {
        double[] gs = gates[l], cs = cells[l], tcs = tanhCells[l];
        int gBase = t * batch * gh, cPrev = t * batch * h, cNow = (t + 1) * batch * h;
        boolean round = dt == DataType.FLOAT;
        double sumAbs = 0, sat = 0, slope = 0, forget = 0;
        double lim = Math.sqrt(1 - ActStats.SATURATION_THRESHOLD); // tanh: |1 − a²| < 1 % ⇔ |a| > √0.99
        for (int b = 0; b < batch; b++) {
            int row = b * gh;
            for (int j = 0; j < h; j++) {
                int ia = row + j, jf = ia + h, jo = jf + h, ji = jo + h;
                double a = tanh(p[ia] + r[ia] + bias[j]);
                double f = sigmoid(p[jf] + r[jf] + bias[h + j]);
                double o = sigmoid(p[jo] + r[jo] + bias[2 * h + j]);
                double i = sigmoid(p[ji] + r[ji] + bias[3 * h + j]);
                if (round) {
                    a = (float) a;
                    f = (float) f;
                    o = (float) o;
                    i = (float) i;
                }
                int gi = gBase + ia;
                gs[gi] = a;
                gs[gi + h] = f;
                gs[gi + 2 * h] = o;
                gs[gi + 3 * h] = i;
                double c = f * cs[cPrev + b * h + j] + i * a;
                if (round) c = (float) c;
                cs[cNow + b * h + j] = c;
                double tc = tanh(c);
                tcs[cPrev + b * h + j] = tc;
                double v = o * tc;
                hv[b * h + j] = v;
                if (collect) {
                    sumAbs += Math.abs(v);
                    sat += Math.abs(a) < lim ? 0 : 1;
                    double d = 1 - a * a;
                    slope += d * d;
                    forget += f;
                }
            }
        }
        if (collect) record(s, sumAbs, sat, slope, forget);
    }

    /** Block order [r, z, n]; gates[l] keeps r, z, n; recN[l] the recurrent product of the n block, h₋ W_hn. */
    private void gruForward(int l, int t, double[] p, double[] r, double[] hp, double[] hv, int s) {
        double[] gs = gates[l], rn = recN[l];
        int gBase = t * batch * gh, nBase = t * batch * h;
        boolean round = dt == DataType.FLOAT;
        double sumAbs = 0, sat = 0, slope = 0, update = 0;
        double lim = Math.sqrt(1 - ActStats.SATURATION_THRESHOLD);
        for (int b = 0; b < batch; b++) {
            int row = b * gh;
            for (int j = 0; j < h; j++) {
                int jr = row + j, jz = jr + h, jn = jz + h;
                double rg = sigmoid(p[jr] + r[jr] + bias[j]);
                double z = sigmoid(p[jz] + r[jz] + bias[h + j]);
                double hn = r[jn];
                double n = tanh(p[jn] + bias[2 * h + j] + rg * hn);
                if (round) {
                    rg = (float) rg;
                    z = (float) z;
                    n = (float) n;
                }
                int gi = gBase + jr;
                gs[gi] = rg;
                gs[gi + h] = z;
                gs[gi + 2 * h] = n;
                rn[nBase + b * h + j] = hn;
                double v = (1 - z) * n + z * hp[b * h + j];
                hv[b * h + j] = v;
                if (collect) {
                    sumAbs += Math.abs(v);
                    sat += Math.abs(n) < lim ? 0 : 1;
                    double d = 1 - n * n;
                    slope += d * d;
                    update += z;
                }
            }
        }
        if (collect) record(s, sumAbs, sat, slope, update);
    }

    private void record(int s, double sumAbs, double sat, double slope, double gate) {
        fwdAbs[s] = sumAbs;
        fwdSat[s] = sat;
        fwdSlope[s] = slope;
        fwdGate[s] = gate;
    }

    /** Mean loss of the batch; writes ∂L/∂out (of the mean loss) into dOut. */
    private double lossAndOutputGradient(double[] o) {
        double[] d = new double[o.length];
        double sum = 0;
        int groups = spec.groups();
        if (groups == 0) {
            double scale = 2.0 / ((double) batch * nOut);
            for (int i = 0; i < o.length; i++) {
                double e = o[i] - y[i];
                sum += e * e;
                d[i] = scale * e;
            }
            sum /= (double) batch * nOut;
        } else {
            int cls = nOut / groups;
            double scale = 1.0 / ((double) batch * groups);
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < groups; k++) {
                    int at = b * nOut + k * cls;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < cls; c++) max = Math.max(max, o[at + c]);
                    double z = 0;
                    for (int c = 0; c < cls; c++) z += Math.exp(o[at + c] - max);
                    double logZ = Math.log(z) + max;
                    for (int c = 0; c < cls; c++) {
                        double lp = o[at + c] - logZ;
                        if (y[at + c] != 0) sum -= y[at + c] * lp;
                        d[at + c] = scale * (Math.exp(lp) - y[at + c]);
                    }
                }
            }
            sum /= (double) batch * groups;
        }
        dOutHost.put(0, d.length, d, 0);
        return sum;
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
                if (collect) {
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
                        cSq[t] = lstmBackward(l, t, dh, carry, dz);
                        break;
                    default: {
                        hsHost[l].get(t * bh, bh, hp, 0);
                        gruBackward(l, t, dh, hp, carry, dz, dzr);
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
            if (collect) emit(l, gradSq, zeros, bad, cSq);
        }
    }

    /** Returns ‖∂L/∂c_t‖²; carry: ∂L/∂c_{t+1}·f_{t+1} in, ∂L/∂c_t·f_t out. */
    private double lstmBackward(int l, int t, double[] dh, double[] carry, double[] dz) {
        double[] gs = gates[l], cs = cells[l], tcs = tanhCells[l];
        int gBase = t * batch * gh, cPrev = t * batch * h;
        double cSq = 0;
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < h; j++) {
                int k = b * h + j, ia = b * gh + j, gi = gBase + ia;
                double a = gs[gi], f = gs[gi + h], o = gs[gi + 2 * h], i = gs[gi + 3 * h];
                double tc = tcs[cPrev + k];
                double dc = carry[k] + dh[k] * o * (1 - tc * tc);
                cSq += dc * dc;
                double dOutGate = dh[k] * tc;
                dz[ia] = dc * i * (1 - a * a);
                dz[ia + h] = dc * cs[cPrev + k] * f * (1 - f);
                dz[ia + 2 * h] = dOutGate * o * (1 - o);
                dz[ia + 3 * h] = dc * a * i * (1 - i);
                carry[k] = dc * f;
            }
        }
        return cSq;
    }

    /** dz: gradient of the input-side pre-activations [r, z, n]; dzr: of the recurrent products (n block times r). */
    private void gruBackward(int l, int t, double[] dh, double[] hp, double[] carry, double[] dz, double[] dzr) {
        double[] gs = gates[l], rn = recN[l];
        int gBase = t * batch * gh, nBase = t * batch * h;
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < h; j++) {
                int k = b * h + j, jr = b * gh + j, gi = gBase + jr;
                double r = gs[gi], z = gs[gi + h], n = gs[gi + 2 * h];
                double dn = dh[k] * (1 - z) * (1 - n * n);
                double dr = dn * rn[nBase + k] * r * (1 - r);
                double du = dh[k] * (hp[k] - n) * z * (1 - z);
                dz[jr] = dr;
                dz[jr + h] = du;
                dz[jr + 2 * h] = dn;
                dzr[jr] = dr;
                dzr[jr + h] = du;
                dzr[jr + 2 * h] = dn * r;
                carry[k] = dh[k] * z;
            }
        }
        if (dt == DataType.FLOAT) for (int i = 0; i < dzr.length; i++) dzr[i] = (float) dzr[i];
    }

    private void emit(int l, double[] gradSq, long[] zeros, long[] bad, double[] cSq) {
        long n = (long) batch * h;
        List<TimeStepStats> layer = new ArrayList<>(seqLen);
        for (int t = 0; t < seqLen; t++) {
            int s = l * seqLen + t;
            layer.add(new TimeStepStats(
                    l,
                    spec.layerName(l),
                    t,
                    n,
                    Math.sqrt(gradSq[t]),
                    zeros[t],
                    bad[t],
                    cell == Cell.LSTM ? Math.sqrt(cSq[t]) : Double.NaN,
                    fwdAbs[s] / n,
                    fwdSat[s] / n,
                    cell == Cell.RNN && !act.hasDerivativeFromOutput() ? Double.NaN : fwdSlope[s] / n,
                    fwdGate[s] / n));
        }
        stats.addAll(0, layer); // layers are visited top-down; keep the list layer-major ascending
    }

    // ---------------------------------------------------------------- scalar functions

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * tanh through one exp (an intrinsic, unlike Math.tanh), with its odd Taylor series near 0 where 1 − e^{−2|z|}
     * would cancel: relative error below 1e-14 everywhere.
     */
    static double tanh(double z) {
        double a = Math.abs(z);
        if (a < 0x1p-6) {
            double z2 = z * z;
            return z * (1 - z2 * (1.0 / 3 - z2 * (2.0 / 15 - z2 * (17.0 / 315))));
        }
        double e = Math.exp(-2 * a);
        double v = (1 - e) / (1 + e);
        return z < 0 ? -v : v;
    }

    static double apply(Activation a, double z) {
        switch (a) {
            case TANH:
                return tanh(z);
            case RELU:
                return z > 0 ? z : 0;
            case SIGMOID:
                return sigmoid(z);
            case IDENTITY:
                return z;
            case LEAKYRELU:
                return z > 0 ? z : 0.01 * z;
            case HARDTANH:
                return z < -1 ? -1 : z > 1 ? 1 : z;
            case SOFTSIGN:
                return z / (1 + Math.abs(z));
            default:
                throw new IllegalArgumentException("rnn activation " + a.key);
        }
    }
}
