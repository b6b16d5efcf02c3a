package dev.gradsweep.conv.kernel;

import static dev.gradsweep.conv.kernel.VectorConv.L;
import static dev.gradsweep.conv.kernel.VectorConv.S;

import dev.gradsweep.config.RuntimeOptions;
import jdk.incubator.vector.FloatVector;

/**
 * The 3 × 3 stride-1 convolution as Winograd's minimal filtering F(4 × 4, 3 × 3) (Lavin &amp; Gray 2016): per 4 × 4
 * block of output pixels (a tile, reading a 6 × 6 window of the padded input), y = Aᵀ[Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)]A:
 * 36 products per input and output channel where the direct convolution takes 144. The sums over input channels are
 * 36 matrix products (one per element ξ of the 6 × 6 transform) on {@link VectorConv#rows}' register blocks, a block
 * of {@value #TILES} tiles at a time so the transformed tiles stay in cache. Channels run across the lanes (NHWC), so
 * every transform is whole-vector arithmetic, applied as two passes of one line transform (columns into a small
 * scratch, then rows); the line transforms take arrays and offsets, never vectors, because vectors handed to a method
 * C2 does not inline are boxed (docs/conv-engine.md).
 *
 * <p>Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
 * G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1],
 * Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]. Its float rounding is not the direct sum's:
 * |ŷ − y| ≤ γ_{C+18}·|Aᵀ|[Σ_c (|G||g_c||Gᵀ|) ⊙ (|Bᵀ||d_c||B|)]|A| for C input channels (the transforms round at
 * most 4 times per pass for the weights, 2 for the input, 3 for the output; {@code WinogradTest}).
 */
final class Winograd {
    /** Tiles per block: 32 tiles × 36 transform elements × 16 channels is 72 KB (the 16-channel stage's share). */
    static final int TILES = 32;

    /**
     * Floats between two transform elements' slices, one cache line more than their size: at a multiple of 4 KB the
     * 36 slices a transform writes at once all fall in one L1 set (the 64-channel weights transformed 5× slower).
     */
    static int slice(int size) {
        return size + 16;
    }

    private Winograd() {}

    /** {@code -Dgradsweep.winograd=false} keeps the direct sums (docs/platform-notes.md). */
    private static final boolean ENABLED = RuntimeOptions.flag(RuntimeOptions.WINOGRAD);

    /**
     * Whether {@link #forward} takes this convolution: 3 × 3, stride 1, whole vectors of channels, and tiles at least
     * half full on average (a tile costs 36 products per channel pair, a direct output 9: a 2 × 2 map in one tile
     * costs as much, with the transforms on top). Tiles past the image's edge are computed whole and cut.
     */
    static boolean applies(ConvShape s) {
        return ENABLED
                && s.k() == 3
                && s.stride() == 1
                && s.in() % L == 0
                && s.out() % L == 0
                && s.height() * s.width() >= 8 * along(s.height()) * along(s.width());
    }

    /** Tiles along a side: ⌈side / 4⌉. */
    private static int along(int side) {
        return (side + 3) / 4;
    }

    private static int tiles(ConvShape s) {
        return s.batch() * along(s.height()) * along(s.width());
    }

    /** The image of a tile (tiles in row-major order per image). */
    private static int image(ConvShape s, int tile) {
        return tile / (along(s.height()) * along(s.width()));
    }

    /** A tile's first output row. */
    private static int top(ConvShape s, int tile) {
        return tile / along(s.width()) % along(s.height()) * 4;
    }

    /** A tile's first output column. */
    private static int left(ConvShape s, int tile) {
        return tile % along(s.width()) * 4;
    }

    /** Per-thread scratch: transformed weights, a block's transformed tiles and products, one tile's first pass. */
    private static final class Scratch {
        float[] u = new float[0], v = new float[0], m = new float[0], line = new float[36 * L];
        float[] edgeIn = new float[0], edgeOut = new float[0]; // a cut tile's window and outputs (or output gradient)
        int[] id = new int[0], rows = new int[0];

