package dev.gradsweep.train.stack;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A highway block of NetworkFactory: y = x + T ⊙ (H − x), H = f(fc1(u)), T = σ(gate(u)), u = N(x) with a pre norm,
 * else x; a post norm gives N(x + T ⊙ (H − x)). DL4J's vertices: diff = H − x, carry = T ⊙ diff, add = x + carry.
 * Its output is tapped: Σ (∂L/∂y)² per run.
 */
final class Highway extends Part {
    private final Part preNorm, fc1, gate, postNorm;
    private final Tap tap;
    /** [K, batch, units]: H − x, the sum, and in backward ∂L/∂T, ∂L/∂H and the direct ∂L/∂x (ds − ∂L/∂H). */
    private final INDArray diff, sum, dT, dH, dxDirect;

    private INDArray t;

    /** @param preNorm, postNorm null when absent */
    Highway(Ctx c, long units, Part preNorm, Part fc1, Part gate, Part postNorm, Tap tap) {
        this.preNorm = preNorm;
        this.fc1 = fc1;
        this.gate = gate;
        this.postNorm = postNorm;
        this.tap = tap;
        diff = c.buffer(units);
        sum = c.buffer(units);
        dT = c.buffer(units);
        dH = c.buffer(units);
        dxDirect = c.buffer(units);
    }

    @Override
    INDArray forward(INDArray x) {
        INDArray u = preNorm == null ? x : preNorm.forward(x);
        INDArray h = fc1.forward(u);
        t = gate.forward(u);
        h.sub(x, diff);
        t.mul(diff, sum); // carry, then x + carry in place
        sum.addi(x);
        return postNorm == null ? sum : postNorm.forward(sum);
    }

    @Override
    INDArray output() {
        return postNorm == null ? sum : postNorm.output();
    }

    @Override
    INDArray backward(INDArray dy) {
        tap.take(dy);
        INDArray ds = postNorm == null ? dy : postNorm.backward(dy);
        ds.mul(diff, dT);
        ds.mul(t, dH);
        ds.sub(dH, dxDirect);
        INDArray du = fc1.backward(dH).addi(gate.backward(dT)); // fc1's own ∂L/∂u buffer
        INDArray dx = preNorm == null ? du : preNorm.backward(du);
        return dx.addi(dxDirect);
    }
}
