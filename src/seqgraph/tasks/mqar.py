"""Multi-query associative recall (MQAR): L key–value pairs, then every key queried again, each
answered by its value. The vocabulary is 256 symbols: keys 1..127, values 128..255 (zoology's
``key_vocab_size = vocab_size // 2``); 0 is the pad. A sequence is 4L steps (zoology's
``input_seq_len = 4 · num_kv_pairs``, its tightest):

- steps 0..2L−1, the context: k₀ v₀ k₁ v₁ … — L distinct keys and L distinct values, each drawn
  uniformly without replacement, in drawn order;
- steps 2L..4L−1, the queries: key j at step 2L + 2·g_j, where the gaps (g_0, …, g_{L−1}) are L
  distinct slots of the L = (4L − 2L)/2 slots drawn one after another with probability
  p_g ∝ (g + 1)^(a−1), a = 0.01 (zoology's ``power_a``: early keys tend to be queried early);
  every other step of the query half (the odd ones, between queries) holds a symbol uniform over
  0..255 (``random_non_queries=True``).

Labels: at a query key's step, its value (zoology's labels, shifted one step left: at the key the
model predicts the token that follows it); IGNORE at every other step. Cross-entropy and accuracy
on those L answers only (:meth:`Mqar.answers`). Labels are symbols (a class per symbol, 256),
as zoology's language-model head over the vocabulary.

How the gaps are drawn: zoology draws them with ``np.random.choice(space, L, replace=False, p)``,
successive sampling; here each slot g races an exponential clock, E_g / p_g with E_g ~ Exp(1)
from the counter-based hash (:mod:`seqgraph.tasks.rng`), and the slots in the order they finish
are g_0, g_1, … — the same distribution (the first to finish is g with probability p_g, and,
clocks being memoryless, the next among the rest with probability ∝ p). With 4L steps every slot
is taken, so the power law orders the queries rather than spacing them.

Deviations from zoology, by choice: the vocabulary is 256 (zoology's basic example; its paper's
figures take 8,192, a one-hot and head too wide for the recurrent models here) and the input length
is tied to L (zoology sets both; its test configs from 16 pairs on take 4L). zoology's
``vocab_size > input_seq_len`` then bounds L at 63.

Source: Arora, Eyuboglu et al., *Zoology: Measuring and Improving Recall in Efficient Language
Models* (2023); ``HazyResearch/zoology`` ``zoology/data/associative_recall.py`` (``multiquery_ar``;
``zoology/data/multiquery_ar.py`` since January 2026, ``num_passes=1``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import IGNORE, N, Target, Task

V = 256  # symbols 0..255: pad (and a filler symbol) 0, keys 1..127, values 128..255
KEY_VOCAB = V // 2  # keys 1..KEY_VOCAB−1, values KEY_VOCAB..V−1
NUM_KEYS, NUM_VALUES = KEY_VOCAB - 1, V - KEY_VOCAB
POWER_A = 0.01  # zoology's power_a: p_g ∝ (g + 1)^(a − 1)
_KEYS, _VALUES, _GAPS = 1 << 24, 1 << 25, 1 << 26  # hash positions of the draws (beyond the fillers')


class Mqar(Task):
    name = "mqar"
    length_meaning: ClassVar[str] = "key–value pairs L (the input is 4L steps)"
    min_length: ClassVar[int] = 1
    max_length: ClassVar[int | None] = (V - 1) // 4
    max_length_why: ClassVar[str] = "zoology's vocab_size > input_seq_len: 4L < 256"
    default_length: ClassVar[int] = 16  # zoology's test config input_seq_len 64, num_kv_pairs 16
    encodings: ClassVar[tuple[str, ...]] = ("onehot",)
    target: ClassVar[Target] = "class-at-steps"
    baseline_why: ClassVar[str] = "values guessed: 1/128"

    def num_symbols(self, length: int) -> int:
        return V

    def num_classes(self, length: int) -> int:
        return V  # the label is the value's symbol

    def input_length(self, length: N) -> N:
        return 4 * length

    def answers(self, y: Tensor, last: Tensor) -> Tensor:
        """The L query answers of each sample: every labelled step."""
        return y != IGNORE

    def baseline(self, length: int) -> float:
        """Each query's value is uniform over the 128 values: 1/128."""
        self.check_length(length)
        return 1 / NUM_VALUES

    def baseline_loss(self, length: int) -> float:
        """ln 128 per answer: the values guessed uniformly."""
        self.check_length(length)
        return math.log(NUM_VALUES)

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        from seqgraph.tasks.rng import raw_ints, uniform_floats, uniform_ints

        device = keys.device
        K, B = keys.shape
        n = int(lengths.max())
        T = 4 * n
        L = lengths.view(K, 1, 1)
        j = torch.arange(n, device=device)
        t = torch.arange(T, device=device)
        # L distinct keys and values in random order: the first L of a random permutation of each
        key = raw_ints(keys, _KEYS + torch.arange(NUM_KEYS, device=device)).argsort(dim=-1, stable=True)[..., :n] + 1
        value = raw_ints(keys, _VALUES + torch.arange(NUM_VALUES, device=device)).argsort(dim=-1, stable=True)[..., :n]
        value = value + KEY_VOCAB  # (K, B, n)
        # the gaps: slot g's exponential clock E_g / p_g; the slots in finishing order
        e = -torch.log1p(-uniform_floats(keys, _GAPS + j, torch.float64))  # (K, B, n) ~ Exp(1)
        clock = e * (j + 1).double() ** (1 - POWER_A)
        gap = clock.masked_fill(j >= L, math.inf).argsort(dim=-1, stable=True)  # (K, B, n); slots ≥ L never first
        where = torch.where(j < L, 2 * L + 2 * gap, T)  # query steps; column T takes the unused
        x = torch.zeros(K, B, T + 1, dtype=torch.long, device=device)
        x[..., : 2 * n] = torch.stack([key, value], -1).view(K, B, 2 * n)
        x[..., :T].masked_fill_(t >= 2 * L, 0)
        filler = uniform_ints(keys, t, V)  # (K, B, T)
        x[..., :T] = torch.where((t >= 2 * L) & (t < 4 * L) & (t % 2 == 1), filler, x[..., :T])
        x.scatter_(2, where, key)
        y = torch.full_like(x, IGNORE)
        y.scatter_(2, where, value)
        return x[..., :T], y[..., :T]
