"""One palindrome run: every setting that defines its result. No torch here: config validation,
help and completion read it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from seqgraph.config import check_choice, check_layers, check_positive, check_seed
from seqgraph.errors import ConfigError
from seqgraph.nn.registry import (
    KERNELS,
    LRU_DEFAULTS,
    cell_names,
    check_cell,
    check_cell_settings,
    check_kernel,
    check_lru_ring,
)
from seqgraph.sweep.grid import RunOptions
from seqgraph.sweep.spec import RunSpec, label
from seqgraph.tasks.registry import ENCODINGS, get_task, task_names
from seqgraph.train import OPTIMIZERS

INITS = ("default", "kaiming-normal")  # initial weights: torch's U(±1/√n), or N(0, 2/fan_in) with zero biases


def palindrome_tasks() -> tuple[str, ...]:
    return task_names("palindrome")


@dataclasses.dataclass(frozen=True)
class PalindromeRun(RunSpec):
    """One palindrome run: every setting that defines its result."""

    toml_section: ClassVar[str] = "palindrome"
    plural: ClassVar[Mapping[str, str]] = {"length": "lengths", "seed": "seeds"}
    # the default sweep: RNN vs LSTM, five lengths, three seeds (a result is a mean ± std, never one seed)
    grid_defaults: ClassVar[Mapping[str, tuple[Any, ...]]] = {
        "model": ("rnn", "lstm"), "length": (5, 10, 15, 20, 25), "seed": (1, 2, 3)}
    plan_order: ClassVar[tuple[str, ...]] = ("task", "length", "model")
    choices: ClassVar[Mapping[str, Any]] = {"model": cell_names, "task": palindrome_tasks, "optimizer": OPTIMIZERS,
                                            "encoding": ENCODINGS, "init": INITS, "kernel": KERNELS}
    # settings added after run ids were in use: part of a run's id only when not at their
    # default, so every run made before they existed keeps its id
    in_id_unless_default: ClassVar[tuple[str, ...]] = ("t0", "kernel", "r_min", "r_max", "max_phase")

    @classmethod
    def preset_names(cls) -> tuple[str, ...]:
        """The course presets (:mod:`seqgraph.presets`)."""
        from seqgraph.presets import preset_names

        return preset_names()

    @classmethod
    def preset(cls, name: str) -> Mapping[str, Any]:
        from seqgraph.presets import get_preset

        return dict(get_preset(name).values)

    model: str = "lstm"  # recurrent cell (seqgraph.nn.registry)
    task: str = "decimal"  # a task of the palindrome family (seqgraph.tasks.registry)
    length: int = 10  # palindrome length L (never a template's input length: see seqgraph.presets)
    encoding: str = "onehot"  # onehot: a symbol is a one-hot vector; scalar: its id as one float (input size 1)
    # output classes: task (10 decimal, 2 binary/baum-sweet, L random-combinations), length (L) or a number
    classes: str = "task"
    seed: int = 42  # weights, training batches and held-out batches all derive from it
    steps: int = 2500  # training steps (at most, with early stopping)
    batch_size: int = 128
    hidden: int = 128
    layers: int = 1
    init: str = "default"  # default: U(±1/√n) as torch; kaiming-normal: weights N(0, 2/fan_in), biases 0
    forget_bias: float = 1.0  # initial forget-gate bias of LSTM-type cells (after init)
    learn_gate: bool = True  # tglstm: learn the time gate's τ, s, r_on (else fixed)
    t0: int = 0  # tglstm: the time gate's clock at the first input, 0 (seqgraph) or 1 (the 2018 course's t = 1)
    # lru: the ring initialisation of its eigenvalues, |λ| in [r_min, r_max], phase in [0, max_phase] (the paper's
    # defaults; seqgraph.nn.registry.LRU_DEFAULTS)
    r_min: float = LRU_DEFAULTS["r_min"]
    r_max: float = LRU_DEFAULTS["r_max"]
    max_phase: float = LRU_DEFAULTS["max_phase"]
    optimizer: str = "rmsprop"
    lr: float = 1e-3
    max_norm: float = 10.0  # gradient-norm clipping; 0 disables
    eval_every: int = 50  # steps between held-out evaluations
    eval_batch_size: int = 1024
    early_stop: bool = True  # end a run once it has solved the task
    solved_accuracy: float = 0.99  # held-out accuracy that counts as solved
    solved_evals: int = 3  # ... on this many consecutive evaluations
    # seqgraph: the hand-written loop; fused: torch's kernel (oneDNN/cuDNN) on seqgraph's weights (rnn, lstm,
    # gru; a run alone); auto: per run and device, the faster where measured (seqgraph.nn.fused.auto_kernel)
    kernel: str = "auto"

    def validate(self) -> None:
        check_cell(self.model)
        defaults = {f.name: f.default for f in dataclasses.fields(PalindromeRun)}
        check_cell_settings(self.model, {k: getattr(self, k) for k in ("forget_bias", *LRU_DEFAULTS)
                                         if getattr(self, k) != defaults[k]})
        check_lru_ring(self.r_min, self.r_max, self.max_phase)
        task = get_task(self.task) if self.task in palindrome_tasks() else None
        if task is None:
            raise ConfigError(f"unknown task {self.task!r} (choose from {', '.join(palindrome_tasks())})")
        check_choice(self.encoding, "encoding", task.encodings)
        check_choice(self.init, "init", INITS)
        check_kernel(self.kernel, [self.model])
        if self.t0 not in (0, 1):
            raise ConfigError(f"t0 must be 0 or 1, got {self.t0}")
        task.check_length(self.length)
        self.num_classes()
        check_seed(self.seed, "seeds")
        check_positive(self, "steps", "batch_size", "hidden", "layers", "eval_every", "eval_batch_size",
                       "solved_evals")
        check_layers(self.layers)
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.max_norm < 0:
            raise ConfigError(f"max-norm must be ≥ 0, got {self.max_norm}")
        if not 0 < self.solved_accuracy <= 1:
            raise ConfigError(f"solved-accuracy must be in (0, 1], got {self.solved_accuracy}")
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)

    def cell_options(self) -> dict[str, Any]:
        """The constructor options of the cells (each cell takes its own: seqgraph.nn.registry.cell_options)."""
        return {"learn_gate": self.learn_gate, "r_min": self.r_min, "r_max": self.r_max, "max_phase": self.max_phase}

    def num_classes(self) -> int:
        """The output layer's size: ``classes`` resolved against the task and length."""
        need = get_task(self.task).num_classes(self.length)
        if self.classes == "task":
            return need
        if self.classes == "length":
            n = self.length
        else:
            try:
                n = int(self.classes)
            except ValueError:
                raise ConfigError(f"bad classes {self.classes!r}: expected task, length or a number") from None
        if n < need:
            raise ConfigError(f"classes {n} (from {self.classes!r}) is too few for the {self.task} task's labels "
                              f"0..{need - 1}")
        return n

    def label(self, extra: tuple[str, ...] = ()) -> str:
        """``lstm L=25 seed=42``, plus ``name=value`` for each setting in ``extra``."""
        return label(self, f"{self.model} L={self.length} seed={self.seed}", ("model", "length", "seed"), extra)


@dataclasses.dataclass
class PalindromeOptions(RunOptions):
    """RunOptions of ``seqgraph palindrome``."""

    out: str = "results/palindrome"
