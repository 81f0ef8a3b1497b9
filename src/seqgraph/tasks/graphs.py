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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqgraph.errors import GraphError

FORMATS = ("auto", "node-link", "adjacency", "edgelist")
@dataclass
class Graph:
    """A (weighted, possibly directed) graph with ordered node ids.

    ``src``, ``dst``, ``weight`` hold each edge once (u → v; for undirected graphs the pair is
    stored once in file order and means both directions).
    """

    nodes: list[str]
    src: np.ndarray  # (E,) int64 node indices
    dst: np.ndarray  # (E,) int64
    weight: np.ndarray  # (E,) float64
    directed: bool = False
    node_attrs: dict[str, list[Any]] = field(default_factory=dict)  # e.g. labels, per node
    _index: dict[str, int] | None = None
    _adjacency: tuple[bool, Any] | None = field(default=None, repr=False)

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    @property
    def num_edges(self) -> int:
        return len(self.src)

    def index(self, node: str | int) -> int:
        """The position of a node id; unknown ids are a GraphError naming the node."""
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.nodes)}
        key = str(node)
        if key not in self._index:
            sample = ", ".join(self.nodes[:8]) + (", …" if self.num_nodes > 8 else "")
            raise GraphError(f"unknown node {key!r} (the graph's nodes: {sample})")
        return self._index[key]

    def adjacency(self) -> Any:
        """A as a scipy CSR array, ``A[u, v] = w`` for each edge u → v (symmetric when
        undirected). Built once and cached; treat it as read-only."""
        import scipy.sparse as sp

        if self._adjacency is not None and self._adjacency[0] == self.directed:
            return self._adjacency[1]
        n = self.num_nodes
        if self.directed:
            rows, cols, vals = self.src, self.dst, self.weight
        else:
            off = self.src != self.dst  # a self-loop is stored once
            rows = np.concatenate([self.src, self.dst[off]])
            cols = np.concatenate([self.dst, self.src[off]])
            vals = np.concatenate([self.weight, self.weight[off]])
        A = sp.csr_array((vals, (rows, cols)), shape=(n, n))
        A.sum_duplicates()
        self._adjacency = (self.directed, A)
        return A


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


@dataclass
class _PlainLines:
    """What :func:`_plain_lines` reads: the edge ends ``(2E,)``, u1, v1, u2, v2, … in file order,
    where each end's text begins and the separator after it (byte offsets, ``(2E,)``), and the
    weights ``(E,)`` (None: the lines have none)."""

    ends: np.ndarray
    begin: np.ndarray
    stop: np.ndarray
    weight: np.ndarray | None


# the layouts _plain_lines reads, by the separators of a line ("u v", "u v w", "u v i.f"): the
# numbers per line (a weight i.f is two)
_PLAIN_LAYOUTS = {b" \n": 2, b"  \n": 3, b"  .\n": 4}
_POW10_INT = np.array([10**k for k in range(16)], np.uint64)
_POW10_FLOAT = np.array([float(10**k) for k in range(16)])  # exact in float64
_CHUNK = 1 << 17  # numbers parsed at once: the temporaries stay in cache
_ASCII_ZEROS = np.uint64(0x3030303030303030)
_PAIRS = np.uint64(0x000000FF000000FF)


