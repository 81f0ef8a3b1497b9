"""Experiment configs; defaults < TOML file < command-line flags.

Two kinds of experiment live here:

* **Sweeps** (``palindrome``, ``train``): a frozen *run spec* holds every setting that defines
  a run's result (:class:`PalindromeRun`, :class:`CharLMRun`); any of its fields given as a
  list is a sweep *axis*, and a :class:`Sweep` is the product of its axes. How the runs are
  carried out — output folder, device, executor, resume — is a separate :class:`RunOptions`,
  which never changes a result.
* **Single analyses** (``grads``, ``timegate``): one dataclass each (``gcn train``'s lives with
  its experiment, :mod:`seqgraph.experiments.node_classification`).

Each config's fields are its TOML keys (a ``[section]`` table of the command's name is also
accepted). List fields take a list or the string the command line takes
(``lengths = "5:81:2"``, ``lr = "1e-3,1e-2"``). Unknown keys are errors, not ignored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin, get_type_hints

from seqgraph.errors import ConfigError
from seqgraph.io import atomic_write_bytes
from seqgraph.nn.registry import cell_names, check_cell, check_unidirectional, unidirectional_cells

C = TypeVar("C")
S = TypeVar("S")

OPTIMIZERS = ("rmsprop", "adam", "sgd")
DEVICES = ("auto", "cpu", "cuda")
EXECUTORS = ("auto", "sequential", "processes", "batched", "ray")
KERNELS = ("auto", "seqgraph", "fused")  # seqgraph.nn.fused
TASKS = ("decimal", "binary", "baum-sweet", "random-combinations")
ENCODINGS = ("onehot", "scalar")  # how a symbol enters the cell: a one-hot vector, or its id as one float
INITS = ("default", "kaiming-normal")  # initial weights: torch's U(±1/√n), or N(0, 2/fan_in) with zero biases


# --- parsing --------------------------------------------------------------------------------

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
            values = range(start, stop + 1, step)
            if len(values) > MAX_RUNS:
                raise ConfigError(f"bad {what} {text!r}: {len(values):,} values; at most {MAX_RUNS:,}")
            return list(values)
        return [int(p) for p in text.split(",")]
    except ValueError:
        raise ConfigError(
            f"bad {what} {text!r}: expected start:stop[:step] (e.g. 5:81:2) or a list (e.g. 5,10,20)"
        ) from None


def parse_float_list(spec: str | float | list[Any], what: str) -> list[float]:
    """``"1e-3,1e-2"``, a number or a list of numbers → floats."""
    items = spec if isinstance(spec, list) else [spec] if isinstance(spec, (int, float)) else str(spec).split(",")
    out = []
    for v in items:
        if isinstance(v, bool):
            raise ConfigError(f"bad {what} {v!r}: expected a number")
        try:
            x = float(v.strip()) if isinstance(v, str) else float(v)
        except (TypeError, ValueError):
            raise ConfigError(f"bad {what} {v!r}: expected a number or a comma list (e.g. 1e-3,1e-2)") from None
        if not math.isfinite(x):
            raise ConfigError(f"bad {what} {v!r}: expected a finite number")
        out.append(x)
    if not out:
        raise ConfigError(f"no {what} given")
    return out


def parse_bool_list(spec: Any, what: str) -> list[bool]:
    """``true``/``false``, a list of them, or ``"true,false"`` → bools."""
    items = spec if isinstance(spec, list) else [spec] if isinstance(spec, bool) else str(spec).split(",")
    words = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
    out = []
    for v in items:
        if isinstance(v, bool):
            out.append(v)
        elif isinstance(v, str) and v.strip().lower() in words:
            out.append(words[v.strip().lower()])
        else:
            raise ConfigError(f"bad {what} {v!r}: expected true or false")
    if not out:
        raise ConfigError(f"no {what} given")
    return out


def parse_name_list(spec: str | list[Any], what: str, choices: tuple[str, ...] | list[str],
                    all_word: str | None = "all", why_not: Callable[[str], None] | None = None) -> list[str]:
    """``"rnn,lstm"`` or ``["rnn", "lstm"]`` → names, each checked against ``choices``;
    ``why_not(name)`` may raise a more telling ConfigError for a name that is not a choice."""
    items = spec if isinstance(spec, list) else str(spec).split(",")
    names = [str(s).strip().lower() for s in items if str(s).strip()]
    if not names:
        raise ConfigError(f"no {what} given")
    if all_word is not None and names == [all_word]:
        return list(choices)
    for n in names:
        if n not in choices:
            if why_not is not None:
                why_not(n)
            raise ConfigError(f"unknown {what} {n!r} (choose from {', '.join(choices)})")
    return names


def check_utf8(what: str, value: str) -> str:
    """A text setting must be valid Unicode: config.toml (UTF-8) records it. A file name that is
    not UTF-8 (its bytes kept as surrogates by Python) is a ConfigError showing it as ``\\xfe``."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape" if _escaped_bytes_only(value) else "backslashreplace")
        raise ConfigError(f"{what} '{shown.decode('utf-8', 'backslashreplace')}' is not UTF-8 text; seqgraph "
                          "records its settings in config.toml, which is UTF-8: rename it") from None
    return value


