"""The shipped examples (src/seqgraph/examples) work as they are, by name, from any folder."""

import pytest
from typer.testing import CliRunner

from seqgraph import examples as ex
from seqgraph.cli import app
from seqgraph.config import read_toml
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.graphs import load_graph
from seqgraph.sweep.grid import resolve_sweep

runner = CliRunner()
CONFIGS = [e.name for e in ex.examples("config")]
GRAPHS = [e.name for e in ex.examples("graph")]


def test_the_documented_names_exist():
    assert {"palindrome-sweep", "lr-sweep", "binary-palindrome", "charlm-grid"} <= set(CONFIGS)
    assert {"course-2020", "karate", "les-miserables"} <= set(GRAPHS)


@pytest.mark.parametrize("name", CONFIGS)
def test_example_configs_resolve_by_name(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no examples/ folder here: the name alone must do
    spec, options = (CharLMRun, TrainOptions) if "train" in read_toml(ex.example(name).path) \
        else (PalindromeRun, PalindromeOptions)
    sweep = resolve_sweep(spec, options, name)
    assert len(sweep.runs()) > 1
    assert resolve_sweep(spec, options, name.replace("-", "_") + ".toml").axes == sweep.axes


@pytest.mark.parametrize("name", GRAPHS)
def test_example_graphs_load_by_name(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    g = load_graph(name)
    assert g.num_nodes >= 6 and g.num_edges >= 6


def test_a_file_of_that_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "karate").write_text("a b\nb c\n")
    assert load_graph("karate").nodes == ["a", "b", "c"]


def test_karate_labels_are_under_label():
    g = load_graph("karate")
    from seqgraph.graphs import node_labels

    y, classes = node_labels(g, "label")
    assert sorted(classes) == ["Mr. Hi", "Officer"] and (y >= 0).all()


def test_list_and_copy(tmp_path, user_error):
    r = runner.invoke(app, ["examples"])
    assert r.exit_code == 0 and all(n in r.stdout for n in CONFIGS + GRAPHS)
    r = runner.invoke(app, ["examples", "copy", "lr-sweep", str(tmp_path)])
    assert r.exit_code == 0, r.output
    copied = tmp_path / "lr_sweep.toml"
    assert copied.read_bytes() == ex.example("lr-sweep").path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["lr_sweep.toml"]  # no temporary file left
    copied.write_text("# mine\n")
    user_error(runner.invoke(app, ["examples", "copy", "lr-sweep", str(tmp_path)]), "not replaced")
    assert copied.read_text() == "# mine\n"
    r = runner.invoke(app, ["examples", "copy", "karate", str(tmp_path / "g.json")])
    assert r.exit_code == 0 and load_graph(tmp_path / "g.json").num_nodes == 34
    user_error(runner.invoke(app, ["examples", "copy", "nope"]), "no example called 'nope'")


def test_copy_into_a_new_folder_named_with_a_slash(tmp_path):
    r = runner.invoke(app, ["examples", "copy", "karate", str(tmp_path / "graphs") + "/"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "graphs" / "karate.json").read_bytes() == ex.example("karate").path.read_bytes()


def test_show_prints_the_file():
    r = runner.invoke(app, ["examples", "show", "palindrome-sweep"])
    assert r.exit_code == 0 and r.stdout == ex.example("palindrome-sweep").path.read_text(encoding="utf-8")


def test_gcn_commands_take_a_graph_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["gcn", "hops", "course-2020", "--source", "C", "--target", "E", "--json"])
    assert r.exit_code == 0 and '"hops": 4' in r.stdout
