package dev.gradsweep.recurrent;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.TimeStepStats;
import java.util.ArrayList;
import java.util.List;

/**
 * The gate arithmetic of {@link RecurrentNet}'s cells, one time step of one layer at a time, in Java loops over
 * host copies of the step's pre-activations: forward (rnn, lstm, gru) with the time-step sums the timesteps table
 * needs, and the backward through the gates. It keeps what the backward reads of the forward: gate activations per
 * step [T·B·G·H] (lstm, gru), cell state [(T+1)·B·H] and tanh of it (lstm), h₋W_hn (gru). float32 nets round what
 * they store, as ND4J would.
 */
final class CellSteps {
    private final RecurrentSpec spec;
    private final Cell cell;
    private final Activation act;
    private final int batch, h, gh, seqLen;
    private final boolean round;
    private final double[][] gates, cells, recN, tanhCells;
    private final double[] fwdAbs, fwdSat, fwdSlope, fwdGate; // [layer·T + t] sums of the forward pass
    /** Whether the forward pass sums its statistics (computeGradient with statistics). */
    boolean collect;

    CellSteps(RecurrentSpec spec, int batch, boolean round) {
        this.spec = spec;
        this.cell = spec.cell();
        this.act = spec.activation();
        this.batch = batch;
        this.h = spec.width();
        this.gh = cell.gates * h;
        this.seqLen = spec.seqLen();
        this.round = round;
        int depth = spec.depth(), tb = seqLen * batch;
        gates = new double[depth][];
        cells = new double[depth][];
        recN = new double[depth][];
        tanhCells = new double[depth][];
        for (int l = 0; l < depth; l++) {
            if (cell != Cell.RNN) gates[l] = new double[tb * gh];
            if (cell == Cell.LSTM) {
                cells[l] = new double[(seqLen + 1) * batch * h];
                tanhCells[l] = new double[tb * h]; // kept from the forward pass: one exp per element less in backward
            }
            if (cell == Cell.GRU) recN[l] = new double[tb * h];
        }
        int n = depth * seqLen;
        fwdAbs = new double[n];
        fwdSat = new double[n];
        fwdSlope = new double[n];
        fwdGate = new double[n];
    }

    /**
     * h_t of layer l into hv from the input-side pre-activations p, the recurrent product r (zero at t = 0), the
     * layer's bias and h_{t−1} in hp (gru), [b·H + j]; with {@link #collect}, the step's forward sums.
     */
    void forward(int l, int t, double[] p, double[] r, double[] bias, double[] hp, double[] hv) {
        int s = l * seqLen + t;
        switch (cell) {
            case RNN:
                rnnForward(p, r, bias, hv, s);
                break;
            case LSTM:
                lstmForward(l, t, p, r, bias, hv, s);
                break;
            default:
                gruForward(l, t, p, r, bias, hp, hv, s);
                break;
        }
    }

    private void rnnForward(double[] p, double[] r, double[] bias, double[] hv, int s) {
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
    private void lstmForward(int l, int t, double[] p, double[] r, double[] bias, double[] hv, int s) {
        double[] gs = gates[l], cs = cells[l], tcs = tanhCells[l];
        int gBase = t * batch * gh, cPrev = t * batch * h, cNow = (t + 1) * batch * h;
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
    private void gruForward(int l, int t, double[] p, double[] r, double[] bias, double[] hp, double[] hv, int s) {
        double[] gs = gates[l], rn = recN[l];
        int gBase = t * batch * gh, nBase = t * batch * h;
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

    /** Returns ‖∂L/∂c_t‖²; carry: ∂L/∂c_{t+1}·f_{t+1} in, ∂L/∂c_t·f_t out. */
    double lstmBackward(int l, int t, double[] dh, double[] carry, double[] dz) {
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
    void gruBackward(int l, int t, double[] dh, double[] hp, double[] carry, double[] dz, double[] dzr) {
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
        if (round) for (int i = 0; i < dzr.length; i++) dzr[i] = (float) dzr[i];
    }

    /** Layer l's time-step rows from the backward's sums and this step's forward sums, t ascending. */
    List<TimeStepStats> timeSteps(int l, double[] gradSq, long[] zeros, long[] bad, double[] cSq) {
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
        return layer;
    }

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
