"""What every command shares: turning seqgraph errors into one line and exit code 2."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from seqgraph.errors import SeqgraphError

_failures = [0]  # error lines printed by fail() in this process


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` as one line on stderr; return the Exit to raise. A byte of a name
    that was not UTF-8 reads ``\\xfe`` (as the shell writes it), also where a message quotes
    the name with repr(), which writes ``\\udcfe``."""
    line = " ".join(str(message).split())
    line = re.sub(r"\\udc([89a-f][0-9a-f])", r"\\x\1", line)
    sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()
    _failures[0] += 1
    return typer.Exit(code)


def failures() -> int:
    """How many error lines :func:`fail` has printed in this process."""
    return _failures[0]


def _escape(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a character the stream cannot encode as its escape. A byte of a
    name that was not UTF-8 (Python keeps it as a surrogate, U+DC80–U+DCFF) reads as ``\\xfe``,
    as the shell writes it; anything else as ``\\uXXXX``."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else f"\\u{ord(c):04x}"
                   if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}" for c in bad)
    return text, error.end


def readable_streams() -> None:
    """stdout and stderr print any name: a file name that is not UTF-8, or a label holding a lone
    surrogate, is escaped (``\\xfe``) instead of a UnicodeEncodeError. Process-wide: called at
    the CLI entry."""
    import codecs
    import io

    try:
        codecs.lookup_error("seqgraph-escape")
    except LookupError:
        codecs.register_error("seqgraph-escape", _escape)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="seqgraph-escape")


def matplotlib_cache() -> None:
    """Where matplotlib's default config and cache folders (under ``$HOME``) cannot be written,
    point ``MPLCONFIGDIR`` at a folder of this user's own in the temporary directory, kept
    between runs so its font cache is built once (matplotlib made a new one each time and said
    so in two lines on stderr). Process-wide (an environment variable): called at the CLI entry,
    before anything imports matplotlib."""
    import os
    import tempfile
    from pathlib import Path

    if os.environ.get("MPLCONFIGDIR"):
        return
    home = Path.home() if os.environ.get("HOME") else None
    bases = [os.environ.get("XDG_CONFIG_HOME") or (home and home / ".config"),
             os.environ.get("XDG_CACHE_HOME") or (home and home / ".cache")]

    def writable(base: Any) -> bool:
        if not base:
            return False
        folder = Path(base) / "matplotlib"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return os.access(folder, os.W_OK)

    if all(writable(b) for b in bases):
        return
    uid = os.getuid() if hasattr(os, "getuid") else None
    own = Path(tempfile.gettempdir()) / f"seqgraph-matplotlib-{uid if uid is not None else 'user'}"
    try:
        own.mkdir(mode=0o700, exist_ok=True)
        ok = own.is_dir() and not own.is_symlink() and (uid is None or own.stat().st_uid == uid)  # not another's
    except OSError:
        ok = False
    os.environ["MPLCONFIGDIR"] = str(own) if ok else tempfile.mkdtemp(prefix="seqgraph-matplotlib-")


@contextmanager
def user_errors() -> Iterator[None]:
    """Run core code; a SeqgraphError — or a path that cannot be written or read, such as an
    --out inside a file — becomes one line on stderr and exit code 2."""
    try:
        yield
    except SeqgraphError as e:
        raise fail(str(e)) from None
    except OSError as e:
        where = f": {e.filename}" if e.filename else ""
        raise fail(f"{e.strerror or type(e).__name__}{where}") from None
    except UnicodeEncodeError as e:  # text that is not Unicode (a lone surrogate) on its way to a file
        bad = e.object[e.start : e.end]
        raise fail(f"cannot write {bad!r}: it is not Unicode text (a name or label that is not UTF-8?)") from None


_terminated = [False]  # a SIGTERM arrived in this process


def terminated() -> bool:
    """Whether this process was sent SIGTERM (handled like Ctrl-C, but exit code 143)."""
    return _terminated[0]


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """While inside, SIGTERM (``kill``, ``timeout``, a batch system) is handled as Ctrl-C is: a
    KeyboardInterrupt where the main thread is, so sweeps stop their worker processes and keep
    their finished rows, and the command prints its one line (exit code 143, see
    :func:`terminated`). Later SIGTERMs are ignored, so the clean-up is not cut short (SIGKILL
    still ends the process). Process-wide: installed at the CLI entry only."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        if _terminated[0]:
            return  # already stopping
        _terminated[0] = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_code(code: int) -> int:
    """An interrupted command's exit code: 130 after Ctrl-C, 143 (128 + 15) after SIGTERM."""
    return 143 if code == 130 and terminated() else code


