"""Results on disk: CSV files appended row by row, read back with pandas."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from seqgraph.config import atomic_write_bytes
from seqgraph.errors import DataError


def append_rows(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Append ``rows`` to a CSV (header written when the file is new), flushed to disk, so a
    killed process loses nothing already appended."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    new = not p.exists() or p.stat().st_size == 0
    with p.open("a", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="raise")
        if new:
            w.writeheader()
        for row in rows:
            w.writerow({k: _fmt(v) for k, v in row.items()})
        f.flush()
        os.fsync(f.fileno())


def _fmt(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)  # full precision, round-trips exactly
    return v


def write_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Write a whole CSV atomically (temp file + rename)."""
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: _fmt(v) for k, v in row.items()})
    atomic_write_bytes(path, buf.getvalue().encode())


def read_csv(path: str | Path, required: Sequence[str] = ()) -> Any:
    """A CSV as a pandas DataFrame; a missing/malformed file or missing columns is a DataError."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise DataError(f"CSV file not found: {p}")
    try:
        df = pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"malformed CSV {p}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{p} lacks column(s) {', '.join(missing)} (has: {', '.join(map(str, df.columns))})")
    return df
