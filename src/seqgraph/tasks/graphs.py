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
    from seqgraph.io import read_utf8

    p = resolve_path(path, "graph")
    if fmt not in FORMATS:
        raise GraphError(f"unknown graph format {fmt!r} (choose from {', '.join(FORMATS)})")
    if not p.exists() and not p.suffix and p.parent == Path("."):
        from seqgraph.examples import examples

        known = ", ".join(e.name for e in examples("graph"))
        raise GraphError(f"graph file not found: {p} (example graphs: {known})")
    text = read_utf8(p, "graph file", GraphError)
    stripped = text.lstrip()
    if fmt == "auto":
        fmt = "json" if stripped[:1] in "{[" else "edgelist"
    if fmt == "edgelist":
        g = _from_edgelist(text, p)
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


def _from_edgelist(text: str, p: Path) -> Graph:
    import io
    import warnings

    import pandas as pd

    try:
        # a fourth column only to catch lines with too many fields (pandas would otherwise move
        # the extra leading fields into the index); "nan" stays text, so it is refused as a weight
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # fields beyond the fourth
            df = pd.read_csv(io.StringIO(text), sep=r"\s+", header=None, comment="#", dtype=str,
                             engine="c", names=["u", "v", "w", "extra"], index_col=False,
                             on_bad_lines="error", keep_default_na=False, na_values=[])
    except pd.errors.ParserWarning:
        raise GraphError(f"malformed edge list {p}: a line has more than 3 fields; expected 'u v [weight]' "
                         "per line") from None
    except pd.errors.ParserError as e:
        raise GraphError(f"malformed edge list {p}: {str(e).splitlines()[0]}; expected 'u v [weight]' "
                         "per line") from None
    except pd.errors.EmptyDataError:
        raise GraphError(f"graph file {p} has no edges") from None
    for column, problem in (("extra", "more than 3 fields"), ("v", "one node")):
        bad = (df[column] != "").to_numpy() if column == "extra" else (df[column] == "").to_numpy()
        if bad.any():
            raise GraphError(f"malformed edge list {p}: edge {int(np.argmax(bad)) + 1} has {problem}; "
                             "expected 'u v [weight]' per line")
    codes, uniques = pd.factorize(pd.concat([df["u"], df["v"]], ignore_index=True), sort=False)
    n_e = len(df)
    try:
        given = (df["w"] != "").to_numpy()
        w = np.ones(n_e)
        if given.any():
            w[given] = pd.to_numeric(df["w"][given]).to_numpy(np.float64)
    except ValueError:
        raise GraphError(f"malformed edge list {p}: a weight is not a number") from None
    if not np.isfinite(w).all():
        raise GraphError(f"malformed edge list {p}: weights must be finite")
    # factorize order is first appearance over all u then all v; re-rank by first appearance
    # in reading order (u1, v1, u2, v2, ...)
    interleaved = np.empty(2 * n_e, np.int64)
    interleaved[0::2], interleaved[1::2] = codes[:n_e], codes[n_e:]
    first = np.full(len(uniques), 2 * n_e, np.int64)
    np.minimum.at(first, interleaved, np.arange(2 * n_e))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    nodes = [str(x) for x in np.asarray(uniques, dtype=object)[order]]
    return Graph(nodes, rank[codes[:n_e]], rank[codes[n_e:]], w)


def _dedupe(g: Graph) -> Graph:
    """Collapse repeated edges (undirected: u–v and v–u are the same); the last weight wins."""
    if g.num_edges == 0:
        return g
    if g.directed:
        a, b = g.src, g.dst
    else:
        a, b = np.minimum(g.src, g.dst), np.maximum(g.src, g.dst)
    key = a * g.num_nodes + b
    # index of the last occurrence of each key, kept in order of first occurrence
    _rev_unique, rev_idx = np.unique(key[::-1], return_index=True)
    last = len(key) - 1 - rev_idx
    if len(last) == len(key):
        return g
    _, first_idx = np.unique(key, return_index=True)
    keep_order = np.argsort(first_idx, kind="stable")
    first_pos, last_pos = first_idx[keep_order], last[keep_order]
    g.src, g.dst = g.src[first_pos], g.dst[first_pos]
    g.weight = g.weight[last_pos]
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
