"""Training steps/s of seqgraph's cells against torch's nn.LSTM / nn.RNN / nn.GRU, same run.

The palindrome training step: batch 128, hidden 128, one-hot 10 → 10 classes, loss on the
last step, forward + backward + clipping + RMSprop. Each seqgraph model runs on both paths —
its hand-written loop (``--kernel seqgraph``) and torch's fused kernel on seqgraph's
parameters (``--kernel fused``) — and ``auto`` is the one :func:`resolve_kernel` picks.
Rounds are interleaved and the median is reported, so the ratio is robust to the machine's
drift. Target (issue #12): auto ≥ 1.0× of torch's module at T = 20 and T = 80.

    python benchmarks/recurrent_steps.py [--lengths 20,80] [--rounds 5] [--device cpu|cuda] [--csv PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

from seqgraph.io import write_csv
from seqgraph.nn.fused import resolve_kernel
from seqgraph.nn.models import SequenceClassifier
from seqgraph.perf import keep_freed_memory

CSV_COLUMNS = ("device", "model", "T", "seqgraph_loop", "fused", "torch", "auto", "auto_over_torch")


class TorchClassifier(nn.Module):
    """The reference: torch's fused recurrent layer + a linear head."""

    def __init__(self, kind: str, d: int, n: int, c: int) -> None:
        super().__init__()
        self.d = d
        self.rnn = {"lstm": nn.LSTM, "rnn": nn.RNN, "gru": nn.GRU}[kind](d, n)
        self.head = nn.Linear(n, c)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(F.one_hot(tokens.t(), self.d).float())
        return self.head(out[-1])


def steps_per_second(model: nn.Module, T: int, device: str, steps: int) -> float:
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.randint(0, 10, (128, T), generator=gen, device=device)
    y = torch.randint(0, 10, (128,), generator=gen, device=device)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()

    for _ in range(3):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", default="20,80")
    ap.add_argument("--models", default="lstm,rnn,gru")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--csv", help="also write the table here, one row per (model, T), rewritten after each row")
    args = ap.parse_args()
    keep_freed_memory()  # as the seqgraph commands do; see seqgraph/perf.py
    torch.manual_seed(0)
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"{torch.get_num_threads()} threads"
    print(f"torch {torch.__version__}, {where}, device {args.device}")
    print("steps/s (median of rounds); ratios against torch's module in the same run")
    print(f"{'model':<6} {'T':>4} {'seqgraph loop':>14} {'fused':>8} {'torch':>8} {'auto':>9} "
          f"{'auto/torch':>10} {'target':>7}")
    rows: list[dict[str, object]] = []
    for kind in args.models.split(","):
        for T in (int(t) for t in args.lengths.split(",")):
            loop = SequenceClassifier(kind, 10, 128, 10).to(args.device)
            fused = SequenceClassifier(kind, 10, 128, 10, kernel="fused").to(args.device)
            ref = TorchClassifier(kind, 10, 128, 10).to(args.device)
            # calibrate the number of steps to about --seconds each
            n = max(3, int(args.seconds * steps_per_second(ref, T, args.device, 3)))
            rates: dict[str, list[float]] = {"seqgraph": [], "fused": [], "torch": []}
            for _ in range(args.rounds):
                for name, model in (("seqgraph", loop), ("fused", fused), ("torch", ref)):
                    rates[name].append(steps_per_second(model, T, args.device, n))
            med = {k: statistics.median(v) for k, v in rates.items()}
            auto = resolve_kernel("auto", [kind], args.device, batch=128)
            ratio = med[auto] / med["torch"]
            print(f"{kind:<6} {T:>4} {med['seqgraph']:>14.1f} {med['fused']:>8.1f} {med['torch']:>8.1f} "
                  f"{auto:>9} {ratio:>10.2f} {'≥ 1.0' if kind == 'lstm' else '':>7}", flush=True)
            rows.append({"device": where, "model": kind, "T": T, "seqgraph_loop": med["seqgraph"],
                         "fused": med["fused"], "torch": med["torch"], "auto": auto, "auto_over_torch": ratio})
            if args.csv:  # after every row: a run stopped midway keeps its rows
                write_csv(args.csv, CSV_COLUMNS, rows)


if __name__ == "__main__":
    main()
