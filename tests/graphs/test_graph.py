"""The Graph type and its helpers: the karate club, node labels, node features."""

import numpy as np
import pytest

from seqgraph.errors import GraphError
from seqgraph.graphs import karate_club, load_features, load_graph, node_labels

COURSE = "course-2020"  # the shipped example graph, by name


def test_karate_club_has_labels():
    g = karate_club()
    assert g.num_nodes == 34 and g.num_edges == 78
    y, classes = node_labels(g, "club")
    assert classes == ["Mr. Hi", "Officer"] and (y >= 0).all()


def test_unknown_node_names_it():
    g = load_graph(COURSE)
    with pytest.raises(GraphError, match="unknown node 'Q'"):
        g.index("Q")


def test_features_aligned_to_graph_order(tmp_path):
    g = load_graph(COURSE)
    rows = "\n".join(f"{n},{i},{i * 10}" for i, n in reversed(list(enumerate(g.nodes))))
    files = {"x.csv": "node,f0,f1\n" + rows + "\n", "bad.csv": "node,f0\nA,1\n",
             "unk.csv": "node,f0\n" + "\n".join(f"{n},1" for n in g.nodes) + "\nQ,2\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    X = load_features(tmp_path / "x.csv", g)
    assert X.shape == (6, 2) and (X[:, 0] == np.arange(6)).all()
    with pytest.raises(GraphError, match="no row for node 'B'"):
        load_features(tmp_path / "bad.csv", g)
    with pytest.raises(GraphError, match="'Q' is not in the graph"):
        load_features(tmp_path / "unk.csv", g)
