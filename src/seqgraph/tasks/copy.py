"""The copy task (the uRNN memory problem): 10 symbols from {1..8}, T − 1 blanks (0), a marker
(9), then 10 blanks — T + 20 steps; the target is a blank at each of the first T + 10 steps,
then the 10 symbols in order. Cross-entropy at every step; accuracy on the 10 recalled symbols.

Source: Arjovsky, Shah & Bengio, *Unitary Evolution Recurrent Neural Networks* (ICML 2016);
``stwisdom/urnn`` ``memory_problem.py``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import IGNORE, N, Target, Task

SYMBOLS, MARKER, RECALL = 8, 9, 10  # symbols 1..8, the marker, how many are copied


class Copy(Task):
    name = "copy"
    length_meaning: ClassVar[str] = "delay T (the input is T + 20 steps)"
    min_length: ClassVar[int] = 1
    max_length: ClassVar[int | None] = 100_000
    max_length_why: ClassVar[str] = "seqgraph's bound on one sequence"
    default_length: ClassVar[int] = 100
    encodings: ClassVar[tuple[str, ...]] = ("onehot",)
    target: ClassVar[Target] = "class-at-steps"
    answer_steps: ClassVar[int] = RECALL
    baseline_by_length: ClassVar[bool] = False
    baseline_why: ClassVar[str] = "the 10 symbols guessed: 1/8"

    def num_symbols(self, length: int) -> int:
        return 10  # blank 0, symbols 1..8, marker 9

    def num_classes(self, length: int) -> int:
        return 9  # blank 0, symbols 1..8

    def input_length(self, length: N) -> N:
        return length + 20

    def baseline(self, length: int) -> float:
        """Accuracy on the recalled symbols of a model that knows only where they come: 1/8."""
        self.check_length(length)
        return 1 / SYMBOLS

    def baseline_loss(self, length: int) -> float:
        """10·ln 8 / (T + 20): blanks predicted surely, the 10 symbols uniformly (uRNN, §4.1)."""
        self.check_length(length)
        return RECALL * math.log(SYMBOLS) / (length + 20)

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        from seqgraph.tasks.rng import uniform_ints

        device = keys.device
        K, B = keys.shape
        n = lengths + 20  # (K,)
        t = torch.arange(int(n.max()), device=device)
        symbols = uniform_ints(keys, torch.arange(RECALL, device=device), SYMBOLS) + 1  # (K, B, 10)
        x = torch.zeros(K, B, t.numel(), dtype=torch.long, device=device)
        x[..., :RECALL] = symbols
        x.masked_fill_((t == (lengths + 9).unsqueeze(1)).unsqueeze(1), MARKER)
        y = torch.zeros_like(x)
        start = (n - RECALL).view(K, 1, 1)  # the recall steps: n − 10 .. n − 1
        where = (start + torch.arange(RECALL, device=device)).expand(K, B, RECALL)
        y.scatter_(2, where, symbols)
        y.masked_fill_((t >= n.unsqueeze(1)).unsqueeze(1), IGNORE)  # right padding takes no loss
        return x, y
