"""PyTorch's bare training step on gradsweep's conv bench shape, one thread (docs/performance.md, issue #29).

A ResNet of 3 stages x 3 basic blocks (two 3x3 convs each), 16/32/64 channels, on 3 x 16 x 16 inputs, batch 32,
10 classes (or its plain twin with --plain: the same convs, no shortcuts): a 3x3 stem conv to 16 channels, stages
whose first conv has stride 2 from the second stage on (1x1 stride-2 projection on the shortcut where the shape
changes), batch norm after every conv and ReLU after the sum (the original ResNet, post placement), global average
pooling, a linear head; mean cross-entropy, SGD lr 1e-3, float32. A step = zero_grad, forward, backward,
optimizer.step() on a fresh random batch. Timing as gradsweep's bench: warm-up steps, then rounds of --steps steps;
medians over rounds of wall, this thread's CPU time and the process's.

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch/conv_step.py [--plain] [--rounds 20] [--steps 5]
Needs python3-torch and libopenblas0-pthread (Debian); the test suite does not.
"""
import argparse
import statistics

import torch
from torch import nn

from transformer_step import blas, time_steps


class Block(nn.Module):
    def __init__(self, cin, cout, stride, skip):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.skip = skip
        self.proj = None
        if skip and (stride != 1 or cin != cout):
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = torch.relu(self.b1(self.c1(x)))
        h = self.b2(self.c2(h))
        if self.skip:
            h = h + (x if self.proj is None else self.proj(x))
        return torch.relu(h)


class Net(nn.Module):
    def __init__(self, channels=(16, 32, 64), blocks=3, skip=True, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels[0], 3, 1, 1, bias=False), nn.BatchNorm2d(channels[0]),
                                  nn.ReLU())
        layers, cin = [], channels[0]
        for s, c in enumerate(channels):
            for b in range(blocks):
                layers.append(Block(cin, c, 2 if s > 0 and b == 0 else 1, skip))
                cin = c
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        return self.head(self.body(self.stem(x)).mean((2, 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plain", action="store_true", help="the plain twin: no shortcuts")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    batch, classes = 32, 10
    net = Net(skip=not a.plain)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(1)

    def step():
        x = torch.randn(batch, 3, 16, 16, generator=gen)
        y = torch.randint(classes, (batch,), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    wall, cpu, proc = time_steps(step, a.warmup, a.rounds, a.steps)
    n = sum(p.numel() for p in net.parameters())
    q = statistics.quantiles(cpu, n=4)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, mkldnn {torch.backends.mkldnn.is_available()},"
          f" BLAS {blas()}")
    print(f"{'plain' if a.plain else 'resnet'} 3x3 blocks 16/32/64, 3x16x16, batch {batch}, {n} params,"
          f" {a.rounds} rounds x {a.steps} steps")
    print(f"bare step: thread CPU {statistics.median(cpu):.2f} ms (quartiles {q[0]:.2f} … {q[2]:.2f}),"
          f" process CPU {statistics.median(proc):.2f} ms, wall {statistics.median(wall):.2f} ms")


if __name__ == "__main__":
    main()
