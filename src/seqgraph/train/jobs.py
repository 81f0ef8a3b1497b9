"""What executors move around: jobs (runs to train together) and run results.

An *experiment* (palindrome, charlm) says how to train a job and what its rows hold; the sweep
(:mod:`seqgraph.train.sweep`) plans jobs and records results, whoever executes them.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from seqgraph.errors import SeqgraphError
from seqgraph.train.progress import Progress, QueueProgress, no_progress

EXPERIMENTS = {  # name → "module:attribute", imported where the job runs (also in workers)
    "palindrome": "seqgraph.train.palindrome:EXPERIMENT",
    "charlm": "seqgraph.train.charlm:EXPERIMENT",
}


@dataclass(frozen=True)
class Job:
    """Runs trained together: ``slots`` at once as one model (1: one after another)."""

    experiment: str
    runs: tuple[Any, ...]  # run specs
    slots: int = 1
    label_fields: tuple[str, ...] = ()  # settings that vary in the sweep: run labels name them
    kernel: str = "auto"  # recurrent kernel: auto | seqgraph | fused (seqgraph.nn.fused)
    stacked: bool = False  # the plan stacks runs as one model: every run of it takes the hand-written loop
    context: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # e.g. output folders

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


class Experiment(Protocol):
    name: str
    spec: type
    result_columns: tuple[str, ...]  # summary.csv columns after the run's settings
    curve_columns: tuple[str, ...]  # curves.csv columns after the settings (empty: no curves.csv)

    def group_key(self, spec: Any, mix_lengths: bool) -> Hashable:
        """Runs with the same key may train as one model."""
        ...

    def cost(self, spec: Any) -> float:
        """A run's relative cost (for ordering: the longest first)."""
        ...

    def steps(self, spec: Any) -> int:
        """A run's training steps at most."""
        ...

    def train(self, job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
        """Train a job's runs; yield each result the moment its run finishes."""
        ...

    def failed(self, spec: Any, why: str) -> RunResult:
        """The result row of a run that could not be trained."""
        ...


def failed_result(spec: Any, columns: tuple[str, ...], why: str) -> RunResult:
    """The result row of a run that could not be trained: empty results, ``status`` says why."""
    from seqgraph.config import run_id

    summary: dict[str, Any] = dict.fromkeys(columns)
    summary["status"] = f"failed: {why}"
    return RunResult(run_id(spec), spec, summary)


def describe(error: BaseException) -> str:
    """An exception in one line (for a failed run's status)."""
    return f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"


def out_of_memory(error: BaseException) -> bool:
    import torch

    text = str(error).lower()
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in text or "can't allocate memory" in text


def experiment(name: str) -> Experiment:
    module, _, attr = EXPERIMENTS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


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


def settle(exp: Experiment, job: Job, outcome: JobOutcome) -> Iterator[RunResult]:
    """A job's results, then a failed row for each of its runs that did not finish."""
    from seqgraph.config import run_id

    yield from outcome.results
    done = {r.run_id for r in outcome.results}
    for spec in job.runs:
        if run_id(spec) not in done:
            yield exp.failed(spec, outcome.error or "it did not finish")
