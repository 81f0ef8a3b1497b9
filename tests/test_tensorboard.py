"""--tensorboard DIR: the event files read back (TensorBoard's own reader) hold what curves.csv holds."""

import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()
TINY = ["palindrome", "--model", "lstm", "--lengths", "3", "--hidden", "8", "--batch-size", "16",
        "--eval-batch-size", "32", "--eval-every", "5", "--device", "cpu", "--seeds", "1,2"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def read(folder):
    """Every scalar of one run's folder: tag → [(step, value)], and the hparams and text tags."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    scalars = {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}
    return scalars, acc


def runs(tb):
    """run id → its folder (named ``<label>-<run id>``)."""
    return {d.name.rsplit("-", 1)[-1]: d for d in tb.iterdir()}


def same_as_curves(tb, curves, columns):
    """Each run's scalars are its curve rows, step by step (float32 in the event file)."""
    folders = runs(tb)
    assert set(folders) == set(curves["run_id"].astype(str))
    for rid, rows in curves.groupby(curves["run_id"].astype(str)):
        scalars, _ = read(folders[rid])
        for tag, column in columns.items():
            assert [s for s, _ in scalars[tag]] == rows["step"].tolist(), tag
            assert [v for _, v in scalars[tag]] == pytest.approx(rows[column].tolist(), rel=1e-6), tag


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_palindrome_sweep_events_match_curves(tmp_path, executor):
    pytest.importorskip("tensorboard")
    tb = tmp_path / "tb"
    r = run(*TINY, "--steps", 10, "--executor", executor, "--workers", 2 if executor == "processes" else 0,
            "--out", tmp_path / "out", "--tensorboard", tb)
    assert r.exit_code == 0, r.output
    curves = pd.read_csv(tmp_path / "out" / "curves.csv")
    same_as_curves(tb, curves, {"loss": "loss", "train_accuracy": "train_accuracy", "accuracy": "accuracy",
                                "eval_loss": "eval_loss"})
    folders = runs(tb)
    assert sorted(d.name.split("-")[0] for d in folders.values()) == ["lstm_L=3_seed=1", "lstm_L=3_seed=2"]
    for d in folders.values():
        scalars, acc = read(d)
        assert [v for _, v in scalars["lr"]] == pytest.approx([1e-3, 1e-3])
        assert "_hparams_/session_start_info" in acc.PluginTagToContent("hparams")
        assert len(list(d.glob("events.out.tfevents.*"))) == 1  # one event file per run


def test_resume_writes_no_step_twice(tmp_path):
    """A run whose events were written but whose summary row was not (the sweep died at its end)
    trains again on --resume: its folder gets no step twice, and still holds what curves.csv holds."""
    pytest.importorskip("tensorboard")
    tb, out = tmp_path / "tb", tmp_path / "out"
    common = [*TINY, "--steps", 10, "--executor", "sequential", "--out", out, "--tensorboard", tb]
    assert run(*common).exit_code == 0
    summary = pd.read_csv(out / "summary.csv")
    summary[summary["seed"] == 1].to_csv(out / "summary.csv", index=False)  # seed 2's row lost
    r = run(*common, "--resume")
    assert r.exit_code == 0, r.output
    assert "1 of 2 runs to train" in r.output
    for d in runs(tb).values():
        scalars, _ = read(d)
        assert [s for s, _ in scalars["accuracy"]] == [5, 10]
    same_as_curves(tb, pd.read_csv(out / "curves.csv"), {"accuracy": "accuracy", "eval_loss": "eval_loss"})


def test_train_resume_continues_the_same_folder(tmp_path):
    pytest.importorskip("tensorboard")
    book = tmp_path / "book.txt"
    book.write_text("Sleeping beauty is asleep. The prince rides in. " * 40)
    common = ["train", book, "--hidden", 8, "--seq-length", 8, "--batch-size", 4, "--eval-every", 5, "--device", "cpu",
              "--out", tmp_path / "run", "--tensorboard", tmp_path / "tb"]
    assert run(*common, "--steps", 10).exit_code == 0
    r = run(*common, "--steps", 20, "--resume")
    assert r.exit_code == 0, r.output
    (folder,) = (tmp_path / "tb").iterdir()
    scalars, _ = read(folder)
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    assert [s for s, _ in scalars["val_loss"]] == log["step"].tolist() == [5, 10, 15, 20]
    assert [v for _, v in scalars["val_loss"]] == pytest.approx(log["val_loss"].tolist(), rel=1e-6)


def test_train_character_model(tmp_path):
    pytest.importorskip("tensorboard")
    book = tmp_path / "book.txt"
    book.write_text("Sleeping beauty is asleep. The prince rides in. " * 40)
    tb = tmp_path / "tb"
    r = run("train", book, "--steps", 20, "--hidden", 16, "--seq-length", 10, "--batch-size", 8, "--eval-every", 10,
            "--sample-every", 10, "--sample-length", 12, "--out", tmp_path / "run", "--device", "cpu",
            "--tensorboard", tb)
    assert r.exit_code == 0, r.output
    (folder,) = tb.iterdir()
    scalars, acc = read(folder)
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    for tag in ("loss", "accuracy", "val_loss", "val_bpc", "val_accuracy", "lr"):
        assert [s for s, _ in scalars[tag]] == log["step"].tolist() == [10, 20]
        assert [v for _, v in scalars[tag]] == pytest.approx(log[tag].tolist(), rel=1e-6)
    assert [e.step for e in acc.Tensors("samples/text_summary")] == [10, 20]
    samples = pd.read_csv(tmp_path / "run" / "samples.csv", keep_default_na=False)
    first = acc.Tensors("samples/text_summary")[0].tensor_proto.string_val[0].decode()
    assert all(str(t).split("\n")[0] in first for t in samples[samples["step"] == 10]["text"])
    assert "_hparams_/session_start_info" in acc.PluginTagToContent("hparams")


def test_gcn_transfer(tmp_path):
    pytest.importorskip("tensorboard")
    tb = tmp_path / "tb"
    r = run("gcn", "transfer", "--graph", "ring", "--distances", 2, "--model", "gcn", "--seeds", 1, "--samples", 200,
            "--epochs", 3, "--hidden", 8, "--no-early-stop", "--executor", "sequential", "--device", "cpu",
            "--out", tmp_path / "out", "--tensorboard", tb)
    assert r.exit_code == 0, r.output
    curves = pd.read_csv(tmp_path / "out" / "curves.csv")
    same_as_curves(tb, curves, {"loss": "loss", "test_loss": "test_loss", "test_accuracy": "test_accuracy",
                                "lr": "lr_now"})


def test_missing_extra_is_one_error_line(tmp_path, monkeypatch, user_error):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard raises ImportError
    r = run(*TINY, "--steps", 5, "--out", tmp_path / "out", "--tensorboard", tmp_path / "tb")
    user_error(r, "pip install 'seqgraph[tensorboard]'")
    assert not (tmp_path / "out").exists() and not (tmp_path / "tb").exists()


def test_gradient_norm_is_logged_before_clipping(tmp_path):
    """With clipping to 1e-4, the logged norm (the mean over each evaluation interval of the norm
    before clipping) stays far above 1e-4: it is the gradient's, not the clipped update's."""
    pytest.importorskip("tensorboard")
    tb = tmp_path / "tb"
    r = run(*TINY, "--steps", 10, "--max-norm", "1e-4", "--executor", "sequential", "--out", tmp_path / "out",
            "--tensorboard", tb)
    assert r.exit_code == 0, r.output
    for d in runs(tb).values():
        scalars, _ = read(d)
        assert [s for s, _ in scalars["grad_norm"]] == [5, 10]
        assert all(v > 1e-2 for _, v in scalars["grad_norm"]), scalars["grad_norm"]


def test_gcn_train_logs_every_epoch(tmp_path):
    """gcn train: one run folder, every epoch's figures of log.csv, its settings as hparams."""
    pytest.importorskip("tensorboard")
    tb = tmp_path / "tb"
    r = run("gcn", "train", "--epochs", 15, "--device", "cpu", "--out", tmp_path / "g", "--tensorboard", tb)
    assert r.exit_code == 0, r.output
    log = pd.read_csv(tmp_path / "g" / "log.csv")
    (folder,) = tb.iterdir()
    scalars, acc = read(folder)
    for tag in ("loss", "train_accuracy", "test_accuracy"):
        assert [s for s, _ in scalars[tag]] == log["epoch"].tolist(), tag
        assert [v for _, v in scalars[tag]] == pytest.approx(log[tag].tolist(), rel=1e-6), tag
    assert "_hparams_/session_start_info" in acc.PluginTagToContent("hparams")
    again = run("gcn", "train", "--epochs", 15, "--device", "cpu", "--out", tmp_path / "h", "--tensorboard", tb)
    assert again.exit_code == 0 and [d.name for d in tb.iterdir()] == [folder.name]  # the same run: its folder
