"""seqgraph search from the command line: the printed result, the folder that table reads, and
one error line for every bad input."""

import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()
TINY = ["search", "palindrome", "--model", "lstm", "--lengths", "3", "--batch-size", "16", "--eval-batch-size", "32",
        "--eval-every", "5", "--steps", "20", "--device", "cpu", "--executor", "sequential"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_a_search_prints_its_best_trials_and_table_reads_its_folder(tmp_path, is_drawn):
    r = run(*TINY, "--lr", "1e-3..1e-1:log", "--hidden", "4,8", "--trials", "3", "--out", tmp_path / "s")
    assert r.exit_code == 0, r.output
    assert "Top trials by best held-out accuracy (3 complete)" in r.stdout and "best: trial " in r.stdout
    assert "trial 2 (round 2): lr=" in r.stderr
    assert is_drawn(tmp_path / "s" / "history.png")
    trials = pd.read_csv(tmp_path / "s" / "trials.csv")
    assert list(trials.columns[:6]) == ["trial", "round", "state", "value", "lr", "hidden"]
    t = run("table", tmp_path / "s" / "summary.csv", "--by", "hidden")
    assert t.exit_code == 0, t.output
    again = run(*TINY, "--lr", "1e-3..1e-1:log", "--hidden", "4,8", "--trials", "3", "--out", tmp_path / "s",
                "--resume")
    assert again.exit_code == 0 and "(3 complete)" in again.stdout  # nothing left to do: nothing trained
    assert len(pd.read_csv(tmp_path / "s" / "summary.csv")) == len(set(trials["run_id"]))


@pytest.mark.parametrize(("args", "fragment"), [
    (["--lr", "1e-1..1e-3"], "inverted"),
    (["--lr", "0..1e-1:log"], "log range needs both ends > 0"),
    (["--lr", "1e-3..1e-1:lin"], "is not a number"),
    (["--hidden", "0..8"], "hidden 0..8"),
    (["--model", "lstm..gru"], "model is not a number"),
    (["--seeds", "1,2"], "one seed"),
    (["--lengths", "3,5,x"], "length"),
    (["--trials", "0"], "trials must be in 1..10,000"),
    (["--objective", "fastest"], "objective"),
    (["--concurrent", "0"], "concurrent"),
])
def test_bad_input_is_one_line(tmp_path, user_error, args, fragment):
    r = run(*TINY, *args, "--out", tmp_path / "s")
    user_error(r, fragment)
    assert not (tmp_path / "s").exists()


def test_an_unknown_setting_is_one_line_from_the_executable(tmp_path, monkeypatch, capsys):
    from seqgraph.cli import main

    monkeypatch.setattr(sys, "argv", ["seqgraph", *TINY, "--bogus", "1", "--out", str(tmp_path / "s")])
    with pytest.raises(SystemExit) as e:
        main()
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("error: No such option: --bogus") and err.count("\n") == 1


def test_a_missing_extra_names_it(tmp_path, user_error, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    user_error(run(*TINY, "--lr", "1e-3..1e-1", "--out", tmp_path / "s"), "pip install 'seqgraph[search]'")


def test_folders_of_others_and_corrupt_studies_are_refused(tmp_path, user_error):
    space = ["--lr", "1e-3..1e-1:log", "--trials", "1"]
    sweep = tmp_path / "sweep"
    assert run("palindrome", "--model", "lstm", "--lengths", "3", "--steps", "5", "--eval-every", "5", "--hidden", "4",
               "--seeds", "1", "--out", sweep).exit_code == 0
    user_error(run(*TINY, *space, "--out", sweep, "--resume"), "holds the output of another command")
    s = tmp_path / "s"
    assert run(*TINY, *space, "--out", s).exit_code == 0
    before = (s / "summary.csv").read_bytes()
    user_error(run(*TINY, *space, "--out", s), "already holds results")
    user_error(run(*TINY, "--lr", "1e-4..1e-1:log", "--trials", "2", "--out", s, "--resume"), "another search")
    mem = ["search", "memory", "--task", "adding", "--model", "rnn", "--lengths", "5", "--steps", "5"]
    user_error(run(*mem, "--lr", "1e-3..1e-1", "--out", s, "--resume"), "a search of palindrome")
    (s / "study.db").write_bytes(b"not a database" * 100)
    user_error(run(*TINY, *space, "--out", s, "--resume"), "cannot read the study")
    assert (s / "summary.csv").read_bytes() == before  # nothing lost


def test_a_folder_in_use_is_refused(tmp_path, user_error):
    from seqgraph.io import folder_lock

    with folder_lock(tmp_path / "s", "search"):
        user_error(run(*TINY, "--lr", "1e-3..1e-1", "--out", tmp_path / "s", "--resume"), "in use by another seqgraph")


def test_a_search_compares_one_figure(tmp_path, user_error):
    r = run("search", "memory", "--task", "copy,adding", "--model", "rnn", "--lengths", "5", "--out", tmp_path / "m")
    user_error(r, "their figures differ")


def test_a_search_of_the_character_model_prunes_at_validation_passes(tmp_path, user_error):
    text = tmp_path / "tiny.txt"
    text.write_text("hello world, a tiny text for a tiny model. " * 200, encoding="utf-8")
    args = ["search", "train", text, "--hidden", "16", "--steps", "60", "--eval-every", "10", "--seq-length", "16",
            "--batch-size", "8", "--executor", "sequential", "--out", tmp_path / "t"]
    r = run(*args, "--lr", "1e-4..1e-1:log", "--trials", "6", "--startup-trials", "2")
    assert r.exit_code == 0, r.output
    assert "Top trials by best validation loss" in r.stdout
    trials = pd.read_csv(tmp_path / "t" / "trials.csv")
    summary = pd.read_csv(tmp_path / "t" / "summary.csv", dtype={"run_id": str}).set_index("run_id")
    assert len(trials) == 6 and set(trials["state"]) <= {"complete", "pruned"}
    for t in trials.to_dict("records"):
        row = summary.loc[t["run_id"]]
        log = pd.read_csv(f"{row['folder']}/log.csv")
        assert log["step"].iloc[-1] == row["trained_steps"]  # a pruned run stopped at the pass that pruned it
        assert (row["status"] == "pruned") == (t["state"] == "pruned") == (row["trained_steps"] < 60)
        if t["state"] == "complete":
            assert t["value"] == pytest.approx(row["best_val_loss"]) == pytest.approx(log["val_loss"].min())
    user_error(run(*args[:-2], "--lr", "1e-3..1e-1", "--objective", "solved-step", "--out", tmp_path / "u"),
               "no solved rule")