def _plain_lines(raw: bytes) -> _PlainLines | None:
    """The edges of a file whose every line is ``f"{u} {v}\\n"``, or every line
    ``f"{u} {v} {w}\\n"`` with w written as digits or digits.digits (as ``np.savetxt`` writes
    ``"%d"`` and ``"%d %d %.4f"``), u and v ≥ 0 written as ``str(int)`` writes them; None for any
    other byte layout, numbers of over 16 digits or weights of over 15, which pandas then reads.

    Parsed with numpy, so a cold load skips importing pandas (0.3–0.45 s on the 2-core CI
    machine: most of a cold 1M-line load): each number is read as the 8-byte words that end at
    its separator, eight digits per word at once (:func:`_eight_digits`); a weight i.f is
    (i·10^k + f) / 10^k, one correctly rounded division of exact float64 numbers (k digits of
    f; Clinger's fast path), so it equals Python's ``float`` of the text."""
    if len(raw) < 4 or not raw.endswith(b"\n") or b"-" in raw:  # memchr: a quick refusal
        return None
    b = np.frombuffer(raw, np.uint8)
    if b.max() > ord("9"):  # letters, bytes of non-ASCII text: not these layouts
        return None
    sep = np.flatnonzero(b < ord("0"))  # the space after u, after v, the point in w, the newline
    if len(b) < 2**31 - 16:  # offsets as int32 (16: room for sep + 8 below): half the memory traffic
        sep = sep.astype(np.int32)
    first_line = raw[: raw.index(b"\n") + 1]
    per_line = _PLAIN_LAYOUTS.get(first_line.translate(None, b"0123456789"))
    if per_line is None or len(sep) % per_line:
        return None
    if not all((b[sep[j::per_line]] == first_line[sep[j]]).all() for j in range(per_line)):
        return None  # tabs, '\r', '#', blank lines, lines of other layouts than the first
    begin = np.empty_like(sep)
    begin[0], begin[1:] = 0, sep[:-1] + 1
    digits = sep - begin  # digits of each number (a weight i.f is two)

    def ends_of(a: np.ndarray) -> np.ndarray:  # the entries of the numbers that are u or v
        return a if per_line == 2 else a.reshape(-1, per_line)[:, :2].reshape(-1)

    if digits.min() < 1 or digits.max() > 16 or ((b[ends_of(begin)] == ord("0")) & (ends_of(digits) > 1)).any():
        return None  # two spaces, ".5", a number of over 16 digits, an id with a leading zero ("01")
    # 16 bytes of '0' in front, so that the two words before the first numbers exist
    padded = np.concatenate((np.full(16, ord("0"), np.uint8), b))
    words = np.ndarray((len(padded) - 7,), "<u8", padded, 0, (1,))  # the 8 bytes from each offset
    values = np.empty(len(sep), np.uint64)
    wide = digits.max() > 8
    for lo in range(0, len(sep), _CHUNK):  # in chunks: the temporaries stay in cache (1.5× on 4M numbers)
        chunk, d = sep[lo:lo + _CHUNK], digits[lo:lo + _CHUNK]
        v = _eight_digits(words[chunk + 8], 8 - np.minimum(d, 8))  # the last 8 digits
        if wide:
            v += _eight_digits(words[chunk], np.clip(16 - d, 0, 8)) * np.uint64(100_000_000)
        values[lo:lo + _CHUNK] = v
    weight = None
    if per_line > 2:
        whole = values[2::per_line]
        k = digits[3::4] if per_line == 4 else np.zeros(len(whole), np.int64)
        if (digits[2::per_line] + k).max() > 15:
            return None  # i·10^k + f might not be exact in float64
        scaled = whole * _POW10_INT[k]
        if per_line == 4:
            scaled += values[3::4]
        weight = scaled.astype(np.float64) / _POW10_FLOAT[k]
    return _PlainLines(ends_of(values).view(np.int64), ends_of(begin), ends_of(sep), weight)


