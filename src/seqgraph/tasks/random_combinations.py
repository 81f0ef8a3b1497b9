"""Random combinations (the 2020 course's ``RandomCombinationsDataset``): a random permutation of
0..L−1; the model reads the first L − 1 numbers and predicts the missing last one (L classes).

Source: ``uvadlc/uvadlc_practicals_2020`` ``assignment_2/2_recurrentnns_gnns/code/Part 1/datasets.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import N, Task


class RandomCombinations(Task):
    name = "random-combinations"
    length_meaning: ClassVar[str] = "L: the numbers 0..L−1 are permuted"
    baseline_by_length = True
    baseline_why = "1/L"

    def num_symbols(self, length: int) -> int:
        return length

    def num_classes(self, length: int) -> int:
        return length

    def input_length(self, length: N) -> N:
        return length - 1

    def baseline(self, length: int) -> float:
        """The template's label is ``seq[-1]`` of ``np.random.permutation(L)``, uniform over
        0..L−1 because every position of a uniform permutation is: 1/L."""
        self.check_length(length)
        return 1.0 / length

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """A permutation of 0..L−1 per sample: the numbers sorted by a hash key each (ties, at
        about L²/2³³, fall back to the smaller number first)."""
        import torch

        from seqgraph.tasks.rng import combine

        device = keys.device
        K, _ = keys.shape
        L_max = int(lengths.max())
        p = torch.arange(L_max, device=device)
        h = combine(keys.unsqueeze(-1), p)  # (K, B, L_max) in [0, 2³²)
        h = torch.where(p < lengths.view(K, 1, 1), h, torch.full_like(h, 1 << 32))  # numbers ≥ L sort last
        perm = torch.sort(h, dim=-1, stable=True).indices  # (K, B, L_max)
        y = perm.gather(2, (lengths - 1).view(K, 1, 1).expand(-1, keys.shape[1], 1)).squeeze(-1)
        x = perm[..., : L_max - 1].clone()
        x.masked_fill_(p[: L_max - 1] >= (lengths - 1).view(K, 1, 1), 0)  # right padding
        return x, y
