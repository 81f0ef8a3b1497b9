"""Associative recall: L key–value pairs (keys from one half of a 20-symbol vocabulary, values
from the other; each sequence its own map key → value, keys drawn with replacement), then a
query prefix and a key that occurred; the model answers the key's value. 2L + 2 steps; one
answer, at the last step. As safari's ``assoc_recall`` with ``vocab_size 20`` (``num_keys 1``,
``allow_dot False``); its ``input_seq_len 40`` is L = 20 here.

Source: Fu, Dao et al., *Hungry Hungry Hippos* (ICLR 2023); ``HazyResearch/safari``
``src/dataloaders/synthetics.py``, ``configs/dataset/icl_synthetics.yaml``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import N, Task

V = 20  # the vocabulary: keys 1..10, values 11..20; the query prefix 21; pad 0
KEYS = V // 2
PREFIX = V + 1
_MAP, _QUERY = 1 << 24, 1 << 25  # hash positions of the map and of the query (beyond the pairs')


class Recall(Task):
    name = "recall"
    length_meaning: ClassVar[str] = "key–value pairs L (the input is 2L + 2 steps)"
    min_length: ClassVar[int] = 1
    max_length: ClassVar[int | None] = 50_000
    max_length_why: ClassVar[str] = "seqgraph's bound on one sequence"
    default_length: ClassVar[int] = 20
    encodings: ClassVar[tuple[str, ...]] = ("onehot",)
    baseline_why: ClassVar[str] = "1/10 values"

    def num_symbols(self, length: int) -> int:
        return V + 2

    def num_classes(self, length: int) -> int:
        return V - KEYS  # the label is the value's index 0..9

    def input_length(self, length: N) -> N:
        return 2 * length + 2

    def baseline(self, length: int) -> float:
        """Every key's value is uniform over the 10 values: 1/10."""
        self.check_length(length)
        return 1 / (V - KEYS)

    def baseline_loss(self, length: int) -> float:
        self.check_length(length)
        return math.log(V - KEYS)

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        from seqgraph.tasks.rng import raw_ints, uniform_ints

        device = keys.device
        K, B = keys.shape
        n = int(lengths.max())
        pair_keys = uniform_ints(keys, torch.arange(n, device=device), KEYS)  # (K, B, n): 0..9
        table = uniform_ints(keys, _MAP + torch.arange(KEYS, device=device), V - KEYS)  # (K, B, 10): key → value
        values = table.gather(2, pair_keys)  # (K, B, n)
        q = raw_ints(keys, torch.tensor([_QUERY], device=device)).squeeze(-1) % lengths.view(K, 1)  # (K, B)
        query = pair_keys.gather(2, q.unsqueeze(-1)).squeeze(-1)
        x = torch.zeros(K, B, 2 * n + 2, dtype=torch.long, device=device)
        x[..., 0 : 2 * n : 2] = pair_keys + 1
        x[..., 1 : 2 * n : 2] = values + KEYS + 1
        t = torch.arange(2 * n + 2, device=device)
        end = 2 * lengths.view(K, 1)  # the prefix's step; the query follows
        x.masked_fill_((t >= end).unsqueeze(1), 0)
        x.scatter_(2, end.unsqueeze(-1).expand(K, B, 1), torch.full((K, B, 1), PREFIX, device=device))
        x.scatter_(2, (end + 1).unsqueeze(-1).expand(K, B, 1), (query + 1).unsqueeze(-1))
        return x, table.gather(2, query.unsqueeze(-1)).squeeze(-1)
