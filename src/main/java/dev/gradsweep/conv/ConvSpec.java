package dev.gradsweep.conv;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;

/**
 * A conv net (docs/conv.md) in plain values: input images [inChannels, inHeight, inWidth], {@code classes} outputs
 * (softmax cross-entropy), the first stage's {@code width} channels, {@code stages} stages of doubling channels and
 * halving size, {@code depth} units (3 × 3 convs for skip none, basic blocks of two otherwise), {@code groups} of a
 * group norm, and the run's activation, init, norm, placement (pre or post), skip, dtype and seed.
 */
public record ConvSpec(
        int inChannels,
        int inHeight,
        int inWidth,
        int classes,
        int width,
        int stages,
        int depth,
        int groups,
        Activation activation,
        Init init,
        Norm norm,
        Placement placement,
        Skip skip,
        TrainSpec.DType dtype,
        long seed) {
    public ConvSpec {
        if (inChannels < 1 || inHeight < 1 || inWidth < 1 || classes < 2 || width < 1)
            throw new IllegalArgumentException("conv net: input, classes (>= 2) and width must be positive");
        if (stages < 1 || depth < stages)
            throw new IllegalArgumentException("conv net: depth " + depth + " must be at least stages " + stages);
        if (skip != Skip.NONE && skip != Skip.RESIDUAL && skip != Skip.REZERO && skip != Skip.FIXUP)
            throw new IllegalArgumentException("conv net: skip " + skip + " (none, residual, rezero or fixup)");
        if (norm != Norm.NONE && norm != Norm.BATCH && norm != Norm.GROUP && norm != Norm.LAYER)
            throw new IllegalArgumentException("conv net: norm " + norm + " (none, batch, group or layer)");
        if (skip == Skip.FIXUP && norm != Norm.NONE)
            throw new IllegalArgumentException("conv net: fixup has no norm, not " + norm);
        if (norm == Norm.GROUP && (groups < 1 || width % groups != 0))
            throw new IllegalArgumentException("conv net: groups " + groups + " must divide width " + width);
        if (placement != Placement.PRE && placement != Placement.POST)
            throw new IllegalArgumentException("conv net: placement pre or post, not " + placement);
    }

    /** Basic blocks of two convs (skip residual, rezero, fixup) rather than single convs (skip none). */
    public boolean blocks() {
        return skip != Skip.NONE;
    }

    public boolean pre() {
        return placement == Placement.PRE;
    }

    /** Channels of stage s: width · 2^s. */
    public int channels(int stage) {
        return width << stage;
    }

    /** The stage of unit u: {@code depth} spread as evenly as possible, the remainder to the earlier stages. */
    public int stageOf(int unit) {
        int base = depth / stages, extra = depth % stages, first = 0;
        for (int s = 0; s < stages; s++) {
            int n = base + (s < extra ? 1 : 0);
            if (unit < first + n) return s;
            first += n;
        }
        throw new IllegalArgumentException("unit " + unit + " of " + depth);
    }

    /** The first unit of stage s of a net of {@code depth} units over {@code stages}: {@link #stageOf}'s rule inverted. */
    public static int firstUnit(int stage, int depth, int stages) {
        return stage * (depth / stages) + Math.min(stage, depth % stages);
    }

    /** Groups of the norm's statistics per sample: G for group, 1 for layer; 0 for batch (per channel over the batch). */
    public int normGroups() {
        return norm == Norm.GROUP ? groups : norm == Norm.LAYER ? 1 : 0;
    }
}
