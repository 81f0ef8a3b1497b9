"""Pruning a search's runs where they train, with Optuna's own pruners.

A round of trials starts with a fixed history: the trials completed before it. The pruner
(``MedianPruner``: end a run whose best held-out figure so far is worse than the median of the
completed trials' at the same step) reads only that history, so its decisions do not depend on
which run of the round reports first, nor on the executor: :class:`TrialStopper` carries the
history as plain numbers to wherever the job trains (this process, a worker process, a Ray
task) and asks the pruner there, in a study held in memory. Only the driver writes the study
file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

PRUNERS = ("median", "none")


def intermediate(value: float, objective: str, metric: str) -> float:
    """A held-out figure as the study's intermediate value, in the study's direction: the
    figure itself, or, for ``solved-step`` (minimised) on an accuracy, the error 1 − accuracy."""
    return 1.0 - value if objective == "solved-step" and metric == "accuracy" else value


@dataclass
class TrialStopper:
    """A :class:`~seqgraph.sweep.jobs.RunStopper` for one round of trials.

    ``history``: each completed trial's intermediate values (step → value); ``objective`` and
    ``metric`` turn a run's held-out figure into its intermediate value (:func:`intermediate`).
    """

    direction: Literal["maximize", "minimize"]
    objective: str
    metric: str  # accuracy | mse
    startup_trials: int
    warmup_steps: int
    history: list[dict[int, float]]
    _study: Any = field(default=None, repr=False, compare=False)
    _trials: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:  # the in-memory study stays behind: rebuilt where it trains
        return {k: v for k, v in self.__dict__.items() if k not in ("_study", "_trials")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _study=None, _trials={})

    def _make_study(self) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pruner = optuna.pruners.MedianPruner(n_startup_trials=self.startup_trials, n_warmup_steps=self.warmup_steps)
        study = optuna.create_study(direction=self.direction, pruner=pruner)
        done = [optuna.trial.create_trial(value=0.0, intermediate_values=dict(values),
                                          state=optuna.trial.TrialState.COMPLETE) for values in self.history]
        if done:
            study.add_trials(done)
        return study

    def __call__(self, run_id: str, step: int, value: float) -> bool:
        if len(self.history) < max(1, self.startup_trials):
            return False  # too few completed trials to compare with: as the pruner itself would say
        if self._study is None:
            self._study = self._make_study()
        trial = self._trials.get(run_id)
        if trial is None:
            trial = self._trials[run_id] = self._study.ask()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a repeated step: Optuna warns and keeps the first
            trial.report(intermediate(value, self.objective, self.metric), step)
        return bool(trial.should_prune())
