"""The palindrome sweep: train one model per (length, model, seed), append results as runs
finish, resume where a previous sweep stopped."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from seqgraph.config import PalindromeConfig, read_toml, to_dict, write_toml
from seqgraph.errors import ConfigError
from seqgraph.nn.models import SequenceClassifier
from seqgraph.results import append_rows, read_csv, write_csv
from seqgraph.tasks.palindrome import palindrome_batch, task_spec
from seqgraph.train.loop import StepStats, Trainer, evaluate, fit, make_optimizer, resolve_device

KEY_COLUMNS = ["model", "task", "length", "seed"]
CURVE_COLUMNS = [*KEY_COLUMNS, "step", "loss", "train_accuracy", "accuracy", "eval_loss", "elapsed"]
SUMMARY_COLUMNS = [*KEY_COLUMNS, "steps", "final_accuracy", "best_accuracy", "solved_step",
                   "wall_time", "steps_per_s"]
# fields that may differ between a sweep and its --resume (they choose runs, not results)
_RESUMABLE = {"model", "lengths", "seeds", "out", "device", "resume", "overwrite", "workers"}
EVAL_SEED_OFFSET = 1_000_003  # the held-out stream of a seed never overlaps its training stream


@dataclass(frozen=True)
class RunKey:
    model: str
    task: str
    length: int
    seed: int

    def label(self) -> str:
        return f"{self.model} L={self.length} seed={self.seed}"


class Listener:
    """Progress callbacks of a sweep; the CLI draws them, tests may record them."""

    def sweep_start(self, runs: list[RunKey], done: int) -> None: ...
    def run_start(self, key: RunKey, steps: int) -> None: ...
    def step(self, key: RunKey, stats: StepStats, steps_per_s: float) -> None: ...
    def evaluation(self, key: RunKey, step: int, accuracy: float) -> None: ...
    def run_end(self, key: RunKey, summary: dict[str, Any]) -> None: ...


@dataclass
class Paths:
    out: Path

    @property
    def curves(self) -> Path:
        return self.out / "curves.csv"

    @property
    def summary(self) -> Path:
        return self.out / "summary.csv"

    @property
    def config(self) -> Path:
        return self.out / "config.toml"


def plan_runs(cfg: PalindromeConfig) -> list[RunKey]:
    return [RunKey(m, cfg.task, L, s) for L in cfg.lengths for m in cfg.model for s in cfg.seeds]


def train_run(cfg: PalindromeConfig, key: RunKey, device: torch.device,
              listener: Listener | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Train one model on one length with one seed.

    Returns:
        the summary row and the curve rows (one per evaluation).
    """
    listener = listener or Listener()
    spec = task_spec(key.task, key.length)
    torch.manual_seed(key.seed)
    model = SequenceClassifier(key.model, spec.num_symbols, cfg.hidden, spec.num_classes,
                               cfg.layers, forget_bias=cfg.forget_bias,
                               cell_options={"learn_gate": cfg.learn_gate}).to(device)
    trainer = Trainer(model, make_optimizer(cfg.optimizer, model.parameters(), cfg.lr),
                      max_norm=cfg.max_norm)
    train_gen = torch.Generator(device=device).manual_seed(key.seed)
    eval_gen = torch.Generator(device=device).manual_seed(key.seed + EVAL_SEED_OFFSET)

    curves: list[dict[str, Any]] = []
    best, first_solved, streak = 0.0, None, 0
    loss_sum, acc_sum, n_sum = 0.0, 0.0, 0
    last_acc = 0.0
    t0 = time.perf_counter()
    listener.run_start(key, cfg.steps)

    def next_batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        return palindrome_batch(key.task, cfg.batch_size, key.length, train_gen, device)

    def on_step(stats: StepStats) -> bool:
        nonlocal best, first_solved, streak, loss_sum, acc_sum, n_sum, last_acc
        loss_sum, acc_sum, n_sum = loss_sum + stats.loss, acc_sum + stats.accuracy, n_sum + 1
        elapsed = time.perf_counter() - t0
        listener.step(key, stats, stats.step / max(elapsed, 1e-9))
        if stats.step % cfg.eval_every and stats.step != cfg.steps:
            return False
        x, y = palindrome_batch(key.task, cfg.eval_batch_size, key.length, eval_gen, device)
        eval_loss, acc = evaluate(model, x, y)
        last_acc, best = acc, max(best, acc)
        curves.append({"model": key.model, "task": key.task, "length": key.length, "seed": key.seed,
                       "step": stats.step, "loss": loss_sum / n_sum, "train_accuracy": acc_sum / n_sum,
                       "accuracy": acc, "eval_loss": eval_loss, "elapsed": round(elapsed, 4)})
        loss_sum, acc_sum, n_sum = 0.0, 0.0, 0
        listener.evaluation(key, stats.step, acc)
        solved = acc >= cfg.solved_accuracy
        if solved and first_solved is None:
            first_solved = stats.step
        streak = streak + 1 if solved else 0
        return cfg.early_stop and streak >= cfg.solved_evals

    last = fit(trainer, next_batch, steps=cfg.steps, on_step=on_step)
    wall = time.perf_counter() - t0
    summary = {"model": key.model, "task": key.task, "length": key.length, "seed": key.seed,
               "steps": last, "final_accuracy": last_acc, "best_accuracy": best,
               "solved_step": first_solved, "wall_time": round(wall, 3),
               "steps_per_s": round(last / wall, 2)}
    return summary, curves


