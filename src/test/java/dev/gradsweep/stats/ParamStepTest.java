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

    /**
     * The stack's per-run scale on both memory paths is ND4J's {@code muli} by a vector holding each run's factor, then
     * {@code subi}, bit for bit: float32 and float64, a zero factor (a stopped run), segments of odd lengths across
     * block boundaries, values ND4J's own ops treat specially (subnormals, −0, NaN, Inf).
     */
    @Test
    void runScaleIsMuliByFactorsThenSubi() {
        java.util.Random r = new java.util.Random(5);
        int n = 2 * HostArray.BLOCK + 4099;
        // three runs, each with two segments, interleaved as a stack lays them out
        int[][] ranges = {{0, 17}, {17, 4100}, {4100, 4101}, {4101, 6000}, {6000, 9000}, {9000, n}};
        Segment[][] runs = new Segment[3][2];
        for (int i = 0; i < ranges.length; i++)
            runs[i % 3][i / 3] = new Segment(i, "l", "W", ranges[i][0], ranges[i][1] - ranges[i][0], true);
        double[] factor = {0.37 / 32, 0.0, 1e-3 / 7};
        for (org.nd4j.linalg.api.buffer.DataType dt :
                List.of(org.nd4j.linalg.api.buffer.DataType.FLOAT, org.nd4j.linalg.api.buffer.DataType.DOUBLE))
            for (boolean withParams : List.of(false, true))
                for (TrainingMemory m : List.of(TrainingMemory.hostDirect(), TrainingMemory.portable())) {
                    double[] g0 = new double[n], p0 = new double[n];
                    for (int i = 0; i < n; i++) {
                        g0[i] = r.nextGaussian() * Math.pow(10, r.nextInt(60) - 40);
                        p0[i] = r.nextGaussian();
                    }
                    g0[3] = Double.NaN;
                    g0[5000] = Double.POSITIVE_INFINITY;
                    g0[7] = -0.0;
                    g0[8] = 1e-40; // a float32 subnormal
                    var g = org.nd4j.linalg.factory.Nd4j.createFromArray(g0).castTo(dt);
                    var p = org.nd4j.linalg.factory.Nd4j.createFromArray(p0).castTo(dt);
                    var vec = org.nd4j.linalg.factory.Nd4j.create(dt, n);
                    RunFactors f = new RunFactors(runs);
                    for (int k = 0; k < runs.length; k++) {
                        f.set(k, factor[k]);
                        TrainingMemory.hostDirect().fill(vec, runs[k], factor[k]);
                    }
                    var expectedG = g.mul(vec);
                    var expectedP = p.sub(expectedG);
                    m.scale(g, f, withParams ? p : null);
                    String what = m.name() + " " + dt + (withParams ? " with the parameter step" : "");
                    org.junit.jupiter.api.Assertions.assertArrayEquals(
                            expectedG.toDoubleVector(), g.toDoubleVector(), 0.0, what);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(
                            (withParams
                                            ? expectedP
                                            : org.nd4j.linalg.factory.Nd4j.createFromArray(p0)
                                                    .castTo(dt))
                                    .toDoubleVector(),
                            p.toDoubleVector(),
                            0.0,
                            what);
                    assertTrue(Double.isNaN(g.getDouble(3)), what);
                }
    }
}
