package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TimeStepStats;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The per-(layer, t) statistics against values computed here from the hidden states, or known in closed form. */
class TimeStepStatsTest {
    static final int BATCH = 8, T = 6, WIDTH = 10;

    static RecurrentNet run(RecurrentSpec spec, java.util.function.Consumer<INDArray> edit) {
        RecurrentNet net = new RecurrentNet(spec, BATCH);
        if (edit != null) edit.accept(net.params());
        SequenceTask task = new AddingTask();
        double[] x = new double[spec.seqLen() * BATCH * 2], y = new double[BATCH];
        task.fill(2, 0, BATCH, spec.seqLen(), x, y);
        net.setBatch(x, y);
        net.computeGradient(true);
        return net;
    }

    static RecurrentSpec spec(Cell cell, Activation act, String rec, String in, TrainSpec.DType dt, int seqLen) {
        return RecurrentSpec.of(
                cell, act, 2, WIDTH, new AddingTask(), seqLen, RecInit.parse(rec), Init.parse(in), dt, 3);
    }

    @Test
    void rnnMeanAbsSaturationAndSlopeFromTheHiddenStates() {
        // large weights, so part of the tanh units saturate (|1 − h²| < 0.01) and part do not
        RecurrentNet net =
                run(spec(Cell.RNN, Activation.TANH, "normal:3", "normal:4", TrainSpec.DType.FLOAT64, T), null);
        List<TimeStepStats> st = net.timeSteps();
        assertEquals(2 * T, st.size());
        double satSeen = 0;
        for (TimeStepStats s : st) {
            double[] h = net.hidden(s.layer(), s.t());
            double abs = 0, sat = 0, slope = 0;
            for (double v : h) {
                abs += Math.abs(v);
                sat += 1 - v * v < 0.01 ? 1 : 0;
                slope += (1 - v * v) * (1 - v * v);
            }
            assertEquals(abs / h.length, s.hMeanAbs(), 1e-12);
            assertEquals(sat / h.length, s.satFrac(), 1e-12);
            assertEquals(slope / h.length, s.slopeSqMean(), 1e-12);
            assertEquals(BATCH * WIDTH, s.count());
            assertTrue(Double.isNaN(s.gateMean()) && Double.isNaN(s.cGradL2()));
            satSeen += s.satFrac();
        }
        assertTrue(satSeen > 0 && satSeen < st.size(), "some but not all saturated");
        assertEquals("rnn1", st.get(T).layerName());
    }

    @Test
    void reluHasNoSaturation() {
        RecurrentNet net = run(spec(Cell.RNN, Activation.RELU, "identity", "xavier", TrainSpec.DType.FLOAT64, T), null);
        for (TimeStepStats s : net.timeSteps()) assertTrue(Double.isNaN(s.satFrac()));
    }

    /**
     * With every weight 0, each gate is the sigmoid of its bias: the LSTM forget-gate mean is σ(forget_bias) and the
     * block input a = tanh(b_a) is saturated exactly when |b_a| is large; GRU's update gate is σ(b_z).
     */
    @Test
    void gateMeansAndSaturationWithBiasesOnly() {
        for (double fb : new double[] {1, 3}) {
            for (double ba : new double[] {0.1, 5}) {
                RecurrentSpec spec = spec(Cell.LSTM, null, "orthogonal", "xavier", TrainSpec.DType.FLOAT64, T)
                        .withForgetBias(fb);
                RecurrentNet net = run(spec, p -> zeroWeightsSetBias(p, spec, 0, ba));
                for (TimeStepStats s : net.timeSteps()) {
                    assertEquals(1 / (1 + Math.exp(-fb)), s.gateMean(), 1e-12);
                    assertEquals(ba > 3 ? 1 : 0, s.satFrac(), 0);
                    // W_x of layer 1 is 0 too, so only the top layer has a cell-state gradient
                    if (s.layer() == 1) assertTrue(s.cGradL2() > 0);
                    else assertEquals(0, s.cGradL2());
                }
            }
        }
        RecurrentSpec gru = spec(Cell.GRU, null, "orthogonal", "xavier", TrainSpec.DType.FLOAT64, T);
        RecurrentNet net = run(gru, p -> zeroWeightsSetBias(p, gru, 1, 2));
        for (TimeStepStats s : net.timeSteps()) assertEquals(1 / (1 + Math.exp(-2)), s.gateMean(), 1e-12);
    }

    /** Weights of the recurrent layers to 0, bias block {@code block} to v (the LSTM forget bias stays). */
    static void zeroWeightsSetBias(INDArray p, RecurrentSpec spec, int block, double v) {
        Segment[] seg = new RecurrentNet(spec, 1).segments();
        for (Segment s : seg) {
            if (s.layer == spec.depth()) continue;
            if (s.param.equals("b"))
                for (int j = 0; j < spec.width(); j++) p.putScalar(s.offset + block * spec.width() + j, v);
            else for (int i = s.offset; i < s.offset + s.length; i++) p.putScalar(i, 0);
        }
    }

    /**
     * spectral:0.05, linear regime: ‖∂L/∂h‖ shrinks ≈ 20× per step back, so after 30 steps it is ~1e-39 relative to the
     * last step's: float32 (smallest subnormal 1.4e-45) flushes the earliest steps to exact zeros and the statistics
     * count them; float64 keeps them, tiny and nonzero.
     */
    @Test
    void float32UnderflowIsCountedAsZeros() {
        int seqLen = 40;
        RecurrentNet f32 = run(
                spec(Cell.RNN, Activation.TANH, "spectral:0.05", "normal:0.01", TrainSpec.DType.FLOAT32, seqLen), null);
        RecurrentNet f64 = run(
                spec(Cell.RNN, Activation.TANH, "spectral:0.05", "normal:0.01", TrainSpec.DType.FLOAT64, seqLen), null);
        TimeStepStats first32 = f32.timeSteps().get(seqLen),
                last32 = f32.timeSteps().get(2 * seqLen - 1); // layer 1
        TimeStepStats first64 = f64.timeSteps().get(seqLen);
        assertEquals(first32.count(), first32.hGradZeros(), "all underflowed at t = 0 in float32");
        assertEquals(0, first32.hGradL2());
        assertEquals(1.0, first32.hGradZeroFrac());
        assertEquals(0, last32.hGradZeros());
        assertEquals(0, first64.hGradZeros());
        assertTrue(first64.hGradL2() > 0 && first64.hGradL2() < 1e-45, "float64 keeps " + first64.hGradL2());
    }

    @Test
    void float32GradientsAgreeWithFloat64OnTheSameWeights() {
        for (Cell cell : new Cell[] {Cell.RNN, Cell.LSTM, Cell.GRU}) {
            RecurrentSpec s64 = spec(cell, Activation.TANH, "orthogonal", "xavier", TrainSpec.DType.FLOAT64, T);
            RecurrentNet n64 = run(s64, null);
            RecurrentNet n32 =
                    run(s64.withDtype(TrainSpec.DType.FLOAT32), p -> p.assign(new RecurrentNet(s64, 1).params()));
            double[] g64 = n64.gradient().data().asDouble(),
                    g32 = n32.gradient().data().asDouble();
            for (Segment s : n64.segments()) {
                double diff = 0, norm = 0;
                for (int i = s.offset; i < s.offset + s.length; i++) {
                    diff += (g64[i] - g32[i]) * (g64[i] - g32[i]);
                    norm += g64[i] * g64[i];
                }
                // float32 rounding (6e-8) amplified by T·depth products stays far below 1e-4
                assertTrue(Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm), cell + " " + s.layerName + "." + s.param);
            }
        }
    }
}
