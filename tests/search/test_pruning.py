"""Pruning where a run trains: the median rule over the trials completed before the round."""

import pickle
import random

import numpy as np
import pytest

from seqgraph.search.pruning import TrialStopper, intermediate


def median_rule(history, reported, step, direction, startup, warmup):
    """The median pruner written out: after ``startup`` completed trials and ``warmup`` steps, prune a
    trial whose best value so far is worse than the median of the completed trials' values at this step."""
    if len(history) < startup or step < warmup:
        return False
    at = [h[step] for h in history if step in h]
    if not at:
        return False
    median = np.percentile(at, 50)
    best = max(reported) if direction == "maximize" else min(reported)
    return best < median if direction == "maximize" else best > median


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_decisions_are_the_median_rule(direction):
    rng = random.Random(7)
    for case in range(30):
        history = [{s: rng.random() for s in range(10, 110, 10) if rng.random() > 0.2}
                   for _ in range(rng.randint(0, 6))]
        startup, warmup = rng.randint(0, 3), rng.choice([0, 30])
        stop = TrialStopper(direction, "best", "accuracy", startup, warmup, history)
        reported = []
        for step in range(10, 110, 10):
            value = rng.random()
            reported.append(value)
            expected = median_rule(history, reported, step, direction, max(1, startup), warmup)
            assert stop(f"run{case}", step, value) == expected, (case, step)
            if expected:
                break


def test_runs_are_judged_apart_and_the_stopper_travels():
    history = [{10: 0.5, 20: 0.9}, {10: 0.5, 20: 0.8}]
    stop = pickle.loads(pickle.dumps(TrialStopper("maximize", "best", "accuracy", 1, 0, history)))
    assert not stop("a", 10, 0.6)
    assert stop("b", 10, 0.1)  # its own best (0.1), not run a's
    assert not stop("c", 20, 0.9)  # c's first report: 0.9 ≥ the median 0.85 of step 20
    assert stop("a", 20, 0.2)  # a's best so far is 0.6 < 0.85


def test_too_few_completed_trials_never_prune():
    stop = TrialStopper("maximize", "best", "accuracy", 3, 0, [{10: 1.0}, {10: 1.0}])
    assert not stop("a", 10, 0.0)


def test_steps_to_solved_judges_the_error():
    assert intermediate(0.75, "solved-step", "accuracy") == 0.25
    assert intermediate(0.75, "best", "accuracy") == 0.75
    assert intermediate(0.2, "solved-step", "mse") == 0.2
    stop = TrialStopper("minimize", "solved-step", "accuracy", 1, 0, [{10: 0.1}])  # a completed error 0.1
    assert stop("a", 10, 0.5)  # accuracy 0.5: error 0.5 > 0.1
    assert not stop("b", 10, 0.95)
