"""Selective copying: M = 10 tokens from {1..8} at random, distinct positions (in order) among the
first M + T steps — the other steps noise-free blanks (0) — then M markers (9); at the marker
steps the model answers the tokens in order. Loss and accuracy on the M answers only. T + 2M
steps. As ``torch_copying_data(L=T, M=10, A=10, variable=True)``.

Source: Gu & Dao, *Mamba* (2023), §3.1 and E.1; ``state-spaces/s4``
``src/dataloaders/datasets/copying.py``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import IGNORE, N, Target, Task

M, A = 10, 10  # tokens to copy; vocabulary: blank 0, tokens 1..A−2, marker A−1
_PLACES = 1 << 24  # hash positions that order the steps (beyond the tokens')


class SelectiveCopy(Task):
    name = "selective-copy"
    length_meaning: ClassVar[str] = "noise steps T (the input is T + 20 steps)"
    min_length: ClassVar[int] = 1
    max_length: ClassVar[int | None] = 100_000
    max_length_why: ClassVar[str] = "seqgraph's bound on one sequence"
    default_length: ClassVar[int] = 100
    encodings: ClassVar[tuple[str, ...]] = ("onehot",)
    target: ClassVar[Target] = "class-at-steps"
    answer_steps: ClassVar[int] = M
    baseline_why: ClassVar[str] = "tokens guessed: 1/8"

    def num_symbols(self, length: int) -> int:
        return A

    def num_classes(self, length: int) -> int:
        return A - 1  # blank and the tokens (answers are tokens)

    def input_length(self, length: N) -> N:
        return length + 2 * M

    def baseline(self, length: int) -> float:
        self.check_length(length)
        return 1 / (A - 2)

    def baseline_loss(self, length: int) -> float:
        """ln 8 per answer: the tokens are uniform over the 8 values."""
        self.check_length(length)
        return math.log(A - 2)

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        from seqgraph.tasks.rng import raw_ints, uniform_ints

        device = keys.device
        K, B = keys.shape
        n = lengths + 2 * M
        span = lengths + M  # (K,): the steps tokens may take
        S = int(span.max())
        tokens = uniform_ints(keys, torch.arange(M, device=device), A - 2) + 1  # (K, B, M)
        order = raw_ints(keys, _PLACES + torch.arange(S, device=device))  # (K, B, S)
        order = order.masked_fill(torch.arange(S, device=device) >= span.view(K, 1, 1), 1 << 33)
        where = order.argsort(dim=-1, stable=True)[..., :M].sort(-1).values  # M distinct steps, in order
        x = torch.zeros(K, B, int(n.max()), dtype=torch.long, device=device)
        x.scatter_(2, where, tokens)
        t = torch.arange(x.shape[-1], device=device)
        answer = (t >= span.unsqueeze(1)) & (t < n.unsqueeze(1))  # (K, T): the marker steps
        x.masked_fill_(answer.unsqueeze(1), A - 1)
        y = torch.full_like(x, IGNORE)
        y.scatter_(2, span.view(K, 1, 1) + torch.arange(M, device=device).expand(K, B, M), tokens)
        return x, y
