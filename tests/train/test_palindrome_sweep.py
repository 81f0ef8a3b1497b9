import pandas as pd
import pytest

from seqgraph.config import PalindromeConfig, resolve
from seqgraph.errors import ConfigError
from seqgraph.train.palindrome import (
    CURVE_COLUMNS,
    SUMMARY_COLUMNS,
    Listener,
    aggregate,
    run_sweep,
)


def small(tmp_path, **kw):
    base = dict(model="rnn,lstm", lengths="4,5", seeds="1,2", steps=20, batch_size=16, hidden=8,
                eval_every=10, eval_batch_size=64, out=str(tmp_path / "out"), device="cpu")
    base.update(kw)
    return resolve(PalindromeConfig, None, **base)


def test_sweep_writes_summary_curves_and_config(tmp_path):
    cfg = small(tmp_path)
    df = run_sweep(cfg)
    assert len(df) == 2 * 2 * 2
    out = tmp_path / "out"
    summary = pd.read_csv(out / "summary.csv")
    curves = pd.read_csv(out / "curves.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert list(curves.columns) == CURVE_COLUMNS
    assert len(curves) == 8 * 2  # evaluations at steps 10 and 20
    assert set(curves.step) == {10, 20}
    assert (out / "config.toml").read_text().count("steps = 20") == 1
    agg = aggregate(df)
    assert len(agg) == 4 and set(agg.seeds) == {2}


def test_same_seed_same_numbers(tmp_path):
    a = run_sweep(small(tmp_path / "a", model="lstm", lengths="5", seeds="3"))
    b = run_sweep(small(tmp_path / "b", model="lstm", lengths="5", seeds="3"))
    ca = pd.read_csv(tmp_path / "a" / "out" / "curves.csv")
    cb = pd.read_csv(tmp_path / "b" / "out" / "curves.csv")
    assert ca[["loss", "accuracy", "eval_loss"]].equals(cb[["loss", "accuracy", "eval_loss"]])
    assert a.final_accuracy.tolist() == b.final_accuracy.tolist()


class StopAfter(Listener):
    def __init__(self, n):
        self.n, self.ended = n, 0

    def run_end(self, key, summary):
        self.ended += 1
        if self.ended == self.n:
            raise KeyboardInterrupt


def test_interrupted_sweep_keeps_finished_runs_and_resume_skips_them(tmp_path):
    cfg = small(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(cfg, StopAfter(3))
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert len(summary) == 3

    with pytest.raises(ConfigError, match="already holds results"):
        run_sweep(cfg)

    class Count(Listener):
        started = 0

        def run_start(self, key, steps):
            Count.started += 1

    df = run_sweep(small(tmp_path, resume=True), Count())
    assert Count.started == 8 - 3
    assert len(df) == 8
    curves = pd.read_csv(tmp_path / "out" / "curves.csv")
    assert len(curves) == 16  # no duplicated rows
    # the resumed result equals an uninterrupted sweep
    full = run_sweep(small(tmp_path / "full"))
    key = ["model", "length", "seed"]
    pd.testing.assert_frame_equal(
        df.sort_values(key).reset_index(drop=True)[["final_accuracy", "best_accuracy"]],
        full.sort_values(key).reset_index(drop=True)[["final_accuracy", "best_accuracy"]],
    )


def test_resume_drops_curves_of_an_unfinished_run(tmp_path):
    cfg = small(tmp_path, model="rnn", lengths="4", seeds="1")
    run_sweep(cfg)
    out = tmp_path / "out"
    curves = out / "curves.csv"
    # a killed run appended its curves but never reached the summary
    with curves.open("a") as f:
        f.write("lstm,decimal,4,9,10,1.0,0.1,0.1,1.0,0.5\n")
    run_sweep(small(tmp_path, model="rnn", lengths="4", seeds="1", resume=True))
    assert len(pd.read_csv(curves)) == 2


def test_resume_refuses_different_settings(tmp_path):
    run_sweep(small(tmp_path, model="rnn", lengths="4", seeds="1"))
    with pytest.raises(ConfigError, match="hidden is 16"):
        run_sweep(small(tmp_path, model="rnn", lengths="4", seeds="1", hidden=16, resume=True))


def test_overwrite_starts_over(tmp_path):
    run_sweep(small(tmp_path, model="rnn", lengths="4", seeds="1"))
    df = run_sweep(small(tmp_path, model="rnn", lengths="4", seeds="1", overwrite=True))
    assert len(df) == 1
    assert len(pd.read_csv(tmp_path / "out" / "summary.csv")) == 1


def test_early_stop_ends_a_solved_run(tmp_path):
    cfg = small(tmp_path, model="rnn", lengths="2", seeds="1", steps=400, eval_every=5,
                solved_accuracy=0.5, solved_evals=2, hidden=16, batch_size=64)
    df = run_sweep(cfg)
    row = df.iloc[0]
    assert row.steps < 400
    assert row.solved_step <= row.steps


@pytest.mark.slow
def test_lstm_solves_length_5_palindromes(tmp_path):
    cfg = resolve(PalindromeConfig, None, model="lstm", lengths="5", seeds="42", steps=1500,
                  out=str(tmp_path / "o"), device="cpu")
    df = run_sweep(cfg)
    assert df.iloc[0].final_accuracy >= 0.95


def test_parallel_workers_run_every_run_once_and_repeat_exactly(tmp_path):
    a = run_sweep(small(tmp_path / "a", workers=2))
    b = run_sweep(small(tmp_path / "b", workers=2))
    key = ["model", "length", "seed"]
    a, b = a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    assert len(a) == 8 and not a.duplicated(key).any()
    pd.testing.assert_frame_equal(a[[*key, "final_accuracy", "best_accuracy"]],
                                  b[[*key, "final_accuracy", "best_accuracy"]])
    assert len(pd.read_csv(tmp_path / "a" / "out" / "curves.csv")) == 16
