"""Reading graph files: JSON formats, edge lists (numpy, pandas and text paths) against a plain
line-by-line reader, shipped graphs by name, error messages."""

import io
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqgraph.errors import GraphError
from seqgraph.graphs import Graph, load_graph, readers

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
    ("a b 1 2 3\n", "auto", r"line 1: edge 1 has more than 3 fields \(5\)"),
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


# ---- edge lists: the vectorised reader against a plain line-by-line one ----

def reference_edge_list(text, directed=False):
    """The edge-list format read the plain way, line by line: ids as written, nodes in order of
    first appearance, a repeated edge keeps its first place and direction and its last weight."""
    nodes, index, edges = [], {}, {}
    for line in text.splitlines():
        fields = line.split("#")[0].split()
        if not fields:
            continue
        u, v = fields[0], fields[1]
        for x in (u, v):
            if x not in index:
                index[x] = len(nodes)
                nodes.append(x)
        key = (u, v) if directed else frozenset((u, v))
        w = float(fields[2]) if len(fields) == 3 else 1.0
        if key in edges:
            edges[key][2] = w
        else:
            edges[key] = [u, v, w]
    return nodes, [(index[u], index[v], w) for u, v, w in edges.values()]


def as_lists(g):
    return g.nodes, list(zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist(), strict=True))


IDS = ["0", "1", "2", "7", "10", "123", "-5", "01", "001", "00", "+1", "-0", "-01", "1.0", "1e3", "a", "B", "True"]
WEIGHTS = ["", "", "", " 2", " 0.5", " -1", " +3", " 05", " 1e-3", " 7"]


@st.composite
def edge_lists(draw):
    if draw(st.integers(0, 3)) == 0:  # plain 'u v' lines of non-negative integers: numpy's reader
        pairs = draw(st.lists(st.tuples(st.sampled_from(IDS[:6]), st.sampled_from(IDS[:6])), min_size=1, max_size=12))
        return "".join(f"{a} {b}\n" for a, b in pairs)
    ids = draw(st.sampled_from([IDS[:6], IDS[:7], IDS]))  # integers only, some negative, any id
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["edge"] * 6 + ["comment", "blank", "spaces", "indented comment"]))
        if kind == "edge":
            sep = draw(st.sampled_from([" ", " ", "\t", "  ", " \t "]))
            tail = draw(st.sampled_from(["", "", " # note 01", "\t#x"]))
            lines.append(f"{draw(st.sampled_from(ids))}{sep}{draw(st.sampled_from(ids))}"
                         f"{draw(st.sampled_from(WEIGHTS))}{tail}")
        else:
            lines.append({"comment": "# c +1 007", "blank": "", "spaces": "  \t ", "indented comment": "  # c"}[kind])
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return ending.join(lines) + draw(st.sampled_from(["", ending]))


@settings(max_examples=200, deadline=None)
@given(edge_lists(), st.booleans())
def test_edge_lists_equal_a_plain_reader(tmp_path_factory, text, directed):
    """Whatever path the reader takes (integer ids rendered exactly, integers checked byte by
    byte, ids as text), the graph is the one a line-by-line reader builds."""
    nodes, edges = reference_edge_list(text, directed)
    if not edges:
        return
    p = tmp_path_factory.mktemp("e") / "g.txt"
    p.write_bytes(text.encode())
    assert as_lists(load_graph(p, "edgelist", directed=directed)) == (nodes, edges)


