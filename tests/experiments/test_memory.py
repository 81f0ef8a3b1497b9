"""The memory experiment: every task trains on the sequence engine, and a run's numbers do not
depend on who shares its batch."""

import math

import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.experiments.memory.spec import MemoryRun
from seqgraph.experiments.memory.train import CURVE_COLUMNS, EXPERIMENT, RESULT_COLUMNS
from seqgraph.experiments.sequence import train_runs
from seqgraph.nn.registry import cell_names
from seqgraph.sweep.spec import run_id
from seqgraph.tasks.registry import get_task, task_names

SMALL = dict(steps=12, batch_size=8, hidden=8, eval_every=4, eval_batch_size=32, kernel="seqgraph")
LENGTHS = {"copy": (3, 6, 4), "adding": (4, 9, 6), "selective-copy": (2, 5, 3), "recall": (2, 5, 3), "mqar": (1, 3, 2),
           "digits": (64, 64, 64), "digits-permuted": (64, 64, 64)}


def alone(spec):
    (result,) = train_runs(EXPERIMENT, [spec], 1, "cpu", dtype=torch.float64)
    return result


def assert_same_run(a, b):
    assert a.run_id == b.run_id
    assert [c["step"] for c in a.curves] == [c["step"] for c in b.curves]
    for ca, cb in zip(a.curves, b.curves, strict=True):
        for key in ("loss", "train_metric", "eval_metric", "eval_loss"):
            assert ca[key] == pytest.approx(cb[key], rel=1e-11, abs=1e-11), key
    for key in ("trained_steps", "solved_step", "metric", "baseline", "baseline_loss"):
        assert a.summary[key] == b.summary[key], key
    for key in ("final_metric", "best_metric", "final_loss", "loss_ratio"):
        assert a.summary[key] == pytest.approx(b.summary[key], rel=1e-11, abs=1e-11), key


def test_every_memory_task_is_covered():
    assert set(LENGTHS) <= set(task_names("memory"))


@pytest.mark.parametrize("model", ["lstm", "bilstm"])
@pytest.mark.parametrize("task", sorted(LENGTHS))
def test_runs_of_different_lengths_in_one_batch_equal_each_run_alone(task, model):
    """Mixed lengths (right padding, IGNORE labels), seeds and learning rates through 2 slots
    (refill and shrinking); float64; the backward LSTM of each run starts at its own end."""
    runs = [MemoryRun(model=model, task=task, length=L, seed=i, lr=lr, **SMALL)
            for i, (L, lr) in enumerate(zip(LENGTHS[task], (1e-2, 3e-3, 2e-2), strict=True))]
    together = {r.run_id: r for r in train_runs(EXPERIMENT, runs, 2, "cpu", dtype=torch.float64)}
    assert len(together) == len(runs)
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec))


@pytest.mark.parametrize("task", sorted(LENGTHS))
def test_rows_carry_the_tasks_metric_and_baselines(task):
    t = get_task(task)
    spec = MemoryRun(model="gru", task=task, length=LENGTHS[task][0], seed=3, **SMALL)
    r = alone(spec)
    assert tuple(r.summary) == RESULT_COLUMNS
    assert all(tuple(c) == CURVE_COLUMNS for c in r.curves)
    assert r.summary["metric"] == t.metric
    assert r.summary["baseline"] == t.baseline(spec.length)
    assert r.summary["baseline_loss"] == t.baseline_loss(spec.length)
    assert r.summary["final_loss"] == r.curves[-1]["eval_loss"]
    assert math.isclose(r.summary["loss_ratio"], r.summary["final_loss"] / r.summary["baseline_loss"])
    best = min if t.metric == "mse" else max
    assert r.summary["best_metric"] == best(c["eval_metric"] for c in r.curves)


def test_length_zero_is_the_tasks_default_and_part_of_the_run_id():
    for task in LENGTHS:
        spec = MemoryRun(task=task)
        assert spec.length == get_task(task).default_length
        assert run_id(spec) == run_id(MemoryRun(task=task, length=get_task(task).default_length))


def test_palindrome_tasks_and_bad_lengths_are_refused():
    with pytest.raises(ConfigError, match="unknown task 'decimal'"):
        MemoryRun(task="decimal").validate()
    with pytest.raises(ConfigError, match="at most 100000"):
        MemoryRun(task="copy", length=100_001).validate()


def test_the_shape_follows_the_target():
    copy, adding, recall = (EXPERIMENT.shape(MemoryRun(task=t)) for t in ("copy", "adding", "recall"))
    assert (copy.inputs, copy.outputs, copy.encoding, copy.readout) == (10, 9, "onehot", "steps")
    assert (adding.inputs, adding.outputs, adding.encoding, adding.readout) == (2, 1, "features", "last")
    assert (recall.outputs, recall.readout) == (get_task("recall").num_classes(20), "last")


def test_the_memory_estimate_counts_the_logits_of_every_step():
    a = MemoryRun(task="copy", length=100)
    b = MemoryRun(task="adding", length=120)  # the same T = 120 steps, one answer
    assert EXPERIMENT.input_length(a) == EXPERIMENT.input_length(b)
    assert EXPERIMENT.memory(a) - EXPERIMENT.memory(b) == 4 * 3 * 9 * a.batch_size * 120


@pytest.mark.slow
def test_a_small_lstm_learns_adding_below_the_baseline():
    """Le et al. 2015's adding problem at T = 20: an LSTM's held-out MSE falls well below the
    not-learned 1/6 within 600 steps (every seed)."""
    for seed in (1, 2):
        r = alone(MemoryRun(model="lstm", task="adding", length=20, seed=seed, steps=600, batch_size=64,
                            hidden=32, lr=1e-2, eval_every=100, eval_batch_size=512, kernel="seqgraph"))
        assert r.summary["final_metric"] < 0.25 * r.summary["baseline"], r.summary


@pytest.mark.parametrize("model", cell_names())
def test_every_cell_trains_on_a_symbol_task_and_a_feature_task_batched_as_alone(model):
    for task, lengths in (("copy", (2, 4)), ("adding", (3, 5))):
        runs = [MemoryRun(model=model, task=task, length=L, seed=L, **{**SMALL, "steps": 4, "eval_every": 2})
                for L in lengths]
        together = {r.run_id: r for r in train_runs(EXPERIMENT, runs, 2, "cpu", dtype=torch.float64)}
        for spec in runs:
            assert_same_run(together[run_id(spec)], alone(spec))
