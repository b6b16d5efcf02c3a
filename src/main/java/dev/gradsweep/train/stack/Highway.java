package dev.gradsweep.train.stack;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A highway block of NetworkFactory: y = x + T ⊙ (H − x), H = f(fc1(u)), T = σ(gate(u)), u = N(x) with a pre norm,
 * else x; a post norm gives N(x + T ⊙ (H − x)). DL4J's vertices: diff = H − x, carry = T ⊙ diff, add = x + carry.
 * The norms and the tap are {@link Residual}'s.
 */
final class Highway extends Residual {
    private final Part fc1, gate;
    /** [K, batch, units]: H − x, and in backward ∂L/∂T, ∂L/∂H and the direct ∂L/∂x (ds − ∂L/∂H). */
    private final INDArray diff, dT, dH, dxDirect;

    private INDArray t;

    /** @param preNorm, postNorm null when absent */
    Highway(Ctx c, long units, Part preNorm, Part fc1, Part gate, Part postNorm, Tap tap) {
        super(c, units, preNorm, postNorm, tap);
        this.fc1 = fc1;
        this.gate = gate;
        diff = c.buffer(units);
        dT = c.buffer(units);
        dH = c.buffer(units);
        dxDirect = c.buffer(units);
    }

    @Override
    void addBranch(INDArray x, INDArray u) {
        INDArray h = fc1.forward(u);
        t = gate.forward(u);
        h.sub(x, diff);
        t.mul(diff, sum); // carry, then x + carry in place
        sum.addi(x);
    }

    @Override
    INDArray branchBackward(INDArray ds) {
        ds.mul(diff, dT);
        ds.mul(t, dH);
        ds.sub(dH, dxDirect);
        return fc1.backward(dH).addi(gate.backward(dT)); // fc1's own ∂L/∂u buffer
    }

    @Override
    INDArray skipBackward(INDArray ds) {
        return dxDirect;
    }
}