def prepare_output(cfg: PalindromeConfig) -> tuple[Paths, set[RunKey]]:
    """Check the output folder against --resume / --overwrite; return the runs already done.

    On resume, curve rows of runs that never reached the summary (a run killed between the
    two appends) are dropped, so re-running them does not duplicate rows.
    """
    paths = Paths(Path(cfg.out))
    if paths.out.exists() and not paths.out.is_dir():
        raise ConfigError(f"--out {paths.out} is a file, not a folder")
    exists = paths.summary.exists() or paths.curves.exists()
    done: set[RunKey] = set()
    if exists and cfg.overwrite:
        paths.summary.unlink(missing_ok=True)
        paths.curves.unlink(missing_ok=True)
    elif exists and not cfg.resume:
        raise ConfigError(f"{paths.out} already holds results: add --resume to continue that sweep, "
                          "--overwrite to replace it, or choose another --out")
    elif exists:
        if paths.config.exists():
            saved = read_toml(paths.config)
            now = to_dict(cfg)
            diff = [k for k in now if k not in _RESUMABLE and saved.get(k) != now[k]]
            if diff:
                k = diff[0]
                raise ConfigError(f"--resume: {k} is {now[k]!r} but the results in {paths.out} used "
                                  f"{saved.get(k)!r}; use the same settings or another --out")
        if paths.summary.exists():
            df = read_csv(paths.summary, SUMMARY_COLUMNS)
            done = {RunKey(str(r.model), str(r.task), int(r.length), int(r.seed))
                    for r in df.itertuples()}
        if paths.curves.exists():
            cdf = read_csv(paths.curves, CURVE_COLUMNS)
            keep = [r for r in cdf.to_dict("records")
                    if RunKey(str(r["model"]), str(r["task"]), int(r["length"]), int(r["seed"])) in done]
            if len(keep) != len(cdf):
                write_csv(paths.curves, CURVE_COLUMNS, keep)
    paths.out.mkdir(parents=True, exist_ok=True)
    write_toml(paths.config, to_dict(cfg))
    return paths, done


def run_sweep(cfg: PalindromeConfig, listener: Listener | None = None) -> Any:
    """Run every planned (length, model, seed) not already in the summary.

    Each finished run appends its curve rows, then its summary row, to the CSVs in
    ``cfg.out``; an interrupted sweep loses no finished run.

    Returns:
        the summary DataFrame of all runs of this configuration (resumed ones included).
    """
    from seqgraph.perf import keep_freed_memory

    keep_freed_memory()
    listener = listener or Listener()
    device = resolve_device(cfg.device)
    paths, done = prepare_output(cfg)
    runs = plan_runs(cfg)
    todo = [k for k in runs if k not in done]
    listener.sweep_start(runs, len(runs) - len(todo))

    def record(key: RunKey, summary: dict[str, Any], curves: list[dict[str, Any]]) -> None:
        append_rows(paths.curves, CURVE_COLUMNS, curves)
        append_rows(paths.summary, SUMMARY_COLUMNS, [summary])
        listener.run_end(key, summary)

    if cfg.workers > 1 and len(todo) > 1:
        _run_parallel(cfg, todo, device, record)
    else:
        for key in todo:
            record(key, *train_run(cfg, key, device, listener))
    df = read_csv(paths.summary, SUMMARY_COLUMNS)
    wanted = {(k.model, k.task, k.length, k.seed) for k in runs}
    mask = [(r.model, r.task, int(r.length), int(r.seed)) in wanted for r in df.itertuples()]
    return df[mask].reset_index(drop=True)


def _worker_init(threads: int) -> None:
    from seqgraph.perf import keep_freed_memory

    torch.set_num_threads(threads)
    keep_freed_memory()


def _worker_run(cfg: PalindromeConfig, key: RunKey, device: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return train_run(cfg, key, torch.device(device))


def _run_parallel(cfg: PalindromeConfig, todo: list[RunKey], device: torch.device,
                  record: Any) -> None:
    """Independent runs in ``cfg.workers`` processes, each with its share of the CPU threads
    (a recurrent step gains little from a second thread; on 2 cores two 1-thread runs beat one
    2-thread run by ~10%). Results are recorded as runs finish; Ctrl-C cancels the runs not
    yet started."""
    import multiprocessing as mp
    import os
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    threads = max(1, (os.cpu_count() or 1) // cfg.workers)
    ctx = mp.get_context("spawn")  # fork and OpenMP/CUDA do not mix
    with ProcessPoolExecutor(cfg.workers, mp_context=ctx, initializer=_worker_init, initargs=(threads,)) as pool:
        pending = {pool.submit(_worker_run, cfg, key, str(device)): key for key in todo}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    key = pending.pop(fut)
                    record(key, *fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def aggregate(summary: Any) -> Any:
    """Mean and standard deviation (over seeds) per (model, length) of the summary columns."""
    g = summary.groupby(["model", "length"], sort=False)
    out = g.agg(
        seeds=("seed", "count"),
        final_mean=("final_accuracy", "mean"), final_std=("final_accuracy", "std"),
        best_mean=("best_accuracy", "mean"),
        solved=("solved_step", "count"),
        solved_step_mean=("solved_step", "mean"),
        steps_mean=("steps", "mean"),
        wall_mean=("wall_time", "mean"),
    ).reset_index()
    return out.sort_values(["length", "model"], kind="stable").reset_index(drop=True)
