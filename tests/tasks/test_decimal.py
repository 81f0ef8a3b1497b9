"""Decimal palindromes against their definition written out."""

import pytest
import torch

from seqgraph.tasks.base import EVAL, TRAIN
from seqgraph.tasks.registry import get_task

TASK = get_task("decimal")


def decimal(length, batch=256, seed=0, counter=0, stream=TRAIN):
    return TASK.batch(batch, length, seed, counter, stream)


@pytest.mark.parametrize("length", [2, 3, 5, 10, 11, 80])
def test_decimal_batches_are_palindromes_whose_last_digit_is_the_first(length):
    x, y = decimal(length)
    assert x.shape == (256, length - 1) and y.shape == (256,)
    full = torch.cat([x, y[:, None]], 1)
    assert torch.equal(full, full.flip(1))
    assert torch.equal(y, x[:, 0])
    assert x.min() >= 0 and x.max() <= 9


def test_digits_are_uniform_and_independent_of_position():
    x, _ = decimal(41, batch=4096)
    counts = torch.bincount(x[:, :20].reshape(-1), minlength=10).double()  # the drawn half
    expected = counts.sum() / 10
    assert ((counts - expected).abs() < 5 * expected.sqrt()).all()  # within 5 sigma
    # neighbouring positions are not correlated
    a, b = x[:, 0].double(), x[:, 1].double()
    corr = ((a - a.mean()) * (b - b.mean())).mean() / (a.std() * b.std())
    assert abs(float(corr)) < 0.06


def test_batches_depend_on_seed_counter_and_stream_only():
    base = decimal(12, seed=7, counter=3)
    assert torch.equal(decimal(12, seed=7, counter=3)[0], base[0])
    for other in (decimal(12, seed=8, counter=3), decimal(12, seed=7, counter=4),
                  decimal(12, seed=7, counter=3, stream=EVAL)):
        assert not torch.equal(other[0], base[0])
    big = 2**40 + 7  # seeds above 32 bits are distinct from their low half
    assert not torch.equal(decimal(12, seed=big)[0], decimal(12, seed=7)[0])


def test_sizes_and_baseline():
    assert (TASK.num_symbols(5), TASK.num_classes(5), TASK.input_length(5)) == (10, 10, 4)
    assert TASK.baseline(7) == 0.1
