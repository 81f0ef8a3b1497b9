"""The graph type: ordered node ids and edge arrays, the adjacency built once; the karate club,
node labels and node features.

Node ids are text (numbers kept as their text); node order is the file's. ``src``, ``dst`` and
``weight`` hold each edge once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqgraph.errors import GraphError


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
