"""Baum–Sweet labels (the 2020 course's ``BaumSweetSequenceDataset``): an integer drawn uniformly
from [10, 10^L], written in binary without leading zeros and left-padded to 4L symbols from {pad,
0, 1}; the label is 1 when the binary string has no block of zeros of odd length (the Baum–Sweet
sequence), else 0. As the template, a draw labelled 0 is kept only with probability 0.016724
(else drawn again), which balances the labels. The model reads all 4L symbols (L ≤ 18).

Source: ``uvadlc/uvadlc_practicals_2020`` ``assignment_2/2_recurrentnns_gnns/code/Part 1/datasets.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor

from seqgraph.tasks.base import N, Task

BAUM_SWEET_MAX_LENGTH = 18  # 10^L must fit in 63 bits
BAUM_SWEET_KEEP_ZERO = 16724  # per 10⁶: the template keeps a draw labelled 0 with probability 0.016724
_ATTEMPTS = 32  # draws tried per round (rounds repeat for the samples still drawing)


_EVEN_BITS = 0x5555555555555555  # bits 0, 2, 4, … (as a non-negative int64)


def baum_sweet_label(n: Tensor, bits: int = 63) -> Tensor:
    import torch

    r"""1 where the binary form of ``n`` (int64 ≥ 1, any shape) has no block of zeros of odd
    length, else 0 (the Baum–Sweet sequence). ``bits``: how many low bits to read (≤ 63).

    Bit-parallel, a few whole-tensor ops whatever the width. With z the zeros of n below its
    leading 1 (each block of zeros is a run of ones in z) and E the even bit positions:

    * ``lo = z & ~(z << 1)``: the lowest bit of each run;
    * ``R_e = z & ~(z + (lo & E))``: the runs that start at an even position (adding a run's
      lowest bit carries through the run and clears it; the carry lands on the 0 above it);
      ``R_o = z ^ R_e`` the runs that start at an odd one;
    * a run starting at an even position has even length iff it is a union of aligned pairs
      (2k, 2k + 1), i.e. its even bits shifted up by one are exactly its odd bits:
      ``(R_e & E) << 1 == R_e & ~E``; for runs starting at odd positions the pairs are
      (2k + 1, 2k + 2): ``(R_o & ~E) << 1 == R_o & E``.

    Shapes:
        n ``(...)`` int64 → labels ``(...)`` int64.
    """
    if bits < 63:
        n = n & ((1 << bits) - 1)
    below = n >> 1  # smear the leading 1 down: 2^top − 1 marks the bits below it
    for s in (1, 2, 4, 8, 16, 32):
        below = below | (below >> s)
    z = ~n & below  # the zeros of n below its leading 1
    even = torch.tensor(_EVEN_BITS, dtype=n.dtype, device=n.device)
    odd = ~even
    lo = z & ~(z << 1)
    r_even = z & ~(z + (lo & even))
    r_odd = z ^ r_even
    ok = (((r_even & even) << 1) == (r_even & odd)) & (((r_odd & odd) << 1) == (r_odd & even))
    return ok.long()


def baum_sweet_ones(N: int) -> int:
    r"""How many integers in [1, N] have Baum–Sweet label 1 (no block of zeros of odd length).

    Exact, by counting over the binary digits of N. A label-1 integer is a 1 followed by a
    string of the blocks ``1`` and ``00``; the strings of r symbols that continue from the end
    of an even block of zeros (or a 1) are :math:`e_r = e_{r-1} + e_{r-2}` (``1`` then any, or
    ``00`` then any; :math:`e_0 = e_1 = 1`), and from the middle of an odd block
    :math:`o_r = e_{r-1}` (a ``0`` must come first). So the label-1 integers of exactly k bits
    number :math:`e_{k-1}`, and those below N that share N's first bits up to a 1 of N, where they
    have a 0 instead, number :math:`e_r` or :math:`o_r` after that 0 (r bits left), by the
    parity of the block of zeros it ends in.
    """
    if N < 1:
        return 0
    bits = bin(N)[2:]
    k = len(bits)
    e = [1, 1]
    for _ in range(k):
        e.append(e[-1] + e[-2])

    def rest(odd: bool, r: int) -> int:  # completions of r bits from a state
        return (e[r - 1] if r else 0) if odd else e[r]

    total = sum(e[j - 1] for j in range(1, k))  # every label-1 integer with fewer bits than N
    odd = False  # parity of the current block of zeros in N's prefix (after its leading 1)
    for pos in range(1, k):
        r = k - 1 - pos  # bits after this one
        if bits[pos] == "1":
            total += rest(not odd, r)  # a 0 here instead of N's 1: the block grows by one
            if odd:
                return total  # N's own prefix has an odd block closed by this 1: nothing more
            odd = False
        else:
            odd = not odd
    return total + (0 if odd else 1)  # N itself


def baum_sweet_label_rate(length: int) -> float:
    r"""The rate of label 1 in the Baum–Sweet task at length L, exactly.

    The template (``BaumSweetSequenceDataset``, ``uvadlc/uvadlc_practicals_2020``
    ``assignment_2/2_recurrentnns_gnns/code/Part 1/datasets.py``) draws n uniformly from
    [10, 10^L] and keeps a draw labelled 0 with probability k = 0.016724 (else draws again). With
    p the fraction of label-1 integers in [10, 10^L] (:func:`baum_sweet_ones`), a kept sample is
    labelled 1 with probability :math:`p / (p + k(1 - p))`.
    """
    total = 10**length - 9
    ones = baum_sweet_ones(10**length) - baum_sweet_ones(9)
    p = ones / total
    k = BAUM_SWEET_KEEP_ZERO / 10**6
    return p / (p + k * (1 - p))


class BaumSweet(Task):
    name = "baum-sweet"
    length_meaning = "L: integers up to 10^L"
    max_length = BAUM_SWEET_MAX_LENGTH
    max_length_why = "integers up to 10^L are drawn in 63 bits"
    baseline_by_length = True

    def num_symbols(self, length: int) -> int:
        return 3  # pad, 0, 1

    def num_classes(self, length: int) -> int:
        return 2

    def input_length(self, length: N) -> N:
        return 4 * length

    def baseline(self, length: int) -> float:
        """The majority label's rate at length L, exactly (:func:`baum_sweet_label_rate`): 0.950
        at L = 2 (label 1: the template rejects most draws labelled 0), 0.504 at L = 6, 0.941 at
        L = 10 (label 0: label-1 integers get rare as they grow), 0.9998 at L = 18."""
        self.check_length(length)
        p1 = baum_sweet_label_rate(length)
        return max(p1, 1.0 - p1)

    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Draw j of a sample uses the hash positions 19j + (0..L−1) for the L decimal digits of
        an integer (uniform over [0, 10^L); a value above 10^L − 10 is a rejected draw, so
        N = value + 10 is uniform over [10, 10^L]) and 19j + 18 for the keep-a-0 test. A
        sample takes its first kept draw; rounds of ``_ATTEMPTS`` draws repeat for the samples
        that have none yet (only for those: a round after the first is a fraction of the work).
        Which draw a sample takes depends only on its key, never on the rounds."""
        import torch

        from seqgraph.tasks.rng import uniform_ints

        device = keys.device
        K, B = keys.shape
        L_max = int(lengths.max())
        T = 4 * L_max
        stride = BAUM_SWEET_MAX_LENGTH + 1  # fixed: a run's draws never depend on the batch's longest run
        i = torch.arange(L_max, device=device)
        slots = torch.cat([i, torch.tensor([stride - 1], device=device)])  # digits 0..L−1; 18: keep-a-0
        powers = torch.tensor(10, device=device) ** i  # (L_max,)
        attempt = torch.arange(_ATTEMPTS, device=device)
        flat_keys = keys.reshape(-1)  # (N,) samples, run-major
        flat_L = lengths.repeat_interleave(B)  # (N,)
        chosen = torch.zeros(K * B, dtype=torch.long, device=device)
        todo = torch.arange(K * B, device=device)  # samples without a kept draw yet
        start = 0
        while todo.numel():
            M = todo.numel()
            L = flat_L[todo].view(M, 1)
            pos = (attempt + start).unsqueeze(1) * stride + slots  # (A, L_max + 1)
            u = uniform_ints(flat_keys[todo], pos.flatten(), 10**6).view(M, _ATTEMPTS, L_max + 1)
            digits = u[..., :L_max] % 10  # 10 divides 10⁶: uniform digits
            digits = torch.where(i < L.unsqueeze(-1), digits, torch.zeros_like(digits))
            value = (digits * powers).sum(-1)  # (M, A) uniform in [0, 10^L)
            n = value + 10
            keep_zero = u[..., L_max] < BAUM_SWEET_KEEP_ZERO
            keep = (value <= 10**L - 10) & ((baum_sweet_label(n) == 1) | keep_zero)
            first = torch.where(keep, attempt, _ATTEMPTS).min(-1).values  # (M,)
            found = first < _ATTEMPTS
            chosen[todo[found]] = n[found].gather(1, first[found].unsqueeze(1)).squeeze(1)
            todo = todo[~found]
            start += _ATTEMPTS
        chosen = chosen.view(K, B)
        k_pos = torch.arange(T, device=device)
        # (K, 1, T): which bit of the integer symbol k of the run's 4L-symbol frame shows, most significant first
        shift = 4 * lengths.view(K, 1, 1) - 1 - k_pos
        bits = (chosen.unsqueeze(-1) >> shift.clamp(min=0)) & 1  # (K, B, T)
        lead = (bits.cumsum(-1) > 0) & (shift >= 0)
        x = torch.where(lead, bits + 1, torch.zeros_like(bits))
        return x, baum_sweet_label(chosen)
