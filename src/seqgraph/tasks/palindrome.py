"""Palindrome memory tasks, generated on the fly as whole batches on the target device.

Decimal (the course's task): a palindrome of length L over digits 0–9; the model reads the
first L−1 digits and predicts the last, which equals the first — so it must remember the
first digit over L−1 steps.

Binary (the 2020 course variant): ⌈L/2⌉ random digits 0–8, each written in binary without
leading zeros, concatenated (reversed with probability ½), then mirrored; the bit string is
left-padded to ``8⌈L/2⌉ + 2`` symbols (= 4L + 2 for even L) from {pad, 0, 1}. The model reads
all but the last symbol and predicts the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from seqgraph.errors import ConfigError

TASKS = ("decimal", "binary")


@dataclass(frozen=True)
class TaskSpec:
    """What a model for a task reads and predicts."""

    num_symbols: int  # one-hot input size d
    num_classes: int  # output classes c
    input_length: int  # steps the model reads


def task_spec(task: str, length: int) -> TaskSpec:
    """Input/output sizes for ``task`` at palindrome length ``length``."""
    check_length(task, length)
    if task == "decimal":
        return TaskSpec(num_symbols=10, num_classes=10, input_length=length - 1)
    return TaskSpec(num_symbols=3, num_classes=2, input_length=binary_sequence_length(length) - 1)


def check_length(task: str, length: int) -> None:
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r} (choose from {', '.join(TASKS)})")
    if length < 2:
        raise ConfigError(f"palindrome length {length} is too short: need at least 2 digits")


def binary_sequence_length(length: int) -> int:
    """Padded length of a binary palindrome of ``length`` digits: 8⌈L/2⌉ + 2."""
    return 8 * ((length + 1) // 2) + 2


def decimal_palindromes(batch: int, length: int, generator: torch.Generator,
                        device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """A batch of decimal palindromes.

    Returns:
        x ``(B, L−1)`` long digits, y ``(B,)`` long: the last digit (= the first).
    """
    half = torch.randint(0, 10, (batch, (length + 1) // 2), generator=generator, device=device)
    mirrored = half[:, : length // 2].flip(1)
    full = torch.cat([half, mirrored], 1)  # (B, L)
    return full[:, :-1], full[:, -1]


def binary_palindromes(batch: int, length: int, generator: torch.Generator,
                       device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """A batch of binary palindromes (see module docstring), vectorised.

    Returns:
        x ``(B, P−1)`` long symbols (0 pad, 1 bit 0, 2 bit 1), y ``(B,)`` long last bit,
        with P = 8⌈L/2⌉ + 2.
    """
    n = (length + 1) // 2
    P = binary_sequence_length(length)
    digits = torch.randint(0, 9, (batch, n), generator=generator, device=device)
    flip = torch.rand(batch, generator=generator, device=device) < 0.5
    # bits of each digit, most significant first, in 4 slots; valid = no leading zeros
    shifts = torch.arange(3, -1, -1, device=device)
    bits = (digits.unsqueeze(-1) >> shifts) & 1  # (B, n, 4)
    nbits = torch.clamp(torch.floor(torch.log2(digits.clamp(min=1).float())).long() + 1, min=1)
    valid = shifts.unsqueeze(0).unsqueeze(0) < nbits.unsqueeze(-1)  # (B, n, 4)
    bits, valid = bits.reshape(batch, -1), valid.reshape(batch, -1)
    k = valid.sum(1, keepdim=True)  # bits in the left half
    j = valid.long().cumsum(1) - 1  # position of each valid bit in the left half
    j = torch.where(flip.unsqueeze(1), k - 1 - j, j)
    pad = P - 2 * k
    out = torch.zeros(batch, P, dtype=torch.long, device=device)
    sym = torch.where(valid, bits + 1, torch.zeros_like(bits))
    left = torch.where(valid, pad + j, torch.zeros_like(j))
    right = torch.where(valid, pad + 2 * k - 1 - j, torch.zeros_like(j))
    # invalid slots scatter 0 into column 0, which is always padding (pad ≥ 2)
    out.scatter_add_(1, left, sym)
    out.scatter_add_(1, right, sym)
    return out[:, :-1], out[:, -1] - 1


def palindrome_batch(task: str, batch: int, length: int, generator: torch.Generator,
                     device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """A batch for ``task`` ("decimal" or "binary") at palindrome length ``length``."""
    check_length(task, length)
    make = decimal_palindromes if task == "decimal" else binary_palindromes
    return make(batch, length, generator, device)
