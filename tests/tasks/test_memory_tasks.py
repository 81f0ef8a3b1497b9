"""The memory-family generators against their anchors' definitions, written out here."""

import math

import numpy as np
import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.tasks.base import IGNORE
from seqgraph.tasks.registry import get_task, task_names


def test_the_memory_family_is_on_the_registry_beside_the_palindromes():
    assert set(task_names("memory")) == {"copy", "adding", "selective-copy", "recall", "digits", "digits-permuted",
                                         "mqar"}
    assert "copy" not in task_names("palindrome")


@pytest.mark.parametrize("T", [1, 7, 30])
def test_copy_is_the_urnn_memory_problem(T):
    """uRNN: 10 symbols of 1..8, T−1 blanks, marker 9, 10 blanks; target T+10 blanks, the symbols."""
    x, y = (a.numpy() for a in get_task("copy").batch(500, T, seed=4))
    assert x.shape == y.shape == (500, T + 20)
    seq = x[:, :10]
    assert seq.min() == 1 and seq.max() == 8
    expected_x = np.concatenate([seq, np.zeros((500, T - 1)), np.full((500, 1), 9), np.zeros((500, 10))], 1)
    expected_y = np.concatenate([np.zeros((500, T + 10)), seq], 1)
    assert (x == expected_x).all() and (y == expected_y).all()
    counts = np.bincount(seq.ravel(), minlength=9)[1:] / seq.size  # uniform over 1..8
    assert np.abs(counts - 1 / 8).max() < 5 * math.sqrt(1 / 8 * 7 / 8 / seq.size)


def test_copy_baseline_loss_is_what_guessing_the_symbols_costs():
    """Blanks certain, the 10 symbols uniform over 8: mean cross-entropy 10 ln 8 / (T + 20)."""
    task = get_task("copy")
    _, y = task.batch(64, 50, seed=1)
    p = torch.zeros(64, 70, 9)
    p[:, :60, 0] = 1  # blanks sure
    p[:, 60:, 1:] = 1 / 8  # symbols guessed
    ce = -torch.log(p.gather(2, y.unsqueeze(-1)).clamp_min(1e-300)).mean()
    assert float(ce) == pytest.approx(task.baseline_loss(50)) == pytest.approx(10 * math.log(8) / 70)


@pytest.mark.parametrize("T", [2, 9, 100])
def test_adding_marks_one_value_in_each_half_and_sums_them(T):
    x, y = get_task("adding").batch(4000, T, seed=2)
    values, marks = x[..., 0].double().numpy(), x[..., 1].numpy()
    assert ((values >= 0) & (values < 1)).all() and set(np.unique(marks)) <= {0.0, 1.0}
    half = T // 2
    assert (marks[:, :half].sum(1) == 1).all() and (marks[:, half:].sum(1) == 1).all()
    assert np.allclose(y.double().numpy(), (values * marks).sum(1))
    first = marks[:, :half].argmax(1)  # uniform over [0, T/2)
    if half > 1:
        assert np.bincount(first, minlength=half).min() > 0
    if T == 100:  # U(0, 1): mean 1/2, variance 1/12
        assert abs(values.mean() - 0.5) < 0.005 and abs(values.var() - 1 / 12) < 0.002


@pytest.mark.parametrize("T", [1, 5, 40])
def test_selective_copy_is_s4s_variable_copying(T):
    """torch_copying_data(L=T, M=10, A=10, variable=True): 10 tokens of 1..8 at sorted distinct
    places among T + 10 steps, then 10 markers 9; answers: the tokens in order."""
    x, y = (a.numpy() for a in get_task("selective-copy").batch(300, T, seed=5))
    assert x.shape == y.shape == (300, T + 20)
    body, markers = x[:, : T + 10], x[:, T + 10 :]
    assert (markers == 9).all() and ((body == 0) | ((body >= 1) & (body <= 8))).all()
    assert ((body > 0).sum(1) == 10).all()
    tokens = np.stack([row[row > 0] for row in body])  # in order of place
    assert (y[:, : T + 10] == IGNORE).all() and (y[:, T + 10 :] == tokens).all()
    if T == 40:  # places spread over the whole span
        places = np.concatenate([np.flatnonzero(row) for row in body])
        assert places.min() == 0 and places.max() == T + 9


@pytest.mark.parametrize("L", [1, 3, 20])
def test_recall_answers_the_queried_keys_value(L):
    """safari assoc_recall: pairs (key 1..10, value 11..20) under one map per sequence, the prefix
    21, a key that occurred; the label is its value's index."""
    x, y = (a.numpy() for a in get_task("recall").batch(2000, L, seed=6))
    assert x.shape == (2000, 2 * L + 2)
    keys, values = x[:, 0 : 2 * L : 2], x[:, 1 : 2 * L : 2]
    assert ((keys >= 1) & (keys <= 10)).all() and ((values >= 11) & (values <= 20)).all()
    assert (x[:, 2 * L] == 21).all()
    query = x[:, -1]
    for row in range(200):
        m = keys[row] == query[row]
        assert m.any()  # the query occurred
        assert (values[row][m] == values[row][m][0]).all()  # one value per key
        assert y[row] == values[row][m][0] - 11
    assert np.abs(np.bincount(y, minlength=10) / 2000 - 0.1).max() < 0.04


def test_memory_lengths_out_of_range_name_the_meaning():
    with pytest.raises(ConfigError, match=r"too short for copy.*delay T"):
        get_task("copy").check_length(0)
    with pytest.raises(ConfigError, match="too short for adding"):
        get_task("adding").check_length(1)


def test_the_solved_rules():
    adding, copy = get_task("adding"), get_task("copy")
    assert adding.solved(0.001, 100) and not adding.solved(0.002, 100)  # ≤ 1% of 1/6
    assert copy.solved(0.995, 50) and not copy.solved(0.98, 50)
