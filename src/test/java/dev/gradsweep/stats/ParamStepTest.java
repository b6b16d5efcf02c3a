package dev.gradsweep.stats;

import static dev.gradsweep.stats.StatsMergeTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The host parameter step (p ← p − u in Java, reducing as it goes) trains exactly as ND4J's subi and records the
 * same statistics: losses bit-identical at every step, parameter and update norms to summation-order rounding.
 */
class ParamStepTest {
    static MemoryRecorder train(String norm, String optimizer, boolean hostStep) {
        String old = System.getProperty(ParamStep.PROPERTY);
        System.setProperty(ParamStep.PROPERTY, Boolean.toString(hostStep));
        try {
            TaskSpec task = TestNets.regression(TaskSpec.Kind.TEACHER, 12, 1, 256);
            TrainSpec t = new TrainSpec(
                    8, 32, TrainSpec.Optimizer.valueOf(optimizer), 0.05, "none", TrainSpec.DType.FLOAT32, 0, -2);
            RunConfig rc = TestNets.config(4, 24, Activation.RELU, "he", norm, "n/a", "none", task, t, 5);
            var built = NetworkFactory.build(rc);
            assertEquals(
                    hostStep,
                    new ParamStep(built.graph().params(), built.graph().getGradientsViewArray()).reduces());
            MemoryRecorder rec = new MemoryRecorder();
            RunOutcome o = Trainer.train(rc, Tasks.generate(task, 5), rec, true);
            assertEquals(RunOutcome.Status.OK, o.status, o.error);
            return rec;
        } finally {
            if (old == null) System.clearProperty(ParamStep.PROPERTY);
            else System.setProperty(ParamStep.PROPERTY, old);
        }
    }

    @Test
    void hostStepIsSubiAndReducesEachSegment() {
        java.util.Random r = new java.util.Random(11);
        int n = 3 * HostArray.BLOCK + 77;
        float[] p0 = new float[n], u0 = new float[n];
        for (int i = 0; i < n; i++) {
            p0[i] = (float) r.nextGaussian();
            u0[i] = (float) (1e-3 * r.nextGaussian());
        }
        // gradient segments with a gap (like batch norm's running statistics) and an ungradiented tail
        Segment[] segs = {new Segment(0, "a", "W", 0, 5000, true), new Segment(1, "b", "W", 5100, 6000, true)};
        var p = org.nd4j.linalg.factory.Nd4j.createFromArray(p0).reshape(1, n);
        var u = org.nd4j.linalg.factory.Nd4j.createFromArray(u0).reshape(1, n);
        var expected = p.sub(u);
        ParamStep step = new ParamStep(p, u);
        assertTrue(step.reduces());
        ParamStats[] stats = {new ParamStats(), new ParamStats()};
        double[] newSq = new double[2];
        step.apply(segs, stats, newSq);
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                expected.toFloatVector(), p.toFloatVector(), 0f); // bit for bit
        for (int k = 0; k < segs.length; k++) {
            double uu = 0, pp = 0;
            for (int i = segs[k].offset; i < segs[k].offset + segs[k].length; i++) {
                uu += (double) u0[i] * u0[i];
                pp += (double) p.getFloat(i) * p.getFloat(i);
            }
            assertClose(uu, stats[k].updateSumSq);
            assertClose(pp, newSq[k]);
        }
    }

    @Test
    void hostStepEqualsNd4jStep() {
        // batch norm puts running statistics (not gradients) into the buffer between gradient segments
        for (String norm : List.of("none", "batch"))
            for (String opt : List.of("SGD", "ADAM")) {
                MemoryRecorder host = train(norm, opt, true), nd4j = train(norm, opt, false);
                assertEquals(nd4j.steps.size(), host.steps.size());
                for (int i = 0; i < host.steps.size(); i++) {
                    MemoryRecorder.StepRow h = host.steps.get(i), n = nd4j.steps.get(i);
                    assertEquals(
                            n.loss(),
                            h.loss(),
                            0.0,
                            norm + "/" + opt + " loss at step " + i); // same parameters, bit for bit
                    assertEquals(n.gradL2Total(), h.gradL2Total(), 0.0);
                    assertClose(n.updateL2Total(), h.updateL2Total());
                }
                assertEquals(nd4j.params.size(), host.params.size());
                for (int i = 0; i < host.params.size(); i++) {
                    MemoryRecorder.ParamRow h = host.params.get(i), n = nd4j.params.get(i);
                    assertEquals(n.gradL2(), h.gradL2(), 0.0, h.toString());
                    assertClose(n.paramL2(), h.paramL2());
                    assertClose(n.updateL2(), h.updateL2());
                    assertTrue(h.updateL2() > 0, h.toString());
                    assertTrue(h.paramL2() > 0 || h.step() == 0, h.toString()); // biases start at exactly 0
                }
                assertFalse(host.steps.isEmpty());
            }
    }
}