def test_integer_fast_paths_and_text_path_give_the_same_graph(tmp_path, monkeypatch):
    """numpy's reader of plain 'u v [w]' lines, pandas with int64 ids, and pandas with ids as text."""
    rng = np.random.default_rng(1)
    u, v = rng.integers(0, 3_000, 5_000), rng.integers(0, 3_000, 5_000)
    w = rng.normal(size=5_000).round(3)
    files = {"plain": "".join(f"{a} {b}\n" for a, b in zip(u, v, strict=True)),
             "negative": "".join(f"{a - 1_000} {b}\n" for a, b in zip(u, v, strict=True)),
             "plain weighted": "".join(f"{a} {b} {abs(c)}\n" for a, b, c in zip(u, v, w, strict=True)),
             "weighted": "# header\n" + "".join(f"{a}\t{b} {c}\n" for a, b, c in zip(u, v, w, strict=True))}
    for name, text in files.items():
        p = tmp_path / f"{name}.txt"
        p.write_text(text)
        graphs_read = []
        assert (readers._plain_lines(p.read_bytes()) is not None) == name.startswith("plain")
        with monkeypatch.context() as m:
            graphs_read.append(load_graph(p))
            m.setattr(readers, "_plain_lines", lambda raw: None)  # pandas, int64 ids
            graphs_read.append(load_graph(p))
            m.setattr(readers, "_ints_read_back", lambda data: False)  # pandas, ids as text
            graphs_read.append(load_graph(p))
        assert all(as_lists(g) == reference_edge_list(text) for g in graphs_read), name


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_pandas_reads_a_regular_file_by_path_and_a_pipe_from_its_bytes(tmp_path, monkeypatch):
    """By path is faster, but a pipe gives its bytes only once, and a file named like an
    archive is still plain text (no decompression)."""
    import threading

    import pandas as pd

    sources = []
    read_csv = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda source, **kw: sources.append(source) or read_csv(source, **kw))
    text = "# tab-separated: pandas' path\n1\t2 0.5\n2\t3\n"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(text,), daemon=True)
    writer.start()
    g = load_graph(fifo, "edgelist")
    writer.join(timeout=10)
    assert as_lists(g) == reference_edge_list(text)
    assert sources and all(isinstance(s, io.BytesIO) for s in sources)
    sources.clear()
    for name in ("edges.txt", "edges.gz", "edges.zip"):
        assert as_lists(load_graph(write(tmp_path, name, text))) == reference_edge_list(text)
        assert sources.pop() == tmp_path / name


@pytest.mark.parametrize("scale, shift", [(1, 0), (1, -1_500), (10**12, 3), (-(10**15), 0)])
def test_dense_and_sparse_integer_ids(tmp_path, scale, shift):
    """Ids 0 … N−1 (a lookup table) and ids spread far apart or negative (a hash table)."""
    rng = np.random.default_rng(5)
    u, v = rng.integers(0, 2_000, 6_000) * scale + shift, rng.integers(0, 2_000, 6_000) * scale + shift
    text = "".join(f"{a} {b}\n" for a, b in zip(u.tolist(), v.tolist(), strict=True))
    g = load_graph(write(tmp_path, "g.txt", text))
    assert as_lists(g) == reference_edge_list(text)


@pytest.mark.parametrize("text, nodes", [
    ("01 1\n1 001\n", ["01", "1", "001"]),
    ("1 2\n+1 2\n", ["1", "2", "+1"]),
    ("0 -0\n-0 0\n", ["0", "-0"]),
    ("\ufeff01 2\n", ["01", "2"]),  # a byte-order mark is not part of the first id
    ('"01" 2\n1 2\n', ["01", "2", "1"]),  # pandas' quotes
    ("1 2\n2 3 # 007\n", ["1", "2", "3"]),
    ("10 2\n3 10 0.5\n", ["10", "2", "3"]),
])
def test_ids_are_kept_as_written(tmp_path, text, nodes):
    assert load_graph(write(tmp_path, "g.txt", text)).nodes == nodes


