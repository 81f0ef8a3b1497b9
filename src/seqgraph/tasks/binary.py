"""Binary palindromes (the 2020 course variant): ⌈L/2⌉ random digits 0–8, each written in binary
without leading zeros, concatenated (reversed with probability ½), then mirrored; the bit string
is left-padded to ``8⌈L/2⌉ + 2`` symbols (= 4L + 2 for even L) from {pad, 0, 1}. The model reads
all but the last symbol and predicts the last bit.

Source: ``uvadlc/uvadlc_practicals_2020`` ``assignment_2/2_recurrentnns_gnns/code/Part 1/datasets.py``
(``BinaryPalindromeDataset``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import N, Task

_FLIP = 1 << 20  # the position whose hash decides a sample's reversal (beyond any digit)


def binary_sequence_length(length: int) -> int:
    """Padded length of a binary palindrome of ``length`` digits: 8⌈L/2⌉ + 2."""
    return 8 * ((length + 1) // 2) + 2


class Binary(Task):
    name = "binary"
    length_meaning: ClassVar[str] = "palindrome length L in decimal digits"

    def num_symbols(self, length: int) -> int:
        return 3  # pad, 0, 1

    def num_classes(self, length: int) -> int:
        return 2

    def input_length(self, length: N) -> N:
        return 8 * ((length + 1) // 2) + 1

    def baseline(self, length: int) -> float:
        """2/3 at every L: the label is the string's first bit. Unreversed, that is the first
        digit's leading bit, 1 unless the digit is 0 (probability 8/9); reversed, the last
        digit's lowest bit, 1 for the odd digits 1, 3, 5, 7 (4/9); so P(1) = (8/9 + 4/9)/2."""
        self.check_length(length)
        return 2 / 3

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        import torch

        from seqgraph.tasks.rng import uniform_ints

        device = keys.device
        K, B = keys.shape
        n = (lengths + 1) // 2  # digits per run
        P = 8 * n + 2  # padded sequence length per run
        n_max, P_max = int(n.max()), int(P.max())
        j = torch.arange(n_max, device=device)
        digits = uniform_ints(keys, j, 9)  # (K, B, n_max), digits 0–8
        flip = uniform_ints(keys, torch.tensor([_FLIP], device=device), 2).squeeze(-1).bool()  # (K, B)
        # bits of each digit, most significant first, in 4 slots; valid = no leading zeros
        shifts = torch.arange(3, -1, -1, device=device)
        bits = (digits.unsqueeze(-1) >> shifts) & 1  # (K, B, n, 4)
        nbits = torch.clamp(torch.floor(torch.log2(digits.clamp(min=1).float())).long() + 1, min=1)
        valid = (shifts < nbits.unsqueeze(-1)) & (j < n.view(K, 1, 1)).unsqueeze(-1)
        bits, valid = bits.reshape(K, B, -1), valid.reshape(K, B, -1)
        k = valid.sum(-1, keepdim=True)  # bits in the left half
        pos = valid.long().cumsum(-1) - 1  # position of each valid bit in the left half
        pos = torch.where(flip.unsqueeze(-1), k - 1 - pos, pos)
        pad = P.view(K, 1, 1) - 2 * k
        out = torch.zeros(K, B, P_max, dtype=torch.long, device=device)
        sym = torch.where(valid, bits + 1, torch.zeros_like(bits))
        left = torch.where(valid, pad + pos, torch.zeros_like(pos))
        right = torch.where(valid, pad + 2 * k - 1 - pos, torch.zeros_like(pos))
        # invalid slots scatter 0 into column 0, which is always padding (pad ≥ 2)
        out.scatter_add_(2, left, sym)
        out.scatter_add_(2, right, sym)
        last = (P - 1).view(K, 1, 1).expand(K, B, 1)
        y = out.gather(2, last).squeeze(-1) - 1
        x = out[..., : P_max - 1].clone()
        x.masked_fill_(torch.arange(P_max - 1, device=device) >= (P - 1).view(K, 1, 1), 0)  # the target is no input
        return x, y
