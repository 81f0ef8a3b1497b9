"""Character model speed: training characters/s (our cells vs nn.LSTM) and sampling
characters/s with the carried (h, c) state vs re-feeding the whole prefix, in the same run.

    python benchmarks/charlm_speed.py [--hidden 128] [--layers 2] [--chars 1000]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F

from seqgraph.nn.charlm import CharLM, generate
from seqgraph.perf import keep_freed_memory


def train_chars_per_s(model: CharLM, vocab: int, steps: int, batch: int = 64, seq: int = 30) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, vocab, (batch, seq), generator=g)
    y = torch.randint(0, vocab, (batch, seq), generator=g)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        logits, _ = model(x)
        F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    for _ in range(3):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch * seq / (time.perf_counter() - t)


@torch.no_grad()
def refeed_chars_per_s(model: CharLM, n: int) -> float:
    """The slow way: re-read the whole prefix for every new character."""
    seq = torch.zeros(1, 1, dtype=torch.long)
    t = time.perf_counter()
    for _ in range(n):
        logits, _ = model(seq)
        seq = torch.cat([seq, logits[:, -1:].argmax(-1)], 1)
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=65)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--chars", type=int, default=1000)
    args = ap.parse_args()
    keep_freed_memory()
    V = args.vocab
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.layers}×{args.hidden}, vocab {V}")
    print("training (batch 64, seq 30), characters/s:")
    rates = {}
    for cell in ("lstm", "torch", "gru"):
        torch.manual_seed(0)
        m = CharLM(V, args.hidden, args.layers, cell=cell)
        rates[cell] = train_chars_per_s(m, V, args.steps)
        print(f"  {cell:<6} {rates[cell]:>10,.0f}")
    print(f"  seqgraph lstm / nn.LSTM: {rates['lstm'] / rates['torch']:.2f}")
    print(f"sampling {args.chars} characters at batch 1, characters/s:")
    for cell in ("lstm", "torch"):
        torch.manual_seed(0)
        m = CharLM(V, args.hidden, args.layers, cell=cell).eval()
        t = time.perf_counter()
        generate(m, torch.zeros(1, dtype=torch.long), args.chars, temperature=1.0,
                 generator=torch.Generator().manual_seed(0))
        carried = args.chars / (time.perf_counter() - t)
        refeed = refeed_chars_per_s(m, min(args.chars, 300))
        print(f"  {cell:<6} carried state {carried:>9,.0f}   re-feeding the prefix {refeed:>7,.0f}   "
              f"ratio {carried / refeed:>5.0f}×")


if __name__ == "__main__":
    main()
