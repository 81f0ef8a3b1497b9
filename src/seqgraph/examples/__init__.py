"""Example configs and graphs shipped inside the package, addressable by name.

``seqgraph palindrome --config palindrome-sweep`` and ``seqgraph gcn hops karate`` work from
any folder, also after ``pip install seqgraph``; ``seqgraph examples copy NAME`` writes a copy
to edit. A path that exists always wins over an example of the same name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from seqgraph.errors import ConfigError

KINDS = {"config": ("", ".toml"), "graph": ("graphs", ".json")}  # kind: (folder, suffix)


@dataclass(frozen=True)
class Example:
    name: str  # what users type: palindrome-sweep, karate
    kind: str  # config | graph
    path: Path  # the file inside the installed package
    summary: str  # its first comment line (configs) or its description (graphs)


def _root() -> Path:
    return Path(str(resources.files("seqgraph") / "examples"))


def _summary(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        first = next((line for line in text.splitlines() if line.startswith("#")), "")
        return first.lstrip("# ").strip()
    import json

    data = json.loads(text)
    graph = data.get("graph", {}) if isinstance(data, dict) else {}
    name = graph.get("name", "") if isinstance(graph, dict) else ""
    nodes = len(data.get("nodes", [])) if isinstance(data, dict) else 0
    return f"{name or path.stem.replace('_', ' ')} ({nodes} nodes)"


def examples(kind: str | None = None) -> list[Example]:
    """Every shipped example (of ``kind``: config or graph), sorted by kind and name."""
    out = []
    for k, (folder, suffix) in KINDS.items():
        if kind not in (None, k):
            continue
        for p in sorted((_root() / folder).glob(f"*{suffix}")):
            out.append(Example(p.stem.replace("_", "-"), k, p, _summary(p)))
    return out


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def find(name: str, kind: str | None = None) -> Example | None:
    """The example called ``name`` (``karate``, ``palindrome_sweep``, ``lr-sweep.toml``), or None."""
    key = _key(name)
    for e in examples(kind):
        if key in (e.name, e.name + KINDS[e.kind][1].replace("_", "-")):
            return e
    return None


def example(name: str) -> Example:
    """The example called ``name``; an unknown name is a ConfigError listing the known ones."""
    e = find(name)
    if e is None:
        known = ", ".join(x.name for x in examples())
        raise ConfigError(f"no example called {name!r} (known: {known})")
    return e


def resolve_path(path: str | Path, kind: str) -> Path:
    """``path`` itself if it exists (or names a folder), else the shipped example of that
    name, else ``path`` unchanged (so the caller's 'not found' names what the user typed)."""
    p = Path(path)
    if p.exists() or os.sep in str(path) or (os.altsep and os.altsep in str(path)):
        return p
    e = find(str(path), kind)
    return e.path if e is not None else p


def copy(name: str, dest: str | Path | None = None) -> Path:
    """Copy example ``name`` to ``dest`` (a file, or a folder to put it in — an existing one or
    a path ending in a slash, made if missing; default: the current folder), atomically; an
    existing file is never replaced."""
    e = example(name)
    target = Path(dest) if dest is not None else Path.cwd()
    # Path() drops a trailing slash: "graphs/" names a folder, so read it from the text
    if target.is_dir() or str(dest).endswith(tuple(filter(None, (os.sep, os.altsep)))):
        target = target / e.path.name
    if target.exists():
        raise ConfigError(f"{target} exists: not replaced (give another destination or remove it)")
    import tempfile

    from seqgraph.io import default_mode, make_folder, write_error

    make_folder(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    except OSError as err:
        raise write_error(target, err) from None
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(e.path.read_bytes())
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, default_mode())
        except OSError as err:  # e.g. a full disk
            raise write_error(target, err) from None
        try:
            os.link(tmp, target)  # atomic, and fails if the file appeared meanwhile: never replaces it
        except FileExistsError:
            raise ConfigError(f"{target} exists: not replaced (give another destination or remove it)") from None
        except OSError:  # a file system without hard links
            os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target
