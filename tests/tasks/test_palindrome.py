import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.tasks.palindrome import (
    binary_palindromes,
    binary_sequence_length,
    decimal_palindromes,
    palindrome_batch,
    task_spec,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("length", [2, 3, 5, 10, 11, 80])
def test_decimal_batches_are_palindromes_whose_last_digit_is_the_first(length):
    x, y = decimal_palindromes(256, length, gen())
    assert x.shape == (256, length - 1) and y.shape == (256,)
    full = torch.cat([x, y[:, None]], 1)
    assert torch.equal(full, full.flip(1))
    assert torch.equal(y, x[:, 0])
    assert x.min() >= 0 and x.max() <= 9


def test_decimal_digits_cover_all_values():
    x, _ = decimal_palindromes(1000, 5, gen())
    assert set(x.unique().tolist()) == set(range(10))


def decode_binary(row):
    """Reference decoder, written independently: strip padding, check the mirror."""
    bits = [v - 1 for v in row if v != 0]
    return bits


@pytest.mark.parametrize("length", [4, 10, 20, 7])
def test_binary_batches_follow_the_course_layout(length):
    x, y = binary_palindromes(300, length, gen(1))
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


def test_binary_left_half_decodes_into_digits_0_to_8():
    # with flip off, the left half is the digits' binary forms without leading zeros; the
    # count of 1 bits of each digit 0..8 is at most 3 (8 = 1000 has one) — check a weaker but
    # independent property: the left half never holds 1111 (15) or 1001 (9) as a digit
    x, y = binary_palindromes(2000, 2, gen(2))  # one digit per sample
    for row, t in zip(x.tolist(), y.tolist(), strict=True):
        bits = [*decode_binary(row), t]
        half = bits[: len(bits) // 2]
        value = int("".join(map(str, half)), 2)
        rev = int("".join(map(str, half[::-1])), 2)
        assert value <= 8 or rev <= 8


def test_same_seed_same_batch_and_different_seed_different_batch():
    a = palindrome_batch("binary", 64, 10, gen(7))
    b = palindrome_batch("binary", 64, 10, gen(7))
    c = palindrome_batch("binary", 64, 10, gen(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_task_spec():
    d = task_spec("decimal", 5)
    assert (d.num_symbols, d.num_classes, d.input_length) == (10, 10, 4)
    s = task_spec("binary", 10)
    assert (s.num_symbols, s.num_classes, s.input_length) == (3, 2, 41)
    assert task_spec("binary", 20).input_length == 81


@pytest.mark.parametrize("task, length", [("decimal", 1), ("decimal", 0), ("trinary", 5)])
def test_bad_task_or_length(task, length):
    with pytest.raises(ConfigError):
        palindrome_batch(task, 4, length, gen())
