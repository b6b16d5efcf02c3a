package dev.gradsweep.bench;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.train.FitProbe;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.RunOutcome;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The cost of the listener API's statistics (dev.gradsweep.api, docs/performance.md#the-listener-api): each reference
 * net trained by DL4J's own {@code fit}, twice in one process from the same seed, bare and with the listener recording
 * to Parquet, in interleaved rounds (the order alternates), timed by wall clock and by the thread's CPU time. Run with
 * {@code OMP_NUM_THREADS=1}, so ND4J's ops run on the timed thread and its CPU time is the step's.
 *
 * <pre>java … dev.gradsweep.bench.ListenerCost [nets prefix|all] [rounds] [steps per round]</pre>
 */
public final class ListenerCost {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private ListenerCost() {}

    public static void main(String[] args) throws IOException {
        String nets = args.length > 0 ? args[0] : "all";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Path tmp = Files.createTempDirectory("listener-cost");
        System.out.println("net,bare_ms,listener_ms,wall_ratio,wall_q1,wall_q3,bare_cpu_ms,listener_cpu_ms,cpu_ratio,"
                + "cpu_q1,cpu_q3,cpu_total_ratio,listener_cpu_ms,listener_cpu_share,status");
        for (Map.Entry<String, RunConfig> e : BenchNets.selected(nets).entrySet()) {
            RunConfig rc = e.getValue();
            TaskData data = Tasks.generate(rc.task, rc.seed);
            RunOutcome out = new RunOutcome();
            try (RunWriter w =
                    new RunWriter(new OutputDir(tmp.resolve(e.getKey()).toString()), rc, 0)) {
                Timed probe = new Timed(new FitProbe(w, out, TrainingMemory.forBackend()));
                List<Runnable> v = List.of(fit(rc, data, null), fit(rc, data, probe));
                for (int i = 0; i < InterleavedRounds.WARMUP_STEPS; i++) for (Runnable s : v) s.run();
                probe.cpuNanos = 0;
                double[][] wall = new double[2][rounds], cpu = new double[2][rounds];
                for (int r = 0; r < rounds; r++)
                    for (int i = 0; i < 2; i++) {
                        int k = (i + r) % 2;
                        long c0 = CPU.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                        for (int s = 0; s < steps; s++) v.get(k).run();
                        wall[k][r] = (System.nanoTime() - t0) / 1e6 / steps;
                        cpu[k][r] = (CPU.getCurrentThreadCpuTime() - c0) / 1e6 / steps;
                    }
                double inListener = probe.cpuNanos / 1e6 / rounds / steps;
                PairedTiming tw =
                        PairedTiming.of(List.of("bare", "listener"), wall).get("listener");
                PairedTiming tc =
                        PairedTiming.of(List.of("bare", "listener"), cpu).get("listener");
                System.out.println(String.format(
                        Locale.ROOT,
                        "%s,%.3f,%.3f,%.4f,%.4f,%.4f,%.3f,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s",
                        e.getKey(),
                        Quantiles.median(wall[0]),
                        tw.ms(),
                        tw.ratio(),
                        tw.q1(),
                        tw.q3(),
                        Quantiles.median(cpu[0]),
                        tc.ms(),
                        tc.ratio(),
                        tc.q1(),
                        tc.q3(),
                        tc.total(),
                        inListener,
                        inListener / (Arrays.stream(cpu[1]).sum() / rounds - inListener),
                        out.statusText()));
            }
        }
    }

    /**
     * The probe with the thread CPU time spent in its callbacks summed: its share of the step, measured inside the
     * step (the paired ratio's noise on a loaded machine is larger than a few per cent).
     */
    private static final class Timed implements TrainingListener {
        final FitProbe probe;
        long cpuNanos;

        Timed(FitProbe probe) {
            this.probe = probe;
        }

        private void timed(Runnable r) {
            long c0 = CPU.getCurrentThreadCpuTime();
            r.run();
            cpuNanos += CPU.getCurrentThreadCpuTime() - c0;
        }

        @Override
        public void iterationDone(Model m, int iteration, int epoch) {
            timed(() -> probe.iterationDone(m, iteration, epoch));
        }

        @Override
        public void onEpochStart(Model m) {
            timed(() -> probe.onEpochStart(m));
        }

        @Override
        public void onEpochEnd(Model m) {}

        @Override
        public void onForwardPass(Model m, List<INDArray> activations) {
            timed(() -> probe.onForwardPass(m, activations));
        }

        @Override
        public void onForwardPass(Model m, Map<String, INDArray> activations) {
            timed(() -> probe.onForwardPass(m, activations));
        }

        @Override
        public void onGradientCalculation(Model m) {
            timed(() -> probe.onGradientCalculation(m));
        }

        @Override
        public void onBackwardPass(Model m) {}
    }

    /** One step of DL4J's fit on the net's next minibatch, with {@code probe} as its listener (null: none). */
    private static Runnable fit(RunConfig rc, TaskData data, TrainingListener probe) {
        ComputationGraph net = NetworkFactory.build(rc).graph();
        if (probe != null) net.setListeners(probe);
        Batches b = new Batches(data, rc.train.batch, NetworkFactory.dataType(rc.train.dtype), rc.seed);
        DataSet ds = new DataSet(b.features, b.labels);
        return () -> {
            MemoryGuard.check();
            b.next();
            net.fit(ds);
        };
    }
}
