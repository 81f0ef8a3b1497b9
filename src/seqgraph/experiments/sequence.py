"""Sequence experiments (``palindrome``, ``memory``): runs of one shape trained as one model on
one device.

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

What the model predicts, and how it is scored, is the task's :attr:`~seqgraph.tasks.base.Task.target`
(:class:`Scoring`); what a run's rows are called, and when it is solved, the experiment's
(:class:`SequenceExperiment`).
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar, cast

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.errors import ConfigError
from seqgraph.nn.cells import RecurrentCell
from seqgraph.nn.fused import resolve_kernel
from seqgraph.nn.models import SequenceClassifier
from seqgraph.nn.registry import cell_class, cell_names, directions
from seqgraph.sweep.jobs import Experiment, Job, Probe, RunResult, RunStopper
from seqgraph.sweep.spec import RunSpec, run_id, spec_fields
from seqgraph.tasks.base import EVAL, IGNORE, TRAIN, Task
from seqgraph.tasks.registry import get_task
from seqgraph.train.loop import seeded
from seqgraph.train.optim import RunOptimizer, clip_grad_norm_per_run_
from seqgraph.train.progress import Evaluated, Progress, RunStarted, Steps, no_progress

EVAL_MEMORY = 1 << 30  # bytes the input projection of one held-out chunk may take
# settings that may differ between runs sharing a batch (everything else shapes the model)
# (the kernel setting: every run of a batch runs the loop, whether asked for by name or by auto)
PER_RUN = frozenset({"seed", "steps", "init", "forget_bias", "lr", "max_norm", "eval_every", "early_stop",
                     "solved_accuracy", "solved_evals", "kernel"})


class SequenceSpec(Protocol):
    """The settings of a sequence run the trainer reads (:class:`PalindromeRun`, :class:`MemoryRun`)."""

    model: str
    task: str
    length: int
    seed: int
    steps: int
    batch_size: int
    hidden: int
    layers: int
    init: str
    forget_bias: float
    learn_gate: bool
    optimizer: str
    lr: float
    max_norm: float
    eval_every: int
    eval_batch_size: int
    early_stop: bool
    solved_evals: int
    kernel: str

    def label(self, extra: tuple[str, ...] = ()) -> str: ...

    def cell_options(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=RunSpec)


@dataclass(frozen=True)
class ModelShape:
    """What a run's model looks like, from its task and settings."""

    inputs: int  # one-hot size d, or features F
    outputs: int  # classes c (1 for a value)
    encoding: str  # onehot, scalar or features
    readout: str  # last or steps
    t0: int = 0


