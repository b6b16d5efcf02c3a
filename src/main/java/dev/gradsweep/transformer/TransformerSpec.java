package dev.gradsweep.transformer;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Positions;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;

/**
 * The shape and initialization of a {@link TransformerNet}, independent of the grid (the run's configuration maps
 * onto it): token embedding + positions → {@code depth} blocks of {@code heads}-head self-attention and a
 * {@code width → ffn·width → width} feed-forward sublayer, each wrapped by {@code skip} and {@code norm} at
 * {@code placement} → final norm (pre placement) → linear head to {@code vocab} logits.
 *
 * @param context the context length T (positions per sequence)
 * @param init    every weight matrix and the embeddings, applied per array with the fan-in and fan-out of
 *     docs/transformer.md; norm gains start at 1, biases at 0, ReZero's α at 0
 * @param causal  query i attends to keys 0 … i only (decoder); otherwise to all T keys
 */
public record TransformerSpec(
        int vocab,
        int context,
        int width,
        int heads,
        int ffn,
        int depth,
        Activation activation,
        Init init,
        Norm norm,
        Placement placement,
        Skip skip,
        Positions positions,
        boolean causal,
        TrainSpec.DType dtype,
        long seed) {

    public TransformerSpec {
        // the grid's enums; the values a transformer cannot take are refused here and, naming the key, by RunRules
        if (norm == Norm.BATCH)
            throw new IllegalArgumentException("norm batch: a transformer takes none, layer or rms");
        if (skip == Skip.HIGHWAY)
            throw new IllegalArgumentException("skip highway: a transformer takes none, residual, rezero or deepnorm");
        if (placement == Placement.NA) throw new IllegalArgumentException("placement: pre or post, not n/a");
        if (vocab < 2 || context < 1 || width < 1 || heads < 1 || ffn < 1 || depth < 1)
            throw new IllegalArgumentException("transformer sizes: vocab ≥ 2, context, width, heads, ffn, depth ≥ 1");
        if (width % heads != 0)
            throw new IllegalArgumentException("width " + width + " is not divisible by heads " + heads);
        if (skip == Skip.DEEPNORM && (placement != Placement.POST || norm == Norm.NONE))
            throw new IllegalArgumentException("skip deepnorm is a post-norm scheme: needs placement post and a norm");
        if (positions == Positions.SINUSOIDAL && width % 2 != 0)
            throw new IllegalArgumentException("sinusoidal positions need an even width, not " + width);
    }

    public int headSize() {
        return width / heads;
    }

    /**
     * The factor of x in the sublayer's sum: DeepNorm's α = (2N)^¼ (Wang et al. 2022, encoder form), 1 for the
     * residual and ReZero, 0 without a skip (the sum is F alone).
     */
    public double streamGain() {
        return switch (skip) {
            case NONE -> 0;
            case DEEPNORM -> Math.pow(2.0 * depth, 0.25);
            default -> 1;
        };
    }

    /** DeepNorm's β = (8N)^−¼ that scales the initial V, O and both FFN weights (1 otherwise; Q and K keep gain 1). */
    public double initGain() {
        return skip == Skip.DEEPNORM ? Math.pow(8.0 * depth, -0.25) : 1;
    }

    /** A final norm before the head: pre placement with a norm (post placement ends each block with one). */
    public boolean finalNorm() {
        return placement == Placement.PRE && norm != Norm.NONE;
    }

    /** The layer name of a norm, by kind: {@code ln} or {@code rms}. */
    String normName() {
        return norm == Norm.RMS ? "rms" : "ln";
    }
}
