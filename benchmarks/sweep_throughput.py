"""Run-steps/s of many palindrome runs: one at a time vs K runs as one model, against one
fused ``nn.LSTM``/``nn.RNN`` run (oneDNN on a CPU, cuDNN on a GPU), all in the same process.

A run-step is one training step of one run (batch 128, hidden 128, one-hot 10 → 10 classes,
loss on the last step, forward + backward + per-run clipping + RMSprop). Each measurement
times steady-state steps only (initialisation and the first steps excluded); rounds are
interleaved and the median reported.

    python benchmarks/sweep_throughput.py [--device cpu|cuda] [--ks 1,8,64,256] [--lengths 20,80] [--csv PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.experiments.palindrome.train import EXPERIMENT, train_runs
from seqgraph.io import write_csv
from seqgraph.perf import keep_freed_memory
from seqgraph.train.progress import Event, Steps

CSV_COLUMNS = ("device", "model", "T", "K", "run_steps_per_s", "x_one_run", "x_torch", "torch_run_steps_per_s", "note")


class TorchClassifier(nn.Module):
    """The reference: torch's fused recurrent layer + a linear head."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.rnn = {"lstm": nn.LSTM, "rnn": nn.RNN}[kind](10, 128)
        self.head = nn.Linear(128, 10)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(F.one_hot(tokens.t(), 10).float())
        return self.head(out[-1])


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def reference(kind: str, T: int, device: str, steps: int) -> float:
    """Steps/s of one fused torch run (= run-steps/s)."""
    model = TorchClassifier(kind).to(device)
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.randint(0, 10, (128, T), generator=gen, device=device)
    y = torch.randint(0, 10, (128,), generator=gen, device=device)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()

    for _ in range(3):
        step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return steps / (time.perf_counter() - t0)


def seqgraph_runs(kind: str, T: int, K: int, device: str, steps: int, warmup: int = 3) -> float:
    """Run-steps/s of K runs trained as one model on the hand-written loop (K = 1: one run at a
    time, on the loop too: the batch's gain is measured against the same kernel)."""
    runs = [PalindromeRun(model=kind, length=T + 1, seed=s, steps=warmup + steps, eval_every=10**9,
                          early_stop=False, kernel="seqgraph") for s in range(K)]
    marks: dict[int, float] = {}

    def progress(e: Event) -> None:
        if isinstance(e, Steps) and e.step in (warmup, warmup + steps):
            _sync(device)
            marks[e.step] = time.perf_counter()

    for _ in train_runs(runs, K, device, progress):
        pass
    return K * steps / (marks[warmup + steps] - marks[warmup])


def fits(kind: str, T: int, K: int, device: str) -> bool:
    """Whether K runs' activations take at most 60% of the free memory (RAM or GPU)."""
    per_run = EXPERIMENT.memory(PalindromeRun(model=kind, length=T + 1))
    if device == "cuda":
        free = torch.cuda.mem_get_info()[0]
    else:
        meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo"))
        free = int(meminfo["MemAvailable"].split()[0]) * 1024
    return K * per_run <= 0.6 * free


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--models", default="lstm,rnn")
    ap.add_argument("--lengths", default="20,80")
    ap.add_argument("--ks", default="1,8,64,256")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement, about")
    ap.add_argument("--csv", help="also write the table here, one row per (model, T, K), rewritten after each row")
    args = ap.parse_args()
    keep_freed_memory()
    name = torch.cuda.get_device_name() if args.device == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"torch {torch.__version__}, {name}")
    print(f"{'model':<5} {'T':>3} {'K':>4} {'run-steps/s':>12} {'× one run':>10} {'× torch':>8}   (torch run-steps/s)")
    rows: list[dict[str, object]] = []

    def save(rows: list[dict[str, object]]) -> None:  # after every row: a run stopped midway keeps its rows
        if args.csv:
            write_csv(args.csv, CSV_COLUMNS, rows)

    for kind in args.models.split(","):
        for T in (int(t) for t in args.lengths.split(",")):
            n_ref = max(3, int(args.seconds * reference(kind, T, args.device, 3)))
            ref = statistics.median(reference(kind, T, args.device, n_ref) for _ in range(args.rounds))
            one = None
            for K in (int(k) for k in args.ks.split(",")):
                row: dict[str, object] = {"device": name, "model": kind, "T": T, "K": K, "torch_run_steps_per_s": ref}
                if not fits(kind, T, K, args.device):
                    print(f"{kind:<5} {T:>3} {K:>4} {'skipped: more than 60% of free memory':>12}")
                    rows.append({**row, "note": "skipped: more than 60% of free memory"})
                    save(rows)
                    continue
                try:
                    probe = seqgraph_runs(kind, T, K, args.device, 2, warmup=2)
                    n = max(3, int(args.seconds * probe / K))
                    rate = statistics.median(seqgraph_runs(kind, T, K, args.device, n) for _ in range(args.rounds))
                except torch.OutOfMemoryError:
                    print(f"{kind:<5} {T:>3} {K:>4} {'out of memory':>12}")
                    rows.append({**row, "note": "out of memory"})
                    save(rows)
                    torch.cuda.empty_cache()
                    break
                one = one or rate
                print(f"{kind:<5} {T:>3} {K:>4} {rate:>12.1f} {rate / one:>10.2f} {rate / ref:>8.2f}   ({ref:.1f})",
                      flush=True)
                rows.append({**row, "run_steps_per_s": rate, "x_one_run": rate / one, "x_torch": rate / ref})
                save(rows)


if __name__ == "__main__":
    main()
