"""The palindrome experiment: runs of one shape trained as one model on one device.

The runs of a job share the cell, sizes, task, optimizer and held-out batch size — and, when
the planner mixes lengths, may differ in length (right-padded; each run is read at its own
last step). Every run keeps what makes it itself, so its numbers do not depend on who shares
its batch:

* initial weights drawn from its own seed, exactly as the run alone would draw them;
* training and held-out batches from a counter-based generator keyed by its seed and step;
* its learning rate, clipping norm (per run), step budget, evaluation schedule, early stop.

The model holds ``slots`` runs at once (weights stacked along a leading run dimension; the
time loop uses bmm). A finished run frees its slot for the next waiting run; once none wait,
the batch shrinks to the runs still training. A job of one run with one slot is plain
one-at-a-time training, on the same code.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.errors import ConfigError
from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.nn.cells import RecurrentCell
from seqgraph.nn.fused import resolve_kernel
from seqgraph.nn.models import SequenceClassifier
from seqgraph.nn.registry import cell_class, cell_names, directions
from seqgraph.sweep.jobs import Experiment, Job, RunResult
from seqgraph.sweep.spec import run_id, spec_fields
from seqgraph.tasks.base import EVAL, TRAIN
from seqgraph.tasks.registry import get_task
from seqgraph.train.loop import seeded
from seqgraph.train.optim import RunOptimizer, clip_grad_norm_per_run_
from seqgraph.train.progress import Evaluated, Progress, RunStarted, Steps, no_progress

SETTINGS = tuple(spec_fields(PalindromeRun))
RESULT_COLUMNS = ("trained_steps", "final_accuracy", "best_accuracy", "solved_step", "wall_time", "steps_per_s",
                  "kernel_used", "status")
CURVE_COLUMNS = ("step", "loss", "train_accuracy", "accuracy", "eval_loss", "elapsed")
# settings that may differ between runs sharing a batch (everything else shapes the model)
# (the kernel setting: every run of a batch runs the loop, whether asked for by name or by auto)
PER_RUN = frozenset({"seed", "steps", "init", "forget_bias", "lr", "max_norm", "eval_every", "early_stop",
                     "solved_accuracy", "solved_evals", "kernel"})
EVAL_MEMORY = 1 << 30  # bytes the input projection of one held-out chunk may take


def input_length(spec: PalindromeRun) -> int:
    """Steps the model reads for ``spec``."""
    return get_task(spec.task).input_length(spec.length)


def run_kernel(spec: PalindromeRun, device: str | torch.device) -> str:
    """The kernel a run takes on ``device``: a function of its settings and the device only
    (:func:`seqgraph.nn.fused.resolve_kernel`; palindrome runs may be trained in batches)."""
    return resolve_kernel(spec.kernel, [spec.model], device, spec.batch_size, batchable=True)


def initial_model(spec: PalindromeRun) -> SequenceClassifier:
    """The run's untrained model: drawn on the CPU from the run's seed (the global random
    state is left as it was), so every executor and device starts from the same weights."""
    symbols = get_task(spec.task).num_symbols(spec.length)
    with seeded(spec.seed):
        return SequenceClassifier(spec.model, symbols, spec.hidden, spec.num_classes(), spec.layers,
                                  forget_bias=spec.forget_bias, cell_options=spec.cell_options(),
                                  encoding=spec.encoding, init=spec.init, t0=spec.t0)


@dataclass
class _Run:
    """A run in a slot (host side)."""

    spec: PalindromeRun
    run_id: str
    label: str
    t0: float
    best: float = 0.0
    last_acc: float = 0.0
    first_solved: int | None = None
    streak: int = 0
    curves: list[dict[str, Any]] = field(default_factory=list)


def _set_tensor(module: nn.Module, name: str, value: Tensor, parameter: bool) -> None:
    owner_name, _, leaf = name.rpartition(".")
    owner = module.get_submodule(owner_name) if owner_name else module
    if parameter:
        setattr(owner, leaf, nn.Parameter(value))
    else:
        owner._buffers[leaf] = value


class _Trainer:
    def __init__(self, runs: Sequence[PalindromeRun], slots: int, device: torch.device, progress: Progress,
                 dtype: torch.dtype, label_fields: tuple[str, ...] = ()) -> None:
        first = runs[0]
        key = EXPERIMENT.group_key(first, mix_lengths=True)
        if any(EXPERIMENT.group_key(r, mix_lengths=True) != key for r in runs):
            raise ConfigError("runs of one job must share the model's shape, task, optimizer and eval batch")
        self.kernel = run_kernel(first, device)
        if len(runs) > 1 and any(run_kernel(r, device) != "seqgraph" for r in runs):
            raise ConfigError(f"runs on the {self.kernel} kernel train one at a time, not {len(runs)} as one job")
        self.task = get_task(first.task)
        self.device, self.dtype, self.progress = device, dtype, progress
        self.first = first
        self.label_fields = label_fields
        self.mixed = len({r.length for r in runs}) > 1
        self.queue = deque(runs)
        K = max(1, min(slots, len(runs)))
        with torch.device("meta"):  # shapes only: every slot is filled from its run's own weights below
            model = SequenceClassifier(first.model, self.task.num_symbols(first.length), first.hidden,
                                       first.num_classes(), first.layers,
                                       cell_options=first.cell_options(), runs=K,
                                       encoding=first.encoding, t0=first.t0, kernel=self.kernel)
        self.model = model.to_empty(device=device).to(dtype)
        self.label = first.label(label_fields) if len(runs) == 1 else (
            f"{first.model} L={min(r.length for r in runs)}–{max(r.length for r in runs)} ({len(runs)} runs)"
            if self.mixed else f"{first.model} L={first.length} ({len(runs)} runs)")
        self.lengths = torch.zeros(K, dtype=torch.long, device=device)
        self.seeds = torch.zeros(K, dtype=torch.long, device=device)
        self.counters = torch.zeros(K, dtype=torch.long, device=device)  # the runs' steps, on the device
        self.max_norm = torch.zeros(K, dtype=dtype, device=device)
        self.loss_sum = torch.zeros(K, dtype=dtype, device=device)
        self.acc_sum = torch.zeros(K, dtype=dtype, device=device)
        self.steps = np.zeros(K, np.int64)  # host copies: no device sync to decide what to do
        self.since = np.zeros(K, np.int64)  # steps since the last evaluation
        self.every = np.ones(K, np.int64)
        self.budget = np.ones(K, np.int64)
        self.opt = RunOptimizer(first.optimizer, list(self.model.parameters()), torch.zeros(K, dtype=dtype,
                                                                                          device=device))
        self.slots: list[_Run | None] = [None] * K
        for k in range(K):
            self._start(k, self.queue.popleft())

    # --- slots ---------------------------------------------------------------------------
    def _start(self, k: int, spec: PalindromeRun) -> None:
        init = initial_model(spec).state_dict()
        with torch.no_grad():
            for name, tensor in (*self.model.named_parameters(), *self.model.named_buffers()):
                tensor[k].copy_(init[name])
        self.lengths[k], self.seeds[k], self.counters[k] = spec.length, spec.seed, 0
        self.max_norm[k] = spec.max_norm
        self.loss_sum[k] = 0
        self.acc_sum[k] = 0
        self.opt.reset(k, spec.lr)
        self.steps[k], self.since[k], self.every[k], self.budget[k] = 0, 0, spec.eval_every, spec.steps
        run = _Run(spec, run_id(spec), spec.label(self.label_fields), time.perf_counter())
        self.slots[k] = run
        self.progress(RunStarted(run.run_id, run.label, spec.steps))

    def _compact(self) -> None:
        """Drop the empty slots: the batch shrinks to the runs still training."""
        keep = [k for k, r in enumerate(self.slots) if r is not None]
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        for name, p in list(self.model.named_parameters()):
            _set_tensor(self.model, name, p.detach().index_select(0, index), parameter=True)
        for name, b in list(self.model.named_buffers()):
            _set_tensor(self.model, name, b.index_select(0, index), parameter=False)
        self.opt.select(index, list(self.model.parameters()))
        for attr in ("lengths", "seeds", "counters", "max_norm", "loss_sum", "acc_sum"):
            setattr(self, attr, getattr(self, attr).index_select(0, index))
        for attr in ("steps", "since", "every", "budget"):
            setattr(self, attr, getattr(self, attr)[keep])
        self.slots = [self.slots[k] for k in keep]

    # --- steps ---------------------------------------------------------------------------
    def _logits(self, x: Tensor, last: Tensor, index: Tensor | None = None) -> Tensor:
        final_at = last if self.mixed else None
        if index is None:
            return self.model(x, final_at)
        subset = {n: t.index_select(0, index) for n, t in (*self.model.named_parameters(),
                                                            *self.model.named_buffers())}
        return torch.func.functional_call(self.model, subset, (x, final_at))

    def _train_step(self) -> None:
        spec = self.first
        x, y, last = self.task.batches(self.lengths, self.seeds, self.counters, spec.batch_size, TRAIN)
        logits = self._logits(x, last)  # (K, B, C)
        loss = F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1)  # (K,): each run's mean
        loss.sum().backward()  # runs share no parameter: each gets its own loss's gradient
        clip_grad_norm_per_run_([p.grad for p in self.opt.params if p.grad is not None], self.max_norm)
        self.opt.step()
        self.opt.zero_grad()
        with torch.no_grad():
            self.loss_sum += loss.detach()
            self.acc_sum += (logits.argmax(-1) == y).to(self.dtype).mean(1)
        self.counters += 1
        self.steps += 1
        self.since += 1

    @torch.no_grad()
    def _evaluate(self, due: list[int]) -> list[int]:
        """Held-out accuracy of the runs in slots ``due``; returns the slots whose run is done."""
        spec = self.first
        K = len(self.slots)
        T = int(self.task.input_length(self.lengths[due].max()))
        gates = cast(RecurrentCell, self.model.rnn.cells[0]).gates * directions(spec.model)
        per_run = T * spec.eval_batch_size * spec.hidden * 4 * gates
        chunk = max(1, EVAL_MEMORY // max(1, per_run * torch.finfo(self.dtype).bits // 8))
        eval_loss, eval_acc = [], []
        for i in range(0, len(due), chunk):
            part = due[i : i + chunk]
            index = torch.tensor(part, dtype=torch.long, device=self.device)
            x, y, last = self.task.batches(self.lengths[index], self.seeds[index], self.counters[index],
                                           spec.eval_batch_size, EVAL)
            logits = self._logits(x, last, None if len(part) == K else index)
            eval_loss.append(F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1))
            eval_acc.append((logits.argmax(-1) == y).to(self.dtype).mean(1))
        index = torch.tensor(due, dtype=torch.long, device=self.device)
        since = torch.tensor(self.since[due], dtype=self.dtype, device=self.device)
        table = torch.stack([self.loss_sum[index] / since, self.acc_sum[index] / since,
                             torch.cat(eval_acc), torch.cat(eval_loss)]).cpu().tolist()  # one sync
        self.loss_sum[index] = 0
        self.acc_sum[index] = 0
        self.since[due] = 0
        done = []
        for j, k in enumerate(due):
            run = self.slots[k]
            assert run is not None
            step, acc = int(self.steps[k]), table[2][j]
            elapsed = time.perf_counter() - run.t0
            run.curves.append({"step": step, "loss": table[0][j], "train_accuracy": table[1][j], "accuracy": acc,
                               "eval_loss": table[3][j], "elapsed": round(elapsed, 4)})
            run.last_acc, run.best = acc, max(run.best, acc)
            solved = acc >= run.spec.solved_accuracy
            if solved and run.first_solved is None:
                run.first_solved = step
            run.streak = run.streak + 1 if solved else 0
            self.progress(Evaluated(run.run_id, run.label, step,
                                    {"loss": table[0][j], "accuracy": acc, "eval_loss": table[3][j]}))
            if (run.spec.early_stop and run.streak >= run.spec.solved_evals) or step >= run.spec.steps:
                done.append(k)
        return done

    def _result(self, k: int) -> RunResult:
        run = self.slots[k]
        assert run is not None
        wall = time.perf_counter() - run.t0
        steps = int(self.steps[k])
        summary = {"trained_steps": steps, "final_accuracy": run.last_acc, "best_accuracy": run.best,
                   "solved_step": run.first_solved, "wall_time": round(wall, 3),
                   "steps_per_s": round(steps / max(wall, 1e-9), 2), "kernel_used": self.kernel,
                   "status": "ok"}
        return RunResult(run.run_id, run.spec, summary, run.curves)

    def run(self) -> Iterator[RunResult]:
        job_step = 0
        one = len(self.slots) == 1 and not self.queue  # a job of one run shows the run's own steps
        total = self.first.steps if one else 0
        while self.slots:
            self._train_step()
            job_step += 1
            K = len(self.slots)
            self.progress(Steps(self.label, job_step, total, K, K))
            due = np.flatnonzero((self.steps % self.every == 0) | (self.steps >= self.budget)).tolist()
            if not due:
                continue
            done = self._evaluate(due)
            if not done:
                continue
            results = [self._result(k) for k in done]
            for k in done:
                self.slots[k] = None
                if self.queue:
                    self._start(k, self.queue.popleft())
            if any(r is None for r in self.slots):
                self._compact()
            if not self.slots:
                self.progress(Steps(self.label, job_step, total, 0, 0))
            yield from results


def train_runs(runs: Sequence[PalindromeRun], slots: int = 1, device: str | torch.device = "cpu",
               progress: Progress = no_progress, dtype: torch.dtype = torch.float32,
               label_fields: tuple[str, ...] = ()) -> Iterator[RunResult]:
    """Train ``runs`` (of one shape; see the module docstring), ``slots`` at a time as one
    model on ``device``; yield each run's result the moment it finishes.

    Each run takes the kernel its settings and the device give (:func:`run_kernel`); runs on
    the fused kernel train alone (a job of one run).

    Results: ``summary`` with :data:`RESULT_COLUMNS`, ``curves`` with :data:`CURVE_COLUMNS`
    (one row per evaluation).
    """
    if not runs:
        return
    yield from _Trainer(runs, slots, torch.device(device), progress, dtype, label_fields).run()


class _Palindrome(Experiment[PalindromeRun]):
    name = "palindrome"
    spec = PalindromeRun
    result_columns = RESULT_COLUMNS
    curve_columns = CURVE_COLUMNS
    # result columns added since a release: what the rows written before them had (the loop ran) …
    added_results: ClassVar[dict[str, Any]] = {"kernel_used": "seqgraph"}
    # … and renamed: "kernel" (what ran) became kernel_used when the kernel became a setting
    renamed_results: ClassVar[dict[str, str]] = {"kernel": "kernel_used"}

    def group_key(self, spec: PalindromeRun, mix_lengths: bool) -> Hashable:
        # with classes = length, runs of different lengths have heads of different sizes
        # random-combinations: the input size (one-hot over 0..L−1) follows the length too
        return (*(getattr(spec, f) for f in SETTINGS if f not in PER_RUN and not (mix_lengths and f == "length")),
                spec.num_classes(), get_task(spec.task).num_symbols(spec.length))

    def stackable(self, spec: PalindromeRun, device: str) -> bool:
        return run_kernel(spec, device) == "seqgraph"  # K runs stacked as one model run the hand-written loop

    def cost(self, spec: PalindromeRun) -> float:
        gates = cell_class(spec.model).gates * directions(spec.model)
        return float(spec.steps * input_length(spec) * spec.layers * gates * spec.hidden * spec.batch_size)

    def steps(self, spec: PalindromeRun) -> int:
        return spec.steps

    def memory(self, spec: PalindromeRun) -> int:
        """Bytes a run takes in a batch, about (float32): per step its input projection and
        gradient (2·G·H·B), what the hand-written backward keeps (~4·H·B) and the states; twice
        that for a bidirectional model (a stack each way)."""
        gates = cell_class(spec.model).gates
        per_step = (2 * gates + 6) * spec.hidden * spec.batch_size * directions(spec.model)
        weights = gates * spec.hidden * (2 * spec.hidden + 1) * spec.layers * directions(spec.model)  # about
        return 4 * per_step * input_length(spec) * spec.layers + 4 * 4 * weights  # + grads, optimizer

    def check(self, todo: Sequence[PalindromeRun], device: str, stacked: bool) -> None:
        if stacked and any(s.kernel == "fused" for s in todo):
            raise ConfigError("--kernel fused trains one run at a time: use --executor sequential or processes")

    def check_resume(self, done: Mapping[str, Mapping[str, Any]], todo: Sequence[PalindromeRun], device: str) -> None:
        """Refuse to add runs whose kernel ``auto`` resolves otherwise on this device than it did
        for the runs already in the folder (another device, or an older seqgraph): one summary
        would mix kernels under one setting."""
        for row in done.values():
            if str(row.get("kernel") or "auto") != "auto" or str(row.get("model")) not in cell_names():
                continue
            now = resolve_kernel("auto", [str(row["model"])], device, int(row["batch_size"]), batchable=True)
            if str(row["kernel_used"]) != now:
                raise ConfigError(
                    f"--resume: the {row['model']} runs in this folder ran on the {row['kernel_used']} kernel, but "
                    f"kernel auto takes {now} for them on {device}: new runs would be computed differently. "
                    "Resume on the device that made them, or use another --out (--kernel names one kernel for good)")

    def train(self, job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
        yield from train_runs(job.runs, job.slots, device, progress, label_fields=job.label_fields)


EXPERIMENT = _Palindrome()
