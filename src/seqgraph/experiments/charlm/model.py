"""The character model of a run or a checkpoint: building, loading, evaluating, sampling."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from seqgraph.config import to_dict
from seqgraph.errors import CheckpointError, ConfigError, DataError
from seqgraph.experiments.charlm.checkpoint import load_checkpoint, text_changed
from seqgraph.experiments.charlm.spec import CharLMRun
from seqgraph.nn.charlm import CharLM, generate
from seqgraph.tasks.text import DEFAULT_CORPUS, CharCorpus, Vocab, default_corpus, load_text

SAMPLE_TEMPERATURES = (0.0, 0.5, 1.0, 2.0)  # 0 = greedy
LN2 = math.log(2)


@dataclass
class EvalResult:
    loss: float  # mean cross-entropy per character (nats)
    bpc: float  # bits per character
    perplexity: float
    accuracy: float  # next-character accuracy
    characters: int

    def as_dict(self) -> dict[str, float]:
        return {"loss": self.loss, "bpc": self.bpc, "perplexity": self.perplexity,
                "accuracy": self.accuracy, "characters": self.characters}


def corpus_text(text: str) -> tuple[str, str]:
    """The training text and its name (``""`` → the built-in corpus)."""
    if not text:
        return default_corpus(), DEFAULT_CORPUS
    return load_text(text), text


def build_model(cfg: dict[str, Any] | CharLMRun, vocab_size: int, kernel: str) -> CharLM:
    """The run's untrained model (draws from the global generator: call it under the run's seed,
    in ``torch.random.fork_rng``). ``kernel``: the recurrent kernel (the run's setting when
    training; ``auto`` for evaluation and sampling, which then step on the loop at batch 1)."""
    c = cfg if isinstance(cfg, dict) else to_dict(cfg)
    return CharLM(vocab_size, c["hidden"], c["layers"], c["dropout"], c["cell"], c.get("forget_bias", 1.0),
                  {"learn_gate": c.get("learn_gate", True)}, kernel=kernel)


def perplexity(loss: float) -> float:
    """exp(loss), infinite past float64's range (a loss above ~709.8 nats: exp would raise)."""
    return math.inf if loss > 709.0 else math.exp(loss)


class _Score:
    """Cross-entropy and correct predictions summed over chunks of (logits, targets)."""

    def __init__(self) -> None:
        self.total, self.correct, self.n = 0.0, 0, 0

    def add(self, logits: Tensor, y: Tensor) -> None:
        """``logits (B, T, V)`` against ``y (B, T)``."""
        self.total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        self.correct += int((logits.argmax(-1) == y).sum())
        self.n += y.numel()

    def result(self) -> EvalResult:
        loss = self.total / self.n
        return EvalResult(loss, loss / LN2, perplexity(loss), self.correct / self.n, self.n)


@torch.no_grad()
def evaluate_batches(model: CharLM, batches: list[tuple[Tensor, Tensor]], device: torch.device) -> EvalResult:
    """Loss, bpc, perplexity and accuracy over fixed (x, y) windows, each from a zero state."""
    was = model.training
    model.eval()
    score = _Score()
    for x, y in batches:
        score.add(model(x.to(device))[0], y.to(device))
    model.train(was)
    return score.result()


@torch.no_grad()
def evaluate_stream(model: CharLM, ids: Tensor, device: torch.device, streams: int = 32,
                    chunk: int = 256) -> EvalResult:
    """Evaluate on a whole text as a language model reads it: ``streams`` parallel pieces, state
    carried across chunks, every character after the first predicted once."""
    if len(ids) < 2:
        raise DataError("the text needs at least 2 characters to evaluate")
    model.eval()
    streams = max(1, min(streams, (len(ids) - 1) // 2))
    per = (len(ids) - 1) // streams
    x_all = ids[: streams * per].view(streams, per)
    y_all = ids[1 : streams * per + 1].view(streams, per)
    tail_x, tail_y = ids[streams * per : -1], ids[streams * per + 1 :]
    score = _Score()
    state = None
    for s in range(0, per, chunk):
        logits, state = model(x_all[:, s : s + chunk].to(device), state)
        score.add(logits, y_all[:, s : s + chunk].to(device))
    if len(tail_x):  # the few characters that did not fill a stream
        score.add(model(tail_x.unsqueeze(0).to(device))[0], tail_y.unsqueeze(0).to(device))
    return score.result()


def load_model(path: str | Path, device: torch.device | None = None) -> tuple[CharLM, Vocab, dict[str, Any]]:
    """A trained model, its vocabulary and its checkpoint (safe load; see checkpoint.py)."""
    ckpt = load_checkpoint(path)
    vocab_chars = ckpt["vocab"]
    if not isinstance(vocab_chars, list) or not all(isinstance(c, str) for c in vocab_chars):
        raise CheckpointError(f"checkpoint {path} has a malformed vocabulary")
    vocab = Vocab(vocab_chars)
    try:
        model = build_model(ckpt["config"], len(vocab), "auto")
        model.load_state_dict(ckpt["model"])
    except (KeyError, TypeError, RuntimeError, ConfigError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {path} does not match its model ({first[:160]})") from None
    model.eval()
    if device is not None:
        model.to(device)
    return model, vocab, ckpt


def evaluate_checkpoint(path: str | Path, text: str | Path | None, device: torch.device
                        ) -> tuple[EvalResult, str, dict[str, Any]]:
    """A checkpoint's model on ``text`` (None: the checkpoint's own validation split): the
    result, what it was evaluated on in words, and the checkpoint."""
    model, vocab, ck = load_model(path, device)
    cfg = ck["config"]
    if text is None:
        source = cfg.get("text", "")
        if source and not Path(source).is_file():
            raise DataError(f"the checkpoint's training text {source} is not available: pass a TEXT file")
        full, name = corpus_text(source)
        if changed := text_changed(ck, full):  # its split is not the one the model was validated on
            raise DataError(f"the checkpoint's training text {name}: {changed}, so its validation split is not "
                            f"the one this model was validated on; pass the file as TEXT to evaluate on all of it "
                            "as it is now")
        ids = CharCorpus(full, vocab, cfg["val_fraction"], cfg["seq_length"]).val
        name = f"validation split of {name}"
    else:
        ids = vocab.encode(load_text(text), f"text {text}")
        name = str(text)
    return evaluate_stream(model, ids, device), name, ck


def sample_rows(model: CharLM, corpus: CharCorpus, step: int, length: int, seed: int,
                device: torch.device) -> list[dict[str, Any]]:
    """Greedy and temperature samples from a fixed prompt, with their own generator (the
    training stream is untouched)."""
    prompt = corpus.val[:1]  # the first validation character
    gen = torch.Generator(device=device).manual_seed(seed * 1_000_003 + step)
    rows = []
    for T in SAMPLE_TEMPERATURES:
        ids = generate(model, prompt, length, temperature=T, generator=gen)[0]
        rows.append({"step": step, "temperature": "greedy" if T == 0 else T,
                     "text": corpus.vocab.decode(prompt) + corpus.vocab.decode(ids)})
    model.train()
    return rows
