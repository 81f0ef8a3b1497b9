"""One character-level language model: every setting that defines the trained model. No torch
here: config validation, help and completion read it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from seqgraph.config import check_choice, check_layers, check_positive, check_seed
from seqgraph.errors import ConfigError
from seqgraph.nn.registry import (
    CHAR_CELLS_EXTRA,
    CHAR_MODEL_IS_CAUSAL,
    KERNELS,
    char_cells,
    check_kernel,
    check_unidirectional,
)
from seqgraph.sweep.grid import RunOptions
from seqgraph.sweep.spec import RunSpec, label
from seqgraph.train import OPTIMIZERS


@dataclasses.dataclass(frozen=True)
class CharLMRun(RunSpec):
    """One character-level language model (defaults as the course: 2 × 128 LSTM, seq 30,
    batch 64): every setting that defines the trained model."""

    toml_section: ClassVar[str] = "train"
    choices: ClassVar[Mapping[str, Any]] = {"cell": char_cells, "optimizer": OPTIMIZERS, "kernel": KERNELS}
    why_not: ClassVar[Mapping[str, Any]] = {  # a name that is no choice, with the reason
        "cell": lambda name: check_unidirectional(name, "cell", CHAR_MODEL_IS_CAUSAL, CHAR_CELLS_EXTRA)}
    paths: ClassVar[tuple[str, ...]] = ("text",)  # stored absolute
    # a run continued with more steps (or other logging) is the same run: --resume goes on
    continuable: ClassVar[tuple[str, ...]] = ("steps", "eval_every", "eval_batches", "sample_every", "sample_length")
    # added after run ids were in use: in a run's id only when not at its default (older runs keep theirs)
    in_id_unless_default: ClassVar[tuple[str, ...]] = ("kernel",)

    text: str = ""  # UTF-8 training text; empty: the built-in King James Bible
    cell: str = "lstm"  # lstm | peep | gru | rnn | tglstm (seqgraph's cells) | torch (nn.LSTM)
    layers: int = 2
    hidden: int = 128
    seq_length: int = 30
    batch_size: int = 64
    steps: int = 5000
    optimizer: str = "adam"
    lr: float = 2e-3
    lr_decay: float = 0.96  # multiply the learning rate by this ...
    lr_step: int = 5000  # ... every this many steps
    max_norm: float = 5.0  # gradient-norm clipping; 0 disables
    dropout: float = 0.0
    # initial forget-gate bias of seqgraph's LSTM-type cells: 0, as nn.LSTM starts, measured better here than 1 over
    # three seeds (docs/defaults/make.sh; docs/experiments/charlm.md)
    forget_bias: float = 0.0
    learn_gate: bool = True  # tglstm: learn the time gate's τ, s, r_on
    val_fraction: float = 0.05  # the last part of the text, held out
    eval_every: int = 250  # steps between validation passes
    eval_batches: int = 20  # validation windows per pass: eval_batches × batch_size
    sample_every: int = 1000  # steps between sample snapshots (0: never)
    sample_length: int = 60
    seed: int = 0
    # seqgraph: the hand-written loop; fused: torch's kernel (oneDNN/cuDNN) on seqgraph's weights (rnn, lstm,
    # gru); auto: per cell, batch and device, the faster where measured (seqgraph.nn.fused.auto_kernel)
    kernel: str = "auto"

    def validate(self) -> None:
        check_unidirectional(self.cell, "cell", CHAR_MODEL_IS_CAUSAL, CHAR_CELLS_EXTRA)
        check_choice(self.cell, "cell", char_cells())
        check_kernel(self.kernel, [self.cell])
        check_positive(self, "layers", "hidden", "seq_length", "batch_size", "steps", "lr_step", "eval_every",
                  "eval_batches", "sample_length")
        check_layers(self.layers)
        if self.sample_every < 0:
            raise ConfigError(f"sample-every must be ≥ 0, got {self.sample_every}")
        if self.lr <= 0 or not 0 < self.lr_decay <= 1:
            raise ConfigError("lr must be positive and lr-decay in (0, 1]")
        if self.max_norm < 0:
            raise ConfigError(f"max-norm must be ≥ 0, got {self.max_norm}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0 < self.val_fraction < 0.5:
            raise ConfigError(f"val-fraction must be in (0, 0.5), got {self.val_fraction}")
        check_seed(self.seed)
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)

    def label(self, extra: tuple[str, ...] = ()) -> str:
        """``lstm 2×128``, plus ``name=value`` for each setting in ``extra``."""
        return label(self, f"{self.cell} {self.layers}×{self.hidden}", ("cell", "layers", "hidden"), extra)


@dataclasses.dataclass
class TrainOptions(RunOptions):
    """RunOptions of ``seqgraph train``, plus where a single run keeps its last checkpoint."""

    out: str = "results/charlm"
    ckpt: str = ""  # last checkpoint path of a single run; empty: <out>/last.pt (best: <out>/best.pt)
