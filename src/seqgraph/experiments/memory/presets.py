"""Presets of ``seqgraph memory``: a paper's or repository's settings for a benchmark, every
value with its source (the README table and ``seqgraph memory --help`` read them). A preset is
a layer of defaults: built-in defaults < preset < TOML file < flags. No torch here.
"""

from __future__ import annotations

from seqgraph.errors import ConfigError
from seqgraph.presets import Preset

PRESETS: dict[str, Preset] = {}


def get_preset(name: str) -> Preset:
    """The preset ``name``; an unknown name is a ConfigError listing the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})") from None


def check_preset_task(name: str, task: str | None) -> None:
    """A ConfigError when ``task`` (as given on the command line: a name or a comma list) is
    not the task preset ``name`` is for: its settings belong to that task."""
    want = get_preset(name).values.get("task")
    if task is None or want is None:
        return
    asked = [t.strip() for t in str(task).split(",") if t.strip()]
    if asked != [want]:
        raise ConfigError(f"preset {name} holds the settings of the {want} task, not --task {task}: "
                          f"drop --task, or give the {want} task's settings yourself")
