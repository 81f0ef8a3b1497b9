"""What executors move around — jobs (runs to train together) and run results — and the
contract an experiment fulfils for the engine.

An *experiment* (palindrome, charlm) says how to train a job and what its rows hold; the engine
(:mod:`seqgraph.sweep.engine`) plans jobs and records results, whoever executes them. Every
member the engine uses is declared on :class:`Experiment`, with its default.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from seqgraph.errors import SeqgraphError
from seqgraph.sweep.spec import RunSpec, run_id
from seqgraph.train.progress import Progress, QueueProgress, no_progress

S = TypeVar("S", bound=RunSpec)

EXPERIMENTS = {  # name → "module:attribute", imported where the job runs (also in workers)
    "palindrome": "seqgraph.experiments.palindrome.train:EXPERIMENT",
    "memory": "seqgraph.experiments.memory.train:EXPERIMENT",
    "charlm": "seqgraph.experiments.charlm.grid:EXPERIMENT",
    "transfer": "seqgraph.experiments.transfer.train:EXPERIMENT",
}


@dataclass(frozen=True)
class Probe:
    """A run's speed here, measured on shortened copies: a training step took ``step_seconds``,
    a held-out evaluation ``eval_seconds``; the whole run (all its steps and evaluations, no
    early stop) would take ``run_seconds``."""

    label: str
    step_seconds: float
    eval_seconds: float
    run_seconds: float


class RunStopper(Protocol):
    """Asked after each held-out evaluation of a run whether to end it now (a search's pruner,
    :mod:`seqgraph.search.pruning`): ``value`` is the run's held-out figure at ``step``. A run
    it ends has the status ``pruned``. It travels with the job, so it must pickle."""

    def __call__(self, run_id: str, step: int, value: float) -> bool: ...


@dataclass(frozen=True)
class Job:
    """Runs trained together: ``slots`` at once as one model (1: one after another)."""

    experiment: str
    runs: tuple[Any, ...]  # run specs
    slots: int = 1
    label_fields: tuple[str, ...] = ()  # settings that vary in the sweep: run labels name them
    context: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # e.g. output folders
    stopper: RunStopper | None = field(default=None, hash=False, compare=False)  # may end runs early (if prunable)

    def run_label(self, spec: Any) -> str:
        return str(spec.label(self.label_fields))


@dataclass
class RunResult:
    run_id: str
    spec: Any
    summary: dict[str, Any]  # result columns (settings are added by the sweep)
    curves: list[dict[str, Any]] = field(default_factory=list)  # curve rows (result columns only)
    status: str = "ok"  # or "failed: why"
    where: str = ""  # where it was trained, when not in this process (a Ray node)


class Experiment(Generic[S]):
    """What the engine needs of an experiment. Subclass it and set or override each member
    without a default; everything the engine calls is here."""

    name: ClassVar[str]
    """The registry name (:data:`EXPERIMENTS`), also what a Job names."""

    spec: ClassVar[type[RunSpec]]
    """The run spec: every setting that defines a run's result."""

    result_columns: ClassVar[tuple[str, ...]]
    """summary.csv columns after the run's settings (``status`` last)."""

    curve_columns: ClassVar[tuple[str, ...]] = ()
    """curves.csv columns after the settings (empty: no curves.csv)."""

    added_results: ClassVar[Mapping[str, Any]] = {}
    """Result columns added since a release → the value rows written before them had."""

    renamed_results: ClassVar[Mapping[str, str]] = {}
    """Result columns renamed since a release: old name → new name (older folders resume)."""

    batchable: ClassVar[bool] = True
    """Whether runs may train K at once as one model (the batched executor)."""

    prunable: ClassVar[bool] = False
    """Whether its training asks a job's :class:`RunStopper` after each evaluation (a search may
    prune its runs)."""

    def group_key(self, spec: S, mix_lengths: bool) -> Hashable:
        """Runs with the same key may train as one model (``mix_lengths``: runs of different
        lengths may share one)."""
        return run_id(spec)

    def stackable(self, spec: S, device: str) -> bool:
        """Whether this run may share a model with others on ``device`` (else it trains alone,
        even under the batched executor)."""
        return self.batchable

    def cost(self, spec: S) -> float:
        """A run's relative cost (for ordering: the longest first)."""
        raise NotImplementedError

    def steps(self, spec: S) -> int:
        """A run's training steps at most."""
        raise NotImplementedError

    def memory(self, spec: S) -> int | None:
        """Bytes a run needs, about (None: not estimated; no check, GPU batches of a default
        size)."""
        return None

    def complete(self, row: Mapping[str, Any], spec: S) -> bool:
        """Whether a run with an ``ok`` row in summary.csv is done (else it trains again, e.g.
        continued with more steps)."""
        return True

    def kernel(self, spec: S, device: str) -> str:
        """The recurrent kernel a run takes on ``device`` ("": the experiment has none to choose)."""
        return ""

    def probe(self, spec: S, device: str) -> Probe | None:
        """Measure how fast a run of ``spec`` trains here, on a shortened copy (``--dry-run``);
        None: not measured for this experiment."""
        return None

    def check_resume(self, done: Mapping[str, Mapping[str, Any]], todo: Sequence[S], device: str) -> None:
        """Refuse (ConfigError) a ``--resume`` whose new runs would not be computed as the rows
        already in the folder were (``done``: run id → row). Nothing to check by default."""

    def check(self, todo: Sequence[S], device: str, stacked: str) -> None:
        """Refuse (ConfigError), before anything is written, runs this device or plan cannot
        train (``stacked``: what makes the plan train runs K at once, to name in the message,
        e.g. ``--batch-runs 4``; "" when it trains them one at a time)."""

    def train(self, job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
        """Train a job's runs; yield each result the moment its run finishes."""
        raise NotImplementedError

    def failed(self, spec: S, why: str) -> RunResult:
        """The result row of a run that could not be trained: empty results, ``status`` says why."""
        summary: dict[str, Any] = dict.fromkeys(self.result_columns)
        summary["status"] = f"failed: {why}"
        return RunResult(run_id(spec), spec, summary)


def describe(error: BaseException) -> str:
    """An exception in one line (for a failed run's status)."""
    return f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"


def out_of_memory(error: BaseException) -> bool:
    import torch

    text = str(error).lower()
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in text or "can't allocate memory" in text


def experiment(name: str) -> Experiment[Any]:
    module, _, attr = EXPERIMENTS[name].partition(":")
    exp = getattr(importlib.import_module(module), attr)
    assert isinstance(exp, Experiment)
    return exp


def run_job(job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
    """Train ``job`` here, in this process."""
    yield from experiment(job.experiment).train(job, device, progress)


@dataclass
class JobOutcome:
    results: list[RunResult]  # the runs that finished
    error: str = ""  # why the others did not ("" when all finished)


def collect_job(job: Job, device: str, events: Any = None) -> JobOutcome:
    """Train ``job`` in a worker (process or Ray task), forwarding progress to ``events`` (a
    queue); a job that raises keeps the runs it finished. User errors and Ctrl-C propagate."""
    progress = QueueProgress(events) if events is not None else no_progress
    results: list[RunResult] = []
    try:
        for result in run_job(job, device, progress):
            results.append(result)
    except SeqgraphError:
        raise
    except Exception as e:
        return JobOutcome(results, describe(e))
    finally:
        if isinstance(progress, QueueProgress):
            progress.flush()
    return JobOutcome(results)


def settle(exp: Experiment[Any], job: Job, outcome: JobOutcome) -> Iterator[RunResult]:
    """A job's results, then a failed row for each of its runs that did not finish."""
    yield from outcome.results
    done = {r.run_id for r in outcome.results}
    for spec in job.runs:
        if run_id(spec) not in done:
            yield exp.failed(spec, outcome.error or "it did not finish")
