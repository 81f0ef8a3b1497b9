"""Reading graphs in the formats users bring.

Formats (detected from the content, or forced with ``fmt``):

* networkx node-link JSON: ``{"nodes": [{"id": ...}, ...], "edges" | "links": [{"source": ...,
  "target": ..., "weight": ...}], "directed": false}``. Nodes are *declared*: an edge to a node
  missing from ``nodes`` is an error (a typo is more likely than an intended new node).
* adjacency map JSON: ``{"A": ["B", "E"], "B": {"D": 2.0}, ...}`` (lists, or maps to weights).
  Neighbours that are not keys are added as nodes, after the keys.
* edge list text: ``u v [w]`` per line; ``#`` starts a comment. Nodes are added as they appear.

Shipped example graphs are addressed by name wherever a graph file is accepted (a file of that
name, if one exists, wins; ``seqgraph examples`` lists them), among them the course's 6-node
graphs: ``course-2019`` (uvadlc/DL_assignments_2019 assignment_2/assignment_2.pdf, GNN part:
edges A–B, A–E, A–F, B–C, B–D, C–D, D–F, E–F; C → E is 3 hops) and ``course-2020``
(uvadlc/uvadlc_practicals_2020 assignment_2/2_recurrentnns_gnns/code/assignment_2.pdf, GNN
part: edges A–B, A–E, A–F, B–D, C–D, D–F; C → E is 4 hops).

Node ids may be strings or numbers (kept as their text); node order is the file's. Graphs are
undirected unless the file says ``"directed": true`` or ``directed=True`` is passed. Repeated
edges collapse to one (the last weight wins), as in networkx.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from seqgraph.errors import GraphError
from seqgraph.graphs.graph import Graph
from seqgraph.graphs.intparse import _ids_as_written, _ints_read_back, _plain_lines, _single_spaced

FORMATS = ("auto", "node-link", "adjacency", "edgelist")


def load_graph(path: str | Path, fmt: str = "auto", directed: bool | None = None) -> Graph:
    """Read a graph file, or a shipped example graph by name (``karate``, ``course-2020``,
    ``les-miserables``). ``directed`` overrides what the file says (None: the file decides)."""
    from seqgraph.examples import resolve_path
    from seqgraph.io import read_bytes, utf8_text

    p = resolve_path(path, "graph")
    if fmt not in FORMATS:
        raise GraphError(f"unknown graph format {fmt!r} (choose from {', '.join(FORMATS)})")
    if not p.exists() and not p.suffix and p.parent == Path("."):
        from seqgraph.examples import examples

        known = ", ".join(e.name for e in examples("graph"))
        raise GraphError(f"graph file not found: {p} (example graphs: {known})")
    raw = read_bytes(p, "graph file", GraphError)
    plain = _plain_lines(raw) if fmt in ("auto", "edgelist") else None
    if plain is not None:  # the common layouts of big integer edge lists: read without pandas
        codes, nodes = _first_appearance(
            plain.ends, lambda first: _ids_as_written(raw, plain.begin[first], plain.stop[first]))
        g = Graph(nodes, codes[0::2].copy(), codes[1::2].copy(),
                  np.ones(len(codes) // 2) if plain.weight is None else plain.weight)
    else:
        text = utf8_text(raw, p, "graph file", GraphError)
        if fmt == "auto":
            first = re.search(r"\S", text)  # not text.lstrip(): that copies the whole file
            fmt = "json" if first is None or first.group() in "{[" else "edgelist"
        if fmt == "edgelist":
            g = _from_edgelist(raw, text, p)
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise GraphError(f"malformed JSON in {p}: {e.msg} at line {e.lineno} column {e.colno}") from None
            except RecursionError:
                raise GraphError(f"malformed JSON in {p}: nested too deeply") from None
            g = _from_json(data, p, fmt)
    if directed is not None:
        g.directed = directed
    if g.num_nodes == 0:
        raise GraphError(f"graph file {p} has no nodes")
    return _dedupe(g)


def _from_json(data: Any, p: Path, fmt: str) -> Graph:
    if not isinstance(data, dict):
        raise GraphError(f"{p}: expected a JSON object (node-link or adjacency map), got {type(data).__name__}")
    is_node_link = "nodes" in data and ("edges" in data or "links" in data)
    if fmt == "node-link" or (fmt in ("auto", "json") and is_node_link):
        return _from_node_link(data, p)
    if fmt == "json" and "nodes" in data and isinstance(data["nodes"], list):
        return _from_node_link(data, p)  # nodes without edges
    return _from_adjacency(data, p)


def _node_id(v: Any, where: str) -> str:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise GraphError(f"{where}: node ids must be strings or numbers, got {v!r}")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def _weight(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise GraphError(f"{where}: edge weight must be a number, got {v!r}")
    w = float(v)
    if not np.isfinite(w):
        raise GraphError(f"{where}: edge weight must be finite, got {v!r}")
    return w


def _from_node_link(data: dict[str, Any], p: Path) -> Graph:
    nodes_raw = data.get("nodes")
    edges_raw = data.get("edges", data.get("links", []))
    if not isinstance(nodes_raw, list) or not isinstance(edges_raw, list):
        raise GraphError(f"{p}: 'nodes' and 'edges' (or 'links') must be lists")
    nodes: list[str] = []
    attrs: dict[str, list[Any]] = {}
    for k, nd in enumerate(nodes_raw):
        if not isinstance(nd, dict) or "id" not in nd:
            raise GraphError(f"{p}: node {k} has no 'id'")
        nodes.append(_node_id(nd["id"], f"{p}: node {k}"))
        for key, val in nd.items():
            if key != "id":
                attrs.setdefault(key, [None] * len(nodes_raw))[k] = val
    index = {n: i for i, n in enumerate(nodes)}
    if len(index) != len(nodes):
        dup = next(n for n in nodes if nodes.count(n) > 1)
        raise GraphError(f"{p}: node {dup!r} is declared twice")
    src, dst, wts = [], [], []
    for k, e in enumerate(edges_raw):
        if not isinstance(e, dict) or "source" not in e or "target" not in e:
            raise GraphError(f"{p}: edge {k} needs 'source' and 'target'")
        for end in ("source", "target"):
            nid = _node_id(e[end], f"{p}: edge {k}")
            if nid not in index:
                raise GraphError(f"{p}: edge {k} refers to node {nid!r}, which is not declared in 'nodes'")
        src.append(index[_node_id(e["source"], "")])
        dst.append(index[_node_id(e["target"], "")])
        wts.append(_weight(e.get("weight", 1.0), f"{p}: edge {k}"))
    directed = bool(data.get("directed", False))
    return Graph(nodes, np.asarray(src, np.int64), np.asarray(dst, np.int64), np.asarray(wts, np.float64),
                 directed, attrs)


def _from_adjacency(data: dict[str, Any], p: Path) -> Graph:
    nodes = [_node_id(k, f"{p}: key") for k in data]
    index = {n: i for i, n in enumerate(nodes)}
    src, dst, wts = [], [], []
    for key, nbrs in data.items():
        u = index[_node_id(key, "")]
        if isinstance(nbrs, list):
            items = [(v, 1.0) for v in nbrs]
        elif isinstance(nbrs, dict):
            items = list(nbrs.items())
        else:
            raise GraphError(f"{p}: neighbours of {key!r} must be a list or an object of weights, "
                             f"got {type(nbrs).__name__} (unknown graph format?)")
        for v, w in items:
            vid = _node_id(v, f"{p}: neighbour of {key!r}")
            if vid not in index:
                index[vid] = len(nodes)
                nodes.append(vid)
            src.append(u)
            dst.append(index[vid])
            wts.append(_weight(w, f"{p}: edge {key!r}–{vid!r}"))
    return Graph(nodes, np.asarray(src, np.int64), np.asarray(dst, np.int64), np.asarray(wts, np.float64))


_EDGE_COLUMNS = ["u", "v", "w", "extra"]  # "extra" only catches a fourth field
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # a weight as pandas reads it
_NOT_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # pandas' line ends
_BOM = b"\xef\xbb\xbf"
_EXPECTED = "expected 'u v [weight]' per line"


def _from_edgelist(raw: bytes, text: str, p: Path) -> Graph:
    """An edge list (any layout ``_plain_lines`` does not take) through pandas' C parser,
    checked in bulk.

    Integer ids take a fast path (int64 columns, numbered as numbers) when every id reads back as
    the text it was written as; otherwise the ids are read as text, so that "01" and "1" stay two
    nodes. A bad file is walked line by line only to name its first bad line
    (``_first_bad_line``): a good file never meets a Python loop over its lines.
    """
    data = raw  # the UTF-8 bytes of text (no text.encode(): ~30 ms on a 1M-line file)
    if data.startswith(_BOM):  # pandas skips it; the integer checks must not count it
        data = data[len(_BOM):]
    # pandas reads a file by its path ~2× as fast as from a buffer (pandas 3.1): a regular file
    # still of the size read (not a pipe, which gives its bytes once; not rewritten since)
    by_path = p if p.is_file() and p.stat().st_size == len(raw) else None
    df, w = _read_edge_table(data, text, p, ids_as_text=False, by_path=by_path)
    if df["u"].dtype == np.int64 and df["v"].dtype == np.int64 and _ints_read_back(data):
        codes, nodes = _first_appearance(_interleave(df["u"].to_numpy(), df["v"].to_numpy(), np.int64))
        return Graph(nodes, codes[0::2].copy(), codes[1::2].copy(), w)
    if not (_all_text(df["u"]) and _all_text(df["v"])):
        # numbers in a column of text ("1.0", "True", "01"), or types mixed between pandas' chunks
        df, w = _read_edge_table(data, text, p, ids_as_text=True, by_path=by_path)
    codes, nodes = _first_appearance(_interleave(df["u"].to_numpy(), df["v"].to_numpy(), object))
    return Graph(nodes, codes[0::2].copy(), codes[1::2].copy(), w)


def _first_appearance(ends: np.ndarray, texts: Callable[[np.ndarray], list[str]] | None = None,
                      ) -> tuple[np.ndarray, list[str]]:
    """One factorisation of the edge ends ``(2E,)``, u1, v1, u2, v2, … in reading order
    (integer ends are overwritten): codes ``(2E,)`` and the node ids, numbered by first
    appearance (the file's node order). ``texts(positions)``: the ids as written at those
    positions of ``ends``, which must equal ``str`` of their values (the default; it is used
    only where ids are dense)."""
    if ends.dtype == np.int64 and len(ends):
        lo, hi = int(ends.min()), int(ends.max())
        if hi - lo < 2 * len(ends):  # dense ids (0 … N−1 and the like): a table, no hashing; ~2× pd.factorize
            ends -= lo
            first = np.full(hi - lo + 1, len(ends), np.int64)  # first position of each id
            np.minimum.at(first, ends, np.arange(len(ends)))
            present = np.flatnonzero(first < len(ends))
            ids = present[np.argsort(first[present])]  # (N,) by first appearance
            number = np.empty(hi - lo + 1, np.int64)
            number[ids] = np.arange(len(ids))
            names = texts(first[ids]) if texts is not None else list(map(str, (ids + lo).tolist()))
            return number[ends], names
    import pandas as pd

    codes, uniques = pd.factorize(ends)
    return codes.astype(np.int64, copy=False), list(map(str, uniques.tolist()))


def _interleave(u: np.ndarray, v: np.ndarray, dtype: Any) -> np.ndarray:
    """u1, v1, u2, v2, … ``(2E,)``: the edge ends in reading order."""
    ends = np.empty(2 * len(u), dtype)
    ends[0::2], ends[1::2] = u, v
    return ends


def _read_edge_table(data: bytes, text: str, p: Path, ids_as_text: bool,
                     by_path: Path | None) -> tuple[Any, np.ndarray]:
    """Columns u, v (ids: int64 where pandas infers them so, else text) and the weights (1.0
    where none is given); every line checked: two nodes, at most one weight, finite weights.
    ``by_path``: pandas may read the file itself (its bytes are ``data``); None: from ``data``."""
    import io
    import warnings

    import pandas as pd

    # one space between fields and none around them: pandas' one-character delimiter, ~1.5× as
    # fast as its splitting on runs of spaces and tabs (measured on a 1M-line weighted file)
    single = _single_spaced(data)

    def read(names: list[str] | None) -> Any:
        # only an empty field is missing: "nan" or "NA" stays text, so it is refused as a weight
        source = io.BytesIO(data) if by_path is None else by_path
        return pd.read_csv(source, sep=" " if single else r"\s+", header=None, comment="#", engine="c",
                           names=names, index_col=False if names else None, keep_default_na=False,
                           na_values=[""], compression=None,
                           dtype=dict.fromkeys(names[:2] if names else (0, 1), str) if ids_as_text else None)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a line of 5+ fields
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # types mixed between chunks: read as text
            try:  # as many columns as the first line has fields: no padding when every line is alike
                df = read(None)
            except (pd.errors.ParserError, pd.errors.EmptyDataError):
                df = read(_EDGE_COLUMNS)  # lines of different lengths, or a first line of only a comment
    except pd.errors.EmptyDataError:
        raise GraphError(f"graph file {p} has no edges") from None
    except (pd.errors.ParserWarning, pd.errors.ParserError) as e:
        raise _bad_line(text, p, str(e).splitlines()[0]) from None
    df.columns = _EDGE_COLUMNS[:df.shape[1]] + [f"extra{i}" for i in range(4, df.shape[1])]
    if "v" not in df:
        raise _bad_line(text, p, "a line has one node")
    if "extra" in df and df["extra"].notna().any():
        raise _bad_line(text, p, "a line has more than 3 fields")
    u_missing, v_missing = df["u"].isna().to_numpy(), df["v"].isna().to_numpy()
    blank = u_missing & v_missing  # spaces only, or spaces before a comment: pandas gives an empty row
    if blank.any():
        df, u_missing, v_missing = df[~blank], u_missing[~blank], v_missing[~blank]
    if df.empty:
        raise GraphError(f"graph file {p} has no edges")
    if v_missing.any() or u_missing.any():
        raise _bad_line(text, p, "a line has one node")
    if "w" not in df:
        return df, np.ones(len(df))
    if df["w"].dtype.kind not in "fiu":
        raise _bad_line(text, p, "a weight is not a number")
    w = df["w"].to_numpy(np.float64)  # NaN: no weight on that line (a written "nan" stays text)
    given = ~np.isnan(w)
    if not np.isfinite(w[given]).all():
        raise _bad_line(text, p, "weights must be finite")
    return df, np.where(given, w, 1.0)


def _all_text(column: Any) -> bool:
    """Whether a column pandas inferred holds the file's text as written (every chunk was text)."""
    import pandas as pd

    return bool(pd.api.types.infer_dtype(column, skipna=True) == "string")


def _bad_line(text: str, p: Path, problem: str) -> GraphError:
    """The error for the first bad line (found line by line), or for ``problem`` if none is."""
    return GraphError(_first_bad_line(text, p) or f"malformed edge list {p}: {problem}; {_EXPECTED}")


def _first_bad_line(text: str, p: Path) -> str | None:
    """The message for the first line that is not ``u v [weight]`` with a finite weight, as
    pandas splits lines (on spaces and tabs, ``#`` to the end of the line a comment)."""
    edge = 0
    for lineno, line in enumerate(_LINE_BREAK.split(text.removeprefix("\ufeff")), 1):
        fields = [f for f in line.split("#", 1)[0].replace("\t", " ").split(" ") if f]
        if not fields:
            continue
        edge += 1
        at = f"malformed edge list {p}: line {lineno}: edge {edge}"
        if len(fields) == 1:
            return f"{at} has one node ({fields[0]!r}); {_EXPECTED}"
        if len(fields) > 3:
            return f"{at} has more than 3 fields ({len(fields)}); {_EXPECTED}"
        if len(fields) == 3:
            w = fields[2]
            if _NOT_FINITE.fullmatch(w) or (_NUMBER.fullmatch(w) and not math.isfinite(float(w))):
                return f"{at}'s weight must be finite, got {w!r}"
            if not _NUMBER.fullmatch(w):
                return f"{at}'s weight is not a number: {w!r}; {_EXPECTED}"
    return None


_PACK_BITS = 63  # an int64 holds an edge key and its position when they fit in this many bits


def _dedupe(g: Graph) -> Graph:
    """Collapse repeated edges (undirected: u–v and v–u are the same); the last weight wins, the
    edge keeps the place and direction of its first occurrence."""
    e = g.num_edges
    if e < 2:
        return g
    # key (E,): one number per distinct edge, low end first when undirected (in place: 1M-edge arrays)
    key = g.src.copy() if g.directed else np.minimum(g.src, g.dst)
    key *= g.num_nodes
    key += g.dst if g.directed else np.maximum(g.src, g.dst)
    # sort by (key, position): repeats of an edge side by side, in file order
    bits = int(e - 1).bit_length()
    if int(key.max()).bit_length() + bits <= _PACK_BITS:  # as one int64: a plain sort (SIMD), ~6× an argsort
        key <<= bits
        key |= np.arange(e)
        key.sort()
        pos = key & ((1 << bits) - 1)
        key >>= bits
        ks = key
    else:
        pos = np.argsort(key, kind="stable")
        ks = key[pos]
    repeats = np.flatnonzero(ks[1:] == ks[:-1]) + 1  # sorted places of every occurrence but an edge's first
    if not len(repeats):
        return g
    # a run of consecutive repeats is one edge's: its first occurrence is just before the run
    run_start = np.concatenate(([True], np.diff(repeats) != 1))
    run_end = np.concatenate((run_start[1:], [True]))
    weight = g.weight.copy()
    weight[pos[repeats[run_start] - 1]] = g.weight[pos[repeats[run_end]]]  # the last weight wins
    drop = pos[repeats]  # only the repeats are touched: ~10× faster than regathering every edge
    g.src, g.dst, g.weight = np.delete(g.src, drop), np.delete(g.dst, drop), np.delete(weight, drop)
    return g