def _escaped_bytes_only(value: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in value)


# --- TOML -----------------------------------------------------------------------------------

def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file as a dict; a missing or malformed file is a ConfigError."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p} (shipped examples by name: seqgraph examples)") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {p} is a directory") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"malformed TOML in {p}: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {p} is not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(f"malformed TOML in {p}: nested too deeply") from None


def write_toml(path: str | Path, data: dict[str, Any], comment: str = "") -> None:
    """Write ``data`` as TOML, atomically, after ``comment`` lines (``# …``) if given."""
    import tomli_w

    head = "".join(f"# {line}\n" for line in comment.splitlines())
    atomic_write_bytes(path, (head + tomli_w.dumps(data)).encode())


SECTIONS = {"palindrome": "palindrome", "train": "train", "grads": "grads", "gcn_train": "gcn train"}


def _toml_data(cls: type, toml_path: str | Path | None) -> dict[str, Any]:
    """The keys for ``cls`` in a TOML file: its own table (``[palindrome]``, ``[train]``, …)
    merged over the top-level keys; other commands' tables are ignored."""
    if toml_path is None:
        return {}
    from seqgraph.examples import resolve_path

    data = read_toml(resolve_path(toml_path, "config"))
    section = getattr(cls, "toml_section", None)
    tables = {k for k, v in data.items() if isinstance(v, dict) and k in SECTIONS}
    top = {k: v for k, v in data.items() if k not in tables}
    if section in tables:
        return top | data[section]
    if tables and not top:
        other = sorted(tables)[0]
        raise ConfigError(f"{toml_path} holds settings for seqgraph {SECTIONS[other]} ([{other}]), "
                          f"none for seqgraph {SECTIONS.get(section or '', section)}")
    return top


def toml_keys(cls: type, toml_path: str | Path | None) -> set[str]:
    """The settings a TOML file gives for ``cls`` (names with ``_``), e.g. to tell whether
    it sets ``steps``."""
    return {k.replace("-", "_") for k in _toml_data(cls, toml_path)}


