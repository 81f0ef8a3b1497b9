"""What ``torch.compile`` would save on the hand-written LSTM loop's pointwise work (issue #12).

One time step of the loop's pointwise part — ``LSTMCell.step`` (gate activations, c, h) and
``LSTMCell.step_backward`` (the hand-derived gradients) on ``(4H, B)`` gates, H = B = 128, the
palindrome benchmark's shapes — eager, against the same two functions compiled with Inductor
(``dynamic=False``: the step's shapes do not depend on the sequence length, so one compile
serves every T), and against a compiled out-of-place rewrite of the same equations (what a
fusing compiler can do without the cells' in-place buffers). Compile times are cold (a fresh
Inductor cache; the first compile in a process also pays Inductor's own start-up). Also
printed: the loop's whole training step at T = 20, to put the savings in proportion.

    python benchmarks/pointwise_step.py [--hidden 128] [--batch 128]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from seqgraph.nn.cells import LSTMCell
from seqgraph.nn.models import SequenceClassifier
from seqgraph.perf import keep_freed_memory


def rewrite(rec: Tensor, c_prev: Tensor, dh: Tensor, dc: Tensor) -> tuple[Tensor, ...]:
    """The same step and backward, out of place (the equations of LSTMCell.step/_backward)."""
    i, f, g, o = rec.chunk(4, 0)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c_prev + i * g
    tc = c.tanh()
    dc = dc + dh * o * (1 - tc * tc)
    d_gates = torch.cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dh * tc * o * (1 - o)])
    return o * tc, c, d_gates, dc * f


def microseconds(f: Callable[[], Any], n: int = 2000, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            f()
        times.append((time.perf_counter() - t) / n * 1e6)
    return statistics.median(times)


def training_step_ms(T: int, hidden: int, batch: int, steps: int = 20) -> float:
    model = SequenceClassifier("lstm", 10, hidden, 10, kernel="seqgraph")
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    x, y = torch.randint(0, 10, (batch, T)), torch.randint(0, 10, (batch,))

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    keep_freed_memory()
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="seqgraph-inductor-")  # cold compiles
    H, B = args.hidden, args.batch
    cell = LSTMCell(10, H)
    gen = torch.Generator().manual_seed(0)
    rec, c_prev, dh, dc = (torch.randn(n, B, generator=gen) for n in (4 * H, H, H, H))
    d_gates = torch.empty(4 * H, B)

    def seqgraph_step(rec: Tensor, c_prev: Tensor, dh: Tensor, dc: Tensor, d_gates: Tensor) -> tuple[Tensor, ...]:
        (h, c), cache = cell.step((rec,), rec, (dh, c_prev))
        d_prev = cell.step_backward([dh, dc], cache, (d_gates,), d_gates)
        return h, c, d_gates, d_prev[1]

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; LSTM pointwise step + backward, "
          f"gates ({4 * H}, {B}); µs per time step (median of 5 rounds)")
    with torch.no_grad():
        eager = microseconds(lambda: seqgraph_step(rec.clone(), c_prev, dh, dc, d_gates))
        rows = [("eager (seqgraph's cell code)", eager, None)]
        variants = (("compiled, seqgraph's cell code", seqgraph_step), ("compiled, out-of-place rewrite", rewrite))
        for name, fn in variants:
            compiled = torch.compile(fn, dynamic=False)
            rest = (c_prev, dh, dc, d_gates)[: 4 if fn is seqgraph_step else 3]
            t = time.perf_counter()
            got = compiled(rec.clone(), *rest)
            compile_s = time.perf_counter() - t
            want = seqgraph_step(rec.clone(), c_prev, dh, dc, d_gates.clone())
            assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got, want, strict=True)), name
            # every variant gets a fresh rec, as in the loop (the cell's step activates it in place)
            us = microseconds(lambda compiled=compiled, rest=rest: compiled(rec.clone(), *rest))
            rows.append((name, us, compile_s))
    for name, us, compile_s in rows:
        extra = "" if compile_s is None else f"   {eager / us:4.2f}× eager, cold compile {compile_s:5.1f} s"
        print(f"  {name:<34} {us:7.1f} µs{extra}")
    step_ms = training_step_ms(20, H, B)
    best = min(us for _, us, _ in rows)
    print(f"the loop's whole training step at T = 20: {step_ms:.1f} ms; the best compiled pointwise part would "
          f"save {20 * (eager - best) / 1e3:.1f} ms of it ({20 * (eager - best) / 1e3 / step_ms:.0%})")


if __name__ == "__main__":
    main()
