"""Files on disk, in one place: atomic writes, UTF-8 reading, CSV appended row by row.

Readers of a file seqgraph writes see the old content or the new, never half of it (temp file
in the same folder + rename); results are appended and flushed row by row, so a killed
process loses nothing already written.
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seqgraph.errors import ConfigError, DataError, OutputError


def default_mode() -> int:
    """The permissions a plain ``open()`` would give a new file (0666 minus the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_error(path: str | Path, e: OSError, what: str = "write") -> OutputError:
    """An OSError met while writing ``path``, as one line that names ``path`` (never a temporary
    file beside it) and says what is in the way."""
    p = Path(path)
    blocker = next((a for a in (p, *p.parents) if a.exists()), None)  # the nearest thing that exists
    if what == "write" and p.is_dir():
        why = "it is a folder"
    elif blocker == p and what == "create folder" and not p.is_dir():
        why = "it is a file"
    elif blocker is not None and blocker != p and not blocker.is_dir():
        why = f"{blocker} is a file, not a folder"
    else:
        why = e.strerror or type(e).__name__
    return OutputError(f"cannot {what} {p}: {why}")


def make_folder(path: str | Path) -> Path:
    """``mkdir -p``; a path in the way (a file, no permission, a read-only disk) is an
    OutputError naming it."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        if p.is_dir():
            return p
        raise write_error(p, e, "create folder") from None
    return p


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; once the block ends without error it replaces
    ``path`` in one rename. On error the temporary file is removed and ``path`` is untouched;
    an OSError (a full disk, no permission, ``path`` a folder) is an OutputError naming ``path``."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=p.suffix or ".tmp", dir=p.parent)
        os.close(fd)
        os.chmod(tmp, default_mode())  # mkstemp makes 0600; give the usual permissions
    except OSError as e:
        raise write_error(p, e) from None
    try:
        yield Path(tmp)
        os.replace(tmp, p)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise write_error(p, e) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_utf8(path: str | Path, what: str = "text file", error: type[Exception] = DataError) -> str:
    """A file's text; a missing, unreadable, non-UTF-8 or empty file raises ``error`` naming it."""
    return utf8_text(read_bytes(path, what, error), path, what, error)


def read_bytes(path: str | Path, what: str = "file", error: type[Exception] = DataError) -> bytes:
    """A file's bytes; a missing or unreadable file (or a folder) raises ``error`` naming it."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise error(f"{what} not found: {p}") from None
    except IsADirectoryError:
        raise error(f"{what} {p} is a directory") from None
    except OSError as e:
        raise error(f"cannot read {what} {p}: {e.strerror}") from None


def utf8_text(raw: bytes, path: str | Path, what: str = "text file", error: type[Exception] = DataError) -> str:
    """``raw`` (the bytes of file ``path``) as text; not UTF-8, or empty, raises ``error`` naming it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{what} {path} is not UTF-8 (invalid byte 0x{raw[e.start]:02x} at offset {e.start})") from None
    if not text or text.isspace():  # not text.strip(): that copies the whole text
        raise error(f"{what} {path} is empty")
    return text


def _fmt(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):  # missing, also as pandas reads it
        return ""
    if isinstance(v, float):
        return repr(v)  # full precision, round-trips exactly
    return v


def append_rows(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Append ``rows`` to a CSV (header written when the file is new), flushed to disk, so a
    killed process loses nothing already appended."""
    rows = list(rows)
    if not rows:
        return
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(p, e) from None
    new = not p.exists() or p.stat().st_size == 0
    buf = io.StringIO()  # the rows as text first: a value that cannot be written fails before the file is touched
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="raise")
    if new:
        w.writeheader()
    for row in rows:
        w.writerow({k: _fmt(v) for k, v in row.items()})
    data = _encode(buf.getvalue(), p)
    try:
        with p.open("ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:  # e.g. a full disk: a torn last row is dropped on resume (drop_torn_row)
        raise write_error(p, e) from None


def _encode(text: str, path: Path) -> bytes:
    """Text as UTF-8; a lone surrogate (a name that was not UTF-8, or a JSON escape such as
    \\ud800) cannot be written, and is a DataError naming it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        bad = e.object[e.start : e.end].encode("utf-8", "backslashreplace").decode()
        raise DataError(f"cannot write {path}: the data holds {bad}, which is not Unicode text "
                        "(a name or label that is not UTF-8?)") from None


def drop_torn_row(path: str | Path) -> bool:
    """Cut a partial last row off an appended CSV (a row torn by a full disk or a kill
    mid-write); whole rows stay. A row ends at a newline outside quotes, so a torn row whose
    quoted text holds newlines (sampled text) is found too. Truncates in place, so it needs no
    free space. Returns whether anything was cut."""
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        return False
    keep = pos = 0
    quoted = False  # inside a quoted field; "" (an escaped quote) flips twice
    with p.open("rb") as f:
        for line in f:
            pos += len(line)
            quoted ^= bool(line.count(b'"') & 1)
            if not quoted and line.endswith(b"\n"):
                keep = pos
    if keep == pos:
        return False
    os.truncate(p, keep)
    return True


def whole_rows(path: str | Path) -> list[dict[str, str]]:
    """The whole rows of an appended CSV, as text (a torn last line, without its newline, is
    not a row; a missing file has none)."""
    p = Path(path)
    if not p.is_file():
        return []
    data = p.read_bytes()
    text = data[: data.rfind(b"\n") + 1].decode("utf-8", "replace")
    return list(csv.DictReader(io.StringIO(text)))


LOCK_NAME = ".seqgraph.lock"


@contextmanager
def folder_lock(folder: str | Path, what: str = "run") -> Iterator[None]:
    """Hold ``folder/.seqgraph.lock`` while the block runs, so two seqgraph processes never
    write one output folder at once (every command that writes a folder takes it: sweeps,
    grids, ``train``, ``gcn train``, ``grads``, ``reproduce``). The lock is the operating
    system's (``flock``): a killed owner releases it, so a stale lock file is simply taken over.
    The owner's pid and what it is (``what``: "sweep", "training run") are written in it for the
    error message."""
    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"--out {p} is a file, not a folder")
    created = not p.exists()
    make_folder(p)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path = p / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, default_mode())
    except OSError as e:
        raise write_error(p, e, "write in") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, _, kind = os.pread(fd, 200, 0).decode(errors="replace").strip().partition(" ")
            raise ConfigError(f"{p} is in use by another seqgraph {kind or what} (pid {pid or '?'}); wait for it "
                              "to end or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {' '.join(what.split())}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
        if created and p.is_dir() and [c.name for c in p.iterdir()] == [path.name]:  # an error before any write
            path.unlink(missing_ok=True)
            p.rmdir()


def check_replace(path: str | Path, overwrite: bool) -> None:
    """The one policy for a file the user names with ``--out``: one that exists is replaced only
    with ``--overwrite`` (``examples copy`` never replaces one). Checked before any work; a folder
    there is refused where it is written ("it is a folder")."""
    p = Path(path)
    if p.is_file() and not overwrite:
        raise ConfigError(f"{p} exists: not replaced (add --overwrite to replace it, or choose another --out)")


def write_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Write a whole CSV atomically (temp file + rename)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for row in rows:
        w.writerow({k: _fmt(v) for k, v in row.items()})
    atomic_write_bytes(path, _encode(buf.getvalue(), Path(path)))


TEXT_COLUMNS = {"run_id": str}  # hex ids like 864e17513104 would otherwise be read as numbers


def existing_file(path: str | Path, what: str, error: type[Exception], example: str = "") -> Path:
    """``path`` as a Path when it is a file; a folder or a missing path is ``error`` naming it
    (``what``: "CSV file", "checkpoint"; ``example``: a file the folder may hold)."""
    p = Path(path)
    if p.is_dir():
        raise error(f"{p} is a folder, not a {what}" + (f" (e.g. {p / example})" if example else ""))
    if not p.is_file():
        raise error(f"{what} not found: {p}")
    return p


def read_csv(path: str | Path, required: Sequence[str] = ()) -> Any:
    """A CSV as a pandas DataFrame; a missing/malformed file or missing columns is a DataError.
    Run ids stay text."""
    import pandas as pd

    p = existing_file(path, "CSV file", DataError)
    try:
        df = pd.read_csv(p, keep_default_na=False, na_values=[""], dtype=TEXT_COLUMNS)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"malformed CSV {p}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{p} lacks column(s) {', '.join(missing)} (has: {', '.join(map(str, df.columns))})")
    return df
