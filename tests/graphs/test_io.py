"""The files the gcn commands write: columns and values, each file arriving whole by one rename."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqgraph.errors import GraphError
from seqgraph.graphs import load_graph
from seqgraph.graphs.io import save_all_pairs, save_hops, save_matrices, save_node_features
from seqgraph.nn.gcn import gcn_norm

COURSE = "course-2020"  # the shipped example graph, by name


def test_save_matrices_dense_and_sparse(tmp_path):
    g = load_graph(COURSE)
    m = gcn_norm(g)
    kind, _ = save_matrices(m, g.nodes, str(tmp_path / "d"))
    assert kind == "dense"
    df = pd.read_csv(tmp_path / "d" / "A_hat.csv", index_col=0)
    assert list(df.columns) == g.nodes and list(df.index) == g.nodes
    np.testing.assert_array_equal(df.to_numpy(), m.A_hat.toarray())  # full precision round-trip
    kind, _files = save_matrices(m, g.nodes, str(tmp_path / "s"), dense_limit=3)
    sp = pd.read_csv(tmp_path / "s" / "A_hat.csv")
    assert kind == "sparse" and list(sp.columns) == ["row", "col", "value"] and len(sp) == m.A_hat.nnz


def test_an_out_that_is_a_file_is_refused(tmp_path):
    g = load_graph(COURSE)
    (tmp_path / "f").write_text("x")
    with pytest.raises(GraphError, match="is a file, not a folder"):
        save_matrices(gcn_norm(g), g.nodes, tmp_path / "f")


def test_hops_and_features_csvs(tmp_path):
    nodes = ["a", "b", "c"]
    save_hops(tmp_path / "h.csv", nodes, np.array([0, 1, -1]))
    assert (tmp_path / "h.csv").read_text() == "node,hops\na,0\nb,1\nc,\n"  # unreachable: empty
    hops = np.array([[0, 1, -1], [1, 0, -1], [-1, -1, 0]])
    save_all_pairs(tmp_path / "ap.csv", nodes, hops)
    back = pd.read_csv(tmp_path / "ap.csv", index_col=0)
    assert list(back.columns) == nodes and list(back.index) == nodes
    np.testing.assert_array_equal(back.to_numpy(), hops)
    H = np.array([[0.1, -2.0], [1 / 3, 0.0], [5.0, 1e-20]])
    save_node_features(tmp_path / "H.csv", nodes, H)
    back = pd.read_csv(tmp_path / "H.csv", index_col=0)
    assert list(back.columns) == ["h0", "h1"] and list(back.index) == nodes
    np.testing.assert_array_equal(back.to_numpy(), H)


def test_every_file_arrives_whole_by_one_rename(tmp_path, monkeypatch):
    """Written through seqgraph.io: a temporary file beside the target, renamed over it, so a
    reader sees the old file or the new one, never half of one; no temporary file is left."""
    from seqgraph import io

    renames = []
    real = os.replace

    def replace(src, dst):
        renames.append((Path(src), Path(dst)))
        real(src, dst)

    monkeypatch.setattr(io.os, "replace", replace)
    g = load_graph(COURSE)
    h = np.zeros(6, np.int64)
    targets = [tmp_path / "h.csv", tmp_path / "ap.csv", tmp_path / "H.csv"]
    save_hops(targets[0], g.nodes, h)
    save_all_pairs(targets[1], g.nodes, np.zeros((6, 6), np.int64))
    save_node_features(targets[2], g.nodes, np.zeros((6, 2)))
    _, files = save_matrices(gcn_norm(g), g.nodes, tmp_path / "m")
    targets += [Path(f) for f in files]
    assert [dst for _, dst in renames] == targets
    assert all(src.parent == dst.parent and src != dst for src, dst in renames)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(t.name for t in targets)
