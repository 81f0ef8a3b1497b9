"""What every command shares: turning seqgraph errors into one line and exit code 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from seqgraph.errors import SeqgraphError


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` as one line on stderr; return the Exit to raise."""
    sys.stderr.write(f"error: {' '.join(str(message).split())}\n")
    sys.stderr.flush()
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Run core code; a SeqgraphError becomes one line on stderr and exit code 2."""
    try:
        yield
    except SeqgraphError as e:
        raise fail(str(e)) from None


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=_jsonable) + "\n")


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


# help panels of experiment commands
SETTINGS = "Run settings (a list, e.g. 1e-3,1e-2, sweeps that setting)"
RUN = "How to run (never changes a result)"


def option_default(cls: type, field: str, typed: bool = False) -> Any:
    """A dataclass field's default (defaults are written once, there): as help text shows it,
    or with ``typed`` the value itself."""
    import dataclasses

    value = next(f.default for f in dataclasses.fields(cls) if f.name == field)
    if typed:
        return value
    return '""' if value == "" else str(value)


def given(ctx: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The options the user gave (on the command line or in the environment), by name.

    Options carry the dataclass defaults so help shows them; passing on only what was given
    keeps the precedence defaults < TOML file < flags."""
    def defaulted(name: str) -> bool:
        source = ctx.get_parameter_source(name)
        return source is None or source.name in ("DEFAULT", "DEFAULT_MAP")

    return {name: value for name, value in ctx.params.items() if name not in exclude and not defaulted(name)}