def _eight_digits(words: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """The numbers written in little-endian words ``(n,)`` of 8 ASCII digits (overwritten),
    whose first ``pad (n,)`` bytes (0–8) are not part of the number and count as '0'.

    SWAR: three multiplies combine all eight digits (Lemire, "Fast number parsing", the
    eight-digit step of simdjson); uint64 arithmetic wraps as the method requires."""
    u = np.uint64
    bits = pad.astype(u) * u(4)
    low = u(1) << bits  # two shifts: a shift by 64 (pad 8) is undefined, by 32 twice is 0
    low <<= bits
    low -= u(1)  # the pad bytes' mask (all ones for pad 8)
    words &= ~low
    low &= _ASCII_ZEROS
    words |= low
    words -= _ASCII_ZEROS  # bytes 0–9, the first digit lowest
    rest = words >> u(8)
    words *= u(10)
    words += rest  # each pair of digits as 10·a + b, in every other byte
    rest = words >> u(16)
    rest &= _PAIRS
    rest *= u(1 + (10_000 << 32))
    words &= _PAIRS
    words *= u(100 + (1_000_000 << 32))
    words += rest
    words >>= u(32)  # 10⁶·p1 + 10⁴·p2 + 10²·p3 + p4 in the high half
    return words


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


def _ids_as_written(raw: bytes, begin: np.ndarray, stop: np.ndarray) -> list[str]:
    """``raw[begin:stop]`` for each pair, as text (ASCII, each followed by a separator byte):
    gathered with their separators, made newlines, and split in one decode (~2× faster than
    ``str`` of each of 200k ints)."""
    lengths = stop + 1 - begin
    offsets = np.cumsum(lengths)
    chars = np.frombuffer(raw, np.uint8)[np.arange(offsets[-1]) + np.repeat(begin - (offsets - lengths), lengths)]
    chars[offsets - 1] = ord("\n")
    return chars.tobytes().decode("ascii").split("\n")[:-1]


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


def _single_spaced(data: bytes) -> bool:
    """Whether fields are separated by exactly one space, with none at a line's ends, no tabs and
    no comments (numpy over the bytes: ``b"  " in data`` is ~10× slower on a 13 MB file)."""
    if not data or b"\t" in data or b"#" in data:
        return False
    b = np.frombuffer(data, np.uint8)
    space = b == ord(" ")
    line_end = (b == ord("\n")) | (b == ord("\r"))
    if space[0] or space[-1]:
        return False
    return not ((space[1:] & (space[:-1] | line_end[:-1])) | (space[:-1] & line_end[1:])).any()


def _ints_read_back(data: bytes) -> bool:
    """Whether every field that pandas may read as an integer is written as ``str(int)`` writes
    it: no ``+1``, ``01``, ``00``, ``-01`` or ``-0``, and no quotes. Conservative (a weight
    ``+2`` or a comment ``# 007`` also says no): the ids are then read as text, only slower."""
    if b'"' in data:
        return False
    b = np.frombuffer(data, np.uint8)
    space = np.zeros(256, bool)
    space[[9, 10, 13, 32]] = True  # what pandas splits fields and lines on

    def starts_field(pos: np.ndarray) -> np.ndarray:
        return (pos == 0) | space[b[np.maximum(pos - 1, 0)]]

    if b"+" in data and starts_field(np.flatnonzero(b == ord("+"))).any():
        return False
    # a 0 followed by a digit (also inside numbers: the "05" of "105") that starts a field, or
    # follows a '-' that does: 01, 00, -01
    zero = np.flatnonzero((b[:-1] == ord("0")) & ((b[1:] - ord("0")) < 10))  # uint8: bytes below '0' wrap high
    before = b[np.maximum(zero - 1, 0)]
    signed = (zero > 0) & (before == ord("-")) & starts_field(zero - 1)
    if (starts_field(zero) | signed).any():
        return False
    if b"-" in data:  # "-0" as a whole field
        minus = np.flatnonzero((b[:-1] == ord("-")) & (b[1:] == ord("0")))
        after = b[np.minimum(minus + 2, len(b) - 1)]
        ends = (minus + 2 >= len(b)) | space[after] | (after == ord("#"))
        if (starts_field(minus) & ends).any():
            return False
    return True


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


def karate_club() -> Graph:
    """Zachary's karate club (networkx ships it), with node attribute ``club``."""
    import networkx as nx

    G = nx.karate_club_graph()
    nodes = [str(n) for n in G.nodes]
    src = np.array([u for u, _ in G.edges], np.int64)
    dst = np.array([v for _, v in G.edges], np.int64)
    clubs = [G.nodes[n]["club"] for n in G.nodes]
    return Graph(nodes, src, dst, np.ones(len(src)), False, {"club": clubs})


def load_features(path: str | Path, g: Graph) -> np.ndarray:
    """Node features from a CSV: first column the node id, then one column per feature.

    Rows may come in any order; every node of the graph needs exactly one row.

    Returns:
        ``(N, F)`` float64 in the graph's node order.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise GraphError(f"features file not found: {p}")
    try:
        df = pd.read_csv(p, index_col=0, dtype={0: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise GraphError(f"malformed features CSV {p}: {str(e).splitlines()[0] if str(e) else 'empty'}") from None
    if df.shape[1] == 0:
        raise GraphError(f"features CSV {p} has no feature columns (expected: node id, then features)")
    df.index = df.index.astype(str)
    if df.index.has_duplicates:
        raise GraphError(f"features CSV {p}: node {df.index[df.index.duplicated()][0]!r} appears twice")
    unknown = [n for n in df.index if n not in set(g.nodes)]
    if unknown:
        raise GraphError(f"features CSV {p}: node {unknown[0]!r} is not in the graph")
    missing = [n for n in g.nodes if n not in df.index]
    if missing:
        raise GraphError(f"features CSV {p}: no row for node {missing[0]!r}")
    try:
        x = df.loc[g.nodes].to_numpy(np.float64)
    except ValueError:
        raise GraphError(f"features CSV {p}: every feature must be a number") from None
    if not np.isfinite(x).all():
        raise GraphError(f"features CSV {p}: features must be finite numbers")
    return x


def node_labels(g: Graph, key: str) -> tuple[np.ndarray, list[str]]:
    """Integer class of every node from attribute ``key`` (-1 where unlabelled), and the class
    names in order of first appearance."""
    if key not in g.node_attrs:
        have = ", ".join(g.node_attrs) or "none"
        raise GraphError(f"the graph's nodes have no {key!r} attribute (attributes: {have})")
    values = g.node_attrs[key]
    classes: list[str] = []
    y = np.full(g.num_nodes, -1, np.int64)
    for i, v in enumerate(values):
        if v is None:
            continue
        s = str(v)
        if s not in classes:
            classes.append(s)
        y[i] = classes.index(s)
    if len(classes) < 2:
        raise GraphError(f"node attribute {key!r} needs at least two classes, found {len(classes)}")
    return y, classes
