"""Experiment configs: one dataclass per experiment; defaults < TOML file < command-line flags.

Each config's fields are its TOML keys. List fields accept a list or the same string the
command line takes (``lengths = "5:81:2"``). Unknown keys are errors, not silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from seqgraph.errors import ConfigError

C = TypeVar("C")


def parse_int_list(spec: str | int | list[Any], what: str) -> list[int]:
    """``"5:81:2"`` (start:stop:step, stop inclusive), ``"5:9"`` (step 1), ``"5,10,20"`` or a
    list → ints."""
    if isinstance(spec, bool):
        raise ConfigError(f"bad {what} {spec!r}: expected integers")
    if isinstance(spec, int):
        return [spec]
    if isinstance(spec, list):
        out = []
        for v in spec:
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"bad {what} {v!r}: expected an integer")
            out.append(v)
        if not out:
            raise ConfigError(f"no {what} given")
        return out
    text = str(spec).strip()
    if not text:
        raise ConfigError(f"no {what} given")
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            start, stop = parts[0], parts[1]
            step = parts[2] if len(parts) == 3 else 1
            if step <= 0:
                raise ConfigError(f"bad {what} {text!r}: the step must be positive")
            if stop < start:
                raise ConfigError(f"bad {what} {text!r}: the end {stop} is before the start {start}")
            return list(range(start, stop + 1, step))
        return [int(p) for p in text.split(",")]
    except ValueError:
        raise ConfigError(
            f"bad {what} {text!r}: expected start:stop[:step] (e.g. 5:81:2) or a list (e.g. 5,10,20)"
        ) from None


def parse_name_list(spec: str | list[Any], what: str, choices: tuple[str, ...] | list[str],
                    all_word: str | None = "all") -> list[str]:
    """``"rnn,lstm"`` or ``["rnn", "lstm"]`` → names, each checked against ``choices``."""
    items = spec if isinstance(spec, list) else str(spec).split(",")
    names = [str(s).strip().lower() for s in items if str(s).strip()]
    if not names:
        raise ConfigError(f"no {what} given")
    if all_word is not None and names == [all_word]:
        return list(choices)
    for n in names:
        if n not in choices:
            raise ConfigError(f"unknown {what} {n!r} (choose from {', '.join(choices)})")
    return names


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict; a missing or malformed file is a ConfigError."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {p} is a directory") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"malformed TOML in {p}: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {p} is not UTF-8 text") from None


def resolve(cls: type[C], toml_path: str | Path | None = None, **flags: Any) -> C:
    """Build ``cls`` from its defaults, then the TOML file's keys, then the flags that were
    given (None means not given). Values are type-checked loosely; ``validate()`` runs last."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    if toml_path is not None:
        data = read_toml(toml_path)
        section = getattr(cls, "toml_section", None)
        if section and isinstance(data.get(section), dict) and len(data) == 1:
            data = data[section]
        for key, value in data.items():
            name = key.replace("-", "_")
            if name not in fields or name in getattr(cls, "not_in_toml", ()):
                known = ", ".join(k for k in fields if k not in getattr(cls, "not_in_toml", ()))
                raise ConfigError(f"unknown key {key!r} in {toml_path} (known: {known})")
            values[name] = value
    for name, value in flags.items():
        if name not in fields:
            raise TypeError(f"{cls.__name__} has no field {name}")
        if value is not None:
            values[name] = value
    hints = get_type_hints(cls)
    for name, value in values.items():
        values[name] = _coerce(name, value, hints[name])
    cfg = cls(**values)
    validate = getattr(cfg, "validate", None)
    if validate is not None:
        validate()
    return cfg


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Check scalar TOML values against the field's type (int, float, bool, str)."""
    bad = ConfigError(f"bad value for {name}: {value!r}")
    if hint is bool:
        if not isinstance(value, bool):
            raise bad
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        value = float(value)
    elif hint is str:
        if not isinstance(value, str):
            raise bad
    return value


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config as plain types (for TOML/JSON next to results and in checkpoints)."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if v is not None}


