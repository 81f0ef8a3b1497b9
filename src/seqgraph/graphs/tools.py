"""What ``seqgraph gcn adjacency``, ``hops`` and ``layer`` do, one function each: read the
graph, compute, and with ``out`` write the files (through :mod:`seqgraph.graphs.io`); the
command only prints what comes back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqgraph.graphs.graph import Graph
from seqgraph.graphs.readers import load_graph
from seqgraph.io import check_replace

if TYPE_CHECKING:
    from seqgraph.analysis.hops import AllPairs
    from seqgraph.graphs.layer import LayerResult
    from seqgraph.nn.gcn import GCNMatrices


@dataclass
class Adjacency:
    graph: Graph
    matrices: GCNMatrices
    saved: tuple[str, list[str]] | None  # with out: ("dense" | "sparse", the files written)


def adjacency(path: str | Path, *, fmt: str = "auto", directed: bool | None = None, self_loops: bool = True,
              variant: str = "sym", out: str | Path | None = None, overwrite: bool = False) -> Adjacency:
    """A, Ã and Â of a graph file (:func:`seqgraph.nn.gcn.gcn_norm`); with ``out``, written
    to that folder as ``A.csv``, ``A_tilde.csv``, ``A_hat.csv`` (existing ones only with
    ``overwrite``)."""
    from seqgraph.graphs.io import MATRIX_FILES, save_matrices
    from seqgraph.nn.gcn import gcn_norm

    if out is not None and Path(out).is_dir():
        for name in MATRIX_FILES:
            check_replace(Path(out) / name, overwrite)

    g = load_graph(path, fmt, directed)
    m = gcn_norm(g, self_loops=self_loops, variant=variant)
    return Adjacency(g, m, save_matrices(m, g.nodes, out) if out is not None else None)


@dataclass
class Hops:
    graph: Graph
    source_hops: np.ndarray | None  # (N,) hops from the source, -1 where unreachable; None: no source
    target_hops: int | None  # with a target: hops from the source to it (None: unreachable)
    all_pairs: AllPairs | None  # without a source


def hops(path: str | Path, *, fmt: str = "auto", directed: bool | None = None, source: str | None = None,
         target: str | None = None, out: str | Path | None = None, overwrite: bool = False) -> Hops:
    """Hops from ``source`` to ``target``, from ``source`` to every node, or between all pairs
    (no source). ``out``: a CSV of the hops per node (``node,hops``) or of the all-pairs matrix;
    not written for one target; an existing one replaced only with ``overwrite``."""
    from seqgraph.analysis.hops import all_pairs, hops_from
    from seqgraph.graphs.io import save_all_pairs, save_hops

    if out is not None and target is None:
        check_replace(out, overwrite)

    g = load_graph(path, fmt, directed)
    if source is None:
        ap = all_pairs(g)
        if out is not None:
            save_all_pairs(out, g.nodes, ap.hops)
        return Hops(g, None, None, ap)
    h = hops_from(g, source)
    if target is not None:
        k = int(h[g.index(target)])
        return Hops(g, h, None if k < 0 else k, None)
    if out is not None:
        save_hops(out, g.nodes, h)
    return Hops(g, h, None, None)


def layer(path: str | Path, *, fmt: str = "auto", directed: bool | None = None, features: str | Path | None = None,
          out_dim: int = 2, weights: str | Path | None = None, seed: int = 0, activation: str = "relu",
          gat: bool = False, out: str | Path | None = None, overwrite: bool = False) -> tuple[Graph, LayerResult]:
    """One GCN layer (or GAT head) on a graph file (:func:`seqgraph.graphs.layer.gcn_layer_forward`);
    ``out``: a CSV of H' (``node,h0,h1,…``), an existing one replaced only with ``overwrite``."""
    from seqgraph.graphs.io import save_node_features
    from seqgraph.graphs.layer import gcn_layer_forward

    if out is not None:
        check_replace(out, overwrite)

    g = load_graph(path, fmt, directed)
    res = gcn_layer_forward(g, features=features, out_dim=out_dim, weights=weights, seed=seed,
                            activation=activation, gat=gat)
    if out is not None:
        save_node_features(out, g.nodes, res.H)
    return g, res
