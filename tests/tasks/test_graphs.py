import json

import numpy as np
import pytest

from seqgraph.errors import GraphError
from seqgraph.tasks.graphs import karate_club, load_features, load_graph, node_labels

COURSE = "course-2020"  # the shipped example graph, by name


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_course_graph_node_link():
    g = load_graph(COURSE)
    assert g.nodes == ["A", "B", "C", "D", "E", "F"]
    assert g.num_edges == 6 and not g.directed
    A = g.adjacency().toarray()
    assert (A == A.T).all() and A.sum() == 12
    assert A[g.index("C"), g.index("D")] == 1


def test_links_key_and_numeric_ids_and_weights(tmp_path):
    p = write(tmp_path, "g.json", json.dumps({"directed": True, "nodes": [{"id": 3}, {"id": 1}],
                                              "links": [{"source": 3, "target": 1, "weight": 2.5}]}))
    g = load_graph(p)
    assert g.nodes == ["3", "1"] and g.directed
    A = g.adjacency().toarray()
    assert A[0, 1] == 2.5 and A[1, 0] == 0
    assert g.index(3) == 0


def test_adjacency_map_lists_and_weights(tmp_path):
    p = write(tmp_path, "g.json", '{"A": ["B", "E"], "B": {"A": 1, "C": 2.0}}')
    g = load_graph(p)
    assert g.nodes == ["A", "B", "E", "C"]  # keys first, then new neighbours as they appear
    A = g.adjacency().toarray()
    assert A[0, 1] == A[1, 0] == 1  # A–B listed twice: one undirected edge
    assert A[1, 3] == A[3, 1] == 2.0
    assert g.num_edges == 3


def test_edge_list_with_comments_weights_and_order(tmp_path):
    p = write(tmp_path, "g.txt", "# a comment\nz y 2\nx z\n\ny x 0.5\n")
    g = load_graph(p)
    assert g.nodes == ["z", "y", "x"]
    A = g.adjacency().toarray()
    assert A[0, 1] == 2 and A[2, 0] == 1 and A[1, 2] == 0.5


def test_repeated_edges_collapse_last_weight_wins(tmp_path):
    p = write(tmp_path, "g.txt", "a b 1\nb a 3\na c\n")
    g = load_graph(p)
    assert g.num_edges == 2
    assert g.adjacency().toarray()[0, 1] == 3
    gd = load_graph(p, directed=True)
    assert gd.num_edges == 3


def test_karate_club_has_labels():
    g = karate_club()
    assert g.num_nodes == 34 and g.num_edges == 78
    y, classes = node_labels(g, "club")
    assert classes == ["Mr. Hi", "Officer"] and (y >= 0).all()


@pytest.mark.parametrize("text, fmt, message", [
    ("{not json", "auto", "malformed JSON"),
    ("[1, 2]", "auto", "expected a JSON object"),
    ('{"nodes": [{"id": "A"}], "edges": [{"source": "A", "target": "Z"}]}', "auto", "node 'Z', which is not declared"),
    ('{"nodes": [{"name": "A"}], "edges": []}', "auto", "has no 'id'"),
    ('{"A": 5}', "auto", "must be a list or an object"),
    ("", "auto", "is empty"),
    ("a\n", "auto", "has one node"),
    ("a b x\n", "auto", "weight is not a number"),
    ("a b 1 2\nc d 1 2\n", "auto", "edge 1 has more than 3 fields"),  # was misread as nodes b, 1, d
    ("a b 1 2\nc d\n", "auto", "more than 3 fields"),
    ("a b\nc d 1 2\n", "auto", "more than 3 fields"),
    ("a b 1 2 3\n", "auto", "a line has more than 3 fields"),
    ("a b nan\nc d\n", "auto", "weight"),  # as in JSON, where a NaN weight is refused too
    ("a b inf\n", "auto", "finite"),
    ('{"A": {"B": "heavy"}}', "auto", "weight must be a number"),
    ("a b", "graphml", "unknown graph format"),
    ('{"nodes": [], "edges": []}', "auto", "no nodes"),
])
def test_bad_graph_files(tmp_path, text, fmt, message):
    p = write(tmp_path, "g", text)
    with pytest.raises(GraphError, match=message):
        load_graph(p, fmt)


def test_non_utf8_and_missing(tmp_path):
    p = tmp_path / "bin"
    p.write_bytes(b"a b\n\xff\xfe c\n")
    with pytest.raises(GraphError, match="not UTF-8"):
        load_graph(p)
    with pytest.raises(GraphError, match="not found"):
        load_graph(tmp_path / "nope.json")


def test_unknown_node_names_it():
    g = load_graph(COURSE)
    with pytest.raises(GraphError, match="unknown node 'Q'"):
        g.index("Q")


def test_features_aligned_to_graph_order(tmp_path):
    g = load_graph(COURSE)
    rows = "\n".join(f"{n},{i},{i * 10}" for i, n in reversed(list(enumerate(g.nodes))))
    p = write(tmp_path, "x.csv", "node,f0,f1\n" + rows + "\n")
    X = load_features(p, g)
    assert X.shape == (6, 2) and (X[:, 0] == np.arange(6)).all()
    bad = write(tmp_path, "bad.csv", "node,f0\nA,1\n")
    with pytest.raises(GraphError, match="no row for node 'B'"):
        load_features(bad, g)
    unk = write(tmp_path, "unk.csv", "node,f0\n" + "\n".join(f"{n},1" for n in g.nodes) + "\nQ,2\n")
    with pytest.raises(GraphError, match="'Q' is not in the graph"):
        load_features(unk, g)


def test_large_edge_list_loads(tmp_path):
    rng = np.random.default_rng(0)
    u, v = rng.integers(0, 20_000, 100_000), rng.integers(0, 20_000, 100_000)
    p = tmp_path / "big.txt"
    p.write_text("".join(f"{a} {b}\n" for a, b in zip(u, v, strict=True)))
    g = load_graph(p)
    assert g.num_nodes == len(set(u) | set(v))
    pairs = {(min(a, b), max(a, b)) for a, b in zip(u.tolist(), v.tolist(), strict=True)}
    assert g.num_edges == len(pairs)


# the course graphs as the assignments draw them (copied by hand here, the independent reference)
COURSE_EDGES = {
    "course-2019": ["AB", "AE", "AF", "BC", "BD", "CD", "DF", "EF"],  # DL_assignments_2019 assignment_2.pdf
    "course-2020": ["AB", "AE", "AF", "BD", "CD", "DF"],  # uvadlc_practicals_2020 assignment_2.pdf
}


@pytest.mark.parametrize("name", sorted(COURSE_EDGES))
def test_builtin_course_graphs_load_by_name(name):
    import networkx as nx

    from seqgraph.analysis.hops import hops_from

    g = load_graph(name)
    assert g.nodes == list("ABCDEF") and not g.directed
    got = {frozenset((g.nodes[u], g.nodes[v])) for u, v in zip(g.src.tolist(), g.dst.tolist(), strict=True)}
    assert got == {frozenset(e) for e in COURSE_EDGES[name]}
    ref = nx.Graph([tuple(e) for e in COURSE_EDGES[name]])
    hops = hops_from(g, "C")
    for node in "ABCDEF":
        assert hops[g.index(node)] == nx.shortest_path_length(ref, "C", node)


def test_a_file_of_a_builtin_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "course-2019").write_text("X Y\n")
    assert load_graph("course-2019").nodes == ["X", "Y"]


def test_unknown_name_lists_the_builtin_graphs():
    with pytest.raises(GraphError, match="example graphs: course-2019, course-2020"):
        load_graph("course-2021")
