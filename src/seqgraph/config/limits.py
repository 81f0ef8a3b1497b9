"""Limits on sizes and counts, and the checks every settings class shares.

A limit here is a fact about what can be allocated, counted or drawn in reasonable time,
not a property of one experiment; experiments and tasks declare their own limits.
"""

from __future__ import annotations

import re
from typing import Any

from seqgraph.errors import ConfigError

SIZE_LIMIT = 2**31 - 1  # sizes and counts beyond this cannot be allocated or counted
MAX_LAYERS = 10_000  # stacked layers: more only builds modules for minutes
MAX_POINTS = 1_000_000  # points of a curve seqgraph computes and draws
MAX_RUNS = 100_000  # runs in one sweep (and values in one range): beyond, planning alone takes minutes
DEVICES = ("auto", "cpu", "cuda")
SEED_LIMIT = 2**63  # seeds are drawn into 64-bit counters


def check_positive(obj: Any, *names: str) -> None:
    """Each field ``names`` of ``obj`` is in [1, SIZE_LIMIT]; the error names it as a flag."""
    for name in names:
        value = getattr(obj, name)
        if value <= 0:
            raise ConfigError(f"{name.replace('_', '-')} must be positive, got {value}")
        if value > SIZE_LIMIT:
            raise ConfigError(f"{name.replace('_', '-')} {value} is too large (at most {SIZE_LIMIT})")


def check_layers(layers: int) -> None:
    if layers > MAX_LAYERS:
        raise ConfigError(f"layers {layers} is too many (at most {MAX_LAYERS:,})")


def check_seed(seed: int, what: str = "seed") -> None:
    if not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"{what} must be in [0, 2^63), got {seed}")


def check_choice(value: str, what: str, choices: tuple[str, ...]) -> None:
    """``value`` is one of ``choices``; the error lists them."""
    if value not in choices:
        raise ConfigError(f"unknown {what} {value!r} (choose from {', '.join(choices)})")


def check_device(name: str) -> None:
    """auto, cpu, cuda, or cuda:N (the GPU numbered N); whether it exists is checked where
    torch is loaded (:func:`seqgraph.train.loop.resolve_device`)."""
    if name not in DEVICES and not re.fullmatch(r"cuda:\d+", name):
        raise ConfigError(f"unknown device {name!r} (choose from {', '.join(DEVICES)}, cuda:N)")


def check_memory(need: int, what: str) -> None:
    """Refuse up front work that needs more memory than the machine has free (``need`` bytes)."""
    from seqgraph.perf import available_memory

    free = available_memory()
    if free is not None and need > free:
        raise ConfigError(f"{what} needs about {need / 2**30:,.1f} GiB; this machine has {free / 2**30:,.1f} GiB "
                          "free: use smaller sizes")
