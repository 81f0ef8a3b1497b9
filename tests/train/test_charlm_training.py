import os
import pickle
import signal

import pandas as pd
import pytest
import torch

from seqgraph.cli.common import stop_on_ctrl_c
from seqgraph.errors import CheckpointError, ConfigError
from seqgraph.experiments.charlm.checkpoint import load_checkpoint
from seqgraph.experiments.charlm.loop import Interrupted, train_charlm
from seqgraph.experiments.charlm.model import load_model
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.sweep.grid import resolve_sweep
from seqgraph.train.progress import Steps, no_progress

TEXT = ("the quick brown fox jumps over the lazy dog. " * 40 + "a stitch in time saves nine. " * 40) * 2


@pytest.fixture
def text_file(tmp_path):
    p = tmp_path / "book.txt"
    p.write_text(TEXT)
    return p


def train(tmp_path, text_file, progress=no_progress, resume=False, **kw):
    """Train the small test model into ``tmp_path / "run"``."""
    base = dict(text=str(text_file), hidden=24, layers=2, seq_length=12, batch_size=8, steps=40, eval_every=10,
                eval_batches=2, sample_every=20, sample_length=12, dropout=0.1)
    base.update(kw)
    spec = resolve_sweep(CharLMRun, TrainOptions, None, **base).single()
    with stop_on_ctrl_c() as stop:  # as the command does: Ctrl-C asks training to stop at a step boundary
        return train_charlm(spec, tmp_path / "run", device="cpu", resume=resume, progress=progress, stop=stop)


def test_training_leaves_the_process_alone(tmp_path, text_file):
    """The core installs no signal handler and leaves the caller's random state as it was."""
    seen = []

    def watch(event):
        if isinstance(event, Steps):
            seen.append(signal.getsignal(signal.SIGINT))

    before, rng = signal.getsignal(signal.SIGINT), torch.get_rng_state()
    spec = resolve_sweep(CharLMRun, TrainOptions, None, text=str(text_file), hidden=8, layers=1, seq_length=8,
                         batch_size=4, steps=6, eval_every=3, eval_batches=1, sample_every=0, dropout=0.1).single()
    train_charlm(spec, tmp_path / "alone", device="cpu", progress=watch)
    assert set(seen) == {before} and signal.getsignal(signal.SIGINT) is before
    assert torch.equal(torch.get_rng_state(), rng)


def test_loss_falls_and_files_are_written(tmp_path, text_file):
    summary = train(tmp_path, text_file, steps=150, eval_every=50, dropout=0.0, lr=0.01)
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    assert list(log.step) == [50, 100, 150]
    assert log.val_loss.iloc[-1] < log.val_loss.iloc[0] < 3.3  # falls from ~ln(V)
    assert log.loss.iloc[-1] < log.loss.iloc[0] - 0.5
    samples = pd.read_csv(tmp_path / "run" / "samples.csv", keep_default_na=False)
    assert set(samples.temperature.astype(str)) == {"greedy", "0.5", "1.0", "2.0"}
    assert summary.step == 150 and (tmp_path / "run" / "best.pt").exists()


def weights(path):
    return load_checkpoint(path)["model"]


@pytest.mark.parametrize("cell", ["lstm", "torch"])
def test_resume_equals_an_uninterrupted_run(tmp_path, text_file, cell):
    train(tmp_path / "a", text_file, cell=cell, steps=40)
    train(tmp_path / "b", text_file, cell=cell, steps=20)
    train(tmp_path / "b", text_file, cell=cell, steps=40, resume=True)
    a, b = weights(tmp_path / "a" / "run" / "last.pt"), weights(tmp_path / "b" / "run" / "last.pt")
    for k in a:
        assert torch.equal(a[k], b[k]), k
    la = pd.read_csv(tmp_path / "a" / "run" / "log.csv")
    lb = pd.read_csv(tmp_path / "b" / "run" / "log.csv")
    pd.testing.assert_series_equal(la.val_loss, lb.val_loss)
    assert load_checkpoint(tmp_path / "b" / "run" / "last.pt")["step"] == 40


