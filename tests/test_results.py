"""Not-learned baselines of summary rows: per task, and per length where they depend on it."""

import pandas as pd
import pytest

from seqgraph.results import Baseline, aggregate, baseline_notes, baselines, row_baselines
from seqgraph.tasks.registry import get_task


def rows(task, lengths, models=("lstm",), seeds=(1, 2)):
    return [{"model": m, "task": task, "length": L, "seed": s, "final_accuracy": 0.5, "best_accuracy": 0.5,
             "solved_step": None, "trained_steps": 10, "wall_time": 1.0, "status": "ok"}
            for m in models for L in lengths for s in seeds]


def test_a_baseline_per_length_where_it_depends_on_the_length():
    df = pd.DataFrame(rows("decimal", (5, 10)) + rows("baum-sweet", (2, 6)) + rows("random-combinations", (4,)))
    bases = baselines(df)
    assert bases == [Baseline("decimal", None, 0.1),
                     Baseline("baum-sweet", 2, get_task("baum-sweet").baseline(2)),
                     Baseline("baum-sweet", 6, get_task("baum-sweet").baseline(6)),
                     Baseline("random-combinations", 4, 0.25)]
    assert baseline_notes(bases) == ["decimal 0.100 (1/10)", "baum-sweet (majority label) L=2 0.950, L=6 0.504",
                                     "random-combinations (1/L) L=4 0.250"]
    table = aggregate(df)  # grouped by task and length
    assert row_baselines(table, bases) == [
        {"decimal": 0.1, "random-combinations": 0.25}.get(t) or get_task(t).baseline(L)
        for t, L in zip(table["task"], table["length"], strict=True)]


def test_a_row_takes_the_only_length_there_is_and_none_when_it_mixes_lengths():
    one = pd.DataFrame(rows("random-combinations", (5,), models=("rnn", "lstm")))
    table = aggregate(one)  # only the model varies: no task or length column
    assert list(table.columns[:1]) == ["model"] and "length" not in table.columns
    assert row_baselines(table, baselines(one)) == [pytest.approx(0.2)] * 2
    mixed = pd.DataFrame(rows("random-combinations", (4, 5), models=("rnn", "lstm")))
    assert row_baselines(aggregate(mixed, ["model"]), baselines(mixed)) == [None, None]
    decimal = pd.DataFrame(rows("decimal", (4, 5), models=("rnn", "lstm")))
    assert row_baselines(aggregate(decimal, ["model"]), baselines(decimal)) == [0.1, 0.1]


def test_unknown_tasks_and_lengths_get_no_baseline():
    df = pd.DataFrame(rows("nonsense", (5,)) + rows("baum-sweet", (40,)))
    assert baselines(df) == []
    assert baselines(pd.DataFrame(rows("decimal", (5,))).drop(columns="task")) == []


def test_a_run_given_twice_counts_once_and_a_setting_named_twice_groups_once(tmp_path):
    """Rows are runs, identified by run_id: the same summary twice (or a copied row) is not two
    runs, and --by model,model is --by model (issue #27)."""
    from seqgraph.results import summary_table

    p = tmp_path / "summary.csv"
    pd.DataFrame({"run_id": ["a", "b", "c"], "model": ["rnn", "rnn", "lstm"], "seed": [1, 2, 1],
                  "task": "decimal", "length": 5, "final_accuracy": [0.5, 0.7, 1.0],
                  "best_accuracy": [0.5, 0.7, 1.0], "solved_step": [None, None, 100],
                  "trained_steps": 100, "wall_time": 1.0, "status": "ok"}).to_csv(p, index=False)
    once, _ = summary_table([p], "model")
    twice, _ = summary_table([p, p], "model,model")
    assert list(twice.columns) == list(once.columns)
    pd.testing.assert_frame_equal(twice, once)
    assert dict(zip(twice["model"], twice["runs"], strict=True)) == {"rnn": 2, "lstm": 1}
