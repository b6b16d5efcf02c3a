/*
 * Issue #29's bench net on gradsweep's own conv engine (docs/conv.md): 3 stages x 3 basic blocks (or the plain twin,
 * 18 convs), 16/32/64 channels, batch norm, post placement, ReLU, 3 x 16 x 16 normal inputs, batch 32, 10 classes,
 * SGD, float32. Per step, thread CPU ms, median and quartiles of ROUNDS rounds x 5 steps after 10 warm-up steps: the
 * bare step (forward, backward, updater, p <- p - u) and ConvTrainer's step with every statistic (recorded nowhere).
 * Not part of the build; run from the repository after `mvn -B package -DskipTests`:
 *   OMP_NUM_THREADS=1 java --add-modules jdk.incubator.vector -Xmx4g -Drounds=8 \
 *     -cp "target/gradsweep-0.1.0-SNAPSHOT.jar:target/lib/*" bench/conv/ConvEngineStep.java resnet|plain [portable]
 *   (-Dnorm=none leaves the norms out)
 */
import dev.gradsweep.conv.ConvNet;
import dev.gradsweep.conv.ConvSpec;
import dev.gradsweep.conv.ConvTrainer;
import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.*;
import dev.gradsweep.stats.*;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.update.FlatUpdater;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.GradientUpdater;

public class ConvEngineStep {
    public static void main(String[] a) {
        Skip skip = a[0].equals("plain") ? Skip.NONE : Skip.RESIDUAL;
        TrainingMemory mem = a.length > 1 && a[1].equals("portable") ? TrainingMemory.portable() : TrainingMemory.hostDirect();
        Norm norm = System.getProperty("norm", "batch").equals("none") ? Norm.NONE : Norm.BATCH;
        ConvSpec spec = new ConvSpec(3, 16, 16, 10, 16, 3, skip == Skip.NONE ? 18 : 9, 4, Activation.RELU,
                Init.parse("he"), norm, Placement.POST, skip, TrainSpec.DType.FLOAT32, 1);
        int n = 320;
        Random r = new Random(1);
        double[] x = new double[n * 768], y = new double[n * 10];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < n; i++) y[i * 10 + i % 10] = 1;
        TaskData data = new TaskData(n, 768, 10, TaskSpec.Objective.CLASSIFICATION, x, y);
        TrainSpec train = new TrainSpec(1 << 30, 32, TrainSpec.Optimizer.SGD, 1e-3, "none", TrainSpec.DType.FLOAT32);
        ConvTrainer t = new ConvTrainer(spec, data, train, 1, mem);
        RunRecorder none = new RunRecorder() {
            public void step(int s, double l, double g, double u, double lr, double ms) {}
            public void param(int s, Segment seg, ParamStats p) {}
            public void layer(int s, LayerInfo l, ActStats st, double g) {}
        };
        RunOutcome out = new RunOutcome();
        ConvNet net = t.net();
        GradientUpdater upd = FlatUpdater.over(train, net.params());
        Batches b = new Batches(data, 32, DataType.FLOAT, 1, mem);
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        int rounds = Integer.getInteger("rounds", 8), per = 5;
        for (int w = 0; w < 10; w++) t.step(none, out);
        double[] bare = new double[rounds], stats = new double[rounds];
        for (int k = 0; k < rounds; k++) {
            long c0 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < per; i++) {
                b.next();
                net.setBatch(b.features, b.labels);
                net.computeGradient();
                upd.applyUpdater(net.gradient(), i, 0);
                net.params().subi(net.gradient());
            }
            long c1 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < per; i++) t.step(none, out);
            long c2 = tm.getCurrentThreadCpuTime();
            bare[k] = (c1 - c0) / 1e6 / per;
            stats[k] = (c2 - c1) / 1e6 / per;
        }
        Arrays.sort(bare);
        Arrays.sort(stats);
        System.out.printf("%s %s: bare step %.1f ms (%.1f..%.1f), with statistics %.1f ms (%.1f..%.1f), %+.1f%%%n",
                a[0], mem.name(), bare[rounds / 2], bare[rounds / 4], bare[3 * rounds / 4], stats[rounds / 2],
                stats[rounds / 4], stats[3 * rounds / 4], 100 * (stats[rounds / 2] / bare[rounds / 2] - 1));
    }
}
