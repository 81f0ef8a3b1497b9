"""The palindrome experiment: the course's memory tasks on the sequence trainer
(:mod:`seqgraph.experiments.sequence`), one class read at the last step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import torch

from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.experiments.sequence import ModelShape, SequenceExperiment
from seqgraph.experiments.sequence import train_runs as train_sequence_runs
from seqgraph.nn.models import SequenceClassifier
from seqgraph.sweep.jobs import RunResult
from seqgraph.tasks.registry import get_task
from seqgraph.train.progress import Progress, no_progress

RESULT_COLUMNS = ("trained_steps", "final_accuracy", "best_accuracy", "solved_step", "wall_time", "steps_per_s",
                  "kernel_used", "status")
CURVE_COLUMNS = ("step", "loss", "train_accuracy", "accuracy", "eval_loss", "elapsed")


class _Palindrome(SequenceExperiment[PalindromeRun]):
    name = "palindrome"
    spec = PalindromeRun
    result_columns = RESULT_COLUMNS
    curve_columns = CURVE_COLUMNS
    metric_names = ("train_accuracy", "accuracy", "final_accuracy", "best_accuracy")
    # result columns added since a release: what the rows written before them had (the loop ran) …
    added_results: ClassVar[dict[str, Any]] = {"kernel_used": "seqgraph"}
    # … and renamed: "kernel" (what ran) became kernel_used when the kernel became a setting
    renamed_results: ClassVar[dict[str, str]] = {"kernel": "kernel_used"}

    def shape(self, spec: PalindromeRun) -> ModelShape:
        # with classes = length, runs of different lengths have heads of different sizes;
        # random-combinations: the input size (one-hot over 0..L−1) follows the length too
        return ModelShape(get_task(spec.task).num_symbols(spec.length), spec.num_classes(), spec.encoding, "last",
                          spec.t0)

    def solved(self, spec: PalindromeRun, metric: float) -> bool:
        return metric >= spec.solved_accuracy


EXPERIMENT = _Palindrome()


def input_length(spec: PalindromeRun) -> int:
    """Steps the model reads for ``spec``."""
    return EXPERIMENT.input_length(spec)


def run_kernel(spec: PalindromeRun, device: str | torch.device) -> str:
    """The kernel a run takes on ``device`` (:meth:`SequenceExperiment.run_kernel`)."""
    return EXPERIMENT.run_kernel(spec, device)


def initial_model(spec: PalindromeRun) -> SequenceClassifier:
    """The run's untrained model, drawn on the CPU from the run's seed."""
    return EXPERIMENT.initial_model(spec)


def train_runs(runs: Sequence[PalindromeRun], slots: int = 1, device: str | torch.device = "cpu",
               progress: Progress = no_progress, dtype: torch.dtype = torch.float32,
               label_fields: tuple[str, ...] = ()) -> Iterator[RunResult]:
    """Train palindrome ``runs`` (of one shape), ``slots`` at a time as one model
    (:func:`seqgraph.experiments.sequence.train_runs`): ``summary`` with :data:`RESULT_COLUMNS`,
    ``curves`` with :data:`CURVE_COLUMNS`."""
    yield from train_sequence_runs(EXPERIMENT, runs, slots, device, progress, dtype, label_fields)
