"""What executors move around: jobs (runs to train together) and run results.

An *experiment* (palindrome, charlm) says how to train a job and what its rows hold; the sweep
(:mod:`seqgraph.train.sweep`) plans jobs and records results, whoever executes them.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from seqgraph.train.progress import Progress

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


def experiment(name: str) -> Experiment:
    module, _, attr = EXPERIMENTS[name].partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def run_job(job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
    """Train ``job`` here, in this process."""
    yield from experiment(job.experiment).train(job, device, progress)
