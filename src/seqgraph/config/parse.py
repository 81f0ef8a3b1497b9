"""Parsing the values users type: ranges, comma lists, names, booleans.

The command line and TOML files take the same forms: ``"5:81:2"`` (start:stop:step, stop
inclusive), ``"5,10,20"`` or a list, ``"1e-3,1e-2"``, ``"rnn,lstm"`` (or ``all``). A value
given twice counts once (``--seeds 1,1`` is one seed), in every list, in the order first given.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

from seqgraph.config.limits import MAX_RUNS
from seqgraph.errors import ConfigError

F = TypeVar("F", bound=Callable[..., list[Any]])


def distinct(parse: F) -> F:
    """A list parser whose values come once each, in the order first given."""

    @functools.wraps(parse)
    def once(*args: Any, **kwargs: Any) -> list[Any]:
        return list(dict.fromkeys(parse(*args, **kwargs)))

    return cast(F, once)


@distinct
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


@distinct
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


@distinct
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


@distinct
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
