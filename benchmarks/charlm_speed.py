"""Character model speed, against references measured in the same run (issue #12 targets):

* training characters/s of ``seqgraph train``'s default cell (``lstm``, kernel auto) on each
  kernel, against ``--cell torch`` (``nn.LSTM`` itself) — target: default ≥ 1.0× nn.LSTM;
* sampling characters/s with the carried state at 1, 8 and 64 samples (``generate``, the
  path of ``seqgraph sample``), and re-feeding the whole prefix (the slow way) — target:
  ≥ 10,000 characters/s at one sample.

Rounds are interleaved and medians reported (noise on a shared 2-core machine is 10–20%).

    python benchmarks/charlm_speed.py [--hidden 128] [--layers 2] [--rounds 5] [--chars 2000]
"""

from __future__ import annotations

import argparse
import statistics
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

    for _ in range(2):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch * seq / (time.perf_counter() - t)


def sample_chars_per_s(model: CharLM, chars: int, num: int) -> float:
    t = time.perf_counter()
    generate(model, torch.zeros(1, dtype=torch.long), chars, num=num, temperature=1.0,
             generator=torch.Generator().manual_seed(0))
    return chars * num / (time.perf_counter() - t)


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
    ap.add_argument("--steps", type=int, default=15, help="training steps per measurement")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--chars", type=int, default=2000)
    args = ap.parse_args()
    keep_freed_memory()
    V = args.vocab
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.layers}×{args.hidden}, vocab {V}; "
          f"medians of {args.rounds} interleaved rounds")
    models = {}
    for name, cell, kernel in (("lstm, kernel auto (the default)", "lstm", "auto"),
                               ("lstm, kernel seqgraph", "lstm", "seqgraph"),
                               ("lstm, kernel fused", "lstm", "fused"),
                               ("torch (nn.LSTM)", "torch", "auto")):
        torch.manual_seed(0)
        models[name] = CharLM(V, args.hidden, args.layers, cell=cell, kernel=kernel)
    rates: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(args.rounds):
        for name, m in models.items():
            rates[name].append(train_chars_per_s(m, V, args.steps))
    ref = statistics.median(rates["torch (nn.LSTM)"])
    print("training (batch 64, seq 30), characters/s:")
    for name, r in rates.items():
        med = statistics.median(r)
        target = "   target ≥ 1.00×" if "default" in name else ""
        print(f"  {name:<32} {med:>9,.0f}   {med / ref:5.2f}× nn.LSTM{target}")

    print(f"sampling {args.chars:,} characters per sample (carried state, temperature 1), characters/s:")
    default = models["lstm, kernel auto (the default)"].eval()
    torch_lstm = models["torch (nn.LSTM)"].eval()
    for num in (1, 8, 64):
        ours = statistics.median(sample_chars_per_s(default, args.chars, num) for _ in range(args.rounds))
        theirs = statistics.median(sample_chars_per_s(torch_lstm, args.chars, num) for _ in range(args.rounds))
        target = "   target ≥ 10,000" if num == 1 else ""
        print(f"  {num:>2} sample{'s' if num > 1 else ' '}  seqgraph lstm {ours:>9,.0f}   "
              f"nn.LSTM {theirs:>9,.0f}   {ours / theirs:5.2f}×{target}")
    refeed = refeed_chars_per_s(default, min(args.chars, 300))
    one = statistics.median(sample_chars_per_s(default, args.chars, 1) for _ in range(args.rounds))
    print(f"  re-feeding the whole prefix (300 characters): {refeed:,.0f}/s — carrying the state is "
          f"{one / refeed:,.0f}× faster")


if __name__ == "__main__":
    main()
