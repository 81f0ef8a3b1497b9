"""The adding problem: T steps of two channels, a value U(0, 1) and a marker; one marker falls in
the first half (step in [0, ⌊T/2⌋)), one in the second ([⌊T/2⌋, T)); the target is the sum of the
two marked values. Mean squared error.

Source: Hochreiter & Schmidhuber, *Long Short-Term Memory* (1997), experiment 4; Le, Jaitly &
Hinton, *A Simple Way to Initialize Recurrent Networks of Rectified Linear Units* (2015);
``state-spaces/s4`` ``src/dataloaders/datasets/adding.py`` (``torch_adding_data``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import N, Target, Task

_MARKS = 1 << 30  # the positions whose hashes place the two markers (beyond any value's)


class Adding(Task):
    name = "adding"
    length_meaning: ClassVar[str] = "sequence length T"
    min_length: ClassVar[int] = 2
    max_length: ClassVar[int | None] = 100_000
    max_length_why: ClassVar[str] = "seqgraph's bound on one sequence"
    default_length: ClassVar[int] = 100
    encodings: ClassVar[tuple[str, ...]] = ("features",)
    target: ClassVar[Target] = "value-at-last"
    loss: ClassVar[str] = "mean squared error"
    metric: ClassVar[str] = "mse"
    baseline_why: ClassVar[str] = "always 1: Var(U + U) = 1/6"

    def num_symbols(self, length: int) -> int:
        return 0  # no symbols: two features

    def num_features(self, length: int) -> int:
        return 2

    def num_classes(self, length: int) -> int:
        return 1  # one real output

    def input_length(self, length: N) -> N:
        return length

    def baseline(self, length: int) -> float:
        """MSE of always answering E[U₁ + U₂] = 1: Var(U₁ + U₂) = 2 · 1/12 = 1/6."""
        self.check_length(length)
        return 1 / 6

    def baseline_loss(self, length: int) -> float:
        return self.baseline(length)

    def solved(self, metric: float, length: int) -> bool:
        """Held-out MSE at most 1% of the baseline's."""
        return metric <= 0.01 * self.baseline(length)

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        from seqgraph.tasks.rng import raw_ints, uniform_floats

        device = keys.device
        K = keys.shape[0]
        T = int(lengths.max())
        t = torch.arange(T, device=device)
        values = uniform_floats(keys, t)  # (K, B, T)
        half = (lengths // 2).view(K, 1)
        raw = raw_ints(keys, torch.tensor([_MARKS, _MARKS + 1], device=device))  # (K, B, 2)
        first = raw[..., 0] % half
        second = half + raw[..., 1] % (lengths.view(K, 1) - half)
        marks = ((t == first.unsqueeze(-1)) | (t == second.unsqueeze(-1))).to(values.dtype)
        values = values.masked_fill((t >= lengths.view(K, 1, 1)), 0.0)  # right padding
        x = torch.stack([values, marks], -1)  # (K, B, T, 2)
        y = (values * marks).sum(-1)
        return x, y
