"""Binary palindromes (the 2020 course's layout) against a decoder written in the test."""

import pytest

from seqgraph.tasks.binary import binary_sequence_length
from seqgraph.tasks.registry import get_task

TASK = get_task("binary")


def palindrome_batch(batch, length, seed):
    return TASK.batch(batch, length, seed)


def decode_binary(row):
    """Reference decoder, written independently: strip padding, check the mirror."""
    return [v - 1 for v in row if v != 0]


@pytest.mark.parametrize("length", [4, 10, 20, 7])
def test_binary_batches_follow_the_course_layout(length):
    x, y = palindrome_batch(300, length, seed=1)
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
    x, y = palindrome_batch(2000, 2, seed=2)  # one digit per sample
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


def test_sizes():
    assert (TASK.num_symbols(10), TASK.num_classes(10), TASK.input_length(10)) == (3, 2, 41)
    assert TASK.input_length(20) == 81


def test_baseline_is_the_majority_rate_two_thirds():
    # by hand (2020 datasets.py): unflipped, label = leading bit of a digit 0–8: 1 unless 0 (8/9);
    # flipped, label = parity of a digit 0–8 (4/9); the mean is 2/3
    for L in (4, 10, 21):
        assert TASK.baseline(L) == pytest.approx((8 / 9 + 4 / 9) / 2, rel=1e-12)
