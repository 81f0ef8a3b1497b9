"""A search space: the run settings of a sweep command, given as ranges or choices.

Every setting takes what its sweep command takes, and more:

* one value (``--hidden 128``): fixed for every trial;
* a list (``--hidden 64,128,256``, ``--model lstm,gru``): a choice among those values;
* a range ``LOW..HIGH`` of a number setting (``--lr 1e-4..1e-1:log``, ``--hidden 32..256:32``),
  both ends included: uniform, ``:log`` log-uniform (both ends > 0), ``:STEP`` on a grid of
  that step from LOW (HIGH − LOW a whole number of steps).

Each dimension's values are checked as the sweep command checks them (the run spec's
``validate``), before anything runs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_type_hints

from seqgraph.errors import ConfigError
from seqgraph.sweep.grid import axis_name, parse_axis
from seqgraph.sweep.spec import RunSpec, spec_fields

FIXED_PER_TRIAL = ("seed",)  # a trial is one run: one seed (check the best settings over seeds with the sweep)


@dataclass(frozen=True)
class Dimension:
    """One searched setting: ``kind`` float | int (a range) or choice (a list of values)."""

    field: str  # the run spec's field
    name: str  # as users type it (the axis name: ``lengths``)
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any) -> Any:
        """This dimension's value for an Optuna ``trial``."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.field, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.field, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.field, self.low, self.high, step=self.step, log=self.log)

    def text(self) -> str:
        """As typed on the command line (and kept in the study, so ``--resume`` can compare)."""
        if self.kind == "choice":
            return ",".join(_fmt(v) for v in self.choices)
        tail = ":log" if self.log else f":{_fmt(self.step)}" if self.step is not None else ""
        return f"{_fmt(self.low)}..{_fmt(self.high)}{tail}"

    def ends(self) -> list[Any]:
        """The values to check against the spec: each choice, or both ends of a range."""
        if self.kind == "choice":
            return list(self.choices)
        return [int(self.low), int(self.high)] if self.kind == "int" else [self.low, self.high]


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return f"{v:g}" if isinstance(v, float) else str(v)


def parse_range(spec_cls: type[RunSpec], field: str, text: str) -> Dimension:
    """``LOW..HIGH[:log|:STEP]`` for a number setting ``field`` of ``spec_cls``."""
    name = axis_name(spec_cls, field)
    what = name.replace("_", "-")
    hint = get_type_hints(spec_cls)[field]
    if hint not in (int, float) or hint is bool:
        raise ConfigError(f"bad {what} range {text!r}: {what} is not a number; give a list of choices "
                          f"(e.g. a,b) to search over")
    body, _, tail = text.partition(":")
    low_text, sep, high_text = body.partition("..")
    kind = "int" if hint is int else "float"

    def number(s: str, part: str) -> float:
        try:
            x = int(s.strip()) if kind == "int" else float(s.strip())
        except ValueError:
            expected = "a whole number" if kind == "int" else "a number"
            raise ConfigError(f"bad {what} range {text!r}: its {part} {s.strip()!r} is not {expected} "
                              f"(a range is LOW..HIGH, :log or :STEP after it)") from None
        if not math.isfinite(x):
            raise ConfigError(f"bad {what} range {text!r}: its {part} must be finite")
        return float(x)

    if not sep:
        raise ConfigError(f"bad {what} range {text!r}: expected LOW..HIGH")
    low, high = number(low_text, "low end"), number(high_text, "high end")
    if low > high:
        raise ConfigError(f"bad {what} range {text!r}: inverted (the low end {_fmt(low)} is above the high end "
                          f"{_fmt(high)})")
    if low == high:
        raise ConfigError(f"bad {what} range {text!r}: empty (both ends {_fmt(low)}); give one value to fix it")
    log, step = False, None
    if tail.strip() == "log":
        log = True
        if low <= 0:
            raise ConfigError(f"bad {what} range {text!r}: a log range needs both ends > 0")
    elif tail.strip():
        step = number(tail, "step")
        if step <= 0:
            raise ConfigError(f"bad {what} range {text!r}: the step must be > 0")
        count = (high - low) / step
        if abs(count - round(count)) > 1e-9 * max(1.0, count):
            raise ConfigError(f"bad {what} range {text!r}: {_fmt(high)} − {_fmt(low)} is not a whole number of "
                              f"steps of {_fmt(step)}")
    elif tail or text.endswith(":"):
        raise ConfigError(f"bad {what} range {text!r}: expected :log or :STEP after the range")
    return Dimension(field, name, kind, low, high, log, step)