class SequenceExperiment(Experiment[S]):
    """An experiment whose runs train a :class:`~seqgraph.nn.models.SequenceClassifier` on a
    task of the registry with :class:`SequenceTrainer`. Subclasses say how a run's model is
    shaped, when it is solved and what its result and curve columns are called."""

    metric_names: ClassVar[tuple[str, str, str, str]]
    """Column names of (train metric, held-out metric) in curves.csv and of (final, best)
    held-out metric in summary.csv."""

    def shape(self, spec: S) -> ModelShape:
        """The run's model: input size, outputs, encoding, readout."""
        raise NotImplementedError

    def solved(self, spec: S, metric: float) -> bool:
        """Whether a held-out ``metric`` counts as solved for this run."""
        raise NotImplementedError

    def more_results(self, spec: S, final: Mapping[str, float]) -> dict[str, Any]:
        """Result columns beyond the common ones, from the final evaluation (``final``: its
        ``metric`` and ``eval_loss``). None by default."""
        return {}

    # --- shared by sequence experiments --------------------------------------------------
    def initial_model(self, spec: S) -> SequenceClassifier:
        """The run's untrained model: drawn on the CPU from the run's seed (the global random
        state is left as it was), so every executor and device starts from the same weights."""
        s = cast(SequenceSpec, spec)
        shape = self.shape(spec)
        with seeded(s.seed):
            return SequenceClassifier(s.model, shape.inputs, s.hidden, shape.outputs, s.layers,
                                      forget_bias=s.forget_bias, cell_options=s.cell_options(),
                                      encoding=shape.encoding, init=s.init, t0=shape.t0, readout=shape.readout)

    def run_kernel(self, spec: S, device: str | torch.device) -> str:
        """The kernel a run takes on ``device``: a function of its settings and the device only
        (:func:`seqgraph.nn.fused.resolve_kernel`; runs may be trained in batches)."""
        s = cast(SequenceSpec, spec)
        return resolve_kernel(s.kernel, [s.model], device, s.batch_size, batchable=True)

    def input_length(self, spec: S) -> int:
        """Steps the model reads."""
        s = cast(SequenceSpec, spec)
        return get_task(s.task).input_length(s.length)

    def group_key(self, spec: S, mix_lengths: bool) -> Hashable:
        # runs of different lengths may differ in input or output size (random-combinations,
        # classes = length): the shape is part of the key
        return (*(getattr(spec, f) for f in spec_fields(self.spec)
                  if f not in PER_RUN and not (mix_lengths and f == "length")), self.shape(spec))

    def stackable(self, spec: S, device: str) -> bool:
        return self.run_kernel(spec, device) == "seqgraph"  # K runs stacked as one model run the hand-written loop

    def cost(self, spec: S) -> float:
        s = cast(SequenceSpec, spec)
        gates = cell_class(s.model).gates * directions(s.model)
        return float(s.steps * self.input_length(spec) * s.layers * gates * s.hidden * s.batch_size)

    def steps(self, spec: S) -> int:
        return cast(SequenceSpec, spec).steps

    def memory(self, spec: S) -> int:
        """Bytes a run takes in a batch, about (float32): per step its input projection and
        gradient (2·G·H·B), what the hand-written backward keeps (~4·H·B) and the states; twice
        that for a bidirectional model (a stack each way); with a prediction at every step,
        its logits, their gradient and the softmax (3·c·B)."""
        s = cast(SequenceSpec, spec)
        gates = cell_class(s.model).gates
        shape = self.shape(spec)
        per_step = (2 * gates + 6) * s.hidden * s.batch_size * directions(s.model)
        weights = gates * s.hidden * (2 * s.hidden + 1) * s.layers * directions(s.model)  # about
        logits = 3 * shape.outputs * s.batch_size if shape.readout == "steps" else 0
        return 4 * (per_step * s.layers + logits) * self.input_length(spec) + 4 * 4 * weights  # + grads, optimizer

    def check(self, todo: Sequence[S], device: str, stacked: str) -> None:
        if stacked and any(cast(SequenceSpec, s).kernel == "fused" for s in todo):
            fix = ("leave out --batch-runs" if stacked.startswith("--batch-runs")
                   else "use --executor sequential or processes")
            raise ConfigError(f"--kernel fused trains one run at a time, but {stacked} trains runs together: {fix}")

    def check_resume(self, done: Mapping[str, Mapping[str, Any]], todo: Sequence[S], device: str) -> None:
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

    prunable = True

    def kernel(self, spec: S, device: str) -> str:
        return self.run_kernel(spec, device)

    def probe(self, spec: S, device: str) -> Probe:
        """Three shortened copies of the run, timed after a warm-up (no early stop): ``n`` steps
        with one evaluation, ``2n`` with one, ``2n`` with two. Their differences are ``n``
        steps and one evaluation; what is left of the first is the set-up."""
        n = 5

        def timed(steps: int, every: int) -> float:
            short = dataclasses.replace(cast(Any, spec), steps=steps, eval_every=every, early_stop=False)
            t0 = time.perf_counter()
            for _ in train_runs(self, [short], 1, device):
                pass
            return time.perf_counter() - t0

        timed(2, 2)  # warm-up: imports, kernels, allocator
        a, b, c = timed(n, n), timed(2 * n, 2 * n), timed(2 * n, n)
        step, evaluation = max(1e-9, (b - a) / n), max(0.0, c - b)
        setup = max(0.0, a - n * step - evaluation)
        s = cast(SequenceSpec, spec)
        evals = -(-s.steps // max(1, s.eval_every))  # every eval_every steps, and at the end
        return Probe(s.label(), step, evaluation, setup + s.steps * step + evals * evaluation)

    def train(self, job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
        yield from train_runs(self, job.runs, job.slots, device, progress, label_fields=job.label_fields,
                              stopper=job.stopper)


class Scoring:
    r"""Loss and metric per run, by the task's target.

    * ``class-at-last``: logits ``(K, B, c)``, labels ``(K, B)``: cross-entropy, accuracy.
    * ``class-at-steps``: logits ``(K, B, T, c)``, labels ``(K, B, T)`` (IGNORE: no loss):
      cross-entropy averaged over each run's labelled steps; accuracy over the steps
      :meth:`~seqgraph.tasks.base.Task.answers` names.
    * ``value-at-last``: outputs ``(K, B, 1)``, targets ``(K, B)``: squared error, and the
      held-out metric is the MSE itself.

    Every figure is ``(K,)``: each run's own.
    """

    def __init__(self, task: Task) -> None:
        self.task = task
        self.target = task.target
        self.lower_is_better = task.metric == "mse"

    def __call__(self, out: Tensor, y: Tensor, last: Tensor) -> tuple[Tensor, Tensor]:
        if self.target == "class-at-last":
            loss = F.cross_entropy(out.transpose(1, 2), y, reduction="none").mean(1)
            return loss, (out.argmax(-1) == y).to(out.dtype).mean(1)
        if self.target == "value-at-last":
            err = (out.squeeze(-1) - y.to(out.dtype)).square().mean(1)
            return err, err.detach()
        ce = F.cross_entropy(out.permute(0, 3, 1, 2), y, reduction="none", ignore_index=IGNORE)  # (K, B, T)
        labelled = (y != IGNORE).sum((1, 2)).clamp_min(1).to(out.dtype)
        scored = self.task.answers(y, last)
        hits = ((out.argmax(-1) == y) & scored).sum((1, 2)).to(out.dtype)
        return ce.sum((1, 2)) / labelled, hits / scored.sum((1, 2)).clamp_min(1).to(out.dtype)

    def better(self, a: float, b: float | None) -> bool:
        return b is None or (a < b if self.lower_is_better else a > b)


@dataclass
class _Run:
    """A run in a slot (host side)."""

    spec: Any
    run_id: str
    label: str
    t0: float
    best: float | None = None
    last_metric: float = 0.0
    last_eval_loss: float = 0.0
    first_solved: int | None = None
    streak: int = 0
    pruned: bool = False  # ended by the job's stopper
    curves: list[dict[str, Any]] = field(default_factory=list)


def _set_tensor(module: nn.Module, name: str, value: Tensor, parameter: bool) -> None:
    owner_name, _, leaf = name.rpartition(".")
    owner = module.get_submodule(owner_name) if owner_name else module
    if parameter:
        setattr(owner, leaf, nn.Parameter(value))
    else:
        owner._buffers[leaf] = value


class SequenceTrainer:
    def __init__(self, exp: SequenceExperiment[Any], runs: Sequence[Any], slots: int, device: torch.device,
                 progress: Progress, dtype: torch.dtype, label_fields: tuple[str, ...] = (),
                 stopper: RunStopper | None = None) -> None:
        first = runs[0]
        key = exp.group_key(first, mix_lengths=True)
        if any(exp.group_key(r, mix_lengths=True) != key for r in runs):
            raise ConfigError("runs of one job must share the model's shape, task, optimizer and eval batch")
        self.exp = exp
        self.kernel = exp.run_kernel(first, device)
        if len(runs) > 1 and any(exp.run_kernel(r, device) != "seqgraph" for r in runs):
            raise ConfigError(f"runs on the {self.kernel} kernel train one at a time, not {len(runs)} as one job")
        self.task = get_task(first.task)
        self.score = Scoring(self.task)
        self.metric_key = self.task.metric  # the held-out figure's name in progress events
        self.device, self.dtype, self.progress = device, dtype, progress
        self.stopper = stopper
        self.first = first
        self.label_fields = label_fields
        self.mixed = len({r.length for r in runs}) > 1
        self.queue = deque(runs)
        K = max(1, min(slots, len(runs)))
        shape = exp.shape(first)
        self.outputs = shape.outputs
        with torch.device("meta"):  # shapes only: every slot is filled from its run's own weights below
            model = SequenceClassifier(first.model, shape.inputs, first.hidden, shape.outputs, first.layers,
                                       cell_options=first.cell_options(), runs=K,
                                       encoding=shape.encoding, t0=shape.t0, kernel=self.kernel,
                                       readout=shape.readout)
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
        self.norm_sum = torch.zeros(K, dtype=dtype, device=device)  # gradient norms before clipping, per run
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
    def _start(self, k: int, spec: Any) -> None:
        init = self.exp.initial_model(spec).state_dict()
        with torch.no_grad():
            for name, tensor in (*self.model.named_parameters(), *self.model.named_buffers()):
                tensor[k].copy_(init[name])
        self.lengths[k], self.seeds[k], self.counters[k] = spec.length, spec.seed, 0
        self.max_norm[k] = spec.max_norm
        self.loss_sum[k] = 0
        self.acc_sum[k] = 0
        self.norm_sum[k] = 0
        self.opt.reset(k, spec.lr)
        self.steps[k], self.since[k], self.every[k], self.budget[k] = 0, 0, spec.eval_every, spec.steps
        run = _Run(spec, run_id(spec), spec.label(self.label_fields), time.perf_counter())
        self.slots[k] = run
        self.progress(RunStarted(run.run_id, run.label, spec.steps, dataclasses.asdict(spec)))

    def _compact(self) -> None:
        """Drop the empty slots: the batch shrinks to the runs still training."""
        keep = [k for k, r in enumerate(self.slots) if r is not None]
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        for name, p in list(self.model.named_parameters()):
            _set_tensor(self.model, name, p.detach().index_select(0, index), parameter=True)
        for name, b in list(self.model.named_buffers()):
            _set_tensor(self.model, name, b.index_select(0, index), parameter=False)
        self.opt.select(index, list(self.model.parameters()))
        for attr in ("lengths", "seeds", "counters", "max_norm", "loss_sum", "acc_sum", "norm_sum"):
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
        loss, metric = self.score(self._logits(x, last), y, last)  # (K,): each run's own
        loss.sum().backward()  # runs share no parameter: each gets its own loss's gradient
        norms = clip_grad_norm_per_run_([p.grad for p in self.opt.params if p.grad is not None], self.max_norm)
        self.opt.step()
        self.opt.zero_grad()
        with torch.no_grad():
            self.loss_sum += loss.detach()
            self.acc_sum += metric
            self.norm_sum += norms
        self.counters += 1
        self.steps += 1
        self.since += 1

    @torch.no_grad()
    def _evaluate(self, due: list[int]) -> list[int]:
        """Held-out figures of the runs in slots ``due``; returns the slots whose run is done."""
        spec = self.first
        K = len(self.slots)
        T = int(self.task.input_length(self.lengths[due].max()))
        gates = cast(RecurrentCell, self.model.rnn.cells[0]).gates * directions(spec.model)
        per_run = T * spec.eval_batch_size * (spec.hidden * 4 * gates + (self.outputs if self.score.target ==
                                                                          "class-at-steps" else 0))
        chunk = max(1, EVAL_MEMORY // max(1, per_run * torch.finfo(self.dtype).bits // 8))
        eval_loss, eval_metric = [], []
        for i in range(0, len(due), chunk):
            part = due[i : i + chunk]
            index = torch.tensor(part, dtype=torch.long, device=self.device)
            x, y, last = self.task.batches(self.lengths[index], self.seeds[index], self.counters[index],
                                           spec.eval_batch_size, EVAL)
            loss, metric = self.score(self._logits(x, last, None if len(part) == K else index), y, last)
            eval_loss.append(loss)
            eval_metric.append(metric)
        index = torch.tensor(due, dtype=torch.long, device=self.device)
        since = torch.tensor(self.since[due], dtype=self.dtype, device=self.device)
        table = torch.stack([self.loss_sum[index] / since, self.acc_sum[index] / since,
                             torch.cat(eval_metric), torch.cat(eval_loss),
                             self.norm_sum[index] / since]).cpu().tolist()  # one sync
        self.loss_sum[index] = 0
        self.acc_sum[index] = 0
        self.norm_sum[index] = 0
        self.since[due] = 0
        train_name, eval_name = self.exp.metric_names[:2]
        done = []
        for j, k in enumerate(due):
            run = self.slots[k]
            assert run is not None
            step, metric = int(self.steps[k]), table[2][j]
            elapsed = time.perf_counter() - run.t0
            run.curves.append({"step": step, "loss": table[0][j], train_name: table[1][j], eval_name: metric,
                               "eval_loss": table[3][j], "elapsed": round(elapsed, 4)})
            run.last_metric, run.last_eval_loss = metric, table[3][j]
            if self.score.better(metric, run.best):
                run.best = metric
            solved = self.exp.solved(run.spec, metric)
            if solved and run.first_solved is None:
                run.first_solved = step
            run.streak = run.streak + 1 if solved else 0
            self.progress(Evaluated(run.run_id, run.label, step,
                                    {"loss": table[0][j], train_name: table[1][j], self.metric_key: metric,
                                     "eval_loss": table[3][j], "lr": run.spec.lr,
                                     "grad_norm": table[4][j]}))  # mean over the interval, before clipping
            if (run.spec.early_stop and run.streak >= run.spec.solved_evals) or step >= run.spec.steps:
                done.append(k)
            elif self.stopper is not None and self.stopper(run.run_id, step, metric):
                run.pruned = True
                done.append(k)
        return done

    def _result(self, k: int) -> RunResult:
        run = self.slots[k]
        assert run is not None
        wall = time.perf_counter() - run.t0
        steps = int(self.steps[k])
        final_name, best_name = self.exp.metric_names[2:]
        values = {"trained_steps": steps, final_name: run.last_metric, best_name: run.best,
                  "solved_step": run.first_solved, "wall_time": round(wall, 3),
                  "steps_per_s": round(steps / max(wall, 1e-9), 2), "kernel_used": self.kernel,
                  "status": "pruned" if run.pruned else "ok",
                  **self.exp.more_results(run.spec, {"metric": run.last_metric, "eval_loss": run.last_eval_loss})}
        summary = {c: values[c] for c in self.exp.result_columns}
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


def train_runs(exp: SequenceExperiment[Any], runs: Sequence[Any], slots: int = 1,
               device: str | torch.device = "cpu", progress: Progress = no_progress,
               dtype: torch.dtype = torch.float32, label_fields: tuple[str, ...] = (),
               stopper: RunStopper | None = None) -> Iterator[RunResult]:
    """Train ``runs`` of experiment ``exp`` (of one shape; see the module docstring), ``slots``
    at a time as one model on ``device``; yield each run's result the moment it finishes.

    Each run takes the kernel its settings and the device give
    (:meth:`SequenceExperiment.run_kernel`); runs on the fused kernel train alone (a job of one run).

    Results: ``summary`` with the experiment's ``result_columns``, ``curves`` with its
    ``curve_columns`` (one row per evaluation). ``stopper``, asked after each evaluation, may
    end a run early: its status is then ``pruned``.
    """
    if not runs:
        return
    yield from SequenceTrainer(exp, runs, slots, torch.device(device), progress, dtype, label_fields,
                               stopper).run()
