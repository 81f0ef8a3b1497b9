import itertools
import json

import pytest
from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()
COURSE = "course-2020"  # the shipped example graph, by name


def run(*args):
    return runner.invoke(app, list(args))


def test_adjacency_tables_and_out(tmp_path):
    r = run("gcn", "adjacency", COURSE, "--out", str(tmp_path / "m"))
    assert r.exit_code == 0, r.output
    assert "Ã = A + I" in r.stdout and "0.3536" in r.stdout
    for name in ("A.csv", "A_tilde.csv", "A_hat.csv"):
        assert (tmp_path / "m" / name).exists()


def test_adjacency_json():
    r = run("gcn", "adjacency", COURSE, "--json")
    data = json.loads(r.stdout)
    assert data["nodes"] == list("ABCDEF")
    assert data["A_hat"][0][4] == pytest.approx(8 ** -0.5)


def test_hops_source_target_json():
    r = run("gcn", "hops", COURSE, "--source", "C", "--target", "E", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == {"source": "C", "target": "E", "hops": 4}


def test_hops_unreachable_is_null(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("a b\nc d\n")
    r = run("gcn", "hops", str(p), "--source", "a", "--target", "d", "--json")
    assert json.loads(r.stdout)["hops"] is None
    r = run("gcn", "hops", str(p), "--source", "a", "--target", "d")
    assert "unreachable" in r.stdout


def test_hops_all_pairs_and_single_source():
    r = run("gcn", "hops", COURSE)
    assert r.exit_code == 0 and "diameter: 4" in r.stdout and "receptive field" in r.stdout
    r = run("gcn", "hops", COURSE, "--source", "C", "--json")
    assert json.loads(r.stdout)["hops"] == {"A": 3, "B": 2, "C": 0, "D": 1, "E": 4, "F": 2}


def test_layer_and_gat(tmp_path):
    r = run("gcn", "layer", COURSE, "--out", str(tmp_path / "H.csv"), "--out-dim", "3")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "H.csv").read_text().startswith("node,h0,h1,h2")
    r = run("gcn", "layer", COURSE, "--gat", "--json")
    att = json.loads(r.stdout)["attention"]
    sums = {}
    for a in att:
        sums[a["i"]] = sums.get(a["i"], 0) + a["alpha"]
    assert all(abs(s - 1) < 1e-9 for s in sums.values())


def test_train_karate(tmp_path):
    r = run("gcn", "train", "--epochs", "100", "--out", str(tmp_path / "t"), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["labeled"] == ["0", "33"]
    assert data["test_accuracy"] >= 0.8
    assert (tmp_path / "t" / "log.csv").exists()


def test_piped_train_logs_plain_lines_not_a_bar(tmp_path):
    r = run("gcn", "train", "--epochs", "30", "--out", str(tmp_path / "t"))
    assert r.exit_code == 0, r.output
    assert "━" not in r.stderr
    lines = r.stderr.splitlines()
    assert lines[0].startswith("epoch 1/30  loss ") and lines[-1].startswith("epoch 30/30  loss ")


def test_train_on_a_labelled_graph_file(tmp_path):
    import networkx as nx

    G = nx.karate_club_graph()
    data = {"nodes": [{"id": n, "label": G.nodes[n]["club"]} for n in G.nodes],
            "edges": [{"source": u, "target": v} for u, v in G.edges]}
    p = tmp_path / "k.json"
    p.write_text(json.dumps(data))
    r = run("gcn", "train", str(p), "--per-class", "2", "--epochs", "50", "--out", str(tmp_path / "t"), "--json")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["labeled"]) == 4


@pytest.mark.parametrize("args, fragment", [
    (["gcn", "hops", COURSE, "--source", "Q"], "unknown node 'Q'"),
    (["gcn", "hops", COURSE, "--target", "E"], "--target needs --source"),
    (["gcn", "adjacency", "nope.json"], "graph file not found"),
    (["gcn", "adjacency", COURSE, "--variant", "xyz"], "unknown normalisation"),
    (["gcn", "layer", COURSE, "--activation", "gelu"], "unknown activation"),
    (["gcn", "train", COURSE], "no 'label' attribute"),
    (["gcn", "train", "--labeled", "0,99"], "unknown node '99'"),
])
def test_bad_input(args, fragment, user_error):
    user_error(run(*args), fragment)


def test_malformed_and_empty_files(tmp_path, user_error):
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": [')
    user_error(run("gcn", "adjacency", str(bad)), "malformed JSON")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    user_error(run("gcn", "hops", str(empty)), "empty")
    neg = tmp_path / "neg.txt"
    neg.write_text("a b -3\n")
    user_error(run("gcn", "adjacency", str(neg)), "non-negative degrees")


@pytest.mark.parametrize("name, hops", [("course-2019", 3), ("course-2020", 4)])
def test_hops_on_a_builtin_course_graph_by_name(name, hops):
    r = run("gcn", "hops", name, "--source", "C", "--target", "E", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"source": "C", "target": "E", "hops": hops}


def test_builtin_graph_names_work_for_every_gcn_command():
    assert run("gcn", "adjacency", "course-2019", "--json").exit_code == 0
    assert run("gcn", "layer", "course-2019", "--json").exit_code == 0


def test_unknown_builtin_name_is_one_error_line(user_error):
    user_error(run("gcn", "hops", "course-2021", "--source", "C"), "example graphs: course-2019, course-2020")


def test_user_text_is_printed_as_it_is_never_as_markup(tmp_path):
    """Node names and labels with brackets are data, not Rich markup (was a MarkupError)."""
    ids, labels = ["a[/x]", "b", "[red]c", "d"], ["c[bold]", "d[/y]", "c[bold]", "d[/y]"]
    data = {"nodes": [{"id": i, "label": label} for i, label in zip(ids, labels, strict=True)],
            "edges": [{"source": u, "target": v} for u, v in itertools.pairwise(ids)]}
    p = tmp_path / "g[bold].json"  # markup would eat "[bold]"
    p.write_text(json.dumps(data))
    r = run("gcn", "train", str(p), "--per-class", "1", "--epochs", "5", "--out", str(tmp_path / "o[dim]"))
    assert r.exit_code == 0, r.output
    assert "c[bold], d[/y]" in r.stdout and "g[bold].json" in r.stdout and "o[dim]" in r.stdout
    r = run("gcn", "adjacency", str(p))
    assert r.exit_code == 0, r.output
    assert "a[/x]" in r.stdout and "[red]c" in r.stdout


@pytest.mark.filterwarnings("error")  # a warning reaching the user's terminal fails the test
@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_an_empty_weights_file_is_one_line_and_no_warning(content, tmp_path, user_error):
    w = tmp_path / "w.csv"
    w.write_text(content)
    user_error(run("gcn", "layer", COURSE, "--weights", str(w)), f"weights CSV {w} is empty")
