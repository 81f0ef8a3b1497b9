"""Counter-based random numbers: every draw is a hash of (run seed, stream, counter, sample,
position), so a run's batches are a pure function of its own seed and step — the same whether
the run trains alone or beside 255 others, in any order, on the CPU or a GPU.
"""

from __future__ import annotations

import torch
from torch import Tensor

M32 = 0xFFFFFFFF


def _mul32(x: Tensor, c: int) -> Tensor:
    """``(x · c) mod 2³²`` for x in [0, 2³²), in int64 without overflow (c split in halves)."""
    lo, hi = c & 0xFFFF, c >> 16
    return (x * lo + (((x * hi) & 0xFFFF) << 16)) & M32


def hash32(x: Tensor) -> Tensor:
    """lowbias32 (C. Wellons' integer hash): a bijection of [0, 2³²) with full avalanche.
    ``x``: int64 in [0, 2³²), any shape."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def combine(h: Tensor, v: Tensor) -> Tensor:
    """A key for the pair (h, v): ``hash32(h ⊕ hash32(v + φ))``, broadcasting h against v."""
    return hash32(h ^ hash32((v + 0x9E3779B9) & M32))


def sample_keys(seeds: Tensor, counters: Tensor, batch: int, stream: int) -> Tensor:
    """One 32-bit key per (run, sample): ``(K, B)`` from run seeds and counters ``(K,)``."""
    seeds = seeds.long()
    key = combine(seeds & M32, seeds >> 32)
    key = combine(key, torch.full_like(key, stream))
    key = combine(key, counters.long() & M32)  # (K,)
    b = torch.arange(batch, device=seeds.device)
    return combine(key.unsqueeze(1), b)  # (K, B)


def uniform_ints(keys: Tensor, positions: Tensor, high: int) -> Tensor:
    """Integers in [0, high) per key and position: ``keys (K, B)``, ``positions (n,)`` →
    ``(K, B, n)``. (The modulo bias is below 10⁻⁹ for the small ``high`` used here.)"""
    return combine(keys.unsqueeze(-1), positions) % high


def raw_ints(keys: Tensor, positions: Tensor) -> Tensor:
    """32-bit hashes per key and position: ``keys (K, B)``, ``positions (n,)`` → ``(K, B, n)``
    int64 in [0, 2³²) (take them modulo a per-run bound)."""
    return combine(keys.unsqueeze(-1), positions)


def uniform_floats(keys: Tensor, positions: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """U[0, 1) per key and position, on the 2⁻²⁴ grid (exact in float32): ``(K, B, n)``."""
    return (raw_ints(keys, positions) >> 8).to(dtype) * 2.0**-24