class CtrlCAt:
    def __init__(self, step):
        self.at = step

    def __call__(self, event):
        if isinstance(event, Steps) and event.step == self.at:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_identically(tmp_path, text_file):
    with pytest.raises(Interrupted) as e:
        train(tmp_path, text_file, CtrlCAt(13), steps=40)
    assert e.value.step == 13
    assert load_checkpoint(tmp_path / "run" / "last.pt")["step"] == 13
    train(tmp_path, text_file, steps=40, resume=True)
    train(tmp_path / "ref", text_file, steps=40)
    a, b = weights(tmp_path / "run" / "last.pt"), weights(tmp_path / "ref" / "run" / "last.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_ctrl_c_between_evaluations_then_resume_logs_the_running_averages_of_a_straight_run(tmp_path, text_file):
    """The training loss and accuracy of a log row average the steps since the previous row; a
    Ctrl-C checkpoint keeps their sums, so the row after --resume is the straight run's (it
    averaged only the steps after the resume)."""
    with pytest.raises(Interrupted):
        train(tmp_path, text_file, CtrlCAt(13), steps=40)
    train(tmp_path, text_file, steps=40, resume=True)
    train(tmp_path / "ref", text_file, steps=40)
    columns = ["step", "loss", "accuracy", "val_loss", "val_bpc", "val_accuracy", "lr"]
    log = pd.read_csv(tmp_path / "run" / "log.csv")[columns]
    pd.testing.assert_frame_equal(log, pd.read_csv(tmp_path / "ref" / "run" / "log.csv")[columns])


def test_malformed_running_averages_are_one_error(tmp_path, text_file):
    from seqgraph.experiments.charlm.checkpoint import save_checkpoint

    train(tmp_path, text_file, steps=10)
    ck = load_checkpoint(tmp_path / "run" / "last.pt")
    save_checkpoint(tmp_path / "run" / "last.pt", {k: v for k, v in ck.items() if k not in ("format", "version")}
                    | {"running": {"loss": "x", "accuracy": 0.0, "steps": 1}})
    with pytest.raises(CheckpointError, match="running averages are malformed"):
        train(tmp_path, text_file, steps=20, resume=True)


def test_refuses_to_overwrite_and_resume_checks_settings(tmp_path, text_file):
    train(tmp_path, text_file, steps=10)
    with pytest.raises(ConfigError, match=r"already holds a training run: add --resume .*, --overwrite to replace it"):
        train(tmp_path, text_file, steps=10)
    with pytest.raises(ConfigError, match="hidden is 32"):
        train(tmp_path, text_file, steps=20, hidden=32, resume=True)
    with pytest.raises(ConfigError, match="already at step 10"):
        train(tmp_path, text_file, steps=10, resume=True)


class Evil:
    def __reduce__(self):
        return (os.system, ("touch EVIL_RAN",))


def test_a_checkpoint_crafted_to_run_code_does_not_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "evil.pt"
    torch.save({"format": "seqgraph-charlm", "payload": Evil()}, p)
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_model(p)
    assert not (tmp_path / "EVIL_RAN").exists()
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_model(raw)
    assert not (tmp_path / "EVIL_RAN").exists()


def test_truncated_and_foreign_checkpoints(tmp_path, text_file):
    train(tmp_path, text_file, steps=10)
    good = (tmp_path / "run" / "last.pt").read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="truncated or not a checkpoint"):
        load_model(cut)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not a seqgraph"):
        load_model(other)
    _model, vocab, ck = load_model(tmp_path / "run" / "last.pt")
    assert vocab.chars == sorted(set(TEXT)) and ck["step"] == 10


def two_run_grid(tmp_path, text_file, steps, **kw):
    """A grid of two tiny runs (hidden 8 and 16) into ``tmp_path/grid``, through the sweep engine."""
    from seqgraph.sweep.engine import run_sweep

    sweep = resolve_sweep(CharLMRun, TrainOptions, None, text=str(text_file), hidden="8,16", layers=1,
                          seq_length=12, batch_size=8, steps=steps, eval_every=10, eval_batches=2, sample_every=0,
                          out=str(tmp_path / "grid"), device="cpu", executor="sequential", **kw)
    o = sweep.options
    return run_sweep("charlm", sweep, context={"out": o.out, "resume": o.resume, "overwrite": o.overwrite})


