r"""Effective resistance: how hard it is for a signal to travel between two nodes.

.. math::
    R(u, v) = (e_u - e_v)^\top L^{+} (e_u - e_v), \qquad L = D - A, \qquad
    K_f = \sum_{u < v} R(u, v) = N \operatorname{tr}(L^{+}) \;(\text{connected})

Edges conduct with their weight (an unweighted file: 1 each; weight 0: not at all), as
``networkx.resistance_distance(G, u, v, weight="weight", invert_weight=False)``. Di Giovanni et
al. (ICML 2023) bound a GCN's over-squashing by it; the Kirchhoff index (the total effective
resistance, networkx's ``effective_graph_resistance``) summarises a graph.

Two methods, each named in what they return:

* ``exact``: on graphs up to :data:`EXACT_LIMIT` nodes, per connected component the dense
  ``L⁺ = (L + 11ᵀ/n)⁻¹ − 11ᵀ/n`` by one Cholesky factorisation; the Kirchhoff index from the
  same factor (``tr L⁺ = ‖C⁻¹‖_F² − 1`` with ``L + 11ᵀ/n = CCᵀ``), no eigenvalues.
* ``sparse``: on larger graphs, the requested pairs only: per pair, conjugate gradients on the
  component's sparse Laplacian for ``L x = e_u − e_v`` (Jacobi-preconditioned, to a relative
  residual of 1e-10), ``R = x_u − x_v``.

Nodes in different components are infinitely far apart (R = ∞, and so is the Kirchhoff index).
Effective resistance is defined on undirected graphs: a directed graph is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqgraph.errors import GraphError
from seqgraph.graphs.graph import Graph

EXACT_LIMIT = 5_000  # nodes: a dense N × N pseudo-inverse (200 MB at 5,000)
CG_RTOL = 1e-10  # relative residual ‖L x − b‖ / ‖b‖ at which a solve stops


def laplacian(g: Graph) -> Any:
    """``L = D − A`` with A's weights as conductances, self-loops dropped (they carry no current).

    Shapes:
        → ``(N, N)`` scipy CSR.
    """
    import scipy.sparse as sp

    if g.directed:
        raise GraphError("effective resistance is defined on undirected graphs: pass --undirected to read the "
                         "edges as undirected")
    A = g.adjacency().tocoo()
    off = A.row != A.col
    A = sp.csr_array((A.data[off], (A.row[off], A.col[off])), shape=A.shape)
    if (A.data < 0).any():
        raise GraphError("effective resistance needs non-negative edge weights (conductances)")
    d = np.asarray(A.sum(axis=1)).ravel()
    return (sp.diags_array(d) - A).tocsr()


def components(g: Graph) -> tuple[int, np.ndarray]:
    """Connected components of the conducting edges (weight > 0): count and label per node."""
    import scipy.sparse as sp
    from scipy.sparse import csgraph

    L = laplacian(g)
    A = (sp.diags_array(L.diagonal()) - L).tocsr()  # the conductances, off the diagonal
    A.eliminate_zeros()
    n, labels = csgraph.connected_components(A, directed=False)
    return int(n), labels


@dataclass
class Resistances:
    pairs: list[tuple[str, str, float]]  # (u, v, R(u, v)); inf across components
    kirchhoff: float | None  # Σ_{u<v} R(u, v) (inf if disconnected); None: not computed (sparse method)
    method: str  # how they were computed, in words
    components: int


def resistances(g: Graph, pairs: Sequence[tuple[str, str]] | None = None, method: str = "auto") -> Resistances:
    """Effective resistance between ``pairs`` (None: every pair, exact only) and the Kirchhoff
    index (exact only).

    Args:
        method: ``auto`` (exact up to :data:`EXACT_LIMIT` nodes, else sparse), ``exact`` or
            ``sparse``.
    """
    if method not in ("auto", "exact", "sparse"):
        raise GraphError(f"unknown method {method!r} (choose from auto, exact, sparse)")
    n = g.num_nodes
    if method == "auto":
        method = "exact" if n <= EXACT_LIMIT else "sparse"
    if method == "exact" and n > EXACT_LIMIT:
        raise GraphError(f"exact resistances on {n:,} nodes need a dense {n:,} × {n:,} matrix (limit "
                         f"{EXACT_LIMIT:,} nodes): give --pairs for the sparse method")
    idx = [(g.index(u), g.index(v)) for u, v in pairs] if pairs is not None else None
    ncomp, labels = components(g)
    if method == "sparse":
        if idx is None:
            raise GraphError(f"every pair of {n:,} nodes is {n * (n - 1) // 2:,} resistances: give --pairs")
        values = _sparse_pairs(laplacian(g), labels, idx)
        return Resistances(_named(g, idx, values), None,
                           f"sparse: conjugate gradients on the Laplacian per pair (Jacobi, rtol {CG_RTOL:g})",
                           ncomp)
    Lp = pseudo_inverse(g, labels)
    if idx is None:
        idx = [(u, v) for u in range(n) for v in range(u + 1, n)]
    values = [_from_pinv(Lp, labels, u, v) for u, v in idx]
    kf = float(n * np.trace(Lp)) if ncomp == 1 else float("inf") if n > 1 else 0.0  # from the same L⁺
    return Resistances(_named(g, idx, values), kf,
                       "exact: dense L⁺ per component by Cholesky", ncomp)


def _named(g: Graph, idx: list[tuple[int, int]], values: list[float]) -> list[tuple[str, str, float]]:
    return [(g.nodes[u], g.nodes[v], r) for (u, v), r in zip(idx, values, strict=True)]


def _from_pinv(Lp: np.ndarray, labels: np.ndarray, u: int, v: int) -> float:
    if u == v:
        return 0.0
    if labels[u] != labels[v]:
        return float("inf")
    return float(Lp[u, u] + Lp[v, v] - 2 * Lp[u, v])


def pseudo_inverse(g: Graph, labels: np.ndarray | None = None) -> np.ndarray:
    """``L⁺`` restricted to each connected component (entries across components 0): per
    component ``(L_c + 11ᵀ/n_c)⁻¹ − 11ᵀ/n_c``, by Cholesky.

    Shapes:
        → ``(N, N)`` float64.
    """
    import scipy.linalg as la

    if labels is None:
        labels = components(g)[1]
    L = laplacian(g).toarray()
    Lp = np.zeros_like(L)
    for c in np.unique(labels):
        nodes = np.flatnonzero(labels == c)
        m = len(nodes)
        M = L[np.ix_(nodes, nodes)] + 1.0 / m
        inv = la.cho_solve(la.cho_factor(M, lower=True), np.eye(m)) - 1.0 / m
        Lp[np.ix_(nodes, nodes)] = inv
    return Lp


def kirchhoff_index(g: Graph, labels: np.ndarray | None = None) -> float:
    r"""``K_f = Σ_{u<v} R(u, v) = N tr(L⁺)`` for a connected graph (∞ otherwise), from one
    Cholesky factor ``L + 11ᵀ/N = CCᵀ``: ``tr (L + 11ᵀ/N)⁻¹ = ‖C⁻¹‖_F²`` and
    ``tr L⁺ = tr (L + 11ᵀ/N)⁻¹ − 1``."""
    import scipy.linalg as la

    n = g.num_nodes
    if labels is None:
        labels = components(g)[1]
    if n > 1 and len(np.unique(labels)) > 1:
        return float("inf")
    if n <= 1:
        return 0.0
    M = laplacian(g).toarray() + 1.0 / n
    C, info = la.lapack.dpotrf(M, lower=True, overwrite_a=True, clean=True)
    if info == 0:  # the triangular inverse (LAPACK trtri: N³/3 flops, a third of a solve against I)
        Ci, info = la.lapack.dtrtri(C, lower=True, overwrite_c=True)
    if info != 0:
        raise GraphError("the Laplacian is numerically singular (edge weights spanning too many orders of magnitude)")
    return float(n * (np.einsum("ij,ij->", Ci, Ci) - 1.0))  # 11ᵀ/n adds eigenvalue 1 along 1


def _sparse_pairs(L: Any, labels: np.ndarray, idx: list[tuple[int, int]]) -> list[float]:
    """R(u, v) for each pair: conjugate gradients on the component's Laplacian for
    ``L x = e_u − e_v`` (:func:`laplacian_cg`; the system is consistent: b sums to 0 on the
    component, and the free constant of x cancels in ``x_u − x_v``)."""
    systems: dict[int, tuple[Any, np.ndarray]] = {}
    out = []
    for u, v in idx:
        if u == v:
            out.append(0.0)
            continue
        c = int(labels[u])
        if c != labels[v]:
            out.append(float("inf"))
            continue
        if c not in systems:
            nodes = np.flatnonzero(labels == c)
            pos = np.full(L.shape[0], -1, np.int64)
            pos[nodes] = np.arange(len(nodes))
            systems[c] = (L[nodes][:, nodes].tocsr(), pos)  # ≥ 2 nodes: every degree > 0
        sub, pos = systems[c]
        b = np.zeros(sub.shape[0])
        b[pos[u]], b[pos[v]] = 1.0, -1.0
        x = laplacian_cg(sub, b)
        out.append(float(x[pos[u]] - x[pos[v]]))
    return out


def laplacian_cg(L: Any, b: np.ndarray, rtol: float = CG_RTOL, maxiter: int | None = None) -> np.ndarray:
    r"""Solve ``L x = b`` (L a connected graph's Laplacian, ``Σ b = 0``) by conjugate gradients
    preconditioned by the degrees (Jacobi), to ``‖L x − b‖ ≤ rtol ‖b‖``.

    The loop is written out (numpy): scipy's ``cg`` spent ~10× the sparse products' time per
    iteration on this machine (benchmarks/propagation.py). On random graphs it converges in
    ~20 iterations (L's spectral gap is wide); on long paths it needs up to ~N.

    Shapes:
        L ``(n, n)`` scipy CSR, b ``(n,)`` → x ``(n,)``.
    """
    n = L.shape[0]
    maxiter = maxiter or 10 * n + 100
    dinv = 1.0 / L.diagonal()
    x = np.zeros(n)
    r = b.copy()
    z = dinv * r
    p = z.copy()
    rz = float(r @ z)
    stop = rtol * float(np.linalg.norm(b))
    for _ in range(maxiter):
        q = L @ p
        alpha = rz / float(p @ q)
        x += alpha * p
        r -= alpha * q
        if float(np.linalg.norm(r)) <= stop:
            return x
        np.multiply(dinv, r, out=z)
        rz_new = float(r @ z)
        p *= rz_new / rz
        p += z
        rz = rz_new
    raise GraphError(f"conjugate gradients did not converge within {maxiter:,} iterations (a badly conditioned "
                     f"Laplacian): use --method exact on a graph of at most {EXACT_LIMIT:,} nodes")
