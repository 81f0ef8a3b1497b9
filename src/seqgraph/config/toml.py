"""TOML files and the precedence every command follows: defaults < TOML file < flags.

A settings class is a dataclass deriving :class:`Settings`: its fields are its TOML keys (a
``[section]`` table named :attr:`Settings.toml_section` is also accepted), each value is
type-checked against the field's annotation, unknown keys are errors, and
:meth:`Settings.validate` runs last.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path
from typing import Any, ClassVar, TypeVar, get_args, get_origin, get_type_hints

from seqgraph.config.parse import check_utf8
from seqgraph.errors import ConfigError
from seqgraph.io import atomic_write_bytes

C = TypeVar("C", bound="Settings")

# the tables a seqgraph config file may hold, one per command that reads a config (tested
# against every Settings subclass): a table of another command is skipped, an unknown one is an error
SECTIONS = ("palindrome", "memory", "train", "grads", "gcn_train", "transfer")


class Settings:
    """Base of every settings dataclass read from flags and TOML (run specs, run options,
    the configs of single analyses).

    Subclasses are dataclasses; what they may declare, with its default:
    """

    toml_section: ClassVar[str] = ""
    """The ``[table]`` of a TOML file that holds this class's keys (merged over the file's
    top-level keys); one of :data:`SECTIONS`, or "" for none."""

    not_in_toml: ClassVar[tuple[str, ...]] = ()
    """Fields a file may not set (they only make sense as flags, e.g. ``resume``)."""

    def validate(self) -> None:
        """Raise a ConfigError naming the first bad value (a non-frozen config may also
        normalise its fields here, e.g. a comma list into a list)."""


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


def toml_data(cls: type[Settings], toml_path: str | Path | None) -> dict[str, Any]:
    """The keys for ``cls`` in a TOML file: its own table (``[palindrome]``, ``[train]``, …)
    merged over the top-level keys; other commands' tables are ignored."""
    if toml_path is None:
        return {}
    from seqgraph.examples import resolve_path

    data = read_toml(resolve_path(toml_path, "config"))
    section = cls.toml_section
    tables = {k for k, v in data.items() if isinstance(v, dict) and k in SECTIONS}
    top = {k: v for k, v in data.items() if k not in tables}
    if section in tables:
        return top | data[section]
    if tables and not top:
        other = sorted(tables)[0]
        raise ConfigError(f"{toml_path} holds settings for seqgraph {other.replace('_', ' ')} ([{other}]), "
                          f"none for seqgraph {section.replace('_', ' ')}")
    return top


def toml_keys(cls: type[Settings], toml_path: str | Path | None) -> set[str]:
    """The settings a TOML file gives for ``cls`` (names with ``_``), e.g. to tell whether
    it sets ``steps``."""
    return {k.replace("-", "_") for k in toml_data(cls, toml_path)}


def resolve(cls: type[C], toml_path: str | Path | None = None, **flags: Any) -> C:
    """Build ``cls`` from its defaults, then the TOML file's keys, then the flags that were
    given (None means not given). Every value is type-checked (a file's too, where a flag
    overrides it: a wrong file is an error, not a trap for the next run); ``validate()`` runs last."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hidden = cls.not_in_toml
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in toml_data(cls, toml_path).items():
        name = key.replace("-", "_")
        if name not in fields or name in hidden:
            known = ", ".join(k for k in fields if k not in hidden)
            raise ConfigError(f"unknown key {key!r} in {toml_path} (known: {known})")
        values[name] = coerce(name, value, hints[name], f" in {toml_path}")
    for name, value in flags.items():
        if name not in fields:
            raise TypeError(f"{cls.__name__} has no field {name}")
        if value is not None:
            values[name] = coerce(name, value, hints[name])
    cfg = cls(**values)
    cfg.validate()
    return cfg


EXPECTED = {bool: "true or false", int: "a whole number", float: "a finite number", str: "text"}


def coerce(name: str, value: Any, hint: Any, where: str = "") -> Any:
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
