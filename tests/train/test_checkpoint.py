"""Checkpoints: every load path checks the schema; a run folder is owned by one run."""

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from seqgraph.cli import app

TEXT = "Sleeping beauty is asleep. The prince rides in. " * 40
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def train_args(book, out, steps=20):
    return ("train", book, "--steps", steps, "--hidden", 8, "--layers", 1, "--seq-length", 8, "--batch-size", 4,
            "--eval-every", 10, "--sample-every", 0, "--out", out, "--device", "cpu")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("ck")
    (d / "book.txt").write_text(TEXT)
    r = run(*train_args(d / "book.txt", d / "run"))
    assert r.exit_code == 0, r.output
    return d


def forge(trained, tmp_path, change):
    ck = torch.load(trained / "run" / "last.pt", weights_only=True)
    change(ck)
    path = tmp_path / "forged" / "last.pt"
    path.parent.mkdir()
    torch.save(ck, path)
    return path


def nan_weight(ck):
    next(iter(ck["model"].values())).fill_(float("nan"))


FORGERIES = {
    "nan weights": (nan_weight, "non-finite weights"),
    "two-character vocabulary entry": (lambda ck: ck["vocab"].__setitem__(0, "ab"), "malformed vocabulary"),
    "empty vocabulary": (lambda ck: ck.__setitem__("vocab", []), "malformed vocabulary"),
    "repeated vocabulary entry": (lambda ck: ck["vocab"].__setitem__(1, ck["vocab"][0]), "malformed vocabulary"),
    "config without val_fraction": (lambda ck: ck["config"].pop("val_fraction"), "without val_fraction"),
    "string val_fraction": (lambda ck: ck["config"].__setitem__("val_fraction", "x"), "invalid config"),
    "unknown cell": (lambda ck: ck["config"].__setitem__("cell", "foo"), "invalid config"),
    "string step": (lambda ck: ck.__setitem__("step", "10"), "malformed step"),
    "string version": (lambda ck: ck.__setitem__("version", "1"), "malformed version"),
    "weights not tensors": (lambda ck: ck.__setitem__("model", {"w": 1}), "malformed weights"),
    "wrong shapes": (lambda ck: ck["config"].__setitem__("hidden", 9), "does not match its model"),
}


@pytest.mark.parametrize("name", list(FORGERIES))
@pytest.mark.parametrize("command", ["sample", "evaluate"])
def test_a_forged_checkpoint_is_one_error_line_on_every_load_path(trained, tmp_path, user_error, name, command):
    change, fragment = FORGERIES[name]
    path = forge(trained, tmp_path, change)
    user_error(run(command, path, "--device", "cpu"), fragment)


RESUME_FORGERIES = {
    **{k: v for k, v in FORGERIES.items() if k != "wrong shapes"},
    "no optimizer state": (lambda ck: ck.pop("optimizer"), "lacks optimizer"),
    "no generator state": (lambda ck: ck.pop("rng"), "lacks rng"),
    "a foreign generator state": (lambda ck: ck["rng"].__setitem__("data", torch.zeros(3)), "generator state"),
    "optimizer of another model": (lambda ck: ck["optimizer"]["state"].__setitem__(0, {"step": torch.tensor(1.0),
                                   "exp_avg": torch.zeros(2), "exp_avg_sq": torch.zeros(2)}), "cannot be resumed"),
}


@pytest.mark.parametrize("name", list(RESUME_FORGERIES))
def test_train_resume_checks_the_checkpoint(trained, tmp_path, user_error, name):
    change, fragment = RESUME_FORGERIES[name]
    path = forge(trained, tmp_path, change)
    (path.parent / "log.csv").write_bytes((trained / "run" / "log.csv").read_bytes())
    user_error(run(*train_args(trained / "book.txt", path.parent, steps=40), "--resume"), fragment)


def test_ckpt_may_not_point_into_another_runs_folder(trained, tmp_path, user_error):
    before = (trained / "run" / "best.pt").read_bytes()
    r = run(*train_args(trained / "book.txt", tmp_path / "run2"), "--ckpt", trained / "run" / "other.pt")
    user_error(r, "in the folder of another run")
    assert (trained / "run" / "best.pt").read_bytes() == before
    # a checkpoint folder of its own is fine, and a second run may not reuse it
    ck = tmp_path / "ckpts" / "a.pt"
    assert run(*train_args(trained / "book.txt", tmp_path / "run3"), "--ckpt", ck).exit_code == 0
    user_error(run(*train_args(trained / "book.txt", tmp_path / "run4"), "--ckpt", ck), "already holds a training run")


def test_a_run_killed_before_its_first_checkpoint_starts_over(trained, tmp_path):
    out = tmp_path / "run"
    ref = run(*train_args(trained / "book.txt", tmp_path / "ref"))
    assert ref.exit_code == 0
    out.mkdir()
    log = (tmp_path / "ref" / "log.csv").read_text().splitlines()
    (out / "log.csv").write_text("\n".join(log[:2]) + "\n")  # the first row, then kill -9
    for extra in ((), ("--resume",)):
        r = run(*train_args(trained / "book.txt", out), *extra)
        assert r.exit_code == 0, r.output
        results = ["step", "loss", "accuracy", "val_loss", "val_accuracy"]  # not the timings
        pd.testing.assert_frame_equal(pd.read_csv(out / "log.csv")[results],
                                      pd.read_csv(tmp_path / "ref" / "log.csv")[results])
        (out / "last.pt").unlink()
        (out / "best.pt").unlink()
        (out / "log.csv").write_text("\n".join(log[:2]) + "\n")
