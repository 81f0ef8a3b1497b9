"""Decimal palindromes (the course's task): a palindrome of length L over the digits 0–9; the
model reads the first L − 1 digits and predicts the last, which equals the first — so it must
remember the first digit over L − 1 steps.

Source: ``uvadlc/uvadlc_practicals_2018`` ``assignment_2/part1/dataset.py`` (``PalindromeDataset``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import N, Task


class Decimal(Task):
    name = "decimal"
    baseline_why = "1/10"

    def num_symbols(self, length: int) -> int:
        return 10

    def num_classes(self, length: int) -> int:
        return 10

    def input_length(self, length: N) -> N:
        return length - 1

    def baseline(self, length: int) -> float:
        """Labels are uniform over the 10 digits: 1/10 (however many classes the head has)."""
        self.check_length(length)
        return 0.1

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        from seqgraph.tasks.rng import uniform_ints

        device = keys.device
        half = (lengths + 1) // 2  # the digits drawn; the rest mirrors them
        T = int(lengths.max()) - 1
        digits = uniform_ints(keys, torch.arange(int(half.max()), device=device), 10)  # (K, B, n)
        p = torch.arange(T, device=device)
        L = lengths.unsqueeze(1)  # (K, 1)
        src = torch.where(p < half.unsqueeze(1), p, L - 1 - p).clamp(min=0)  # full[p] = half[src]
        x = digits.gather(2, src.unsqueeze(1).expand(-1, keys.shape[1], -1))
        x = x.masked_fill((p >= L - 1).unsqueeze(1), 0)  # right padding
        return x, digits[..., 0]  # the last digit equals the first
