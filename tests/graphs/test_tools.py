"""What the gcn commands call: one function each reads the graph, computes, and with out
writes its file(s)."""

import numpy as np

from seqgraph.analysis.hops import all_pairs, hops_from
from seqgraph.graphs import load_graph
from seqgraph.graphs.layer import gcn_layer_forward
from seqgraph.graphs.tools import adjacency, hops, layer
from seqgraph.nn.gcn import gcn_norm

COURSE = "course-2020"  # the shipped example graph, by name


def test_adjacency_computes_and_writes_only_with_out(tmp_path):
    res = adjacency(COURSE, variant="rw")
    want = gcn_norm(load_graph(COURSE), variant="rw")
    np.testing.assert_array_equal(res.matrices.A_hat.toarray(), want.A_hat.toarray())
    assert res.saved is None and res.graph.nodes == list("ABCDEF")
    res = adjacency(COURSE, out=tmp_path / "m")
    assert res.saved == ("dense", [str(tmp_path / "m" / f"{n}.csv") for n in ("A", "A_tilde", "A_hat")])


def test_hops_one_target_all_targets_or_all_pairs(tmp_path):
    g = load_graph(COURSE)
    one = hops(COURSE, source="C", target="E", out=tmp_path / "not-written.csv")
    assert one.target_hops == 4 and one.all_pairs is None
    assert not (tmp_path / "not-written.csv").exists()  # one number: no file, as the command always did
    each = hops(COURSE, source="C", out=tmp_path / "h.csv")
    assert each.source_hops.tolist() == hops_from(g, "C").tolist() and each.target_hops is None
    assert (tmp_path / "h.csv").read_text().splitlines()[:2] == ["node,hops", "A,3"]
    every = hops(COURSE, out=tmp_path / "ap.csv")
    assert every.source_hops is None
    np.testing.assert_array_equal(every.all_pairs.hops, all_pairs(g).hops)
    assert (tmp_path / "ap.csv").read_text().splitlines()[0] == ",A,B,C,D,E,F"
    assert hops(COURSE, directed=True, source="C", target="E").graph.directed


def test_an_unreachable_target_is_none(tmp_path):
    f = tmp_path / "g.txt"
    f.write_text("a b\nc d\n")
    assert hops(f, source="a", target="d").target_hops is None


def test_layer_computes_and_writes_h(tmp_path):
    g, res = layer(COURSE, out_dim=3, seed=2, out=tmp_path / "H.csv")
    np.testing.assert_array_equal(res.H, gcn_layer_forward(load_graph(COURSE), out_dim=3, seed=2).H)
    lines = (tmp_path / "H.csv").read_text().splitlines()
    assert lines[0] == "node,h0,h1,h2" and len(lines) == 1 + g.num_nodes
