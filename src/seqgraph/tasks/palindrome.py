"""Palindrome memory tasks, generated on the fly as whole batches on the target device.

Decimal (the course's task): a palindrome of length L over digits 0–9; the model reads the
first L−1 digits and predicts the last, which equals the first — so it must remember the
first digit over L−1 steps.

Binary (the 2020 course variant): ⌈L/2⌉ random digits 0–8, each written in binary without
leading zeros, concatenated (reversed with probability ½), then mirrored; the bit string is
left-padded to ``8⌈L/2⌉ + 2`` symbols (= 4L + 2 for even L) from {pad, 0, 1}. The model reads
all but the last symbol and predicts the last bit.

Baum–Sweet (the 2020 course's ``BaumSweetSequenceDataset``): an integer drawn uniformly from
[10, 10^L], written in binary without leading zeros and left-padded to 4L symbols from {pad, 0,
1}; the label is 1 when the binary string has no block of zeros of odd length (the Baum–Sweet
sequence), else 0. As the template, a draw labelled 0 is kept only with probability 0.016724
(else drawn again), which balances the labels. The model reads all 4L symbols (L ≤ 18).

Random combinations (the 2020 course's ``RandomCombinationsDataset``): a random permutation of
0..L−1; the model reads the first L − 1 numbers and predicts the missing last one (L classes).

Every random number is a counter-based hash of (run seed, stream, counter, sample, position),
so a run's batches are a pure function of its own seed and step: the same whether the run
trains alone or beside 255 others, in any order, on the CPU or a GPU. K runs — of different
lengths too — get their batches from one vectorised computation, right-padded to a common
length with the pad symbol 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from seqgraph.config import TASKS
from seqgraph.errors import ConfigError

TRAIN, EVAL = 0, 1  # streams: a run's training batches never overlap its held-out batches
_M32 = 0xFFFFFFFF
_FLIP = 1 << 20  # the position whose hash decides a binary sample's reversal (beyond any digit)


@dataclass(frozen=True)
class TaskSpec:
    """What a model for a task reads and predicts."""

    num_symbols: int  # one-hot input size d
    num_classes: int  # output classes c
    input_length: int  # steps the model reads


BAUM_SWEET_MAX_LENGTH = 18  # 10^L must fit in 63 bits
BAUM_SWEET_KEEP_ZERO = 16724  # per 10⁶: the template keeps a draw labelled 0 with probability 0.016724
_ATTEMPTS = 32  # Baum–Sweet draws tried per round (rounds repeat for the samples still drawing)


def task_spec(task: str, length: int) -> TaskSpec:
    """Input/output sizes for ``task`` at length ``length``."""
    check_length(task, length)
    if task == "decimal":
        return TaskSpec(num_symbols=10, num_classes=10, input_length=length - 1)
    if task == "baum-sweet":
        return TaskSpec(num_symbols=3, num_classes=2, input_length=4 * length)
    if task == "random-combinations":
        return TaskSpec(num_symbols=length, num_classes=length, input_length=length - 1)
    return TaskSpec(num_symbols=3, num_classes=2, input_length=binary_sequence_length(length) - 1)


def check_length(task: str, length: int) -> None:
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r} (choose from {', '.join(TASKS)})")
    if length < 2:
        raise ConfigError(f"length {length} is too short: need at least 2")
    if task == "baum-sweet" and length > BAUM_SWEET_MAX_LENGTH:
        raise ConfigError(f"baum-sweet length {length} is too long: at most {BAUM_SWEET_MAX_LENGTH} "
                          "(integers up to 10^L are drawn in 63 bits)")


def binary_sequence_length(length: int) -> int:
    """Padded length of a binary palindrome of ``length`` digits: 8⌈L/2⌉ + 2."""
    return 8 * ((length + 1) // 2) + 2


# --- counter-based random numbers ---------------------------------------------------------

def _mul32(x: Tensor, c: int) -> Tensor:
    """``(x · c) mod 2³²`` for x in [0, 2³²), in int64 without overflow (c split in halves)."""
    lo, hi = c & 0xFFFF, c >> 16
    return (x * lo + (((x * hi) & 0xFFFF) << 16)) & _M32


def hash32(x: Tensor) -> Tensor:
    """lowbias32 (C. Wellons' integer hash): a bijection of [0, 2³²) with full avalanche.
    ``x``: int64 in [0, 2³²), any shape."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def _combine(h: Tensor, v: Tensor) -> Tensor:
    """A key for the pair (h, v): ``hash32(h ⊕ hash32(v + φ))``, broadcasting h against v."""
    return hash32(h ^ hash32((v + 0x9E3779B9) & _M32))


def sample_keys(seeds: Tensor, counters: Tensor, batch: int, stream: int) -> Tensor:
    """One 32-bit key per (run, sample): ``(K, B)`` from run seeds and counters ``(K,)``."""
    seeds = seeds.long()
    key = _combine(seeds & _M32, seeds >> 32)
    key = _combine(key, torch.full_like(key, stream))
    key = _combine(key, counters.long() & _M32)  # (K,)
    b = torch.arange(batch, device=seeds.device)
    return _combine(key.unsqueeze(1), b)  # (K, B)


def uniform_ints(keys: Tensor, positions: Tensor, high: int) -> Tensor:
    """Integers in [0, high) per key and position: ``keys (K, B)``, ``positions (n,)`` →
    ``(K, B, n)``. (The modulo bias is below 10⁻⁹ for the small ``high`` used here.)"""
    return _combine(keys.unsqueeze(-1), positions) % high


# --- batches ------------------------------------------------------------------------------

def input_lengths(task: str, lengths: Tensor) -> Tensor:
    """Steps the model reads per length L: L − 1 (decimal, random-combinations), 8⌈L/2⌉ + 1
    (binary), 4L (baum-sweet)."""
    if task in ("decimal", "random-combinations"):
        return lengths - 1
    if task == "baum-sweet":
        return 4 * lengths
    return 8 * ((lengths + 1) // 2) + 1


def palindrome_batches(task: str, lengths: Tensor, seeds: Tensor, counters: Tensor, batch: int,
                       stream: int = TRAIN) -> tuple[Tensor, Tensor, Tensor]:
    """One batch per run, for K runs at once.

    Args:
        task: ``decimal`` or ``binary``. lengths, seeds, counters: ``(K,)`` long on the target
            device: each run's palindrome length, seed and counter (its step for training
            batches, the evaluation's step for held-out ones). batch: samples per run B.
        stream: ``TRAIN`` or ``EVAL``.

    Returns:
        x ``(K, B, T)`` long symbols, right-padded with 0 to T = the longest input;
        y ``(K, B)`` long targets; last ``(K,)`` long: the index of each run's last input step.
    """
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r} (choose from {', '.join(TASKS)})")
    if task == "baum-sweet" and int(lengths.max()) > BAUM_SWEET_MAX_LENGTH:
        check_length(task, int(lengths.max()))
    keys = sample_keys(seeds, counters, batch, stream)
    make = {"decimal": _decimal, "binary": _binary, "baum-sweet": _baum_sweet,
            "random-combinations": _random_combinations}[task]
    x, y = make(keys, lengths)
    return x, y, input_lengths(task, lengths) - 1


def _decimal(keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
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


def _binary(keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
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


_EVEN_BITS = 0x5555555555555555  # bits 0, 2, 4, … (as a non-negative int64)


def baum_sweet_label(n: Tensor, bits: int = 63) -> Tensor:
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


def _baum_sweet(keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Draw j of a sample uses the hash positions 19j + (0..L−1) for the L decimal digits of
    an integer (uniform over [0, 10^L); a value above 10^L − 10 is a rejected draw, so
    N = value + 10 is uniform over [10, 10^L]) and 19j + 18 for the keep-a-0 test. A
    sample takes its first kept draw; rounds of ``_ATTEMPTS`` draws repeat for the samples
    that have none yet (only for those: a round after the first is a fraction of the work).
    Which draw a sample takes depends only on its key, never on the rounds."""
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


def _random_combinations(keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """A permutation of 0..L−1 per sample: the numbers sorted by a hash key each (ties, at
    about L²/2³³, fall back to the smaller number first)."""
    device = keys.device
    K, _ = keys.shape
    L_max = int(lengths.max())
    p = torch.arange(L_max, device=device)
    h = _combine(keys.unsqueeze(-1), p)  # (K, B, L_max) in [0, 2³²)
    h = torch.where(p < lengths.view(K, 1, 1), h, torch.full_like(h, 1 << 32))  # numbers ≥ L sort last
    perm = torch.sort(h, dim=-1, stable=True).indices  # (K, B, L_max)
    y = perm.gather(2, (lengths - 1).view(K, 1, 1).expand(-1, keys.shape[1], 1)).squeeze(-1)
    x = perm[..., : L_max - 1].clone()
    x.masked_fill_(p[: L_max - 1] >= (lengths - 1).view(K, 1, 1), 0)  # right padding
    return x, y


def palindrome_batch(task: str, batch: int, length: int, seed: int, counter: int = 0, stream: int = TRAIN,
                     device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """One run's batch (see :func:`palindrome_batches`): x ``(B, T)``, y ``(B,)``."""
    check_length(task, length)

    def one(v: int) -> Tensor:
        return torch.tensor([v], dtype=torch.long, device=device)

    x, y, _ = palindrome_batches(task, one(length), one(seed), one(counter), batch, stream)
    return x[0], y[0]


BASELINE_MARGIN = 0.02  # a final accuracy within this of the not-learned baseline is no result


BASELINE_BY_LENGTH = frozenset({"baum-sweet", "random-combinations"})  # tasks whose baseline depends on L


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
    check_length("baum-sweet", length)
    total = 10**length - 9
    ones = baum_sweet_ones(10**length) - baum_sweet_ones(9)
    p = ones / total
    k = BAUM_SWEET_KEEP_ZERO / 10**6
    return p / (p + k * (1 - p))


def baseline_accuracy(task: str, length: int = 10, samples: int | None = None) -> float:
    """The accuracy of a model that has learned nothing about the input: always predicting
    the most frequent label.

    * decimal: labels are uniform over 10 digits, 1/10 (however many output classes the head has);
    * random-combinations: the template's label is ``seq[-1]`` of ``np.random.permutation(L)``
      (``RandomCombinationsDataset``, 2020 ``Part 1/datasets.py``), uniform over 0..L−1 because
      every position of a uniform permutation is: 1/L;
    * baum-sweet: the majority label's rate at length L, exact
      (:func:`baum_sweet_label_rate`): 0.950 at L = 2 (label 1: the template rejects most
      draws labelled 0), 0.504 at L = 6, 0.941 at L = 10 (label 0: label-1 integers get rare as
      they grow), 0.9998 at L = 18;
    * binary: the label is 1 with probability 2/3 (an unflipped string starts with the first
      digit's leading bit, 1 unless the digit is 0: 8/9; a flipped one with the last digit's
      parity: 4/9), so the majority rate is 2/3 — measured here from the generator itself on
      ``samples`` held-out labels.

    ``length`` matters for :data:`BASELINE_BY_LENGTH` only."""
    check_length(task, length)
    if task == "decimal":
        return 0.1
    if task == "random-combinations":
        return 1.0 / length
    if task == "baum-sweet":
        p1 = baum_sweet_label_rate(length)
        return max(p1, 1.0 - p1)
    samples = samples or 200_000
    one = torch.tensor([length])
    ys = palindrome_batches(task, one, torch.tensor([12345]), torch.tensor([0]), samples, EVAL)[1]
    p1 = float(ys.float().mean())
    return max(p1, 1.0 - p1)