@contextmanager
def stop_on_ctrl_c(enabled: bool = True) -> Iterator[Callable[[], bool]]:
    """While inside, the first Ctrl-C (SIGINT) or SIGTERM asks long work to stop at its next step
    boundary (it saves what it must and raises); a second Ctrl-C interrupts at once. Yields the
    question the core asks after each step. Process-wide, so only commands install it (in the
    main thread); disabled, Ctrl-C interrupts at once as usual (and SIGTERM as the entry's
    :func:`sigterm_as_ctrl_c` says)."""
    import signal
    import threading

    stop = threading.Event()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield stop.is_set
        return

    def request_stop(signum: int, frame: Any) -> None:
        if signum == signal.SIGTERM:
            if _terminated[0]:
                return  # a second SIGTERM: the stop under way finishes (SIGKILL ends it at once)
            _terminated[0] = True
        elif stop.is_set():  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, request_stop)
    previous_term = signal.signal(signal.SIGTERM, request_stop)
    try:
        yield stop.is_set
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)


def print_json(data: Any) -> None:
    """JSON on stdout; NaN and infinities (not JSON) become null, also inside arrays."""
    sys.stdout.write(json.dumps(_finite(data), indent=2, default=_jsonable, allow_nan=False) + "\n")


def _finite(v: Any) -> Any:
    import math

    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {_key(k): _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    if hasattr(v, "tolist") and getattr(v, "ndim", 0) > 0:  # numpy arrays, torch tensors
        return _finite(v.tolist())
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:  # numpy / torch scalars
        return _finite(v.item())
    return v


def _key(k: Any) -> Any:
    """A dict key JSON takes (str, int, float, bool, None); numpy scalars become Python's."""
    import math

    if hasattr(k, "item") and getattr(k, "ndim", 1) == 0:
        k = k.item()
    if isinstance(k, float) and not math.isfinite(k):
        return str(k)
    return k if k is None or isinstance(k, (str, int, float, bool)) else str(k)


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


MIN_WIDTH = 80  # narrower, a table's every cell was cut to "…": the terminal wraps long lines instead


def console(stderr: bool = False) -> Any:
    """A rich console; written to a file or a pipe it is 200 columns wide (not 80), so tables
    are not cut (COLUMNS still decides where set, down to :data:`MIN_WIDTH`). Markup is off:
    node labels, paths and texts print as they are (``a[/x]`` is not a tag); style with
    ``rich.text.Text``."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    con = Console(stderr=stderr, highlight=False, width=width, markup=False)  # user text is never markup
    if con.width < MIN_WIDTH:
        con.width = MIN_WIDTH
    return con


def report_failures(summary: Any) -> None:
    """After a sweep: one warning line if some runs failed; an error (exit 1) if all did."""
    if summary is None or "status" not in summary.columns:
        return
    failed = summary[~summary["status"].astype(str).isin(("ok", "pruned"))]  # pruned: ended by a search, on purpose
    if failed.empty:
        return
    why = str(failed["status"].iloc[0]).removeprefix("failed: ")
    if len(failed) == len(summary):
        raise fail(f"all {len(summary)} runs failed, e.g. {why}", code=1)
    sys.stderr.write(f"warning: {len(failed)} of {len(summary)} runs failed (see the status column of "
                     f"summary.csv), e.g. {' '.join(why.split())}; --resume trains them again\n")


def interrupted(finished: int, out: str) -> typer.Exit:
    """The line Ctrl-C (exit code 130) or SIGTERM (143) leaves."""
    how = "terminated (SIGTERM)" if terminated() else "interrupted"
    if finished:
        return fail(f"{how}: {finished} finished run(s) are saved in {out}; "
                    "run the same command with --resume to continue", code=exit_code(130))
    return fail(f"{how} before any run finished; run the same command with --resume to continue",
                code=exit_code(130))


def one_of(choices: Any, extra: str = "") -> str:
    """Help text naming the allowed values, from the tuple that validation uses (never
    restated by hand): ``one of: a, b, c``."""
    return "one of: " + ", ".join([*choices, *([extra] if extra else [])])


def complete(choices: Any, lists: bool = False) -> Any:
    """Shell completion of a name option from its choices (a tuple or a function returning
    one); with ``lists``, the last item of a comma list is completed."""

    def names(incomplete: str) -> list[str]:
        values = tuple(choices() if callable(choices) else choices)
        head, _, last = incomplete.rpartition(",") if lists else ("", "", incomplete)
        prefix = f"{head}," if head else ""
        return [prefix + n for n in values if n.startswith(last)]

    return names


def complete_examples(kind: str) -> Any:
    """Shell completion of the shipped examples of ``kind`` (config or graph) by name; where no
    name matches, the shell completes a file path as usual."""

    def names(incomplete: str) -> list[str]:
        from seqgraph.examples import examples

        return [e.name for e in examples(kind) if e.name.startswith(incomplete)]

    return names


def given(ctx: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The options the user gave (on the command line or in the environment), by name.

    Options carry the dataclass defaults so help shows them; passing on only what was given
    keeps the precedence defaults < TOML file < flags."""
    def defaulted(name: str) -> bool:
        source = ctx.get_parameter_source(name)
        return source is None or source.name in ("DEFAULT", "DEFAULT_MAP")

    return {name: value for name, value in ctx.params.items() if name not in exclude and not defaulted(name)}
