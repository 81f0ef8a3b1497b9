import os
import pickle
import signal

import pandas as pd
import pytest
import torch

from seqgraph.config import CharLMConfig, resolve
from seqgraph.errors import CheckpointError, ConfigError
from seqgraph.train.charlm import Interrupted, Listener, load_model, train_charlm
from seqgraph.train.checkpoint import load_checkpoint

TEXT = ("the quick brown fox jumps over the lazy dog. " * 40 + "a stitch in time saves nine. " * 40) * 2


@pytest.fixture
def text_file(tmp_path):
    p = tmp_path / "book.txt"
    p.write_text(TEXT)
    return p


def cfg(tmp_path, text_file, **kw):
    base = dict(text=str(text_file), hidden=24, layers=2, seq_length=12, batch_size=8, steps=40, eval_every=10,
                eval_batches=2, sample_every=20, sample_length=12, device="cpu", out=str(tmp_path / "run"),
                dropout=0.1)
    base.update(kw)
    return resolve(CharLMConfig, None, **base)


def test_loss_falls_and_files_are_written(tmp_path, text_file):
    summary = train_charlm(cfg(tmp_path, text_file, steps=150, eval_every=50, dropout=0.0, lr=0.01))
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
    straight = cfg(tmp_path / "a", text_file, cell=cell, steps=40)
    train_charlm(straight)
    half = cfg(tmp_path / "b", text_file, cell=cell, steps=20)
    train_charlm(half)
    rest = cfg(tmp_path / "b", text_file, cell=cell, steps=40, resume=True)
    train_charlm(rest)
    a, b = weights(tmp_path / "a" / "run" / "last.pt"), weights(tmp_path / "b" / "run" / "last.pt")
    for k in a:
        assert torch.equal(a[k], b[k]), k
    la = pd.read_csv(tmp_path / "a" / "run" / "log.csv")
    lb = pd.read_csv(tmp_path / "b" / "run" / "log.csv")
    pd.testing.assert_series_equal(la.val_loss, lb.val_loss)
    assert load_checkpoint(tmp_path / "b" / "run" / "last.pt")["step"] == 40


class CtrlCAt(Listener):
    def __init__(self, step):
        self.at = step

    def step(self, step, loss, accuracy, chars_per_s):
        if step == self.at:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_identically(tmp_path, text_file):
    with pytest.raises(Interrupted) as e:
        train_charlm(cfg(tmp_path, text_file, steps=40), CtrlCAt(13))
    assert e.value.step == 13
    assert load_checkpoint(tmp_path / "run" / "last.pt")["step"] == 13
    train_charlm(cfg(tmp_path, text_file, steps=40, resume=True))
    train_charlm(cfg(tmp_path / "ref", text_file, steps=40))
    a, b = weights(tmp_path / "run" / "last.pt"), weights(tmp_path / "ref" / "run" / "last.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_refuses_to_overwrite_and_resume_checks_settings(tmp_path, text_file):
    train_charlm(cfg(tmp_path, text_file, steps=10))
    with pytest.raises(ConfigError, match="already holds a training run"):
        train_charlm(cfg(tmp_path, text_file, steps=10))
    with pytest.raises(ConfigError, match="hidden is 32"):
        train_charlm(cfg(tmp_path, text_file, steps=20, hidden=32, resume=True))
    with pytest.raises(ConfigError, match="already at step 10"):
        train_charlm(cfg(tmp_path, text_file, steps=10, resume=True))


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
    train_charlm(cfg(tmp_path, text_file, steps=10))
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
