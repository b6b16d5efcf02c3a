package dev.gradsweep.transformer;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Positions;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Tiny transformers for the tests. */
final class TransformerFixtures {
    static final int VOCAB = 5, T = 4, WIDTH = 8, HEADS = 2, FFN = 2, DEPTH = 2, BATCH = 2;

    private TransformerFixtures() {}

    static TransformerSpec tiny(Skip skip, Norm norm, Placement placement, Positions pos, boolean causal) {
        return spec(VOCAB, T, WIDTH, HEADS, DEPTH, skip, norm, placement, pos, causal, TrainSpec.DType.FLOAT64);
    }

    static TransformerSpec spec(
            int vocab,
            int t,
            int width,
            int heads,
            int depth,
            Skip skip,
            Norm norm,
            Placement placement,
            Positions pos,
            boolean causal,
            TrainSpec.DType dtype) {
        return new TransformerSpec(
                vocab,
                t,
                width,
                heads,
                FFN,
                depth,
                Activation.TANH,
                Init.parse("xavier"),
                norm,
                placement,
                skip,
                pos,
                causal,
                dtype,
                11);
    }

    /** Every valid skip × norm × placement (the grid's values a transformer takes; DeepNorm: post with a norm only). */
    static List<Object[]> combinations() {
        List<Object[]> out = new ArrayList<>();
        for (Skip s : List.of(Skip.NONE, Skip.RESIDUAL, Skip.REZERO, Skip.DEEPNORM))
            for (Norm n : List.of(Norm.NONE, Norm.LAYER, Norm.RMS))
                for (Placement p : List.of(Placement.PRE, Placement.POST))
                    if (s != Skip.DEEPNORM || (p == Placement.POST && n != Norm.NONE)) out.add(new Object[] {s, n, p});
        return out;
    }

    static TransformerNet net(TransformerSpec spec, int batch) {
        return new TransformerNet(spec, batch, TrainingMemory.forBackend());
    }

    /** Random tokens; targets: the token at the mirrored position, none at position 1 (so the mask is exercised). */
    static void randomBatch(TransformerNet net, long seed) {
        int t = net.spec().context(), rows = net.batch() * t;
        Random rng = new Random(seed);
        int[] tok = new int[rows], tgt = new int[rows];
        for (int r = 0; r < rows; r++) tok[r] = rng.nextInt(net.spec().vocab());
        for (int r = 0; r < rows; r++) tgt[r] = r % t == 1 ? -1 : tok[r - r % t + (t - 1 - r % t)];
        net.setBatch(tok, tgt);
    }

    /** Adds N(0, σ²) to every parameter: gains off 1, biases and ReZero's α off 0, so no gradient is trivially 0. */
    static void perturb(TransformerNet net, double sigma, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray p = net.params();
        p.addi(Nd4j.randn(p.dataType(), p.shape()).muli(sigma));
    }

    /** The tiny float64 net with learned positions. */
    static TransformerSpec spec(Skip skip, Norm norm, Placement p, boolean causal) {
        return tiny(skip, norm, p, Positions.LEARNED, causal);
    }

    /** The parameter array of a layer name and param, as a view of the flat buffer. */
    static INDArray array(TransformerNet net, String layerName, String param) {
        for (Segment s : net.segments())
            if (s.layerName.equals(layerName) && s.param.equals(param))
                return Sublayer.view(net.params(), s.offset, s.length);
        throw new AssertionError("no array " + layerName + "." + param);
    }
}
