"""What ``seqgraph gcn adjacency``, ``hops`` and ``layer`` do, one function each: read the
graph, compute, and with ``out`` write the files (through :mod:`seqgraph.graphs.io`); the
command only prints what comes back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


MAX_DEPTH = 256  # layers: --layers beyond this is a typo, not an experiment


def depths(spec: str | int | list[int], what: str = "--layers") -> list[int]:
    """``1:32``, ``4`` or ``1,2,4,8`` → sorted, de-duplicated depths, each in [1, MAX_DEPTH]."""
    from seqgraph.config.parse import parse_int_list
    from seqgraph.errors import GraphError

    values = sorted(set(parse_int_list(spec, what)))
    if values[0] < 1:
        raise GraphError(f"{what} must be at least 1, got {values[0]}")
    if values[-1] > MAX_DEPTH:
        raise GraphError(f"{what} at most {MAX_DEPTH}, got {values[-1]}")
    return values


def node_features(g: Graph, features: str | Path | None, num_features: int, seed: int) -> np.ndarray:
    """Features from a CSV (:func:`seqgraph.graphs.graph.load_features`), or ``num_features``
    standard normal ones drawn from ``seed``."""
    from seqgraph.analysis.smoothing import random_features
    from seqgraph.graphs.graph import load_features

    return load_features(features, g) if features is not None else random_features(g, num_features, seed)


@dataclass
class Analysis:
    """What a propagation analysis of a graph file returns to its command."""

    graph: Graph
    result: Any  # SmoothingCurve, Sensitivity or Resistances (seqgraph.analysis)
    saved: list[str]  # files written


SMOOTHING_COLUMNS = ("where", "step", "energy", "sqrt_energy", "mad")


def smoothing(path: str | Path, *, layers: str | int = "1:32", models: tuple[str, ...] = ("gcn",),
              features: str | Path | None = None, num_features: int = 16, seed: int = 0, fmt: str = "auto",
              directed: bool | None = None, out: str | Path | None = None, training: Any = None,
              overwrite: bool = False) -> Analysis:
    """Dirichlet energy and MAD per propagation step and per layer
    (:func:`seqgraph.analysis.smoothing.smoothing`; ``training``: a
    :class:`~seqgraph.analysis.smoothing.Training` to measure trained networks); ``out``: a
    folder for ``smoothing.csv`` and ``smoothing.png`` (log scale), existing ones replaced only
    with ``overwrite``."""
    from seqgraph.analysis.smoothing import smoothing as compute

    ks = depths(layers)
    if out is not None:
        for name in ("smoothing.csv", "smoothing.png"):
            check_replace(Path(out) / name, overwrite)
    g = load_graph(path, fmt, directed)
    X = node_features(g, features, num_features, seed)
    curve = compute(g, X, ks, models, seed, training)
    saved: list[str] = []
    if out is not None:
        from seqgraph.io import make_folder, write_csv
        from seqgraph.plots import plot_smoothing, save_figure

        folder = make_folder(out)
        write_csv(folder / "smoothing.csv", SMOOTHING_COLUMNS, curve.rows)
        fig = plot_smoothing(curve.rows, title=f"Over-smoothing on {Path(str(path)).stem} "
                                               f"({g.num_nodes:,} nodes, {X.shape[1]} features)")
        saved = [str(folder / "smoothing.csv"), str(save_figure(fig, folder / "smoothing.png"))]
    return Analysis(g, curve, saved)


SQUASH_COLUMNS = ("layers", "sensitivity", "bound", "propagation", "weight_norm_product")


def squash(path: str | Path, *, source: str, target: str, layers: str | int = "1:8",
           features: str | Path | None = None, num_features: int = 16, width: int = 16, seed: int = 0,
           fmt: str = "auto", directed: bool | None = None, out: str | Path | None = None,
           overwrite: bool = False) -> Analysis:
    """The sensitivity of GCNs of each depth between two nodes against its bound, and their
    effective resistance (:func:`seqgraph.analysis.squashing.sensitivity`); ``out``: a CSV
    (an existing one replaced only with ``overwrite``)."""
    from seqgraph.analysis.squashing import sensitivity
    from seqgraph.io import write_csv

    ks = depths(layers)
    if out is not None:
        check_replace(out, overwrite)
    g = load_graph(path, fmt, directed)
    g.index(source), g.index(target)  # unknown nodes: said before any work
    X = node_features(g, features, num_features, seed)
    res = sensitivity(g, source, target, ks, X, width, seed)
    saved = []
    if out is not None:
        write_csv(out, SQUASH_COLUMNS, res.rows)
        saved.append(str(out))
    return Analysis(g, res, saved)


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """``"C-E,A-F"`` (or ``C:E``) → node pairs."""
    from seqgraph.errors import GraphError

    pairs = []
    for item in (p.strip() for p in text.split(",")):
        sep = "-" if "-" in item else ":" if ":" in item else None
        if not item or sep is None or item.count(sep) != 1 or "" in item.split(sep):
            raise GraphError(f"bad pair {item!r} in --pairs: expected u-v (or u:v), e.g. C-E,A-F")
        u, v = item.split(sep)
        pairs.append((u.strip(), v.strip()))
    return list(dict.fromkeys(pairs))


def resistance(path: str | Path, *, pairs: str | None = None, method: str = "auto", fmt: str = "auto",
               directed: bool | None = None, out: str | Path | None = None, overwrite: bool = False) -> Analysis:
    """Effective resistances of ``pairs`` (every pair by default, on graphs the exact method
    takes) and the Kirchhoff index (:func:`seqgraph.analysis.resistance.resistances`); ``out``:
    a CSV ``u,v,resistance`` (an existing one replaced only with ``overwrite``)."""
    from seqgraph.analysis.resistance import resistances
    from seqgraph.io import write_csv

    if out is not None:
        check_replace(out, overwrite)
    asked = parse_pairs(pairs) if pairs is not None else None
    g = load_graph(path, fmt, directed)
    res = resistances(g, asked, method)
    saved = []
    if out is not None:
        write_csv(out, ["u", "v", "resistance"], ({"u": u, "v": v, "resistance": r} for u, v, r in res.pairs))
        saved.append(str(out))
    return Analysis(g, res, saved)
