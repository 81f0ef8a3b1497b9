"""The files the gcn commands write, each atomically through :mod:`seqgraph.io` (temp file +
rename): A, Ã and Â as CSVs, hops per node or between all pairs, a layer's output H'."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seqgraph.errors import GraphError
from seqgraph.io import atomic_write_bytes, write_csv

if TYPE_CHECKING:
    from seqgraph.nn.gcn import GCNMatrices

DENSE_LIMIT = 2_000  # nodes; above this, matrices are written as weighted edge lists
MATRIX_FILES = ("A.csv", "A_tilde.csv", "A_hat.csv")  # what save_matrices writes


def save_matrices(m: GCNMatrices, nodes: list[str], out_dir: str | Path,
                  dense_limit: int = DENSE_LIMIT) -> tuple[str, list[str]]:
    """Write A, Ã and Â as ``A.csv``, ``A_tilde.csv``, ``A_hat.csv``: labelled square matrices
    (node ids as header and index, full precision) up to ``dense_limit`` nodes, else sparse
    ``row,col,value`` lists of the non-zero entries. Returns (``"dense"`` | ``"sparse"``, file paths)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GraphError(f"--out {out} is a file, not a folder")
    kind = "dense" if len(nodes) <= dense_limit else "sparse"
    files = []
    for name, mat in zip(MATRIX_FILES, (m.A, m.A_tilde, m.A_hat), strict=True):
        path = out / name
        atomic_write_bytes(path, _matrix_csv(mat, nodes, kind).encode())
        files.append(str(path))
    return kind, files


def _matrix_csv(mat: Any, nodes: list[str], kind: str) -> str:
    import io

    import pandas as pd

    buf = io.StringIO()
    if kind == "dense":
        pd.DataFrame(mat.toarray(), index=nodes, columns=nodes).to_csv(buf, float_format="%.17g")
    else:
        coo = mat.tocoo()
        names = np.asarray(nodes, dtype=object)
        pd.DataFrame({"row": names[coo.row], "col": names[coo.col], "value": coo.data}).to_csv(
            buf, index=False, float_format="%.17g")
    return buf.getvalue()


def save_hops(path: str | Path, nodes: list[str], hops: np.ndarray) -> None:
    """``node,hops`` per node (``hops (N,)``; empty where unreachable, -1)."""
    write_csv(path, ["node", "hops"], ({"node": n, "hops": int(v) if v >= 0 else None}
                                       for n, v in zip(nodes, hops, strict=True)))


def save_all_pairs(path: str | Path, nodes: list[str], hops: np.ndarray) -> None:
    """The all-pairs matrix ``hops (N, N)``, labelled: row s, column t (-1 where unreachable)."""
    import pandas as pd

    atomic_write_bytes(path, pd.DataFrame(hops, index=nodes, columns=nodes).to_csv().encode())


def save_node_features(path: str | Path, nodes: list[str], H: np.ndarray) -> None:
    """``node,h0,h1,…``: one row per node of ``H (N, F)``."""
    cols = [f"h{k}" for k in range(H.shape[1])]
    write_csv(path, ["node", *cols], ({"node": n, **dict(zip(cols, map(float, row), strict=True))}
                                      for n, row in zip(nodes, H, strict=True)))
