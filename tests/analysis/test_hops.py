"""Hops, all pairs and receptive fields, against a plain breadth-first search and networkx."""

from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqgraph.analysis.hops import all_pairs, hops_between, hops_from
from seqgraph.errors import GraphError
from seqgraph.graphs import Graph, load_graph

COURSE = "course-2020"  # the shipped example graph, by name


def graph(n, edges, directed=False, w=None):
    src = np.array([a for a, _ in edges], np.int64)
    dst = np.array([b for _, b in edges], np.int64)
    weights = np.ones(len(edges)) if w is None else np.array(w, float)
    return Graph([str(i) for i in range(n)], src, dst, weights, directed)


def bfs(n, edges, directed, s):
    adj = [[] for _ in range(n)]
    for a, b in edges:
        adj[a].append(b)
        if not directed:
            adj[b].append(a)
    dist = [-1] * n
    dist[s] = 0
    q = deque([s])
    while q:
        u = q.popleft()
        for v in adj[u]:
            if dist[v] < 0:
                dist[v] = dist[u] + 1
                q.append(v)
    return dist


@st.composite
def random_graphs(draw):
    n = draw(st.integers(1, 25))
    m = draw(st.integers(0, 60))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=m, max_size=m))
    return n, edges, draw(st.booleans())


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_hops_equal_plain_bfs(case):
    n, edges, directed = case
    g = graph(n, edges, directed)
    from seqgraph.graphs.readers import _dedupe

    g = _dedupe(g)
    ap = all_pairs(g)
    for s in range(n):
        expected = bfs(n, edges, directed, s)
        assert hops_from(g, str(s)).tolist() == expected
        assert ap.hops[s].tolist() == expected
    # receptive field after k layers = number of sources within k hops
    for k in range(len(ap.receptive_field)):
        for t in range(n):
            assert ap.receptive_field[k, t] == sum(1 for s in range(n) if 0 <= ap.hops[s, t] <= k)


def test_course_hops_c_to_e_and_summary():
    g = load_graph(COURSE)
    assert hops_between(g, "C", "E") == 4
    ap = all_pairs(g)
    assert ap.diameter == 4 and ap.unreachable_pairs == 0
    assert ap.receptive_field[-1].tolist() == [6] * 6


def test_unreachable_and_all_pairs_limit():
    g = graph(3, [(0, 1)], directed=True)
    assert hops_between(g, "1", "0") is None
    assert all_pairs(g).unreachable_pairs == 5  # 6 ordered pairs, only 0 → 1 connects
    with pytest.raises(GraphError, match="give --source"):
        all_pairs(graph(10, [(0, 1)]), limit=5)


def test_hops_on_long_paths_and_random_graphs_equal_networkx():
    """Deep BFS trees (many pointer-jumping passes) and wide ones, against networkx."""
    import networkx as nx

    n = 3_000
    path = graph(n, [(i, i + 1) for i in range(n - 1)])
    assert hops_from(path, "0").tolist() == list(range(n))
    assert hops_from(path, "1000").tolist() == [abs(i - 1000) for i in range(n)]
    one_way = graph(n, [(i + 1, i) for i in range(n - 1)], directed=True)  # edges point back to 0
    assert hops_from(one_way, str(n - 1)).tolist() == list(range(n - 1, -1, -1))
    assert (hops_from(one_way, "5")[6:] == -1).all()
    rng = np.random.default_rng(3)
    for directed in (False, True):
        edges = [tuple(e) for e in rng.integers(0, 500, (1_200, 2)).tolist()]
        g = graph(500, edges, directed)
        G = (nx.DiGraph if directed else nx.Graph)(edges)
        for s in rng.choice(500, 5, replace=False).tolist():
            want = np.full(500, -1)
            if s in G:
                for t, d in nx.single_source_shortest_path_length(G, s).items():
                    want[t] = d
            else:
                want[s] = 0
            assert hops_from(g, str(s)).tolist() == want.tolist()


# --- an edge of weight 0: an edge that carries no message ------------------------------------

def path_with_a_zero_edge(tmp_path, directed=False):
    """A – B – C – D, the middle edge of weight 0 (an edge list as a user writes it)."""
    f = tmp_path / "g.txt"
    f.write_text("A B 1\nB C 0\nC D 1\n")
    return load_graph(f, directed=directed)


def test_an_edge_of_weight_0_is_one_hop(tmp_path):
    """Hops count listed edges, never weights (by hand: a path of three edges)."""
    g = path_with_a_zero_edge(tmp_path)
    assert hops_between(g, "A", "D") == 3 and hops_between(g, "C", "B") == 1
    ap = all_pairs(g)
    np.testing.assert_array_equal(ap.hops, [[0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 0, 1], [3, 2, 1, 0]])
    assert ap.diameter == 3 and ap.unreachable_pairs == 0
    np.testing.assert_array_equal(ap.receptive_field[1], [2, 3, 3, 2])  # B hears A, B and C after one layer
    d = path_with_a_zero_edge(tmp_path, directed=True)  # A → B → C → D
    np.testing.assert_array_equal(hops_from(d, "A"), [0, 1, 2, 3])
    np.testing.assert_array_equal(hops_from(d, "D"), [-1, -1, -1, 0])