def split_space(spec_cls: type[RunSpec], flags: Mapping[str, Any]) -> tuple[dict[str, Any], list[Dimension]]:
    """The given flags as (fixed flags, dimensions): a range or a list of a run setting is a
    dimension; every other flag passes on as given."""
    names = {axis_name(spec_cls, f): f for f in spec_fields(spec_cls)} | {f: f for f in spec_fields(spec_cls)}
    fixed: dict[str, Any] = {}
    dims: list[Dimension] = []
    for key, raw in flags.items():
        field = names.get(key.replace("-", "_"))
        if field is None or raw is None:
            fixed[key] = raw
            continue
        what = axis_name(spec_cls, field).replace("_", "-")
        if isinstance(raw, str) and ".." in raw:
            if field in FIXED_PER_TRIAL:
                raise ConfigError(f"bad {what} {raw!r}: a trial is one run of one seed; give one seed (then check "
                                  "the best settings over seeds with the sweep command)")
            dims.append(parse_range(spec_cls, field, raw))
            continue
        values = parse_axis(spec_cls, field, raw)
        if len(values) > 1:
            if field in FIXED_PER_TRIAL:
                raise ConfigError(f"bad {what} {raw!r}: a trial is one run of one seed; give one seed (then check "
                                  "the best settings over seeds with the sweep command)")
            dims.append(Dimension(field, axis_name(spec_cls, field), "choice", choices=tuple(values)))
        else:
            fixed[key] = raw
    return fixed, dims


def check_space(spec_cls: type[RunSpec], base: Mapping[str, Any], dims: list[Dimension]) -> None:
    """Every dimension's values (choices, range ends) as valid settings of a run ``base``."""
    for d in dims:
        for v in d.ends():
            try:
                spec_cls(**(dict(base) | {d.field: v})).validate()
            except ConfigError as e:
                raise ConfigError(f"{d.name.replace('_', '-')} {d.text()}: {e}") from None
            except TypeError as e:  # a value the spec cannot hold
                raise ConfigError(f"{d.name.replace('_', '-')} {d.text()}: {e}") from None


def describe_space(dims: list[Dimension]) -> dict[str, str]:
    """The space as text, by the names users type (kept in the study and in config.toml)."""
    return {d.name: d.text() for d in dims}


def base_settings(spec_cls: type[RunSpec], axes: Mapping[str, list[Any]], dims: list[Dimension]) -> dict[str, Any]:
    """The fixed settings of every trial, by field; refuses a setting left at a default of
    several values (a search needs one, or a range / list to search over), but the seed, which
    takes the first of its default values."""
    searched = {d.field for d in dims}
    base: dict[str, Any] = {}
    for f in dataclasses.fields(spec_cls):
        if f.name in searched:
            base[f.name] = axes[f.name][0]
            continue
        values = axes[f.name]
        if len(values) > 1 and f.name not in FIXED_PER_TRIAL:  # (a seed left at its default: the first)
            what = axis_name(spec_cls, f.name).replace("_", "-")
            raise ConfigError(f"--{what}: its default is several values ({','.join(_fmt(v) for v in values)}); a "
                              f"search needs one (--{what} VALUE), or a range or list to search over")
        base[f.name] = values[0]
    return base