def test_a_grid_trains_one_folder_per_run_and_resumes_with_more_steps(tmp_path, text_file):
    def grid(steps, **kw):
        return two_run_grid(tmp_path, text_file, steps, **kw)

    df = grid(20)
    assert len(df) == 2 and list(df.trained_steps) == [20, 20]
    folders = sorted(p.name for p in (tmp_path / "grid").iterdir() if p.is_dir())
    assert [f.split(",")[0] for f in folders] == ["hidden=16", "hidden=8"]
    for f in folders:
        assert (tmp_path / "grid" / f / "last.pt").exists() and (tmp_path / "grid" / f / "log.csv").exists()
    # more steps: each run continues from its checkpoint; its summary row is replaced, not duplicated
    df = grid(30, resume=True)
    assert list(df.trained_steps) == [30, 30]
    assert len(pd.read_csv(tmp_path / "grid" / "summary.csv")) == 2
    one = resolve_sweep(CharLMRun, TrainOptions, None, text=str(text_file), hidden=8, layers=1, seq_length=12,
                        batch_size=8, steps=30, eval_every=10, eval_batches=2, sample_every=0).single()
    train_charlm(one, tmp_path / "alone", device="cpu")
    grid_run = next((tmp_path / "grid").glob("hidden=8,*"))
    a, b = weights(grid_run / "last.pt"), weights(tmp_path / "alone" / "last.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)  # 20 + 10 resumed in a grid = 30 straight


def test_an_interrupted_resume_keeps_the_rows_of_runs_it_was_continuing(tmp_path, text_file, monkeypatch):
    """--resume with more steps, then Ctrl-C during the second run: its old row stays (its new one
    was never written), the first run's row is its new one, nothing is there twice."""
    from seqgraph.experiments.charlm import grid as charlm_grid
    from seqgraph.sweep.engine import SweepInterrupted

    def grid(steps, **kw):
        return two_run_grid(tmp_path, text_file, steps, **kw)

    grid(20)
    real, calls = charlm_grid.continue_run, []

    def second_is_interrupted(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(charlm_grid, "continue_run", second_is_interrupted)
    with pytest.raises(SweepInterrupted):
        grid(30, resume=True)
    summary = pd.read_csv(tmp_path / "grid" / "summary.csv")
    assert sorted(summary["trained_steps"]) == [20, 30] and summary["run_id"].is_unique
    monkeypatch.setattr(charlm_grid, "continue_run", real)
    assert sorted(grid(30, resume=True)["trained_steps"]) == [30, 30]
    assert len(pd.read_csv(tmp_path / "grid" / "summary.csv")) == 2


def test_a_grid_run_trained_to_its_end_without_its_row_is_recorded_on_resume(tmp_path, text_file):
    """The driver was killed after a run's last checkpoint but before its summary row."""
    from seqgraph.sweep.engine import run_sweep
    from seqgraph.train.progress import Recorder, RunStarted

    def grid(progress=no_progress, **kw):
        sweep = resolve_sweep(CharLMRun, TrainOptions, None, text=str(text_file), hidden="8,16", layers=1,
                              seq_length=12, batch_size=8, steps=20, eval_every=10, eval_batches=2, sample_every=0,
                              out=str(tmp_path / "g"), device="cpu", executor="sequential", **kw)
        o = sweep.options
        return run_sweep("charlm", sweep, progress, context={"out": o.out, "resume": o.resume,
                                                             "overwrite": o.overwrite})

    first = grid()
    summary = tmp_path / "g" / "summary.csv"
    pd.read_csv(summary).iloc[:1].to_csv(summary, index=False)  # the second row never got written
    rec = Recorder()
    again = grid(rec, resume=True)
    assert not rec.of(RunStarted)  # nothing trained again
    pd.testing.assert_frame_equal(again[["run_id", "trained_steps", "val_loss", "best_val_loss"]],
                                  first[["run_id", "trained_steps", "val_loss", "best_val_loss"]])
