"""One memory-benchmark run: every setting that defines its result. No torch here: config
validation, help and completion read it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from seqgraph.config import check_choice, check_layers, check_positive, check_seed
from seqgraph.errors import ConfigError
from seqgraph.experiments.palindrome.spec import INITS
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
from seqgraph.tasks.registry import get_task, task_names
from seqgraph.train import OPTIMIZERS


def memory_tasks() -> tuple[str, ...]:
    return task_names("memory")


@dataclasses.dataclass(frozen=True)
class MemoryRun(RunSpec):
    """One run of a memory benchmark (copy, adding, selective copy, recall, …): every setting
    that defines its result. What the length L means is the task's own (``seqgraph memory
    --help`` lists it); 0 takes the task's default."""

    toml_section: ClassVar[str] = "memory"
    plural: ClassVar[Mapping[str, str]] = {"length": "lengths", "seed": "seeds"}
    # the default sweep: RNN, LSTM and GRU on the copy task at its default delay, three seeds
    grid_defaults: ClassVar[Mapping[str, tuple[Any, ...]]] = {"model": ("rnn", "lstm", "gru"), "seed": (1, 2, 3)}
    plan_order: ClassVar[tuple[str, ...]] = ("task", "length", "model")
    choices: ClassVar[Mapping[str, Any]] = {"model": cell_names, "task": memory_tasks, "optimizer": OPTIMIZERS,
                                            "init": INITS, "kernel": KERNELS}

    @classmethod
    def preset_names(cls) -> tuple[str, ...]:
        """The literature's settings (:mod:`seqgraph.experiments.memory.presets`)."""
        from seqgraph.experiments.memory.presets import PRESETS

        return tuple(PRESETS)

    @classmethod
    def preset(cls, name: str) -> Mapping[str, Any]:
        from seqgraph.experiments.memory.presets import get_preset

        return dict(get_preset(name).values)

    model: str = "lstm"  # recurrent cell (seqgraph.nn.registry)
    task: str = "copy"  # a task of the memory family (seqgraph.tasks.registry)
    length: int = 0  # the task's L (copy: the delay T; adding: T; recall: key–value pairs); 0: the task's default
    seed: int = 42  # weights, training batches and held-out batches all derive from it
    steps: int = 2000  # training steps (at most, with early stopping)
    batch_size: int = 128
    hidden: int = 128
    layers: int = 1
    init: str = "default"  # default: U(±1/√n) as torch; kaiming-normal: weights N(0, 2/fan_in), biases 0
    forget_bias: float = 1.0  # initial forget-gate bias of LSTM-type cells (after init)
    learn_gate: bool = True  # tglstm: learn the time gate's τ, s, r_on (else fixed)
    # lru: the ring initialisation of its eigenvalues, |λ| in [r_min, r_max], phase in [0, max_phase] (the paper's
    # defaults; seqgraph.nn.registry.LRU_DEFAULTS)
    r_min: float = LRU_DEFAULTS["r_min"]
    r_max: float = LRU_DEFAULTS["r_max"]
    max_phase: float = LRU_DEFAULTS["max_phase"]
    optimizer: str = "adam"
    lr: float = 1e-3
    max_norm: float = 1.0  # gradient-norm clipping; 0 disables
    eval_every: int = 100  # steps between held-out evaluations
    eval_batch_size: int = 512
    early_stop: bool = True  # end a run once it has solved the task (the task's own rule)
    solved_evals: int = 3  # ... on this many consecutive evaluations
    # seqgraph: the hand-written loop; fused: torch's kernel (oneDNN/cuDNN) on seqgraph's weights (rnn, lstm,
    # gru; a run alone); auto: per run and device, the faster where measured (seqgraph.nn.fused.auto_kernel)
    kernel: str = "auto"

    def __post_init__(self) -> None:
        if self.length == 0 and self.task in memory_tasks():  # the task's default L, so the run id names it
            object.__setattr__(self, "length", get_task(self.task).default_length)

    def validate(self) -> None:
        check_cell(self.model)
        defaults = {f.name: f.default for f in dataclasses.fields(MemoryRun)}
        check_cell_settings(self.model, {k: getattr(self, k) for k in ("forget_bias", *LRU_DEFAULTS)
                                         if getattr(self, k) != defaults[k]})
        check_lru_ring(self.r_min, self.r_max, self.max_phase)
        if self.task not in memory_tasks():
            raise ConfigError(f"unknown task {self.task!r} (choose from {', '.join(memory_tasks())})")
        task = get_task(self.task)
        check_choice(self.init, "init", INITS)
        check_kernel(self.kernel, [self.model])
        task.check_length(self.length)
        check_seed(self.seed, "seeds")
        check_positive(self, "steps", "batch_size", "hidden", "layers", "eval_every", "eval_batch_size",
                       "solved_evals")
        check_layers(self.layers)
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.max_norm < 0:
            raise ConfigError(f"max-norm must be ≥ 0, got {self.max_norm}")
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)

    def cell_options(self) -> dict[str, Any]:
        """The constructor options of the cells (each cell takes its own: seqgraph.nn.registry.cell_options)."""
        return {"learn_gate": self.learn_gate, "r_min": self.r_min, "r_max": self.r_max, "max_phase": self.max_phase}

    def label(self, extra: tuple[str, ...] = ()) -> str:
        """``lstm copy L=100 seed=1``, plus ``name=value`` for each setting in ``extra``."""
        return label(self, f"{self.model} {self.task} L={self.length} seed={self.seed}",
                     ("model", "task", "length", "seed"), extra)


@dataclasses.dataclass
class MemoryOptions(RunOptions):
    """RunOptions of ``seqgraph memory``."""

    out: str = "results/memory"