def resolve(cls: type[C], toml_path: str | Path | None = None, **flags: Any) -> C:
    """Build ``cls`` from its defaults, then the TOML file's keys, then the flags that were
    given (None means not given). Every value is type-checked (a file's too, where a flag
    overrides it: a wrong file is an error, not a trap for the next run); ``validate()`` runs last."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hidden = getattr(cls, "not_in_toml", ())
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in _toml_data(cls, toml_path).items():
        name = key.replace("-", "_")
        if name not in fields or name in hidden:
            known = ", ".join(k for k in fields if k not in hidden)
            raise ConfigError(f"unknown key {key!r} in {toml_path} (known: {known})")
        values[name] = _coerce(name, value, hints[name], f" in {toml_path}")
    for name, value in flags.items():
        if name not in fields:
            raise TypeError(f"{cls.__name__} has no field {name}")
        if value is not None:
            values[name] = _coerce(name, value, hints[name])
    cfg = cls(**values)
    validate = getattr(cfg, "validate", None)
    if validate is not None:
        validate()
    return cfg


EXPECTED = {bool: "true or false", int: "a whole number", float: "a finite number", str: "text"}


def _coerce(name: str, value: Any, hint: Any, where: str = "") -> Any:
    """Check a value against the field's type (int, float, bool, str, or a list of str or int,
    which also takes the comma list the command line takes); the error names the key, the
    expected type and where the value came from (``where``: e.g. " in sweep.toml")."""
    item = get_args(hint)[0] if get_origin(hint) is list else None
    if item is not None:
        expected = f"a list of {'names' if item is str else 'whole numbers'} or a comma list"
        scalars = (str, int) if item is str else (int,)
        ok = (isinstance(value, list) and all(isinstance(v, scalars) and not isinstance(v, bool) for v in value)) \
            or isinstance(value, str) or (item is int and isinstance(value, int) and not isinstance(value, bool))
    else:
        expected = EXPECTED.get(hint, getattr(hint, "__name__", str(hint)))
        if hint is bool:
            ok = isinstance(value, bool)
        elif hint is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif hint is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            value = float(value) if ok else value
        elif hint is str:
            ok = isinstance(value, str)
        else:
            ok = True
    if not ok:
        raise ConfigError(f"bad value for {name}{where}: {value!r} (expected {expected})")
    if isinstance(value, str):
        check_utf8(name, value)
    return value


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config or spec as plain types (for TOML/JSON next to results and in checkpoints)."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if v is not None}


SIZE_LIMIT = 2**31 - 1  # sizes and counts beyond this cannot be allocated or counted
MAX_LAYERS = 10_000  # stacked layers: more only builds modules for minutes
MAX_POINTS = 1_000_000  # points of a curve seqgraph computes and draws
MAX_RUNS = 100_000  # runs in one sweep (and values in one range): beyond, planning alone takes minutes


def _positive(obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if value <= 0:
            raise ConfigError(f"{name.replace('_', '-')} must be positive, got {value}")
        if value > SIZE_LIMIT:
            raise ConfigError(f"{name.replace('_', '-')} {value} is too large (at most {SIZE_LIMIT})")


def check_device(name: str) -> None:
    """auto, cpu, cuda, or cuda:N (the GPU numbered N); whether it exists is checked where
    torch is loaded (:func:`seqgraph.train.loop.resolve_device`)."""
    import re

    if name not in DEVICES and not re.fullmatch(r"cuda:\d+", name):
        raise ConfigError(f"unknown device {name!r} (choose from {', '.join(DEVICES)}, cuda:N)")


def check_memory(need: int, what: str) -> None:
    """Refuse up front work that needs more memory than the machine has free (``need`` bytes)."""
    from seqgraph.perf import available_memory

    free = available_memory()
    if free is not None and need > free:
        raise ConfigError(f"{what} needs about {need / 2**30:,.1f} GiB; this machine has {free / 2**30:,.1f} GiB "
                          "free: use smaller sizes")


def _layers(obj: Any) -> None:
    if getattr(obj, "layers", 0) > MAX_LAYERS:
        raise ConfigError(f"layers {obj.layers} is too many (at most {MAX_LAYERS:,})")


def _choice(value: str, what: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {what} {value!r} (choose from {', '.join(choices)})")


# --- sweeps: run specs, axes and how to run them ---------------------------------------------

def run_id(spec: Any) -> str:
    """A run's identity: a short hash of every setting that defines it, so a resumed or
    extended sweep recognises the runs it has already done, whatever else changed."""
    skip = getattr(spec, "continuable", ())
    later = getattr(spec, "in_id_unless_default", ())
    defaults = {f.name: f.default for f in dataclasses.fields(spec)}
    ident = {k: v for k, v in dataclasses.asdict(spec).items()
             if k not in skip and not (k in later and v == defaults[k])}
    text = json.dumps({"kind": type(spec).__name__, **ident}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def spec_fields(spec_cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(spec_cls)]


def axis_name(spec_cls: type, field: str) -> str:
    """The name users type for an axis (``lengths`` for the field ``length``)."""
    return getattr(spec_cls, "plural", {}).get(field, field)


def grid_default(spec_cls: type, field: str) -> list[Any]:
    """An axis's default values: the spec's ``grid_defaults`` or its field default."""
    defaults = getattr(spec_cls, "grid_defaults", {})
    if field in defaults:
        return list(defaults[field])
    return [next(f.default for f in dataclasses.fields(spec_cls) if f.name == field)]


def default_text(spec_cls: type, field: str) -> str:
    """An axis default as help text shows it."""
    values = grid_default(spec_cls, field)
    return ",".join("" if v == "" else str(v).lower() if isinstance(v, bool) else f"{v:g}"
                    if isinstance(v, float) else str(v) for v in values) or '""'


def parse_axis(spec_cls: type, field: str, raw: Any) -> list[Any]:
    """One axis's values, parsed by the field's type; duplicates dropped, order kept."""
    hint = get_type_hints(spec_cls)[field]
    what = axis_name(spec_cls, field).replace("_", "-")
    choices = getattr(spec_cls, "choices", {}).get(field)
    if hint is int:
        values: list[Any] = parse_int_list(raw, what)
    elif hint is float:
        values = parse_float_list(raw, what)
    elif hint is bool:
        values = parse_bool_list(raw, what)
    elif choices is not None:
        what = "model" if field == "model" else what
        values = parse_name_list(raw, what, tuple(choices() if callable(choices) else choices),
                                 why_not=getattr(spec_cls, "why_not", {}).get(field))
    else:
        paths = field in getattr(spec_cls, "paths", ())
        items = raw if isinstance(raw, list) else [raw] if paths or not isinstance(raw, str) else raw.split(",")
        items = [str(v) if isinstance(v, int) and not isinstance(v, bool) and not paths else v for v in items]
        if not all(isinstance(v, str) for v in items):
            raise ConfigError(f"bad {what} {raw!r}: expected text")
        values = [check_utf8(what, v.strip() if not paths else v) for v in items]
    if field in getattr(spec_cls, "paths", ()):  # the same file is the same run, however it is named
        values = [str(Path(v).expanduser().resolve()) if v else v for v in values]
    return list(dict.fromkeys(values))


@dataclasses.dataclass
class RunOptions:
    """How to carry out a sweep's runs. None of these changes a run's result."""

    not_in_toml: ClassVar[tuple[str, ...]] = ("resume", "overwrite")

    out: str = "results"  # output folder
    device: str = "auto"  # auto | cpu | cuda
    executor: str = "auto"  # auto | sequential | processes | batched | ray
    # seqgraph: the hand-written loop; fused: torch's kernel (oneDNN/cuDNN) on seqgraph's weights
    # (rnn, lstm, gru; one run at a time); auto: the faster where measured (seqgraph.nn.fused)
    kernel: str = "auto"
    batch_runs: int = 0  # runs trained at once as one model by the batched executor (0: auto)
    workers: int = 0  # processes / parallel Ray groups (0: one per core / per cluster GPU or CPU share)
    ray_address: str = ""  # Ray cluster: "" starts a local instance; "auto" or "ray://host:port" joins one
    resume: bool = False  # skip the runs already in the output's summary
    overwrite: bool = False  # replace results already in the output folder

    def validate(self) -> None:
        check_device(self.device)
        _choice(self.executor, "executor", EXECUTORS)
        _choice(self.kernel, "kernel", KERNELS)
        for name in ("batch_runs", "workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name.replace('_', '-')} must be ≥ 0, got {getattr(self, name)}")
        if self.resume and self.overwrite:
            raise ConfigError("--resume and --overwrite contradict each other: choose one")
        if self.ray_address and self.executor != "ray":
            raise ConfigError("--ray-address is for --executor ray")
        if self.workers and self.executor not in ("processes", "ray", "auto"):
            raise ConfigError(f"--workers is for --executor processes or ray, not {self.executor}")


@dataclasses.dataclass
class PalindromeOptions(RunOptions):
    """RunOptions of ``seqgraph palindrome``."""

    out: str = "results/palindrome"


@dataclasses.dataclass
class TrainOptions(RunOptions):
    """RunOptions of ``seqgraph train``, plus where a single run keeps its last checkpoint."""

    out: str = "results/charlm"
    ckpt: str = ""  # last checkpoint path of a single run; empty: <out>/last.pt (best: <out>/best.pt)


@dataclasses.dataclass
class Sweep(Generic[S]):
    """The runs of an experiment: every field of the spec with the values to sweep."""

    spec: type[S]
    axes: dict[str, list[Any]]  # field → values, every field present
    options: RunOptions
    preset: str = ""  # the course preset the axes started from ("": none)

    def runs(self) -> list[S]:
        """Every combination, outer axes first (``plan_order``), seeds innermost."""
        fields = spec_fields(self.spec)
        count = math.prod(len(self.axes[f]) for f in fields)
        if count > MAX_RUNS:
            sizes = " × ".join(str(len(self.axes[f])) for f in fields if len(self.axes[f]) > 1)
            raise ConfigError(f"the settings give {count:,} runs ({sizes}); at most {MAX_RUNS:,} in one sweep")
        first = [f for f in getattr(self.spec, "plan_order", ()) if f in fields]
        last = [f for f in ("seed",) if f in fields and f not in first]
        order = first + [f for f in fields if f not in first and f not in last] + last
        runs = [self.spec(**dict(zip(order, combo, strict=True)))
                for combo in itertools.product(*(self.axes[f] for f in order))]
        for r in runs:
            r.validate()  # type: ignore[attr-defined]
        return runs

    def varying(self) -> list[str]:
        """The fields that take more than one value, in spec order."""
        return [f for f in spec_fields(self.spec) if len(self.axes[f]) > 1]

    def single(self) -> S:
        """The one run of a sweep without axes."""
        runs = self.runs()
        if len(runs) != 1:
            raise ConfigError(f"expected one run, the settings give {len(runs)}")
        return runs[0]

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as TOML keys: axes (a scalar where one value), then options."""
        out: dict[str, Any] = {"preset": self.preset} if self.preset else {}
        for f in spec_fields(self.spec):
            values = self.axes[f]
            out[axis_name(self.spec, f)] = values[0] if len(values) == 1 else list(values)
        hidden = RunOptions.not_in_toml
        out.update({k: v for k, v in dataclasses.asdict(self.options).items() if k not in hidden})
        return out


