"""The memory experiment: the literature's memory benchmarks on the sequence trainer
(:mod:`seqgraph.experiments.sequence`). What a run predicts and how it is scored is its task's
(:attr:`seqgraph.tasks.base.Task.target`, :attr:`~seqgraph.tasks.base.Task.metric`); a run
is solved by the task's own rule on ``solved_evals`` consecutive evaluations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seqgraph.experiments.memory.spec import MemoryRun
from seqgraph.experiments.sequence import ModelShape, SequenceExperiment
from seqgraph.tasks.registry import get_task

RESULT_COLUMNS = ("trained_steps", "metric", "final_metric", "best_metric", "baseline", "final_loss",
                  "baseline_loss", "loss_ratio", "solved_step", "wall_time", "steps_per_s", "kernel_used", "status")
CURVE_COLUMNS = ("step", "loss", "train_metric", "eval_metric", "eval_loss", "elapsed")


class _Memory(SequenceExperiment[MemoryRun]):
    name = "memory"
    spec = MemoryRun
    result_columns = RESULT_COLUMNS
    curve_columns = CURVE_COLUMNS
    metric_names = ("train_metric", "eval_metric", "final_metric", "best_metric")

    def shape(self, spec: MemoryRun) -> ModelShape:
        task = get_task(spec.task)
        encoding = task.encodings[0]
        inputs = task.num_features(spec.length) if encoding == "features" else task.num_symbols(spec.length)
        outputs = 1 if task.target == "value-at-last" else task.num_classes(spec.length)
        return ModelShape(inputs, outputs, encoding, "steps" if task.target == "class-at-steps" else "last")

    def solved(self, spec: MemoryRun, metric: float) -> bool:
        return get_task(spec.task).solved(metric, spec.length)

    def more_results(self, spec: MemoryRun, final: Mapping[str, float]) -> dict[str, Any]:
        """The metric's name, the not-learned baseline of the metric and of the loss, and the
        final held-out loss as a multiple of that baseline (1: learned nothing)."""
        task = get_task(spec.task)
        base_loss = task.baseline_loss(spec.length)
        return {"metric": task.metric, "baseline": task.baseline(spec.length), "final_loss": final["eval_loss"],
                "baseline_loss": base_loss, "loss_ratio": final["eval_loss"] / base_loss}


EXPERIMENT = _Memory()