def write_toml(path: str | Path, data: dict[str, Any]) -> None:
    """Write ``data`` as TOML, atomically."""
    import tomli_w

    atomic_write_bytes(path, tomli_w.dumps(data).encode())


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        os.fchmod(fd, _default_mode())  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- experiments ------------------------------------------------------------------------

MODELS = ("rnn", "lstm", "peep", "gru", "tglstm")  # recurrent cells, by name (see seqgraph.nn.cells)
OPTIMIZERS = ("rmsprop", "adam", "sgd")
DEVICES = ("auto", "cpu", "cuda")


@dataclasses.dataclass
class PalindromeConfig:
    """The palindrome memory benchmark: one run per (model, length, seed)."""

    toml_section = "palindrome"
    not_in_toml = ("resume", "overwrite")

    model: list[str] = dataclasses.field(default_factory=lambda: ["rnn", "lstm"])
    task: str = "decimal"  # decimal | binary
    lengths: list[int] = dataclasses.field(default_factory=lambda: [5, 10, 15, 20, 25])
    seeds: list[int] = dataclasses.field(default_factory=lambda: [42])
    steps: int = 2500  # training steps per run (upper bound with early stopping)
    batch_size: int = 128
    hidden: int = 128
    layers: int = 1
    forget_bias: float = 1.0  # initial forget-gate bias of LSTM-type cells (the rest: U(±1/√n))
    learn_gate: bool = True  # tglstm: learn the time gate's τ, s, r_on (else fixed)
    optimizer: str = "rmsprop"
    lr: float = 1e-3
    max_norm: float = 10.0  # gradient-norm clipping; 0 disables
    eval_every: int = 50  # steps between held-out evaluations
    eval_batch_size: int = 1024
    early_stop: bool = True  # end a run once it has solved the task
    solved_accuracy: float = 0.99  # held-out accuracy that counts as solved
    solved_evals: int = 3  # ... on this many consecutive evaluations
    device: str = "auto"
    workers: int = 1  # runs trained at once, in separate processes
    out: str = "results/palindrome"
    resume: bool = False
    overwrite: bool = False

    def validate(self) -> None:
        self.model = parse_name_list(self.model, "model", MODELS)
        self.lengths = parse_int_list(self.lengths, "lengths")
        self.seeds = parse_int_list(self.seeds, "seeds")
        if self.task not in ("decimal", "binary"):
            raise ConfigError(f"unknown task {self.task!r} (choose from decimal, binary)")
        for L in self.lengths:
            if L < 2:
                raise ConfigError(f"palindrome length {L} is too short: need at least 2 digits")
        for name in ("steps", "batch_size", "hidden", "layers", "eval_every", "eval_batch_size",
                     "solved_evals", "workers"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.max_norm < 0:
            raise ConfigError(f"max-norm must be ≥ 0, got {self.max_norm}")
        if not 0 < self.solved_accuracy <= 1:
            raise ConfigError(f"solved-accuracy must be in (0, 1], got {self.solved_accuracy}")
        self.optimizer = self.optimizer.lower()
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r} (choose from {', '.join(OPTIMIZERS)})")
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r} (choose from {', '.join(DEVICES)})")


@dataclasses.dataclass
class NodeClassificationConfig:
    """Semi-supervised node classification with a 2-layer GCN (Kipf & Welling)."""

    toml_section = "gcn_train"

    graph: str = ""  # graph file with node labels; empty: Zachary's karate club
    label_key: str = ""  # node attribute holding the class ("club" for the karate club)
    labeled: list[str] = dataclasses.field(default_factory=list)  # nodes whose labels are seen
    per_class: int = 1  # without `labeled`: this many random labelled nodes per class
    features: str = ""  # node features CSV; empty: one-hot node identity (X = I)
    hidden: int = 16
    epochs: int = 200
    lr: float = 0.01
    weight_decay: float = 5e-4
    dropout: float = 0.5
    seed: int = 0
    device: str = "auto"
    out: str = "results/gcn_train"

    def validate(self) -> None:
        if isinstance(self.labeled, str):
            self.labeled = [s.strip() for s in self.labeled.split(",") if s.strip()]
        self.labeled = [str(s) for s in self.labeled]
        for name in ("hidden", "epochs", "per_class"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r} (choose from {', '.join(DEVICES)})")


