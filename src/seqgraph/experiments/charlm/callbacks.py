"""What happens after each training step of a character model: the running averages and the
progress line, a validation pass with its log row and checkpoints, sample snapshots."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from seqgraph.config import to_dict
from seqgraph.experiments.charlm.checkpoint import save_checkpoint
from seqgraph.experiments.charlm.folder import LOG_COLUMNS, SAMPLE_COLUMNS, RunFiles
from seqgraph.experiments.charlm.model import evaluate_batches, sample_rows
from seqgraph.experiments.charlm.spec import CharLMRun
from seqgraph.io import append_rows
from seqgraph.nn.charlm import CharLM
from seqgraph.tasks.text import CharCorpus
from seqgraph.train.loop import StepStats
from seqgraph.train.progress import Evaluated, Progress, Samples, Steps


@dataclass
class TrainSummary:
    corpus: str
    step: int
    val: dict[str, float] = field(default_factory=dict)
    best_val_loss: float = math.inf
    chars_per_s: float = 0.0
    wall_time: float = 0.0
    last: str = ""
    best: str = ""


@dataclass
class TrainState:
    """What a run carries from step to step besides the model (and what a checkpoint keeps)."""

    model: CharLM
    opt: torch.optim.Optimizer
    sched: Any
    data_gen: torch.Generator  # the order of training windows
    device: torch.device
    best_val_loss: float = math.inf
    running: list[float] = field(default_factory=lambda: [0.0, 0.0, 0])  # loss, accuracy, steps since the last row


class Callbacks:
    """``on_step`` for :func:`seqgraph.train.loop.fit`: returns True when ``stop()`` asks to stop."""

    def __init__(self, cfg: CharLMRun, state: TrainState, corpus: CharCorpus, files: RunFiles, name: str,
                 run_id: str, label: str, progress: Progress, stop: Callable[[], bool], start_step: int,
                 data: dict[str, Any] | None = None) -> None:
        self.cfg, self.state, self.corpus, self.files, self.name = cfg, state, corpus, files, name
        self.data = data  # the training text's identity (text_identity), kept in every checkpoint
        self.run_id, self.label, self.progress, self.stop = run_id, label, progress, stop
        self.start_step, self.t0 = start_step, time.perf_counter()
        self.val_batches = corpus.val_batches(cfg.batch_size, cfg.eval_batches)
        self.summary = TrainSummary(name, start_step, best_val_loss=state.best_val_loss, last=str(files.last),
                                    best=str(files.best))

    def __call__(self, stats: StepStats) -> bool:
        cfg, s = self.cfg, self.state
        s.running[0] += stats.loss
        s.running[1] += stats.accuracy
        s.running[2] += 1
        elapsed = time.perf_counter() - self.t0
        cps = (stats.step - self.start_step) * cfg.batch_size * cfg.seq_length / max(elapsed, 1e-9)
        self.progress(Steps(self.label, stats.step, cfg.steps, 1, 1,
                            {"loss": stats.loss, "accuracy": stats.accuracy, "chars_per_s": cps}))
        self.summary.step, self.summary.chars_per_s = stats.step, cps
        if stats.step % cfg.eval_every == 0 or stats.step == cfg.steps:
            self.evaluate(stats.step, cps, elapsed)
        if cfg.sample_every and stats.step % cfg.sample_every == 0:
            rows = sample_rows(s.model, self.corpus, stats.step, cfg.sample_length, cfg.seed, s.device)
            append_rows(self.files.samples, SAMPLE_COLUMNS, rows)
            self.progress(Samples(self.run_id, stats.step, rows))
        return self.stop()

    def evaluate(self, step: int, cps: float, elapsed: float) -> None:
        """A validation pass: its log row, the best checkpoint if it is the best, the last one."""
        s = self.state
        v = evaluate_batches(s.model, self.val_batches, s.device)
        loss, acc, n = s.running
        row = {"step": step, "loss": loss / n, "accuracy": acc / n, "val_loss": v.loss, "val_bpc": v.bpc,
               "val_accuracy": v.accuracy, "lr": s.opt.param_groups[0]["lr"], "chars_per_s": round(cps, 1),
               "elapsed": round(elapsed, 3)}
        s.running[:] = [0.0, 0.0, 0]
        append_rows(self.files.log, LOG_COLUMNS, [row])
        self.progress(Evaluated(self.run_id, self.label, step, row))
        self.summary.val = v.as_dict()
        if v.loss < s.best_val_loss:
            s.best_val_loss = self.summary.best_val_loss = v.loss
            self.checkpoint(self.files.best, step)
        self.checkpoint(self.files.last, step)

    def checkpoint(self, path: Any, step: int) -> None:
        """Everything a straight run would have at ``step``: weights, optimizer, schedule,
        generators, and the training loss and accuracy summed since the last log row (so the
        next row after ``--resume`` averages the same steps as a straight run)."""
        s = self.state
        rng = {"data": s.data_gen.get_state(), "torch": torch.get_rng_state()}
        if s.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(s.device)
        loss, acc, n = s.running
        save_checkpoint(path, {"config": to_dict(self.cfg), "vocab": self.corpus.vocab.chars, "corpus": self.name,
                               "data": self.data, "model": s.model.state_dict(), "optimizer": s.opt.state_dict(),
                               "scheduler": s.sched.state_dict(), "step": step, "best_val_loss": s.best_val_loss,
                               "rng": rng, "running": {"loss": float(loss), "accuracy": float(acc), "steps": int(n)}})