def test_ids_as_text_across_pandas_chunks(tmp_path):
    """pandas infers types per chunk of ~260k rows: integers in the first chunks, text in the
    last must still give '01' ≠ '1' (and no warning)."""
    import warnings

    n = 300_000
    ids = np.arange(n)
    body = "\n".join(np.char.add(np.char.add(ids.astype(str), " "), (ids + 1).astype(str)).tolist())
    p = write(tmp_path, "g.txt", body + "\n01 x\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = load_graph(p)
    assert g.num_nodes == n + 3 and g.nodes[-2:] == ["01", "x"] and g.nodes[1] == "1"


def test_weights_and_last_weight_wins_on_integer_ids(tmp_path):
    p = write(tmp_path, "g.txt", "1 2 0.5\n2 3\n2 1 4\n3 2 -2\n1 3 7\n")
    g = load_graph(p)
    assert as_lists(g) == (["1", "2", "3"], [(0, 1, 4.0), (1, 2, -2.0), (0, 2, 7.0)])
    gd = load_graph(p, directed=True)  # directed: 1 → 2 and 2 → 1 are two edges
    assert as_lists(gd) == (["1", "2", "3"], [(0, 1, 0.5), (1, 2, 1.0), (1, 0, 4.0), (2, 1, -2.0), (0, 2, 7.0)])


def test_comment_and_space_only_lines_are_skipped(tmp_path):
    g = load_graph(write(tmp_path, "g.txt", "a b\n   # indented comment\n \t \n\nb c  # trailing\n"))
    assert as_lists(g) == (["a", "b", "c"], [(0, 1, 1.0), (1, 2, 1.0)])


@pytest.mark.parametrize("directed", [False, True])
def test_dedupe_packed_sort_equals_stable_argsort(monkeypatch, directed):
    rng = np.random.default_rng(2)
    n, e = 300, 5_000  # many repeats, both directions
    src, dst, w = rng.integers(0, n, e), rng.integers(0, n, e), rng.normal(size=e)

    def deduped():
        return as_lists(readers._dedupe(Graph([str(i) for i in range(n)], src.copy(), dst.copy(), w.copy(), directed)))

    packed = deduped()
    monkeypatch.setattr(readers, "_PACK_BITS", 0)  # keys never fit: the argsort path
    assert deduped() == packed
    text = "".join(f"{a} {b} {c!r}\n" for a, b, c in zip(src.tolist(), dst.tolist(), w.tolist(), strict=True))
    nodes, edges = reference_edge_list(text, directed)
    order = [int(x) for x in nodes]  # the reference numbers nodes by first appearance
    assert packed[1] == [(order[a], order[b], c) for a, b, c in edges]


@pytest.mark.parametrize("text, message", [
    ("# header\n\na b\nc\n", "line 4: edge 2 has one node ('c')"),
    ("a b\n\n\nc d 1 2\n", "line 4: edge 2 has more than 3 fields (4)"),
    ("1 2\n3 4 x\n", "line 2: edge 2's weight is not a number: 'x'"),
    ("1 2 1\n  # c\n3 4 inf\n", "line 3: edge 2's weight must be finite, got 'inf'"),
    ("1 2\n3 4 1e400\n", "line 2: edge 2's weight must be finite, got '1e400'"),
    ("1 2\n3 4 NaN\n", "line 2: edge 2's weight must be finite, got 'NaN'"),
    ("1 2\n3 4 NA\n", "line 2: edge 2's weight is not a number: 'NA'"),
    ("1 2\n3 4 True\n", "line 2: edge 2's weight is not a number: 'True'"),
    ("1 2\r\n3 4 1 2 3\r\n", "line 2: edge 2 has more than 3 fields (5)"),
    ("# only a comment\n", "has no edges"),
])
def test_edge_list_errors_name_the_line(tmp_path, text, message):
    with pytest.raises(GraphError) as e:
        load_graph(write(tmp_path, "g.txt", text), "edgelist")
    assert message in str(e.value) and "\n" not in str(e.value)


def test_error_line_found_in_a_large_file(tmp_path):
    lines = [f"{i} {i + 1}" for i in range(200_000)]
    lines[150_000] = "150000"
    p = write(tmp_path, "g.txt", "\n".join(lines) + "\n")
    with pytest.raises(GraphError, match="line 150001: edge 150001 has one node"):
        load_graph(p)
