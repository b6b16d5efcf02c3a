package dev.gradsweep.conv;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.Doctor;
import dev.gradsweep.train.RunOutcome;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The conv part of {@code gradsweep doctor}: trains a tiny conv net a few steps with the memory path in use, as a
 * sweep does ({@link ConvTrainer}: on the host path in float32 its convolutions are the Vector API kernels), and
 * recomputes its params rows and layers rows (activation mean, std, saturated, dead and zero fractions, slope, δ) with
 * {@link Doctor}'s plain ND4J reductions on double copies, compared to {@link Doctor#REL}.
 */
public final class ConvDoctor {
    private ConvDoctor() {}

    /** A post-placement batch-norm ResNet of 3 stages × 1 block (stem, norms, projections, head), 1 × 8 × 8 bars, Adam. */
    public static RunConfig net(TrainSpec.DType dtype, int steps) {
        TaskSpec task = TaskSpec.image(TaskSpec.Kind.BARS, 1, 8, TaskSpec.BARS_CLASSES, 64);
        TrainSpec train = new TrainSpec(steps, 8, TrainSpec.Optimizer.ADAM, 0.01, "none", dtype);
        return new RunConfig(
                "doctor",
                3,
                4,
                Activation.RELU,
                Init.parse("he"),
                Norm.BATCH,
                Placement.POST,
                Skip.RESIDUAL,
                Cell.NONE,
                0,
                null,
                Arch.CONV,
                0,
                null,
                task,
                train,
                7,
                null);
    }

    public static Doctor.Result check(RunConfig rc, TrainingMemory memory) {
        TaskData data = Tasks.generate(rc.task, rc.seed);
        ConvTrainer trainer = new ConvTrainer(ConvRun.spec(rc, data), data, rc.train, rc.seed, memory);
        ConvNet net = trainer.net();
        Segment[] segs = net.segments();
        Map<String, double[]> want = new LinkedHashMap<>();
        trainer.afterBackward = () -> {
            for (Segment s : segs)
                want.put(s.layerName + "_" + s.param, Doctor.paramRow(net.gradient(), net.params(), s, 1));
            for (int i = 0; i < net.layerCount(); i++) {
                double[] row = Arrays.copyOf(Doctor.actRow(net.activations(i), net.fn(i)), 7);
                row[6] = l2(net.delta(i), memory);
                want.put(net.layerName(i), row);
            }
        };
        Doctor.Rows got = new Doctor.Rows();
        RunOutcome out = new RunOutcome();
        return Doctor.compareSteps(
                memory.name(),
                new Doctor.Steps(
                        trainer::hasNext,
                        () -> trainer.step(got, out),
                        () -> Doctor.updateApplied(want, segs, net.gradient())),
                out,
                want,
                got.rows);
    }

    /** ‖a‖ summed in double on the host copy. */
    private static double l2(INDArray a, TrainingMemory memory) {
        double[] v = new double[(int) a.length()];
        memory.read(a, v);
        memory.sync();
        double sq = 0;
        for (double x : v) sq += x * x;
        return Math.sqrt(sq);
    }
}