def resolve_sweep(spec_cls: type[S], options_cls: type[RunOptions] = RunOptions,
                  toml_path: str | Path | None = None, **flags: Any) -> Sweep[S]:
    """Build a sweep from the spec's defaults, then a TOML file, then flags (None: not given).

    Flags and TOML keys name either an axis (a spec field, or its plural such as ``lengths``)
    or a run option (``out``, ``device``, ``executor``, …). ``preset`` (a flag or a TOML key, of
    specs that have ``presets``) names a layer of values between the defaults and the file:
    defaults < preset < TOML file < flags."""
    fields = spec_fields(spec_cls)
    names = {axis_name(spec_cls, f): f for f in fields} | {f: f for f in fields}
    opt_fields = [f.name for f in dataclasses.fields(options_cls)]
    raw_axes: dict[str, Any] = {}
    raw_opts: dict[str, Any] = {}

    opt_hints = get_type_hints(options_cls)

    def take(key: str, value: Any, where: str) -> None:
        name = key.replace("-", "_")
        if name in names:
            if where != "flag":  # a file's value is checked even where a flag overrides it
                try:
                    parse_axis(spec_cls, names[name], value)
                except ConfigError as e:
                    raise ConfigError(f"{e} (in {where})") from None
            raw_axes[names[name]] = value
        elif name in opt_fields and (where == "flag" or name not in options_cls.not_in_toml):
            if where != "flag":
                _coerce(name, value, opt_hints[name], f" in {where}")
            raw_opts[name] = value
        else:
            known = [axis_name(spec_cls, f) for f in fields] + [o for o in opt_fields
                                                                 if o not in options_cls.not_in_toml]
            raise ConfigError(f"unknown key {key!r} in {where} (known: {', '.join(known)})")

    toml = _toml_data(spec_cls, toml_path)
    presets = getattr(spec_cls, "presets", None)
    preset_name = flags.pop("preset", None)
    if preset_name is None and presets is not None:
        preset_name = toml.get("preset")
    toml = {k: v for k, v in toml.items() if not (presets is not None and k == "preset")}
    if preset_name:
        if presets is None:
            raise ConfigError(f"{spec_cls.__name__} has no presets")
        if not isinstance(preset_name, str):
            raise ConfigError(f"bad preset {preset_name!r}: expected a name")
        for key, value in presets(preset_name).items():
            take(key, value, f"preset {preset_name}")
    for key, value in toml.items():
        take(key, value, str(toml_path))
    for key, value in flags.items():
        if value is not None:
            take(key, value, "flag")
    axes = {f: parse_axis(spec_cls, f, raw_axes[f]) if f in raw_axes else grid_default(spec_cls, f)
            for f in fields}
    options = resolve(options_cls, None, **raw_opts)
    sweep = Sweep(spec_cls, axes, options, preset_name or "")
    for f in fields:  # every value on its own, so errors name the setting, not a combination
        base = {g: axes[g][0] for g in fields}
        for v in axes[f]:
            spec_cls(**(base | {f: v})).validate()  # type: ignore[attr-defined]
    return sweep