        Scratch fit(int ci, int co) {
            if (u.length < 36 * slice(ci * co)) u = new float[36 * slice(ci * co)];
            if (v.length < 36 * slice(TILES * ci)) v = new float[36 * slice(TILES * ci)];
            if (m.length < 36 * slice(TILES * co)) m = new float[36 * slice(TILES * co)];
            if (edgeIn.length < 36 * ci) edgeIn = new float[36 * ci];
            if (edgeOut.length < 16 * co) edgeOut = new float[16 * co];
            if (id.length != ci) {
                id = new int[ci];
                rows = new int[TILES];
                for (int c = 0; c < ci; c++) id[c] = c;
                for (int t = 0; t < TILES; t++) rows[t] = t * ci;
            }
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** y = the convolution of the padded input xp with w, as {@link VectorConv#forward}. */
    static void forward(ConvShape s, float[] xp, float[] w, float[] y) {
        int ci = s.in(), co = s.out(), tiles = tiles(s);
        Scratch k = SCRATCH.get().fit(ci, co);
        int us = slice(ci * co), vs = slice(TILES * ci), ms = slice(TILES * co);
        weights(w, ci, co, k.u, k.line);
        for (int t0 = 0; t0 < tiles; t0 += TILES) {
            int nt = Math.min(TILES, tiles - t0);
            for (int t = 0; t < nt; t++) input(s, xp, t0 + t, t, k.v, k.line, k.edgeIn);
            for (int e = 0; e < 36; e++) VectorConv.rows(k.v, k.u, e * us, k.m, k.id, ci, nt, e * vs, ci, co, e * ms);
            for (int t = 0; t < nt; t++) output(s, k.m, t0 + t, t, y, k.line, k.edgeOut);
        }
    }

    /**
     * dw = Σ over the tiles of Gᵀ[(Bᵀ d B) ⊙ (A dy Aᵀ)]G (the forward's gradient in w), overwriting dw: per block of
     * tiles both transforms, then per transform element ξ the sum over the block's tiles of the outer products of
     * input and output channels ({@link VectorWeightGrad#accumulate}), then Gᵀ · G once at the end.
     */
    static void weightGrad(ConvShape s, float[] xp, float[] dy, float[] dw) {
        int ci = s.in(), co = s.out(), tiles = tiles(s);
        Scratch k = SCRATCH.get().fit(ci, co);
        int us = slice(ci * co), vs = slice(TILES * ci), ms = slice(TILES * co);
        java.util.Arrays.fill(k.u, 0, 36 * us, 0f);
        for (int t0 = 0; t0 < tiles; t0 += TILES) {
            int nt = Math.min(TILES, tiles - t0);
            for (int t = 0; t < nt; t++) {
                input(s, xp, t0 + t, t, k.v, k.line, k.edgeIn);
                gradient(s, dy, t0 + t, t, k.m, k.line, k.edgeOut);
            }
            for (int e = 0; e < 36; e++)
                VectorWeightGrad.accumulate(k.v, e * vs, k.m, e * ms, k.u, e * us, k.rows, k.id, ci, co, 0, nt);
        }
        int tap = ci * co;
        for (int c = 0; c < ci; c++)
            for (int o = 0; o < co; o += L) {
                int g = c * co + o;
                for (int x = 0; x < 6; x++) backLine(k.u, g + x * us, 6 * us, k.line, x * L, 6 * L); // Gᵀ dU
                for (int a = 0; a < 3; a++) backLine(k.line, 6 * a * L, L, dw, g + 3 * a * tap, tap); // (Gᵀ dU) G
            }
    }

    /** m[ξ][t][·] = (A dy Aᵀ)[ξ] of tile {@code tile}'s 4 × 4 output gradient, at block row t. */
    static void gradient(ConvShape s, float[] dy, int tile, int t, float[] m, float[] line, float[] edge) {
        int co = s.out(), r0 = top(s, tile), c0 = left(s, tile), e = slice(TILES * co);
        int rows = Math.min(4, s.height() - r0), cols = Math.min(4, s.width() - c0);
        int y0 = ((image(s, tile) * s.height() + r0) * s.width() + c0) * co, row = s.width() * co;
        float[] src = dy;
        if (rows < 4 || cols < 4) { // past the edge: the outputs that exist, zeros for the others
            cut(dy, y0, row, rows, cols * co, edge, 4 * co, 16 * co);
            src = edge;
            y0 = 0;
            row = 4 * co;
        }
        for (int o = 0; o < co; o += L) {
            for (int q = 0; q < 4; q++) gradientLine(src, y0 + q * co + o, row, line, q * L, 4 * L); // A dy, by columns
            for (int a = 0; a < 6; a++) gradientLine(line, 4 * a * L, L, m, t * co + o + 6 * a * e, e); // (A dy) Aᵀ
        }
    }

    /** edge[r·stride …] = rows × len floats from src[at + r·row …], zeros in the rest of edge's size floats. */
    private static void cut(float[] src, int at, int row, int rows, int len, float[] edge, int stride, int size) {
        java.util.Arrays.fill(edge, 0, size, 0f);
        for (int r = 0; r < rows; r++) System.arraycopy(src, at + r * row, edge, r * stride, len);
    }

    /** u[ξ][c][o] = (G g_{c,o} Gᵀ)[ξ] for w = [3·3 taps][ci][co]; {@code line} is scratch of 18·L floats. */
    static void weights(float[] w, int ci, int co, float[] u, float[] line) {
        int tap = ci * co, e = slice(tap);
        for (int c = 0; c < ci; c++)
            for (int o = 0; o < co; o += L) {
                int g = c * co + o;
                for (int x = 0; x < 3; x++) weightLine(w, g + x * tap, 3 * tap, line, x * L, 3 * L); // G g
                for (int a = 0; a < 6; a++) weightLine(line, 3 * a * L, L, u, g + 6 * a * e, e); // (G g) Gᵀ
            }
    }

    /** v[ξ][t][·] = (Bᵀ d B)[ξ] of tile {@code tile} (its 6 × 6 window of xp), at block row t. */
    static void input(ConvShape s, float[] xp, int tile, int t, float[] v, float[] line, float[] edge) {
        int ci = s.in(), r0 = top(s, tile), c0 = left(s, tile), e = slice(TILES * ci);
        int rows = Math.min(6, s.paddedH() - r0), cols = Math.min(6, s.paddedW() - c0); // of the window, in xp
        int x = ((image(s, tile) * s.paddedH() + r0) * s.paddedW() + c0) * ci, row = s.paddedW() * ci;
        float[] src = xp;
        // past the edge: the window's pixels in xp, zeros beyond (in exact arithmetic anything there reaches only the
        // outputs that are cut, but an Inf or NaN left there would reach all 16 through the transforms)
        if (rows < 6 || cols < 6) {
            cut(xp, x, row, rows, cols * ci, edge, 6 * ci, 36 * ci);
            src = edge;
            x = 0;
            row = 6 * ci;
        }
        for (int c = 0; c < ci; c += L) {
            for (int q = 0; q < 6; q++) inputLine(src, x + q * ci + c, row, line, q * L, 6 * L); // Bᵀ d, by columns
            for (int a = 0; a < 6; a++) inputLine(line, 6 * a * L, L, v, t * ci + c + 6 * a * e, e); // (Bᵀ d) B
        }
    }

    /** The 4 × 4 output pixels of tile {@code tile}: Aᵀ m A from block row t of m[ξ][t][·]. */
    static void output(ConvShape s, float[] m, int tile, int t, float[] y, float[] line, float[] edge) {
        int co = s.out(), r0 = top(s, tile), c0 = left(s, tile), e = slice(TILES * co);
        int rows = Math.min(4, s.height() - r0), cols = Math.min(4, s.width() - c0);
        int y0 = ((image(s, tile) * s.height() + r0) * s.width() + c0) * co, row = s.width() * co;
        boolean cut = rows < 4 || cols < 4; // past the edge: the whole tile into edge, then the outputs that exist
        float[] dst = cut ? edge : y;
        int d0 = cut ? 0 : y0, dRow = cut ? 4 * co : row;
        for (int o = 0; o < co; o += L) {
            for (int q = 0; q < 6; q++) outputLine(m, t * co + o + q * e, 6 * e, line, q * L, 6 * L); // Aᵀ m
            for (int r = 0; r < 4; r++) outputLine(line, 6 * r * L, L, dst, d0 + r * dRow + o, co); // (Aᵀ m) A
        }
        if (cut) for (int r = 0; r < rows; r++) System.arraycopy(edge, 4 * r * co, y, y0 + r * row, cols * co);
    }

    /** G along a line: 3 vectors at f, f + fs, f + 2fs → 6 at d, d + ds, …, d + 5ds. */
    private static void weightLine(float[] src, int f, int fs, float[] dst, int d, int ds) {
        FloatVector g0 = at(src, f), g1 = at(src, f + fs), g2 = at(src, f + 2 * fs);
        FloatVector sixth = FloatVector.broadcast(S, 1f / 6), minus = FloatVector.broadcast(S, -1f / 6);
        FloatVector p = g0.add(g2), a = g0.fma(FloatVector.broadcast(S, 0.25f), g2), h = g1.mul(0.5f);
        g0.mul(0.25f).intoArray(dst, d);
        p.add(g1).mul(minus).intoArray(dst, d + ds);
        p.sub(g1).mul(minus).intoArray(dst, d + 2 * ds);
        a.add(h).mul(sixth).intoArray(dst, d + 3 * ds);
        a.sub(h).mul(sixth).intoArray(dst, d + 4 * ds);
        g2.intoArray(dst, d + 5 * ds);
    }

    /** Bᵀ along a line: 6 vectors at f, f + fs, … → 6 at d, d + ds, …. */
    private static void inputLine(float[] src, int f, int fs, float[] dst, int d, int ds) {
        FloatVector x0 = at(src, f), x1 = at(src, f + fs), x2 = at(src, f + 2 * fs);
        FloatVector x3 = at(src, f + 3 * fs), x4 = at(src, f + 4 * fs), x5 = at(src, f + 5 * fs);
        FloatVector m4 = FloatVector.broadcast(S, -4f),
                m5 = FloatVector.broadcast(S, -5f),
                p4 = FloatVector.broadcast(S, 4f);
        FloatVector p = x2.fma(m4, x4),
                q = x1.fma(m4, x3),
                r = x4.sub(x2),
                t = x3.sub(x1).mul(2f);
        x0.fma(p4, x2.fma(m5, x4)).intoArray(dst, d);
        p.add(q).intoArray(dst, d + ds);
        p.sub(q).intoArray(dst, d + 2 * ds);
        r.add(t).intoArray(dst, d + 3 * ds);
        r.sub(t).intoArray(dst, d + 4 * ds);
        x1.fma(p4, x3.fma(m5, x5)).intoArray(dst, d + 5 * ds);
    }

    /** Aᵀ along a line: 6 vectors at f, f + fs, … → 4 at d, d + ds, …. */
    private static void outputLine(float[] src, int f, int fs, float[] dst, int d, int ds) {
        FloatVector m1 = at(src, f + fs), m2 = at(src, f + 2 * fs), m3 = at(src, f + 3 * fs), m4 = at(src, f + 4 * fs);
        FloatVector s12 = m1.add(m2), d12 = m1.sub(m2), s34 = m3.add(m4), d34 = m3.sub(m4);
        at(src, f).add(s12).add(s34).intoArray(dst, d);
        d34.fma(FloatVector.broadcast(S, 2f), d12).intoArray(dst, d + ds);
        s34.fma(FloatVector.broadcast(S, 4f), s12).intoArray(dst, d + 2 * ds);
        d34.fma(FloatVector.broadcast(S, 8f), d12).add(at(src, f + 5 * fs)).intoArray(dst, d + 3 * ds);
    }

    /** A along a line: 4 vectors at f, f + fs, … → 6 at d, d + ds, …. */
    private static void gradientLine(float[] src, int f, int fs, float[] dst, int d, int ds) {
        FloatVector y0 = at(src, f), y1 = at(src, f + fs), y2 = at(src, f + 2 * fs), y3 = at(src, f + 3 * fs);
        FloatVector s02 = y0.add(y2), s13 = y1.add(y3);
        FloatVector a = y2.fma(FloatVector.broadcast(S, 4f), y0), b = y3.fma(FloatVector.broadcast(S, 8f), y1.mul(2f));
        y0.intoArray(dst, d);
        s02.add(s13).intoArray(dst, d + ds);
        s02.sub(s13).intoArray(dst, d + 2 * ds);
        a.add(b).intoArray(dst, d + 3 * ds);
        a.sub(b).intoArray(dst, d + 4 * ds);
        y3.intoArray(dst, d + 5 * ds);
    }

    /** Gᵀ along a line: 6 vectors at f, f + fs, … → 3 at d, d + ds, d + 2ds. */
    private static void backLine(float[] src, int f, int fs, float[] dst, int d, int ds) {
        FloatVector z1 = at(src, f + fs), z2 = at(src, f + 2 * fs), z3 = at(src, f + 3 * fs), z4 = at(src, f + 4 * fs);
        FloatVector s12 = z1.add(z2), s34 = z3.add(z4), sixth = FloatVector.broadcast(S, 1f / 6);
        at(src, f)
                .mul(0.25f)
                .add(s34.fma(FloatVector.broadcast(S, 1f / 24), s12.mul(FloatVector.broadcast(S, -1f / 6))))
                .intoArray(dst, d);
        z3.sub(z4).fma(FloatVector.broadcast(S, 0.5f), z2.sub(z1)).mul(sixth).intoArray(dst, d + ds);
        s34.sub(s12).fma(sixth, at(src, f + 5 * fs)).intoArray(dst, d + 2 * ds);
    }

    private static FloatVector at(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }
}
