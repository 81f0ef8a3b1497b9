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
