"""gcn smoothing, squash and resistance from the command line: tables, JSON, files, bad input."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_smoothing_table_csv_and_figure(tmp_path, is_drawn):
    r = run("gcn", "smoothing", "karate", "--layers", "1:4", "--model", "gcn,gat", "--out", str(tmp_path / "s"))
    assert r.exit_code == 0, r.output
    assert "Â^k X √E" in r.stdout and "GAT MAD" in r.stdout
    df = pd.read_csv(tmp_path / "s" / "smoothing.csv")
    assert sorted(df["where"].unique()) == ["gat", "gcn", "propagation"]
    assert sorted(df["step"].unique()) == [0, 1, 2, 3, 4]
    assert (df["sqrt_energy"] ** 2).round(9).tolist() == df["energy"].round(9).tolist()
    assert is_drawn(tmp_path / "s" / "smoothing.png")


def test_smoothing_json_falls_with_depth():
    r = run("gcn", "smoothing", "les-miserables", "--layers", "1,8", "--model", "gcn", "--json")
    rows = [x for x in json.loads(r.stdout)["rows"] if x["where"] == "propagation"]
    assert [x["step"] for x in rows] == [0, 1, 8]
    assert rows[0]["mad"] > rows[1]["mad"] > rows[2]["mad"]


def test_squash_course_graph():
    r = run("gcn", "squash", "course-2020", "--source", "C", "--target", "E", "--layers", "3:5", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["hops"] == 4 and data["resistance"] == pytest.approx(3.0)
    by = {x["layers"]: x for x in data["rows"]}
    assert by[3]["sensitivity"] == 0 and 0 < by[4]["sensitivity"] <= by[4]["bound"]


def test_resistance_all_pairs_and_csv(tmp_path):
    out = tmp_path / "r.csv"
    r = run("gcn", "resistance", "course-2019", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "Kirchhoff index" in r.stdout
    assert len(pd.read_csv(out)) == 15  # 6 nodes: every pair once


def test_resistance_across_components_is_infinite(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("a b\nc d\n")
    r = run("gcn", "resistance", str(p), "--pairs", "a-b,a-c", "--json")
    data = json.loads(r.stdout)
    assert data["pairs"][0] == {"u": "a", "v": "b", "resistance": 1.0, "connected": True}
    assert data["pairs"][1] == {"u": "a", "v": "c", "resistance": None, "connected": False}  # ∞ is not JSON
    assert data["components"] == 2
    r = run("gcn", "resistance", str(p), "--pairs", "a-c")
    assert "∞: in different components" in r.stdout and r.stderr == ""


@pytest.mark.parametrize("args, fragment", [
    (["smoothing", "karate", "--layers", "0"], "at least 1"),
    (["smoothing", "karate", "--model", "gin"], "unknown model"),
    (["smoothing", "karate", "--layers", "1:1000"], "at most 256"),
    (["squash", "course-2020", "--source", "C", "--target", "Z"], "unknown node 'Z'"),
    (["squash", "course-2020", "--source", "C", "--target", "E", "--width", "0"], "--width"),
    (["resistance", "course-2020", "--pairs", "A"], "bad pair"),
    (["resistance", "course-2020", "--directed", "--pairs", "A-B"], "undirected"),
    (["resistance", "course-2020", "--method", "sparse"], "give --pairs"),
    (["resistance", "course-2020", "--method", "fast"], "unknown method"),
])
def test_bad_input_is_one_error_line(args, fragment, user_error):
    user_error(run("gcn", *args), fragment)


def test_smoothing_of_trained_networks():
    r = run("gcn", "smoothing", "karate", "--layers", "2", "--model", "gcn", "--trained", "--epochs", "60", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {x["where"] for x in data["rows"]} == {"propagation", "gcn-trained"}
    assert data["trained_accuracy"]["gcn"] > 0.7  # two clubs from one labelled node each


@pytest.mark.parametrize("args, fragment", [
    (["--epochs", "10"], "options of --trained"),
    (["--trained", "--label-key", "colour"], "no 'colour' attribute"),
    (["--trained", "--epochs", "0"], "must be positive"),
])
def test_bad_training_requests(args, fragment, user_error):
    user_error(run("gcn", "smoothing", "karate", "--layers", "2", *args), fragment)


@pytest.mark.parametrize("args, name", [
    (["squash", "course-2020", "--source", "C", "--target", "E", "--layers", "4"], "s.csv"),
    (["resistance", "course-2020"], "r.csv"),
    (["smoothing", "course-2020", "--layers", "2"], "folder"),
])
def test_an_existing_out_is_replaced_only_with_overwrite(tmp_path, args, name, user_error):
    target = tmp_path / name
    if name == "folder":
        target.mkdir()
        (target / "smoothing.csv").write_text("mine\n")
        kept = target / "smoothing.csv"
    else:
        target.write_text("mine\n")
        kept = target
    user_error(run("gcn", *args, "--out", str(target)), "exists: not replaced")
    assert kept.read_text() == "mine\n"
    r = run("gcn", *args, "--out", str(target), "--overwrite")
    assert r.exit_code == 0, r.output
    assert kept.read_text() != "mine\n"
