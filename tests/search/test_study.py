"""seqgraph search end to end on tiny palindrome runs: trials are run rows, the study is
reproducible under every executor and across a resume, pruned runs are marked as such."""

import dataclasses

import optuna
import pandas as pd
import pytest

from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.search.study import objective_value, resolve_search, run_search
from seqgraph.sweep.engine import train_sweep
from seqgraph.sweep.grid import resolve_sweep
from seqgraph.sweep.spec import run_id

TINY = {"model": "lstm", "lengths": "3", "batch_size": "16", "eval_batch_size": "32", "eval_every": "5",
        "steps": "30", "device": "cpu", "early_stop": False}


def search(out, executor="sequential", **over):
    flags = TINY | {"out": str(out), "executor": executor, "lr": "1e-3..1e-1:log", "hidden": "4,8"} | over
    names = {"trials", "concurrent", "pruner", "startup_trials", "sampler", "search_seed", "objective", "timeout"}
    return resolve_search("palindrome", {k: v for k, v in flags.items() if k in names},
                          **{k: v for k, v in flags.items() if k not in names})


def load(out):
    return (pd.read_csv(out / "trials.csv"), pd.read_csv(out / "summary.csv", dtype={"run_id": str}),
            optuna.load_study(study_name="seqgraph-search", storage=f"sqlite:///{out / 'study.db'}"))


def test_every_trial_is_a_run_row_with_its_settings(tmp_path):
    result = run_search(search(tmp_path, trials=4, pruner="none"))
    trials, summary, study = load(tmp_path)
    assert len(trials) == 4 and set(trials["state"]) == {"complete"} and len(study.trials) == 4
    rows = summary.set_index("run_id")
    for t in trials.to_dict("records"):
        row = rows.loc[t["run_id"]]
        assert row["lr"] == pytest.approx(t["lr"]) and row["hidden"] == t["hidden"] and row["status"] == "ok"
        assert row["length"] == 3 and row["model"] == "lstm" and row["seed"] == 1
        assert t["value"] == pytest.approx(row["best_accuracy"])  # the objective: best held-out accuracy
    values = {t.number: t.value for t in study.trials}
    assert result.best["value"] == max(values.values())
    # the study's intermediate values are each run's curve
    curves = pd.read_csv(tmp_path / "curves.csv", dtype={"run_id": str})
    for t in study.trials:
        curve = curves[curves["run_id"] == t.user_attrs["run_id"]]
        assert t.intermediate_values == pytest.approx(dict(zip(curve["step"], curve["accuracy"], strict=True)))


@pytest.mark.slow
def test_the_same_trials_under_every_executor_and_across_a_resume(tmp_path):
    run_search(search(tmp_path / "seq", trials=4, pruner="none"))
    run_search(search(tmp_path / "proc", "processes", trials=4, pruner="none"))
    run_search(search(tmp_path / "resumed", trials=2, pruner="none"))
    run_search(search(tmp_path / "resumed", trials=4, pruner="none", resume=True))
    seq, proc, resumed = (load(tmp_path / d)[0] for d in ("seq", "proc", "resumed"))
    cols = ["trial", "round", "state", "value", "lr", "hidden", "run_id"]
    pd.testing.assert_frame_equal(seq[cols], proc[cols])
    pd.testing.assert_frame_equal(seq[cols], resumed[cols])


def test_a_killed_round_is_asked_again_and_reuses_what_finished(tmp_path):
    run_search(search(tmp_path, trials=2, pruner="none"))
    trials, summary, study = load(tmp_path)
    killed = study.ask()  # a round left running by a kill, its run never written
    killed.suggest_float("lr", 1e-3, 1e-1, log=True)
    killed.suggest_categorical("hidden", [4, 8])
    killed.set_user_attr("round", 2)
    run_search(search(tmp_path, trials=3, pruner="none", resume=True))
    trials, summary, study = load(tmp_path)
    assert list(trials["state"]) == ["complete", "complete", "interrupted", "complete"]
    assert trials.loc[3, "lr"] == pytest.approx(killed.params["lr"]) and trials.loc[3, "round"] == 2
    assert len(summary) == 3 and summary["run_id"].is_unique


def test_the_engine_ends_a_run_its_stopper_asks_to(tmp_path):
    sweep = resolve_sweep(PalindromeRun, PalindromeOptions, None, **TINY, out=str(tmp_path), seeds="1,2",
                          executor="sequential")

    def stopper(rid, step, value):
        return step >= 10 and rid == run_id(sweep.runs()[0])

    df = train_sweep("palindrome", sweep, stopper=stopper)
    assert list(df["status"]) == ["pruned", "ok"] and list(df["trained_steps"]) == [10, 30]
    curves = pd.read_csv(tmp_path / "curves.csv", dtype={"run_id": str})
    assert curves.groupby("run_id")["step"].max().to_dict() == {df.loc[0, "run_id"]: 10, df.loc[1, "run_id"]: 30}


@pytest.mark.slow
def test_runs_that_cannot_learn_are_pruned_and_say_so(tmp_path):
    out = tmp_path / "s"
    run_search(search(out, trials=8, concurrent=1, startup_trials=1, sampler="random", search_seed=1,
                      lr="1e-7..1e-1:log", hidden="8", steps="60"))
    trials, summary, _ = load(out)
    pruned = trials[trials["state"] == "pruned"]
    assert len(pruned) >= 1
    rows = summary.set_index("run_id").loc[pruned["run_id"]]
    assert (rows["status"] == "pruned").all() and (rows["trained_steps"] < 60).all()
    assert (pruned["lr"] < trials[trials["state"] == "complete"]["lr"].max()).all()


def test_objectives_read_the_run_row():
    s = search("unused", objective="solved-step")
    assert s.direction == "minimize"
    assert objective_value(s, {"solved_step": 25.0, "steps": 30}) == 25
    assert objective_value(s, {"solved_step": float("nan"), "steps": 30}) == 31  # never solved: worse than any
    s = dataclasses.replace(s, search=dataclasses.replace(s.search, objective="final"))
    assert s.direction == "maximize" and objective_value(s, {"final_accuracy": 0.5, "best_accuracy": 0.9}) == 0.5
