"""Training steps/s of seqgraph's cells against torch's fused nn.LSTM / nn.RNN, same run.

The palindrome training step: batch 128, hidden 128, one-hot 10 → 10 classes, loss on the
last step, forward + backward + clipping + RMSprop. Rounds are interleaved and the median is
reported, so the ratio is robust to the machine's drift.

    python benchmarks/recurrent_steps.py [--lengths 20,80] [--rounds 5] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

from seqgraph.nn.models import SequenceClassifier
from seqgraph.perf import keep_freed_memory


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
    args = ap.parse_args()
    keep_freed_memory()  # as the seqgraph commands do; see seqgraph/perf.py
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    print(f"{'model':<6} {'T':>4} {'seqgraph steps/s':>17} {'torch steps/s':>14} {'ratio':>6}")
    for kind in args.models.split(","):
        for T in (int(t) for t in args.lengths.split(",")):
            ours = SequenceClassifier(kind, 10, 128, 10).to(args.device)
            ref = TorchClassifier(kind, 10, 128, 10).to(args.device)
            # calibrate the number of steps to about --seconds each
            n = max(3, int(args.seconds * steps_per_second(ref, T, args.device, 3)))
            a, b = [], []
            for _ in range(args.rounds):
                a.append(steps_per_second(ours, T, args.device, n))
                b.append(steps_per_second(ref, T, args.device, n))
            sa, sb = statistics.median(a), statistics.median(b)
            print(f"{kind:<6} {T:>4} {sa:>17.1f} {sb:>14.1f} {sa / sb:>6.2f}")


if __name__ == "__main__":
    main()
