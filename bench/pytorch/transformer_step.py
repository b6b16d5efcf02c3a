"""PyTorch's bare training step on gradsweep's transformer bench shape, one thread (docs/performance.md).

The net of `gradsweep bench --nets transformer4x64_pre` (or `_post` with --post): token embedding + learned
positions, 4 nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=256, dropout=0, activation='relu',
norm_first=True, batch_first=True), final LayerNorm (pre-LN only, as gradsweep's net), linear head to vocab 16;
the reverse task (T 32, batch 32), mean cross-entropy, SGD lr 1e-3, float32. A step = zero_grad, forward, backward,
optimizer.step(), with a fresh batch each step as gradsweep's bare step. Timing as gradsweep's bench: warm-up steps,
then rounds of --steps steps; ms per step is the median over rounds, wall, this thread's CPU time and the
process's (equal to the thread's when BLAS and ATen really run on one thread).

    python3 bench/pytorch/transformer_step.py [--post] [--rounds 20] [--steps 5]
Needs python3-torch (Debian: apt-get install python3-torch); the test suite does not.
"""
import argparse
import re
import statistics
import time

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, vocab, t, d, heads, ffn, depth, pre):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(t, d) * d**-0.5)
        layer = lambda: nn.TransformerEncoderLayer(
            d_model=d, nhead=heads, dim_feedforward=ffn * d, dropout=0.0, activation="relu",
            norm_first=pre, batch_first=True)
        self.blocks = nn.ModuleList(layer() for _ in range(depth))
        self.norm = nn.LayerNorm(d) if pre else nn.Identity()
        self.head = nn.Linear(d, vocab)

    def forward(self, x):
        h = self.tok(x) + self.pos
        for b in self.blocks:
            h = b(h)
        return self.head(self.norm(h))


def blas():
    """The BLAS library this process mapped (Debian's libblas.so.3 is an alternative: OpenBLAS, BLIS, reference)."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            m = re.search(r"(/\S*(?:blas|blis|lapack)\S*)", line)
            if m:
                libs.add(m.group(1))
    return ", ".join(sorted(libs)) or "none mapped"


def time_steps(step, warmup, rounds, steps):
    """Runs warmup steps, then rounds of steps: per-step ms per round of wall, this thread's CPU and the process's."""
    for _ in range(warmup):
        step()
    wall, cpu, proc = [], [], []
    for _ in range(rounds):
        w0, c0, p0 = time.perf_counter(), time.thread_time(), time.process_time()
        for _ in range(steps):
            step()
        wall.append((time.perf_counter() - w0) * 1e3 / steps)
        cpu.append((time.thread_time() - c0) * 1e3 / steps)
        proc.append((time.process_time() - p0) * 1e3 / steps)
    return wall, cpu, proc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--post", action="store_true", help="post-LN twin (norm_first=False, no final norm)")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    vocab, t, d, heads, ffn, depth, batch = 16, 32, 64, 4, 4, 4, 32
    net = Net(vocab, t, d, heads, ffn, depth, not a.post)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(1)

    def step():
        x = torch.randint(vocab, (batch, t), generator=gen)
        y = x.flip(1)  # reverse
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x).reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    wall, cpu, proc = time_steps(step, a.warmup, a.rounds, a.steps)
    n = sum(p.numel() for p in net.parameters())
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, BLAS {blas()}")
    print(f"{'post' if a.post else 'pre'}-LN, {depth} blocks, d {d}, {heads} heads, ffn {ffn} relu, T {t}, batch {batch},"
          f" vocab {vocab}, float32, SGD, {n} params, {a.rounds} rounds x {a.steps} steps")
    print(f"bare step: thread CPU {statistics.median(cpu):.2f} ms (quartiles {statistics.quantiles(cpu, n=4)[0]:.2f}"
          f" … {statistics.quantiles(cpu, n=4)[2]:.2f}), process CPU {statistics.median(proc):.2f} ms (all threads),"
          f" wall {statistics.median(wall):.2f} ms")


if __name__ == "__main__":
    main()
