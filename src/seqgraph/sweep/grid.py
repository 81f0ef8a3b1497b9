"""A sweep: every field of a run spec with the values to sweep, and how to carry its runs out.

Flags and TOML keys name either an axis (a spec field, or its plural such as ``lengths``) or a
run option (:class:`RunOptions`: ``out``, ``device``, ``executor``, …). Precedence: defaults <
preset < TOML file < flags. The grid is the product of the axes, outer axes first
(:attr:`~seqgraph.sweep.spec.RunSpec.plan_order`), seeds innermost.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, get_type_hints

from seqgraph.config import (
    MAX_RUNS,
    Settings,
    check_choice,
    check_device,
    check_utf8,
    coerce,
    parse_bool_list,
    parse_float_list,
    parse_int_list,
    parse_name_list,
    resolve,
    toml_data,
)
from seqgraph.errors import ConfigError
from seqgraph.sweep.spec import RunSpec, spec_fields

S = TypeVar("S", bound=RunSpec)

EXECUTORS = ("auto", "sequential", "processes", "batched", "ray")


def axis_name(spec_cls: type[RunSpec], field: str) -> str:
    """The name users type for an axis (``lengths`` for the field ``length``)."""
    return spec_cls.plural.get(field, field)


def grid_default(spec_cls: type[RunSpec], field: str) -> list[Any]:
    """An axis's default values: the spec's ``grid_defaults`` or its field default."""
    defaults = spec_cls.grid_defaults
    if field in defaults:
        return list(defaults[field])
    return [next(f.default for f in dataclasses.fields(spec_cls) if f.name == field)]


def default_text(spec_cls: type[RunSpec], field: str) -> str:
    """An axis default as help text shows it."""
    values = grid_default(spec_cls, field)
    return ",".join("" if v == "" else str(v).lower() if isinstance(v, bool) else f"{v:g}"
                    if isinstance(v, float) else str(v) for v in values) or '""'


def parse_axis(spec_cls: type[RunSpec], field: str, raw: Any) -> list[Any]:
    """One axis's values, parsed by the field's type; duplicates dropped, order kept."""
    hint = get_type_hints(spec_cls)[field]
    what = axis_name(spec_cls, field).replace("_", "-")
    choices = spec_cls.choices.get(field)
    if hint is int:
        values: list[Any] = parse_int_list(raw, what)
    elif hint is float:
        values = parse_float_list(raw, what)
    elif hint is bool:
        values = parse_bool_list(raw, what)
    elif choices is not None:
        what = "model" if field == "model" else what
        values = parse_name_list(raw, what, tuple(choices() if callable(choices) else choices),
                                 why_not=spec_cls.why_not.get(field))
    else:
        paths = field in spec_cls.paths
        items = raw if isinstance(raw, list) else [raw] if paths or not isinstance(raw, str) else raw.split(",")
        items = [str(v) if isinstance(v, int) and not isinstance(v, bool) and not paths else v for v in items]
        if not all(isinstance(v, str) for v in items):
            raise ConfigError(f"bad {what} {raw!r}: expected text")
        values = [check_utf8(what, v.strip() if not paths else v) for v in items]
    if field in spec_cls.paths:  # the same file is the same run, however it is named
        values = [str(Path(v).expanduser().resolve()) if v else v for v in values]
    return list(dict.fromkeys(values))


@dataclasses.dataclass
class RunOptions(Settings):
    """How to carry out a sweep's runs. None of these changes a run's result."""

    not_in_toml: ClassVar[tuple[str, ...]] = ("resume", "overwrite", "dry_run")

    out: str = "results"  # output folder
    device: str = "auto"  # auto | cpu | cuda
    executor: str = "auto"  # auto | sequential | processes | batched | ray
    batch_runs: int = 0  # runs trained at once as one model by the batched executor (0: auto)
    workers: int = 0  # processes / parallel Ray groups (0: one per core / per cluster GPU or CPU share)
    ray_address: str = ""  # Ray cluster: "" starts a local instance; "auto" or "ray://host:port" joins one
    tensorboard: str = ""  # folder for TensorBoard event files, one folder per run ("": none; seqgraph[tensorboard])
    resume: bool = False  # skip the runs already in the output's summary
    overwrite: bool = False  # replace results already in the output folder
    dry_run: bool = False  # print the plan (runs, jobs, kernels, run-steps, memory, time) and train nothing

    def validate(self) -> None:
        check_device(self.device)
        check_choice(self.executor, "executor", EXECUTORS)
        for name in ("batch_runs", "workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name.replace('_', '-')} must be ≥ 0, got {getattr(self, name)}")
        if self.resume and self.overwrite:
            raise ConfigError("--resume and --overwrite contradict each other: choose one")
        if self.ray_address and self.executor != "ray":
            raise ConfigError("--ray-address is for --executor ray")
        if self.workers and self.executor not in ("processes", "ray", "auto"):
            raise ConfigError(f"--workers is for --executor processes or ray, not {self.executor}")
        if self.tensorboard:
            from seqgraph.tensorboard import require

            require()  # before any run starts


@dataclasses.dataclass
class Sweep(Generic[S]):
    """The runs of an experiment: every field of the spec with the values to sweep."""

    owns_config: ClassVar[bool] = True
    """Whether the engine writes the folder's config.toml from :meth:`to_dict` (a search's
    rounds do not: the search writes its own)."""

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
        first = [f for f in self.spec.plan_order if f in fields]
        last = [f for f in ("seed",) if f in fields and f not in first]
        order = first + [f for f in fields if f not in first and f not in last] + last
        runs = [self.spec(**dict(zip(order, combo, strict=True)))
                for combo in itertools.product(*(self.axes[f] for f in order))]
        for r in runs:
            r.validate()
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
    specs that offer :meth:`~seqgraph.sweep.spec.RunSpec.preset_names`) names a layer of values
    between the defaults and the file: defaults < preset < TOML file < flags."""
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
                coerce(name, value, opt_hints[name], f" in {where}")
            raw_opts[name] = value
        else:
            known = [axis_name(spec_cls, f) for f in fields] + [o for o in opt_fields
                                                                 if o not in options_cls.not_in_toml]
            raise ConfigError(f"unknown key {key!r} in {where} (known: {', '.join(known)})")

    toml = toml_data(spec_cls, toml_path)
    has_presets = bool(spec_cls.preset_names())
    preset_name = flags.pop("preset", None)
    if preset_name is None and has_presets:
        preset_name = toml.get("preset")
    toml = {k: v for k, v in toml.items() if not (has_presets and k == "preset")}
    if preset_name:
        if not isinstance(preset_name, str):
            raise ConfigError(f"bad preset {preset_name!r}: expected a name")
        for key, value in spec_cls.preset(preset_name).items():
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
            spec_cls(**(base | {f: v})).validate()
    return sweep