CHAR_CELLS = ("lstm", "peep", "gru", "rnn", "tglstm", "torch")


@dataclasses.dataclass
class CharLMConfig:
    """A character-level language model (defaults as the course: 2 × 128 LSTM, seq 30, batch 64)."""

    toml_section = "train"
    not_in_toml = ("resume",)

    text: str = ""  # UTF-8 training text; empty: the built-in King James Bible
    cell: str = "lstm"  # lstm | peep | gru | rnn (seqgraph's cells) | torch (nn.LSTM)
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
    forget_bias: float = 1.0  # initial forget-gate bias of seqgraph's LSTM-type cells
    learn_gate: bool = True  # tglstm: learn the time gate's τ, s, r_on
    val_fraction: float = 0.05  # the last part of the text, held out
    eval_every: int = 250  # steps between validation passes
    eval_batches: int = 20  # validation windows per pass: eval_batches × batch_size
    sample_every: int = 1000  # steps between sample snapshots (0: never)
    sample_length: int = 60
    seed: int = 0
    device: str = "auto"
    out: str = "results/charlm"
    ckpt: str = ""  # last checkpoint path; empty: <out>/last.pt (best: <out>/best.pt)
    resume: bool = False

    def validate(self) -> None:
        self.cell = self.cell.lower()
        if self.cell not in CHAR_CELLS:
            raise ConfigError(f"unknown cell {self.cell!r} (choose from {', '.join(CHAR_CELLS)})")
        for name in ("layers", "hidden", "seq_length", "batch_size", "steps", "lr_step", "eval_every",
                     "eval_batches", "sample_length"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
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
        self.optimizer = self.optimizer.lower()
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r} (choose from {', '.join(OPTIMIZERS)})")
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r} (choose from {', '.join(DEVICES)})")

    @property
    def ckpt_path(self) -> Path:
        return Path(self.ckpt) if self.ckpt else Path(self.out) / "last.pt"

    @property
    def best_path(self) -> Path:
        return self.ckpt_path.with_name("best.pt")


@dataclasses.dataclass
class GradsConfig:
    """Gradient flow over time on one long palindrome (the loss on the last step only)."""

    toml_section = "grads"

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
        self.model = parse_name_list(self.model, "model", MODELS)
        self.seeds = parse_int_list(self.seeds, "seeds")
        if self.length < 3:
            raise ConfigError(f"length must be at least 3, got {self.length}")
        if self.train_steps < 0:
            raise ConfigError(f"train-steps must be ≥ 0, got {self.train_steps}")
        for name in ("batch_size", "hidden"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r} (choose from {', '.join(DEVICES)})")


@dataclasses.dataclass
class TimeGateConfig:
    """The time gate k(t) of one unit (the course's Question 2.1)."""

    tau: float = 6.0  # period τ
    shift: float = 3.0  # phase shift s
    r_on: float = 0.2  # open ratio
    leak: float = 0.0  # α in the closed phase
    steps: int = 30  # t = 0 .. steps
    resolution: int = 20  # points per unit of time in the figure

    def validate(self) -> None:
        if self.tau <= 0:
            raise ConfigError(f"tau must be positive, got {self.tau}")
        if not 0 < self.r_on <= 1:
            raise ConfigError(f"r-on must be in (0, 1], got {self.r_on}")
        if self.leak < 0:
            raise ConfigError(f"leak must be ≥ 0, got {self.leak}")
        if self.steps <= 0 or self.resolution <= 0:
            raise ConfigError("steps and resolution must be positive")
