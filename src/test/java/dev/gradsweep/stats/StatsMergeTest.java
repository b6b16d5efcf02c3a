package dev.gradsweep.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.hostmem.HostArray;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded property tests: statistics of a gradient computed in pieces and merged equal those computed whole. */
public class StatsMergeTest {
    static double[] sample(Random r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            double scale = Math.pow(10, -40 + 45 * r.nextDouble()); // vanishing-gradient magnitudes included
            a[i] = r.nextInt(10) == 0 ? 0.0 : scale * r.nextGaussian();
        }
        if (n > 3 && r.nextBoolean()) a[r.nextInt(n)] = r.nextBoolean() ? Double.NaN : Double.POSITIVE_INFINITY;
        return a;
    }

    /**
     * A generator for property test case {@code seed}. java.util.Random's first draws from consecutive seeds are
     * nearly equal (every case drew the same activation and nearly the same size), so the seed is scrambled first.
     */
    static Random seeded(long seed) {
        return new Random(seed * 0x9E3779B97F4A7C15L);
    }

    @RepeatedTest(25)
    void paramStatsMergeEqualsWhole(RepetitionInfo info) {
        Random r = seeded(1000 + info.getCurrentRepetition());
        int n = 1 + r.nextInt(3000);
        HostArray g = HostArray.of(Nd4j.createFromArray(sample(r, n)));
        HostArray p = HostArray.of(Nd4j.createFromArray(sample(r, n)));
        ParamStats whole = new ParamStats();
        whole.addGradient(g, p, 0, n);
        whole.addUpdate(p, 0, n);
        ParamStats merged = new ParamStats();
        int from = 0;
        while (from < n) {
            int to = Math.min(n, from + 1 + r.nextInt(n));
            ParamStats part = new ParamStats();
            part.addGradient(g, p, from, to);
            part.addUpdate(p, from, to);
            merged = merged.merge(part);
            from = to;
        }
        assertSameStats(whole, merged);
    }

    /** Counts and max exactly, sums to summation-order rounding. */
    public static void assertSameStats(ParamStats expected, ParamStats actual) {
        assertEquals(expected.count, actual.count);
        assertEquals(expected.zeros, actual.zeros);
        assertEquals(expected.nonfinite, actual.nonfinite);
        assertEquals(expected.maxAbs, actual.maxAbs, 0.0);
        assertClose(expected.sumSq, actual.sumSq);
        assertClose(expected.sumAbs, actual.sumAbs);
        assertClose(expected.paramSumSq, actual.paramSumSq);
        assertClose(expected.updateSumSq, actual.updateSumSq);
        // the signed sum may cancel; compare against the scale of the terms
        if (Double.isFinite(expected.sum))
            assertEquals(expected.sum, actual.sum, 1e-12 * expected.sumAbs + Double.MIN_VALUE);
        else assertEquals(expected.sum, actual.sum, 0.0);
    }

    @RepeatedTest(10)
    void actStatsMergeEqualsWhole(RepetitionInfo info) {
        Random r = seeded(7 + info.getCurrentRepetition());
        int rows = 2 + r.nextInt(40), units = 1 + r.nextInt(20);
        double[] a = new double[rows * units];
        for (int i = 0; i < a.length; i++) a[i] = r.nextInt(3) == 0 ? 0 : 1 / (1 + Math.exp(-8 * r.nextGaussian()));
        HostArray h = HostArray.of(Nd4j.createFromArray(a).reshape(rows, units));
        ActStats whole = new ActStats(units, true);
        whole.add(h, 0, rows, Activation.SIGMOID);
        int cut = 1 + r.nextInt(rows - 1);
        ActStats x = new ActStats(units, true), y = new ActStats(units, true);
        x.add(h, 0, cut, Activation.SIGMOID);
        y.add(h, cut, rows, Activation.SIGMOID);
        ActStats merged = x.merge(y);
        assertEquals(whole.count, merged.count);
        assertEquals(whole.saturated, merged.saturated);
        assertEquals(whole.zeros, merged.zeros);
        assertEquals(whole.deadFrac(), merged.deadFrac(), 0.0);
        assertClose(whole.mean(), merged.mean());
        assertClose(whole.std(), merged.std());
    }

    public static void assertClose(double expected, double actual) {
        if (Double.isNaN(expected) || Double.isInfinite(expected)) {
            assertEquals(expected, actual, 0.0);
            return;
        }
        assertEquals(expected, actual, 1e-12 * Math.abs(expected) + Double.MIN_VALUE);
    }
}
