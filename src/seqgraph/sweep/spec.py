"""Run specs: a frozen dataclass of every setting that defines one run's result.

Any field given as a list is a sweep axis (:mod:`seqgraph.sweep.grid`); a run is identified by
:func:`run_id`, a hash of its settings, so a resumed or extended sweep recognises the runs it has
already done. Everything the engine reads of a spec is declared on :class:`RunSpec`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from seqgraph.config import Settings
from seqgraph.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class RunSpec(Settings):
    """Base of every run spec. Subclasses are frozen dataclasses whose fields are the run's
    settings (each a TOML key, a flag, an axis and a CSV column) and may declare:"""

    plural: ClassVar[Mapping[str, str]] = {}
    """field → the name users type for its axis (``lengths`` for ``length``)."""

    grid_defaults: ClassVar[Mapping[str, tuple[Any, ...]]] = {}
    """field → the values of its axis when none are given (else the field's default alone)."""

    plan_order: ClassVar[tuple[str, ...]] = ()
    """The outermost axes of the grid, in order (seeds are always innermost)."""

    choices: ClassVar[Mapping[str, Sequence[str] | Callable[[], Sequence[str]]]] = {}
    """field → its allowed names (or a function giving them); ``all`` selects every one."""

    why_not: ClassVar[Mapping[str, Callable[[str], None]]] = {}
    """field → a check raising a more telling ConfigError for a name that is no choice."""

    paths: ClassVar[tuple[str, ...]] = ()
    """Fields holding file paths: stored absolute, so the same file is the same run."""

    continuable: ClassVar[tuple[str, ...]] = ()
    """Settings a run may grow without becoming another run (``--resume`` goes on): left out of
    :func:`run_id`."""

    in_id_unless_default: ClassVar[tuple[str, ...]] = ()
    """Settings added after run ids were in use: part of a run's id only when not at their
    default, so every run made before they existed keeps its id (and older CSVs lacking their
    column read as the default)."""

    @classmethod
    def preset_names(cls) -> tuple[str, ...]:
        """The named layers of values this spec offers (``--preset``); none by default."""
        return ()

    @classmethod
    def preset(cls, name: str) -> Mapping[str, Any]:
        """The values of preset ``name`` (axis or option names → values)."""
        raise ConfigError(f"{cls.__name__} has no presets")

    def label(self, extra: tuple[str, ...] = ()) -> str:
        """A run's short name for progress lines (``lstm L=25 seed=42``), plus ``name=value``
        for each setting in ``extra``."""
        return label(self, type(self).__name__, (), extra)


def spec_fields(spec_cls: type[RunSpec]) -> list[str]:
    return [f.name for f in dataclasses.fields(spec_cls)]


def run_id(spec: RunSpec) -> str:
    """A run's identity: a short hash of every setting that defines it (but the
    :attr:`~RunSpec.continuable` ones, and :attr:`~RunSpec.in_id_unless_default` ones at their
    default), so a resumed or extended sweep recognises the runs it has already done."""
    skip, later = spec.continuable, spec.in_id_unless_default
    defaults = {f.name: f.default for f in dataclasses.fields(spec)}
    ident = {k: v for k, v in dataclasses.asdict(spec).items()
             if k not in skip and not (k in later and v == defaults[k])}
    text = json.dumps({"kind": type(spec).__name__, **ident}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def label(spec: RunSpec, base: str, shown: tuple[str, ...], extra: tuple[str, ...]) -> str:
    """``base``, plus ``name=value`` for each setting in ``extra`` not in ``shown``."""
    def fmt(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    more = [f"{f}={fmt(getattr(spec, f))}" for f in extra if f not in shown]
    return " ".join([base, *more])
