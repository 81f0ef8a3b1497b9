"""The config.toml written beside results can be fed back (--config) and gives the same
resolved config; a bare --resume keeps the saved run's own step target."""

import dataclasses

import pandas as pd
import pytest
from typer.testing import CliRunner

from seqgraph.analysis.settings import GradsConfig
from seqgraph.cli import app
from seqgraph.config import read_toml, resolve
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.experiments.node_classification import NodeClassificationConfig
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.sweep.grid import resolve_sweep

runner = CliRunner()
TEXT = "Sleeping beauty is asleep. The prince rides in. " * 60
LM = ["--hidden", 8, "--layers", 1, "--seq-length", 10, "--batch-size", 8, "--eval-every", 10, "--eval-batches", 2,
      "--sample-every", 0, "--device", "cpu"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def same_sweep(a, b):
    assert a.axes == b.axes
    assert dataclasses.asdict(a.options) | {"resume": False, "overwrite": False} == \
        dataclasses.asdict(b.options) | {"resume": False, "overwrite": False}


def test_palindrome_config_round_trips(tmp_path):
    out = tmp_path / "p"
    flags = dict(model="rnn,gru", lengths="4", seeds="1", steps="5", hidden="4", batch_size="4", eval_every="5",
                 eval_batch_size="8", lr="1e-3,1e-2", executor="sequential", out=str(out))
    r = run("palindrome", *[x for k, v in flags.items() for x in (f"--{k.replace('_', '-')}", v)])
    assert r.exit_code == 0, r.output
    written = out / "config.toml"
    same_sweep(resolve_sweep(PalindromeRun, PalindromeOptions, written),
               resolve_sweep(PalindromeRun, PalindromeOptions, None, **flags))
    r = run("palindrome", "--config", written, "--resume")  # fed back: nothing left to train
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out / "summary.csv")) == 4


def test_train_config_round_trips_and_bare_resume_keeps_its_target(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text(TEXT)
    out = tmp_path / "lm"
    r = run("train", book, "--steps", 20, *LM, "--out", out)
    assert r.exit_code == 0, r.output
    written = out / "config.toml"
    assert "corpus" not in read_toml(written)  # the corpus name is a comment now
    same_sweep(resolve_sweep(CharLMRun, TrainOptions, written),
               resolve_sweep(CharLMRun, TrainOptions, None, text=str(book), steps="20", hidden="8", layers="1",
                             seq_length="10", batch_size="8", eval_every="10", eval_batches="2", sample_every="0",
                             device="cpu", out=str(out)))
    # a bare --resume of a finished run does not go on to the default 5,000 steps
    r = run("train", "--config", written, "--resume")
    assert r.exit_code == 2 and "already at step 20" in r.stderr, r.output
    r = run("train", "--config", written, "--resume", "--steps", 30)
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out / "log.csv")["step"].max() == 30
    assert read_toml(written)["steps"] == 30


def test_bare_resume_after_an_interrupted_run_stops_at_its_own_target(tmp_path, monkeypatch):
    book = tmp_path / "book.txt"
    book.write_text(TEXT)
    out = tmp_path / "lm"
    r = run("train", book, "--steps", 20, *LM, "--out", out)
    assert r.exit_code == 0, r.output
    # pretend it was stopped at step 10: the checkpoint of step 10 is what a Ctrl-C leaves
    from seqgraph.experiments.charlm.checkpoint import load_checkpoint, save_checkpoint

    ck = load_checkpoint(out / "last.pt")
    assert ck["step"] == 20
    r10 = run("train", book, "--steps", 10, *LM, "--out", tmp_path / "ten")
    assert r10.exit_code == 0
    save_checkpoint(out / "last.pt", load_checkpoint(tmp_path / "ten" / "last.pt"))
    r = run("train", book, *LM, "--out", out, "--resume")  # no --steps: the saved 20, not 5,000
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out / "last.pt")["step"] == 20


@pytest.mark.parametrize("cls, section", [(GradsConfig, "grads"), (NodeClassificationConfig, "gcn_train")])
def test_single_analysis_configs_round_trip(cls, section, tmp_path):
    from seqgraph.config import to_dict, write_toml

    cfg = resolve(cls, None, out=str(tmp_path / "x"), seed=3) if cls is NodeClassificationConfig \
        else resolve(cls, None, out=str(tmp_path / "x"), length=20)
    path = tmp_path / "config.toml"
    write_toml(path, to_dict(cfg))
    assert resolve(cls, path) == cfg


def test_bare_resume_keeps_its_target_after_config_toml_was_deleted(tmp_path, monkeypatch):
    """config.toml gone: the checkpoint still knows the run's target (it went on to the default
    5,000 steps); a changed model setting is refused against the checkpoint."""
    import os
    import signal

    from seqgraph.cli.display import Display
    from seqgraph.experiments.charlm.checkpoint import load_checkpoint
    from seqgraph.train.progress import Steps

    book = tmp_path / "book.txt"
    book.write_text(TEXT)
    out = tmp_path / "lm"
    draw = Display.__call__

    def ctrl_c_at_step_12(self, event):
        draw(self, event)
        if isinstance(event, Steps) and event.step == 12:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(Display, "__call__", ctrl_c_at_step_12)
    r = run("train", book, "--steps", 30, *LM, "--out", out)
    assert r.exit_code == 130 and "checkpoint saved" in r.stderr, r.output
    monkeypatch.undo()
    (out / "config.toml").unlink()
    r = run("train", book, *LM[:1], 16, *LM[2:], "--out", out, "--resume")  # --hidden 16: another model
    assert r.exit_code == 2 and "hidden is 16 but the checkpoint" in r.stderr, r.output
    r = run("train", book, *LM, "--out", out, "--resume")  # no --steps
    assert r.exit_code == 0, r.output
    assert load_checkpoint(out / "last.pt")["step"] == 30 and read_toml(out / "config.toml")["steps"] == 30


def test_bare_resume_of_a_grid_keeps_its_target_after_config_toml_was_deleted(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text(TEXT)
    out = tmp_path / "grid"
    grid = ["train", book, "--steps", 20, *LM[:1], "8,9", *LM[2:], "--executor", "sequential", "--out", out]
    assert run(*grid).exit_code == 0
    (out / "config.toml").unlink()
    r = run(*grid[:2], *grid[4:], "--resume")  # the same grid without --steps
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out / "summary.csv")["trained_steps"].tolist() == [20, 20]
    # a changed setting that defines the model is a new run beside the others, never a continued one
    r = run(*grid[:2], *grid[4:5], "8,9,10", *grid[6:], "--resume")
    assert r.exit_code == 0, r.output
    assert sorted(pd.read_csv(out / "summary.csv")["hidden"]) == [8, 9, 10]
