"""``seqgraph memory`` end to end: rows with the task's metric and baselines, a resumable
folder, the table and figures, one-line errors."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from seqgraph.cli import app
from seqgraph.experiments.memory.train import CURVE_COLUMNS, RESULT_COLUMNS
from seqgraph.tasks.registry import get_task

runner = CliRunner()
SMALL = ["--steps", 8, "--eval-every", 4, "--batch-size", 8, "--hidden", 8, "--eval-batch-size", 32,
         "--executor", "sequential", "--device", "cpu"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_a_sweep_over_tasks_writes_rows_with_each_tasks_metric_and_baselines(tmp_path, is_drawn):
    out = tmp_path / "m"
    r = run("memory", "--task", "copy,adding", "--lengths", "3,5", "--model", "rnn,gru", "--seeds", "1,2",
            *SMALL, "--out", out)
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "summary.csv")
    assert len(df) == 16 and list(df.columns[-len(RESULT_COLUMNS):]) == list(RESULT_COLUMNS)
    for task, rows in df.groupby("task"):
        t = get_task(task)
        assert set(rows["metric"]) == {t.metric}
        for _, row in rows.iterrows():
            assert row["baseline"] == pytest.approx(t.baseline(row["length"]))
            assert row["baseline_loss"] == pytest.approx(t.baseline_loss(row["length"]))
    curves = pd.read_csv(out / "curves.csv")
    assert set(CURVE_COLUMNS) <= set(curves.columns) and len(curves) == 16 * 2
    assert "loss ratio" in r.output and "copy 0.125" in r.output
    again = run("memory", "--task", "copy,adding", "--lengths", "3,5", "--model", "rnn,gru", "--seeds", "1,2",
                *SMALL, "--out", out, "--resume")
    assert again.exit_code == 0 and len(pd.read_csv(out / "summary.csv")) == 16  # nothing trained twice
    t = run("table", out / "summary.csv", "--by", "task,model", "--json")
    assert t.exit_code == 0, t.output
    for name in ("summary", "curves"):
        p = run("plot", out / f"{name}.csv")
        assert p.exit_code == 0, p.output
    assert is_drawn(out / "memory.png") and is_drawn(out / "memory-curves.png")


def test_the_default_length_is_the_tasks(tmp_path):
    r = run("memory", "--task", "recall", "--model", "lstm", "--seeds", 1, *SMALL, "--out", tmp_path / "r")
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(tmp_path / "r" / "summary.csv")["length"]) == [get_task("recall").default_length]


@pytest.mark.parametrize("args, fragment", [
    (["--task", "decimal"], "unknown task 'decimal' (choose from copy, adding"),
    (["--task", "copy", "--lengths", 0.5], "length"),
    (["--task", "adding", "--lengths", 1], "too short for adding"),
    (["--model", "nope"], "nope"),
    (["--preset", "nope"], "unknown preset 'nope'"),
])
def test_bad_settings_are_one_error_line(args, fragment, tmp_path, user_error):
    user_error(run("memory", *args, *SMALL, "--out", tmp_path / "x"), fragment)
    assert not (tmp_path / "x").exists()


def test_a_toml_memory_table(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[memory]\ntask = "selective-copy"\nlength = [2]\nmodel = "gru"\nseed = [1]\n')
    r = run("memory", "--config", cfg, *SMALL, "--out", tmp_path / "s")
    assert r.exit_code == 0, r.output
    row = pd.read_csv(tmp_path / "s" / "summary.csv").iloc[0]
    assert (row["task"], row["length"], row["model"]) == ("selective-copy", 2, "gru")
