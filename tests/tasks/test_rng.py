"""The counter-based random numbers every task draws from."""

import torch

from seqgraph.tasks.rng import hash32


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