# --- the run specs ---------------------------------------------------------------------------

def _label(spec: Any, base: str, shown: tuple[str, ...], extra: tuple[str, ...]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    more = [f"{f}={fmt(getattr(spec, f))}" for f in extra if f not in shown]
    return " ".join([base, *more])


@dataclasses.dataclass(frozen=True)
class PalindromeRun:
    """One palindrome run: every setting that defines its result."""

    toml_section: ClassVar[str] = "palindrome"
    plural: ClassVar[dict[str, str]] = {"length": "lengths", "seed": "seeds"}
    # the default sweep: RNN vs LSTM, five lengths, three seeds (a result is a mean ± std, never one seed)
    grid_defaults: ClassVar[dict[str, tuple[Any, ...]]] = {"model": ("rnn", "lstm"), "length": (5, 10, 15, 20, 25),
                                                          "seed": (1, 2, 3)}
    plan_order: ClassVar[tuple[str, ...]] = ("task", "length", "model")
    choices: ClassVar[dict[str, Any]] = {"model": cell_names, "task": TASKS, "optimizer": OPTIMIZERS,
                                         "encoding": ENCODINGS, "init": INITS}
    # settings added after run ids were in use: part of a run's id only when not at their
    # default, so every run made before they existed keeps its id
    in_id_unless_default: ClassVar[tuple[str, ...]] = ("t0",)

    @staticmethod
    def presets(name: str) -> dict[str, Any]:
        """The values of course preset ``name`` (seqgraph.presets)."""
        from seqgraph.presets import get_preset

        return dict(get_preset(name).values)

    model: str = "lstm"  # recurrent cell (seqgraph.nn.registry)
    task: str = "decimal"  # decimal | binary | baum-sweet | random-combinations (seqgraph.tasks.palindrome)
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
    optimizer: str = "rmsprop"
    lr: float = 1e-3
    max_norm: float = 10.0  # gradient-norm clipping; 0 disables
    eval_every: int = 50  # steps between held-out evaluations
    eval_batch_size: int = 1024
    early_stop: bool = True  # end a run once it has solved the task
    solved_accuracy: float = 0.99  # held-out accuracy that counts as solved
    solved_evals: int = 3  # ... on this many consecutive evaluations

    def validate(self) -> None:
        check_cell(self.model)
        _choice(self.task, "task", TASKS)
        _choice(self.encoding, "encoding", ENCODINGS)
        _choice(self.init, "init", INITS)
        if self.t0 not in (0, 1):
            raise ConfigError(f"t0 must be 0 or 1, got {self.t0}")
        if self.length < 2:
            raise ConfigError(f"palindrome length {self.length} is too short: need at least 2 digits")
        if self.task == "baum-sweet" and self.length > 18:
            raise ConfigError(f"baum-sweet length {self.length} is too long: at most 18 "
                              "(integers up to 10^L are drawn in 63 bits)")
        self.num_classes()
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"seeds must be in [0, 2^63), got {self.seed}")
        _positive(self, "steps", "batch_size", "hidden", "layers", "eval_every", "eval_batch_size", "solved_evals")
        _layers(self)
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.max_norm < 0:
            raise ConfigError(f"max-norm must be ≥ 0, got {self.max_norm}")
        if not 0 < self.solved_accuracy <= 1:
            raise ConfigError(f"solved-accuracy must be in (0, 1], got {self.solved_accuracy}")
        _choice(self.optimizer, "optimizer", OPTIMIZERS)

    def num_classes(self) -> int:
        """The output layer's size: ``classes`` resolved against the task and length."""
        need = {"decimal": 10, "random-combinations": self.length}.get(self.task, 2)
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
        return _label(self, f"{self.model} L={self.length} seed={self.seed}", ("model", "length", "seed"), extra)


