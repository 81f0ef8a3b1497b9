"""The modern cells (minGRU, minLSTM, LRU) against their own step loop and nn.LSTM, same run.

* A training step of one recurrent layer (forward + backward of a fixed linear read of every
  output; batch 128, hidden 128, 10 inputs) at T = 100 and T = 1,000: each cell's scan as
  training runs it on this device (:mod:`seqgraph.nn.linear_scan`), its Heinsen/FFT parallel
  form, and its step loop (``scan(method="steps")``: the paper's equations step by step under
  autograd), against ``nn.LSTM`` with the same hidden size. Targets (issue #22): scan ≥ 5× the
  step loop at T = 1,000; minGRU ≥ 2× nn.LSTM at T = 1,000.
* What autograd keeps for backward at T = 1,000 (saved-tensor bytes, counted by
  ``torch.autograd.graph.saved_tensors_hooks``), in units of T·B·H floats: O(T·B·H) means a
  constant here.
* Sampling characters/s at one sample (``generate``, the path of ``seqgraph sample``; 2 layers
  × 128, vocabulary 65) against the LSTM's. Target: ≥ the LSTM's.

Rounds are interleaved and medians reported (noise on a shared 2-core machine is 10–20%).

    python benchmarks/scan_cells.py [--lengths 100,1000] [--rounds 3] [--chars 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from seqgraph.nn.cells import LRUCell, MinGRUCell, MinLSTMCell
from seqgraph.nn.charlm import CharLM, generate
from seqgraph.nn.linear_scan import scan_method
from seqgraph.perf import keep_freed_memory

B, H, I = 128, 128, 10
CELLS = {"mingru": MinGRUCell, "minlstm": MinLSTMCell, "lru": LRUCell}


def layer_step(T: int, name: str, method: str | None) -> Callable[[], None]:
    """One forward + backward of one layer; ``name`` a cell of CELLS or "nn.LSTM"."""
    torch.manual_seed(0)
    x = torch.randn(T, B, I)
    w = torch.randn(T, B, H)
    if name == "nn.LSTM":
        lstm = nn.LSTM(I, H)
        return lambda: (lstm(x)[0] * w).sum().backward()
    cell = CELLS[name](I, H)
    return lambda: (cell.scan(x, method=method)[0] * w).sum().backward()


def seconds(step: Callable[[], None], repeats: int) -> float:
    step()  # warm-up
    t = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - t) / repeats


def saved_bytes(step: Callable[[], None]) -> int:
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return total


def sample_rate(cell: str, chars: int) -> float:
    torch.manual_seed(0)
    model = CharLM(65, 128, 2, cell=cell).eval()
    t = time.perf_counter()
    generate(model, torch.zeros(1, dtype=torch.long), chars, num=1, temperature=1.0,
             generator=torch.Generator().manual_seed(0))
    return chars / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", default="100,1000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chars", type=int, default=2000)
    args = ap.parse_args()
    keep_freed_memory()
    device_method = scan_method(torch.zeros(1))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; batch {B}, hidden {H}, {I} inputs; "
          f"medians of {args.rounds} interleaved rounds; training scan on this device: {device_method}")
    for T in (int(v) for v in args.lengths.split(",")):
        repeats = max(1, 300 // T)
        cases = {"nn.LSTM": layer_step(T, "nn.LSTM", None)}
        for name in CELLS:
            cases[f"{name} scan"] = layer_step(T, name, None)
            cases[f"{name} parallel form"] = layer_step(T, name, "parallel")
            cases[f"{name} step loop"] = layer_step(T, name, "steps")
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.rounds):
            for k, step in cases.items():
                times[k].append(seconds(step, repeats))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\nT = {T:,}: one layer's forward + backward, ms (× nn.LSTM = nn.LSTM's time / this one's)")
        print(f"  {'nn.LSTM':<24} {med['nn.LSTM'] * 1e3:8.1f}")
        for name in CELLS:
            scan, loop = med[f"{name} scan"], med[f"{name} step loop"]
            for k in (f"{name} scan", f"{name} parallel form", f"{name} step loop"):
                extra = f"   {loop / scan:5.2f}× its step loop" if k.endswith(" scan") else ""
                print(f"  {k:<24} {med[k] * 1e3:8.1f}   {med['nn.LSTM'] / med[k]:5.2f}× nn.LSTM{extra}")
        if T >= 1000:
            print("  targets: scan ≥ 5× its step loop; minGRU scan ≥ 2× nn.LSTM")
            unit = T * B * H * 4
            print(f"  saved for backward at T = {T:,}, in units of T·B·H floats ({unit / 2**20:.1f} MiB):")
            for k in ("nn.LSTM", *(f"{n} scan" for n in CELLS), *(f"{n} parallel form" for n in CELLS)):
                print(f"    {k:<22} {saved_bytes(cases[k]) / unit:5.1f}")
    print(f"\nsampling {args.chars:,} characters, one sample (2 layers × 128, vocabulary 65), characters/s:")
    rates: dict[str, list[float]] = {c: [] for c in ("lstm", *CELLS)}
    for _ in range(args.rounds):
        for c in rates:
            rates[c].append(sample_rate(c, args.chars))
    ref = statistics.median(rates["lstm"])
    for c, r in rates.items():
        print(f"  {c:<8} {statistics.median(r):>9,.0f}   {statistics.median(r) / ref:5.2f}× lstm")
    print("  target: each ≥ 1.00× lstm")


if __name__ == "__main__":
    main()
