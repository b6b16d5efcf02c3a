package dev.gradsweep.bench;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.recurrent.AddingTask;
import dev.gradsweep.recurrent.RecurrentSpec;
import dev.gradsweep.recurrent.RecurrentTrainer;
import dev.gradsweep.recurrent.SequenceTask;
import java.io.PrintStream;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * ms per training step of a recurrent net with and without the per-time-step and parameter statistics, interleaved
 * in rounds on one trainer (median of per-round ratios, so a stall of the shared machine lands in one round only), as
 * wall time and as the thread's CPU time (which a loaded machine does not inflate), plus where the
 * time goes: the matrix products alone, and what the LSTM gate arithmetic would cost as ND4J ops instead of the
 * Java loops. Run with OMP_NUM_THREADS=1 for one thread.
 * <pre>java -cp gradsweep.jar dev.gradsweep.bench.RecurrentBench [cell depth width T batch rounds steps]</pre>
 * Defaults: lstm 2 128 100 64 10 3 (float32, Adam). {@code gradsweep bench} prints the overhead of {@link #NET}.
 */
public final class RecurrentBench {
    /** The recurrent net of {@code bench --nets lstm2x128}, the one the statistics' overhead target (≤ 5 %) is set on. */
    public static final String NET = "lstm2x128";
    /** Its rounds and steps per round and variant in {@code bench}: a step takes a few hundred ms on one core. */
    public static final int ROUNDS = 16, STEPS = 2;

    /**
     * Medians over rounds of wall and thread-CPU ms per step, bare and with statistics, and of the per-round overhead
     * (stats / bare − 1) with its quartiles.
     */
    public record Overhead(
            String what,
            long params,
            double wallBare,
            double wallStats,
            double[] wallOverhead,
            double cpuBare,
            double cpuStats,
            double[] cpuOverhead) {
        /** The figures as a main() prints them: the net, then a line each for wall and thread CPU. */
        void printLines(PrintStream out) {
            out.println(what + ", OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS"));
            out.printf(
                    "wall: bare %.2f ms/step, with statistics %.2f ms/step (medians), overhead median %s%n",
                    wallBare, wallStats, quartiles(wallOverhead));
            out.printf(
                    "thread CPU: bare %.2f ms/step, with statistics %.2f ms/step (medians), overhead median %s%n",
                    cpuBare, cpuStats, quartiles(cpuOverhead));
        }

        static String quartiles(double[] r) {
            return String.format(
                    Locale.ROOT,
                    "%+.1f %% (quartiles %+.1f … %+.1f %%)",
                    100 * Quantiles.median(r),
                    100 * Quantiles.quantile(r, 0.25),
                    100 * Quantiles.quantile(r, 0.75));
        }
    }

    public static void main(String[] args) {
        Cell cell = Cell.parse(arg(args, 0, "lstm"));
        int depth = Integer.parseInt(arg(args, 1, "2")),
                width = Integer.parseInt(arg(args, 2, "128")),
                seqLen = Integer.parseInt(arg(args, 3, "100")),
                batch = Integer.parseInt(arg(args, 4, "64")),
                rounds = Integer.parseInt(arg(args, 5, "10")),
                steps = Integer.parseInt(arg(args, 6, "3"));
        RecurrentSpec spec = spec(cell, depth, width, seqLen);
        Overhead o = overhead(spec, batch, rounds, steps);
        o.printLines(System.out);
        matmulsAlone(spec, batch, rounds);
        if (cell == Cell.LSTM) gateOpsInNd4j(depth, width, seqLen, batch, rounds);
    }

    /**
     * {@code bench}'s recurrent section: a markdown table, or csv rows in {@code bench}'s columns
     * (net,stats,ms_per_step,variant,ratio_to_bare; ratio = 1 + median per-round overhead), wall and thread CPU.
     * @param header with csv, print the column names first (no feed-forward rows came before)
     */
    public static void print(Overhead o, boolean csv, boolean header, PrintStream out) {
        print(NET, "recurrent", "Recurrent", o, csv, header, out);
    }

    /**
     * The section of one net {@code net} whose bare and statistics variants are {@code variant} and {@code
     * variant_stats} (csv), under {@code heading} (table).
     */
    static void print(
            String net, String variant, String heading, Overhead o, boolean csv, boolean header, PrintStream out) {
        if (csv) {
            if (header) out.println("net,stats,ms_per_step,variant,ratio_to_bare");
            out.printf(Locale.ROOT, "%s,off,%.2f,%s,1.000%n", net, o.wallBare(), variant);
            out.printf(
                    Locale.ROOT,
                    "%s,on,%.2f,%s_stats,%.3f%n",
                    net,
                    o.wallStats(),
                    variant,
                    1 + Quantiles.median(o.wallOverhead()));
            out.printf(Locale.ROOT, "%s_cpu,off,%.2f,%s_cpu,1.000%n", net, o.cpuBare(), variant);
            out.printf(
                    Locale.ROOT,
                    "%s_cpu,on,%.2f,%s_stats_cpu,%.3f%n",
                    net,
                    o.cpuStats(),
                    variant,
                    1 + Quantiles.median(o.cpuOverhead()));
            return;
        }
        out.println();
        out.println(heading + ": " + o.what() + " (target: statistics overhead <= 5 %; thread CPU time holds the "
                + "whole step with one OpenMP thread and is not inflated by other processes, wall time is)");
        out.println();
        out.println(
                "| " + net + " | bare ms/step | with statistics ms/step | overhead, median of rounds (quartiles) |");
        out.println("|---|---:|---:|---:|");
        out.printf(
                Locale.ROOT,
                "| thread CPU | %.1f | %.1f | %s |%n",
                o.cpuBare(),
                o.cpuStats(),
                Overhead.quartiles(o.cpuOverhead()));
        out.printf(
                Locale.ROOT,
                "| wall | %.1f | %.1f | %s |%n",
                o.wallBare(),
                o.wallStats(),
                Overhead.quartiles(o.wallOverhead()));
    }

    /** The bench's recurrent net: adding task, tanh, orthogonal W_h, xavier W_x, float32. */
    static RecurrentSpec spec(Cell cell, int depth, int width, int seqLen) {
        return RecurrentSpec.of(
                cell,
                Activation.TANH,
                depth,
                width,
                new AddingTask(),
                seqLen,
                RecInit.parse("orthogonal"),
                Init.parse("xavier"),
                TrainSpec.DType.FLOAT32,
                1);
    }

    /** {@link #NET}: 2-layer LSTM, width 128, T = 100, batch 64, {@link #ROUNDS} × {@link #STEPS}. */
    public static Overhead referenceOverhead() {
        return overhead(spec(Cell.LSTM, 2, 128, 100), 64, ROUNDS, STEPS);
    }

    /** Statistics' overhead, the variants interleaved in rounds on one trainer (Adam 1e-3). */
    public static Overhead overhead(RecurrentSpec spec, int batch, int rounds, int steps) {
        SequenceTask task = new AddingTask();
        TrainSpec train =
                new TrainSpec(1_000_000, batch, TrainSpec.Optimizer.ADAM, 1e-3, "none", TrainSpec.DType.FLOAT32);
        // one trainer for both variants, so they share memory placement and state; only the statistics differ
        RecurrentTrainer trainer = new RecurrentTrainer(spec, task, train);
        String what = String.format(
                Locale.ROOT,
                "%s depth %d width %d T %d batch %d float32, %d params, %d rounds x %d steps per variant",
                spec.cell().key,
                spec.depth(),
                spec.width(),
                spec.seqLen(),
                batch,
                trainer.net().numParams(),
                rounds,
                steps);
        return interleaved(what, trainer.net().numParams(), trainer::step, rounds, steps);
    }

    /** One training step, bare or with the statistics a sweep records. */
    interface Step {
        void run(boolean withStats);
    }

    /**
     * Times {@code step} bare and with statistics after 3 warm-up steps of each (JIT and ND4J's first calls), in
     * {@code rounds} rounds of {@code steps} steps per variant, the order alternating round by round.
     */
    static Overhead interleaved(String what, long params, Step step, int rounds, int steps) {
        for (int i = 0; i < 3; i++) {
            step.run(false);
            step.run(true);
        }
        // wall time and this thread's CPU time (with one OpenMP thread ND4J computes on the calling thread, so the
        // CPU time holds the whole step and not the time the shared machine takes the core away)
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] ratio = new double[rounds],
                msBare = new double[rounds],
                msStats = new double[rounds],
                cpuRatio = new double[rounds],
                cpuBare = new double[rounds],
                cpuStats = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            boolean statsFirst = r % 2 == 1;
            for (int k = 0; k < 2; k++) {
                boolean withStats = (k == 0) == statsFirst;
                long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                for (int s = 0; s < steps; s++) step.run(withStats);
                double ms = (System.nanoTime() - t0) / 1e6 / steps,
                        cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / steps;
                if (withStats) {
                    msStats[r] = ms;
                    cpuStats[r] = cpu;
                } else {
                    msBare[r] = ms;
                    cpuBare[r] = cpu;
                }
            }
            ratio[r] = msStats[r] / msBare[r] - 1;
            cpuRatio[r] = cpuStats[r] / cpuBare[r] - 1;
        }
        return new Overhead(
                what,
                params,
                Quantiles.median(msBare),
                Quantiles.median(msStats),
                ratio,
                Quantiles.median(cpuBare),
                Quantiles.median(cpuStats),
                cpuRatio);
    }

    /** The step's matrix products without anything else: forward, backward and weight-gradient matmuls. */
    private static void matmulsAlone(RecurrentSpec spec, int batch, int rounds) {
        int gh = spec.cell().gates * spec.width(), h = spec.width(), tb = spec.seqLen() * batch;
        DataType dt = DataType.FLOAT;
        INDArray in0 = Nd4j.rand(dt, tb, spec.inputs()),
                hs = Nd4j.rand(dt, tb, h),
                wx0 = Nd4j.rand(dt, spec.inputs(), gh),
                wx = Nd4j.rand(dt, h, gh),
                wh = Nd4j.rand(dt, h, gh),
                pre = Nd4j.create(dt, tb, gh),
                dp = Nd4j.rand(dt, tb, gh),
                hb = Nd4j.rand(dt, batch, h),
                rec = Nd4j.create(dt, batch, gh),
                dpb = Nd4j.rand(dt, batch, gh),
                dhb = Nd4j.create(dt, batch, h),
                dw = Nd4j.create(dt, h, gh),
                dw0 = Nd4j.create(dt, spec.inputs(), gh),
                dh = Nd4j.create(dt, tb, h);
        double[] ms = new double[rounds], cpu = new double[rounds];
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int r = -1; r < rounds; r++) {
            long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
            for (int l = 0; l < spec.depth(); l++) {
                Nd4j.matmul(l == 0 ? in0 : hs, l == 0 ? wx0 : wx, pre, false, false, false);
                for (int t = 1; t < spec.seqLen(); t++) Nd4j.matmul(hb, wh, rec, false, false, false);
                for (int t = 0; t < spec.seqLen() - 1; t++) Nd4j.matmul(dpb, wh, dhb, false, true, false);
                Nd4j.matmul(l == 0 ? in0 : hs, dp, l == 0 ? dw0 : dw, true, false, false);
                Nd4j.matmul(hs, dp, dw, true, false, false);
                if (l > 0) Nd4j.matmul(dp, wx, dh, false, true, false);
            }
            if (r >= 0) {
                ms[r] = (System.nanoTime() - t0) / 1e6;
                cpu[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
            }
        }
        System.out.printf(
                "matrix products alone: %.1f ms/step wall, %.1f ms thread CPU (medians)%n",
                Quantiles.median(ms), Quantiles.median(cpu));
    }

    /**
     * The LSTM cell's elementwise arithmetic as ND4J ops on [batch, ·] views per time step and layer, what the Java
     * loops replace: forward (gate sum, sigmoid, tanh, c = f·c₋ + i·a, h = o·tanh(c): 10 ops) and backward (∂L/∂c,
     * the four pre-activation gradients, the carry: 17 ops). Same arithmetic count as the loops, no host copies.
     */
    private static void gateOpsInNd4j(int depth, int width, int seqLen, int batch, int rounds) {
        DataType dt = DataType.FLOAT;
        INDArray z = Nd4j.rand(dt, batch, 4 * width),
                c = Nd4j.rand(dt, batch, width),
                hOut = Nd4j.create(dt, batch, width);
        INDArray a = cols(z, 0, width),
                sig = cols(z, width, 4 * width),
                f = cols(z, width, 2 * width),
                o = cols(z, 2 * width, 3 * width),
                i = cols(z, 3 * width, 4 * width);
        INDArray rec = Nd4j.rand(dt, batch, 4 * width),
                tmp = Nd4j.create(dt, batch, width),
                tc = Nd4j.rand(dt, batch, width),
                dh = Nd4j.rand(dt, batch, width),
                dc = Nd4j.create(dt, batch, width),
                carry = Nd4j.rand(dt, batch, width),
                cPrev = Nd4j.rand(dt, batch, width),
                dz = Nd4j.create(dt, batch, 4 * width);
        INDArray dza = cols(dz, 0, width),
                dzf = cols(dz, width, 2 * width),
                dzo = cols(dz, 2 * width, 3 * width),
                dzi = cols(dz, 3 * width, 4 * width);
        double[] fwd = new double[rounds], bwd = new double[rounds];
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int r = -1; r < rounds; r++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int l = 0; l < depth; l++)
                for (int t = 0; t < seqLen; t++) {
                    z.addi(rec);
                    Transforms.tanh(a, false);
                    Transforms.sigmoid(sig, false);
                    c.muli(f);
                    tmp.assign(i).muli(a);
                    c.addi(tmp);
                    hOut.assign(c);
                    Transforms.tanh(hOut, false);
                    hOut.muli(o);
                    z.muli(0.5); // keeps the values bounded over the repeats
                }
            long t1 = mx.getCurrentThreadCpuTime();
            for (int l = 0; l < depth; l++)
                for (int t = 0; t < seqLen; t++) {
                    dc.assign(tc).muli(tc).rsubi(1).muli(o).muli(dh).addi(carry); // dc = carry + dh·o·(1 − tc²)
                    dzo.assign(dh).muli(tc).muli(o).muli(o.rsub(1)); // dh·tc·o(1 − o)
                    dza.assign(a).muli(a).rsubi(1).muli(i).muli(dc); // dc·i·(1 − a²)
                    dzf.assign(f).rsubi(1).muli(f).muli(cPrev).muli(dc); // dc·c₋·f(1 − f)
                    dzi.assign(i).rsubi(1).muli(i).muli(a).muli(dc); // dc·a·i(1 − i)
                    carry.assign(dc).muli(f).muli(0.5);
                }
            if (r >= 0) {
                fwd[r] = (t1 - t0) / 1e6;
                bwd[r] = (mx.getCurrentThreadCpuTime() - t1) / 1e6;
            }
        }
        System.out.printf(
                "LSTM gate arithmetic as ND4J ops instead of Java loops: forward %.1f + backward %.1f = %.1f ms/step thread CPU (medians)%n",
                Quantiles.median(fwd), Quantiles.median(bwd), Quantiles.median(fwd) + Quantiles.median(bwd));
    }

    private static INDArray cols(INDArray m, int from, int to) {
        return m.get(
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to));
    }

    private static String arg(String[] a, int i, String d) {
        return a.length > i ? a[i] : d;
    }
}