CHAR_CELLS_EXTRA = ("torch",)  # nn.LSTM, beside seqgraph's cells
CHAR_MODEL_IS_CAUSAL = "a character model predicts each character from the ones before it"
GRADS_ARE_FORWARD = "grads follows the loss back through states that run forward in time"


def char_cells() -> tuple[str, ...]:
    """The cells a character model can use: seqgraph's forward-only cells and ``torch``."""
    return (*unidirectional_cells(), *CHAR_CELLS_EXTRA)


@dataclasses.dataclass(frozen=True)
class CharLMRun:
    """One character-level language model (defaults as the course: 2 × 128 LSTM, seq 30,
    batch 64): every setting that defines the trained model."""

    toml_section: ClassVar[str] = "train"
    choices: ClassVar[dict[str, Any]] = {"cell": char_cells, "optimizer": OPTIMIZERS}
    why_not: ClassVar[dict[str, Any]] = {  # a name that is no choice, with the reason
        "cell": lambda name: check_unidirectional(name, "cell", CHAR_MODEL_IS_CAUSAL, CHAR_CELLS_EXTRA)}
    paths: ClassVar[tuple[str, ...]] = ("text",)  # stored absolute
    # a run continued with more steps (or other logging) is the same run: --resume goes on
    continuable: ClassVar[tuple[str, ...]] = ("steps", "eval_every", "eval_batches", "sample_every", "sample_length")

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
    forget_bias: float = 1.0  # initial forget-gate bias of seqgraph's LSTM-type cells
    learn_gate: bool = True  # tglstm: learn the time gate's τ, s, r_on
    val_fraction: float = 0.05  # the last part of the text, held out
    eval_every: int = 250  # steps between validation passes
    eval_batches: int = 20  # validation windows per pass: eval_batches × batch_size
    sample_every: int = 1000  # steps between sample snapshots (0: never)
    sample_length: int = 60
    seed: int = 0

    def validate(self) -> None:
        check_unidirectional(self.cell, "cell", CHAR_MODEL_IS_CAUSAL, CHAR_CELLS_EXTRA)
        _choice(self.cell, "cell", char_cells())
        _positive(self, "layers", "hidden", "seq_length", "batch_size", "steps", "lr_step", "eval_every",
                  "eval_batches", "sample_length")
        _layers(self)
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
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"seed must be in [0, 2^63), got {self.seed}")
        _choice(self.optimizer, "optimizer", OPTIMIZERS)

    def label(self, extra: tuple[str, ...] = ()) -> str:
        """``lstm 2×128``, plus ``name=value`` for each setting in ``extra``."""
        return _label(self, f"{self.cell} {self.layers}×{self.hidden}", ("cell", "layers", "hidden"), extra)


# --- single analyses -------------------------------------------------------------------------

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
        self.model = parse_name_list(self.model, "model", unidirectional_cells(),
                                     why_not=lambda name: check_unidirectional(name, "model", GRADS_ARE_FORWARD))
        self.seeds = parse_int_list(self.seeds, "seeds")
        if self.length < 3:
            raise ConfigError(f"length must be at least 3, got {self.length}")
        if self.train_steps < 0:
            raise ConfigError(f"train-steps must be ≥ 0, got {self.train_steps}")
        for name in ("batch_size", "hidden"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        _positive(self, "length", "batch_size", "hidden")
        # float64 states, gates and their gradients at every step, weights and their gradients
        check_memory(8 * (16 * self.batch_size * self.length * self.hidden + 32 * self.hidden * self.hidden),
                     f"grads at length {self.length:,}, batch size {self.batch_size:,}, hidden {self.hidden:,}")
        check_device(self.device)


@dataclasses.dataclass
class TimeGateConfig:
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
