"""Random combinations against the 2020 template's ``RandomCombinationsDataset``."""

import numpy as np
import pytest
import torch

from seqgraph.tasks.registry import get_task

TASK = get_task("random-combinations")


def palindrome_batch(batch, length, seed):
    return TASK.batch(batch, length, seed)


def random_combination(seq_length, rng):
    """RandomCombinationsDataset.__getitem__ (with a seeded numpy generator)."""
    seq = rng.permutation(seq_length)
    return torch.FloatTensor(seq[:-1]), seq[-1]


@pytest.mark.parametrize("length", [2, 5, 12])
def test_random_combinations_rows_are_permutations_missing_their_label(length):
    x, y = palindrome_batch(500, length, seed=4)
    ref_x, _ = random_combination(length, np.random.default_rng(0))
    assert x.shape == (500, ref_x.shape[0]) == (500, length - 1)
    sizes = (TASK.num_symbols(length), TASK.num_classes(length), TASK.input_length(length))
    assert sizes == (length, length, length - 1)
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        assert sorted([*row, label]) == list(range(length))  # a permutation of 0..L−1 ...
        assert label == (set(range(length)) - set(row)).pop()  # ... whose label is the missing number


def test_random_combinations_labels_and_positions_are_uniform():
    length, n = 6, 6000
    x, y = palindrome_batch(n, length, seed=7)
    expected = n / length
    for counts in (torch.bincount(y, minlength=length), torch.bincount(x[:, 0], minlength=length)):
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < 25  # 5 degrees of freedom: p ≈ 1e-4


def test_baseline_is_one_over_the_length():
    assert TASK.baseline_by_length
    assert TASK.baseline(8) == pytest.approx(1 / 8)
    assert [TASK.baseline(L) for L in (2, 5)] == [0.5, 0.2]
