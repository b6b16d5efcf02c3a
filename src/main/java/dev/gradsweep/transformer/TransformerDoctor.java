package dev.gradsweep.transformer;

import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.Doctor;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.transformer.task.TokenTask;
import dev.gradsweep.transformer.task.TokenTasks;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The transformer part of {@code gradsweep doctor}: trains a tiny transformer a few steps with the memory path in use,
 * as a sweep does ({@link TransformerTrainer}), and recomputes its params rows and its layers rows (the streams' mean,
 * std, dead and zero fractions, and δ = ‖∂L/∂y‖ at every tap) with {@link Doctor}'s plain ND4J reductions on double
 * copies, compared to {@link Doctor#REL}. The attention rows are not recomputed: their softmax weights stay inside the
 * engine (its closed-form and portable-path tests check them).
 */
public final class TransformerDoctor {
    private TransformerDoctor() {}

    /** Two post-LN residual blocks (every norm, attention and FFN array), 2 heads, bidirectional, Adam. */
    public static RunConfig net(TrainSpec.DType dtype, int steps) {
        String yaml = String.join(
                "\n",
                "name: doctor",
                "task: {kind: reverse, vocab: 6}",
                "train: {steps: " + steps + ", batch: 4, optimizer: adam, lr: 0.01, dtype: "
                        + dtype.name().toLowerCase(java.util.Locale.ROOT) + "}",
                "seeds: [7]",
                "axes:",
                "  arch: [transformer]",
                "  depth: [2]",
                "  width: [8]",
                "  heads: [2]",
                "  seq_len: [5]",
                "  activation: [gelu]",
                "  init: [xavier]",
                "  norm: [layer]",
                "  placement: [post]",
                "  skip: [residual]",
                "");
        return GridSpec.parse(yaml, "doctor").expand().get(0);
    }

    public static Doctor.Result check(RunConfig rc, TrainingMemory memory) {
        TokenTask task = TokenTasks.of(rc);
        TransformerTrainer trainer = new TransformerTrainer(TransformerRun.spec(rc, task), task, rc.train, memory);
        TransformerNet net = trainer.net();
        Segment[] segs = net.segments();
        Map<String, double[]> want = new LinkedHashMap<>();
        trainer.afterBackward = () -> {
            for (Segment s : segs)
                want.put(s.layerName + "_" + s.param, Doctor.paramRow(net.gradient(), net.params(), s, 1));
            List<TransformerNet.Tap> taps = net.taps();
            for (int i = 0; i < taps.size(); i++) {
                double[] y = net.stream(i);
                double[] row = Arrays.copyOf(
                        Doctor.actRow(Nd4j.createFromArray(y).reshape(y.length / rc.width, rc.width), null), 7);
                double sq = 0;
                for (double g : net.streamGradient(i)) sq += g * g;
                row[6] = Math.sqrt(sq);
                want.put(taps.get(i).name(), row);
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
}
