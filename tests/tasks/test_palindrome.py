import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.tasks.palindrome import (
    EVAL,
    TRAIN,
    binary_sequence_length,
    hash32,
    palindrome_batch,
    palindrome_batches,
    task_spec,
)


def hash32_reference(x: int) -> int:
    """lowbias32 in plain Python integers (the reference for the int64 tensor version)."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


def test_hash_equals_the_32_bit_reference():
    values = [0, 1, 2, 12345, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF,
              *torch.randint(0, 2**32, (200,), generator=torch.Generator().manual_seed(0)).tolist()]
    got = hash32(torch.tensor(values, dtype=torch.long)).tolist()
    assert got == [hash32_reference(v) for v in values]


def decimal(length, batch=256, seed=0, counter=0, stream=TRAIN):
    return palindrome_batch("decimal", batch, length, seed, counter, stream)


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


@pytest.mark.parametrize("task", ["decimal", "binary"])
def test_a_run_gets_the_same_batch_alone_or_among_others(task):
    """K runs of different lengths in one call: each equals the run generated alone, right-padded."""
    lengths, seeds, counters = [9, 4, 14, 4], [1, 2, 3, 2], [0, 5, 2, 6]
    x, y, last = palindrome_batches(task, torch.tensor(lengths), torch.tensor(seeds), torch.tensor(counters), 32)
    for k in range(4):
        xa, ya = palindrome_batch(task, 32, lengths[k], seeds[k], counters[k])
        n = xa.shape[1]
        assert int(last[k]) == n - 1
        assert torch.equal(x[k, :, :n], xa) and torch.equal(y[k], ya)
        assert (x[k, :, n:] == 0).all()  # right padding
    # the order of the runs does not matter either
    order = [2, 0, 3, 1]
    _, y2, _ = palindrome_batches(task, torch.tensor(lengths)[order], torch.tensor(seeds)[order],
                                   torch.tensor(counters)[order], 32)
    assert torch.equal(y2, y[order])


def decode_binary(row):
    """Reference decoder, written independently: strip padding, check the mirror."""
    return [v - 1 for v in row if v != 0]


@pytest.mark.parametrize("length", [4, 10, 20, 7])
def test_binary_batches_follow_the_course_layout(length):
    x, y = palindrome_batch("binary", 300, length, seed=1)
    P = binary_sequence_length(length)
    assert x.shape == (300, P - 1)
    if length % 2 == 0:
        assert P == 4 * length + 2
    for row, target in zip(x.tolist(), y.tolist(), strict=True):
        n_pad = next(i for i, v in enumerate(row) if v != 0)
        assert n_pad >= 2 and all(v == 0 for v in row[:n_pad])  # left padding only
        bits = [*decode_binary(row), target]
        assert all(b in (0, 1) for b in bits)
        assert bits == bits[::-1]  # a palindrome
        assert len(bits) % 2 == 0 and len(bits) // 2 <= 4 * ((length + 1) // 2)
        assert target == bits[0]


def test_binary_left_half_decodes_into_digits_0_to_8_and_both_orders_occur():
    x, y = palindrome_batch("binary", 2000, 2, seed=2)  # one digit per sample
    values = set()
    for row, t in zip(x.tolist(), y.tolist(), strict=True):
        bits = [*decode_binary(row), t]
        half = bits[: len(bits) // 2]
        value = int("".join(map(str, half)), 2)
        rev = int("".join(map(str, half[::-1])), 2)
        assert value <= 8 or rev <= 8
        values.add(value)
    assert {1, 2, 4, 8} <= values  # 2 = "10", 4 = "100", 8 = "1000" unreversed ...
    assert values & {5, 3}  # ... and e.g. 6 = "110" reversed to "011" = 3 occurs


def test_task_spec():
    d = task_spec("decimal", 5)
    assert (d.num_symbols, d.num_classes, d.input_length) == (10, 10, 4)
    s = task_spec("binary", 10)
    assert (s.num_symbols, s.num_classes, s.input_length) == (3, 2, 41)
    assert task_spec("binary", 20).input_length == 81


@pytest.mark.parametrize("task, length", [("decimal", 1), ("decimal", 0), ("trinary", 5)])
def test_bad_task_or_length(task, length):
    with pytest.raises(ConfigError):
        palindrome_batch(task, 4, length, seed=0)


def test_baseline_is_one_tenth_for_decimal_and_the_majority_rate_two_thirds_for_binary():
    from seqgraph.tasks.palindrome import baseline_accuracy

    assert baseline_accuracy("decimal", 7) == 0.1
    # by hand (2020 datasets.py): unflipped, label = leading bit of a digit 0–8: 1 unless 0 (8/9);
    # flipped, label = parity of a digit 0–8 (4/9); the mean is 2/3
    for L in (4, 10, 21):
        assert baseline_accuracy("binary", L) == pytest.approx((8 / 9 + 4 / 9) / 2, abs=0.005)
