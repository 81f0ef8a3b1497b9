"""The configs of the single analyses (``seqgraph grads``, ``seqgraph timegate``): one
dataclass each, defaults < TOML < flags. No torch here: help text reads the defaults."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from seqgraph.config import (
    MAX_POINTS,
    Settings,
    check_device,
    check_memory,
    check_positive,
    parse_int_list,
    parse_name_list,
)
from seqgraph.errors import ConfigError
from seqgraph.nn.memory import training_bytes
from seqgraph.nn.registry import check_unidirectional, unidirectional_cells

GRADS_ARE_FORWARD = "grads follows the loss back through states that run forward in time"


@dataclasses.dataclass
class GradsConfig(Settings):
    """Gradient flow over time on one long palindrome (the loss on the last step only)."""

    toml_section: ClassVar[str] = "grads"

    model: list[str] = dataclasses.field(default_factory=lambda: ["rnn", "lstm", "peep", "gru"])
    length: int = 100  # palindrome length L (the model reads L − 1 steps)
    seeds: list[int] = dataclasses.field(default_factory=lambda: [42, 1337, 1994])
    train_steps: int = 0  # also measure after this many training steps (0: untrained only)
    batch_size: int = 128
    hidden: int = 128
    forget_bias: float = 1.0  # as the palindrome benchmark initialises LSTM-type cells
    device: str = "auto"
    out: str = "results/grads"

    def validate(self) -> None:
        self.model = parse_name_list(self.model, "model", unidirectional_cells(),
                                     why_not=lambda name: check_unidirectional(name, "model", GRADS_ARE_FORWARD))
        self.seeds = parse_int_list(self.seeds, "seeds")
        if self.length < 3:
            raise ConfigError(f"length must be at least 3, got {self.length}")
        if self.train_steps < 0:
            raise ConfigError(f"train-steps must be ≥ 0, got {self.train_steps}")
        check_positive(self, "length", "batch_size", "hidden")
        # float64 (the RNN's gradient underflows in float32): every step's states and gates are kept
        check_memory(training_bytes(gates=4, hidden=self.hidden, layers=1, batch=self.batch_size, steps=self.length,
                                    inputs=10, outputs=10, dtype_bytes=8),
                     f"grads at length {self.length:,}, batch size {self.batch_size:,}, hidden {self.hidden:,}")
        check_device(self.device)


@dataclasses.dataclass
class TimeGateConfig(Settings):
    """The time gate k(t) of one unit (the course's Question 2.1)."""

    tau: float = 6.0  # period τ
    shift: float = 3.0  # phase shift s
    r_on: float = 0.2  # open ratio
    leak: float = 0.0  # α in the closed phase
    steps: int = 30  # t = t0 .. t0 + steps
    t0: int = 0  # time of the first input: 0 (seqgraph's cells) or 1 (the 2018 course's equations)
    resolution: int = 20  # points per unit of time in the figure
    out: str = "results/timegate"

    def validate(self) -> None:
        if self.tau <= 0:
            raise ConfigError(f"tau must be positive, got {self.tau}")
        for name in ("tau", "shift", "leak"):
            if abs(getattr(self, name)) > 1e6:
                raise ConfigError(f"{name} {getattr(self, name):g} is out of range (at most 1e6 in size)")
        if not 0 < self.r_on <= 1:
            raise ConfigError(f"r-on must be in (0, 1], got {self.r_on}")
        if self.leak < 0:
            raise ConfigError(f"leak must be ≥ 0, got {self.leak}")
        if self.steps <= 0 or self.resolution <= 0:
            raise ConfigError("steps and resolution must be positive")
        if self.steps * self.resolution > MAX_POINTS:
            raise ConfigError(f"steps × resolution = {self.steps * self.resolution:,} points; at most {MAX_POINTS:,} "
                              "in one figure and table")
        if self.t0 not in (0, 1):
            raise ConfigError(f"t0 must be 0 or 1, got {self.t0}")
