"""mqar against its anchor's definition, written out here in numpy: zoology's multiquery_ar with
vocab_size 256, num_kv_pairs L, input_seq_len 4L, power_a 0.01, random_non_queries True."""

import math

import numpy as np
import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.tasks.base import IGNORE
from seqgraph.tasks.registry import get_task

TASK = get_task("mqar")


def anchor_gaps(L, samples, seed):
    """zoology: space = (input_seq_len − 2L) // 2 slots, p ∝ (g+1)^(a−1), L gaps drawn with
    np.random.choice(space, L, replace=False, p) — key j is queried at 2L + 2·gaps[j]."""
    rs = np.random.RandomState(seed)
    space = (4 * L - 2 * L) // 2
    p = 0.01 * np.arange(1, space + 1) ** (0.01 - 1)
    p = p / p.sum()
    return np.stack([rs.choice(space, size=L, replace=False, p=p) for _ in range(samples)]), p


@pytest.mark.parametrize("L", [1, 3, 16])
def test_mqar_is_zoologys_multiquery_ar(L):
    x, y = (a.numpy() for a in TASK.batch(1000, L, seed=4))
    assert x.shape == y.shape == (1000, 4 * L)
    keys, values = x[:, 0 : 2 * L : 2], x[:, 1 : 2 * L : 2]
    assert ((keys >= 1) & (keys <= 127)).all() and ((values >= 128) & (values <= 255)).all()
    queries, fillers = x[:, 2 * L :: 2], x[:, 2 * L + 1 :: 2]
    assert ((fillers >= 0) & (fillers <= 255)).all()
    assert (y[:, : 2 * L] == IGNORE).all() and (y[:, 2 * L + 1 :: 2] == IGNORE).all()  # only queries answer
    for row in range(1000):
        assert len(set(keys[row])) == L and len(set(values[row])) == L  # drawn without replacement
        assert sorted(queries[row]) == sorted(keys[row])  # every key queried once (4L: every slot)
        value_of = dict(zip(keys[row], values[row], strict=True))
        assert (y[row, 2 * L :: 2] == [value_of[k] for k in queries[row]]).all()  # the answer is the key's value


def test_the_query_gaps_follow_zoologys_power_law():
    """P(key j is queried in slot g) as the anchor's np.random.choice(…, replace=False, p) draws
    it (5 standard errors); key 0's slot is exactly p."""
    L, n = 8, 20_000
    x, _ = (a.numpy() for a in TASK.batch(n, L, seed=8))
    keys, queries = x[:, 0 : 2 * L : 2], x[:, 2 * L :: 2]
    gaps = np.argmax(queries[:, None, :] == keys[:, :, None], axis=2)  # (n, L): key j's slot
    ref, p = anchor_gaps(L, n, seed=0)
    ours = np.stack([np.bincount(gaps[:, j], minlength=L) for j in range(L)]) / n
    theirs = np.stack([np.bincount(ref[:, j], minlength=L) for j in range(L)]) / n
    se = np.sqrt(ours * (1 - ours) / n + theirs * (1 - theirs) / n)
    assert (np.abs(ours - theirs) < 5 * se + 1e-3).all()
    assert (np.abs(ours[0] - p) < 5 * np.sqrt(p * (1 - p) / n)).all()
    assert ours[0, 0] > 0.3 and ours[0, -1] < 0.07  # early keys are queried early


def test_keys_values_and_fillers_are_uniform():
    L, n = 4, 20_000
    x, _ = (a.numpy() for a in TASK.batch(n, L, seed=5))
    for symbols, lo, hi in ((x[:, 0 : 2 * L : 2], 1, 127), (x[:, 1 : 2 * L : 2], 128, 255),
                            (x[:, 2 * L + 1 :: 2], 0, 255)):
        q = np.bincount(symbols.ravel() - lo, minlength=hi - lo + 1) / symbols.size
        p = 1 / (hi - lo + 1)
        assert q.size == hi - lo + 1 and np.abs(q - p).max() < 5 * math.sqrt(p * (1 - p) / symbols.size)


def test_the_metric_scores_the_query_answers_only():
    lengths = torch.tensor([2, 5])
    _, y, last = TASK.batches(lengths, torch.tensor([1, 2]), torch.tensor([0, 0]), 16)
    scored = TASK.answers(y, last)
    assert torch.equal(scored, y != IGNORE)
    assert scored.sum(-1).tolist() == [[2] * 16, [5] * 16]  # L answers each, none in the padding
    assert last.tolist() == [7, 19]


def test_sizes_and_baselines():
    assert TASK.num_symbols(16) == TASK.num_classes(16) == 256 and TASK.input_length(16) == 64
    assert TASK.default_length == 16 and TASK.min_length == 1 and TASK.max_length == 63
    assert TASK.baseline(16) == 1 / 128 and TASK.baseline_loss(16) == pytest.approx(math.log(128))
    with pytest.raises(ConfigError, match=r"too short for mqar.*key–value pairs"):
        TASK.check_length(0)
    with pytest.raises(ConfigError, match=r"at most 63"):
        TASK.check_length(64)
