"""Checkpoints that never execute code: tensors and plain types only, written atomically,
loaded with ``torch.load(weights_only=True)``."""

from __future__ import annotations

import io
import math
import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from seqgraph.errors import CheckpointError, SeqgraphError
from seqgraph.io import atomic_write_bytes, existing_file

FORMAT = "seqgraph-charlm"
VERSION = 1
REQUIRED = ("format", "version", "config", "vocab", "model", "step")


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Serialise to memory, then write with temp file + rename: a crash leaves the old file."""
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **payload}, buf)
    atomic_write_bytes(path, buf.getvalue())


def _first_sentence(e: Exception, limit: int = 160) -> str:
    """The first sentence of an error message, whole (cut at a word, marked with …, if long)."""
    text = " ".join(str(e).split()) or type(e).__name__
    text = text.split(". ")[0].rstrip(".")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return text


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint safely; anything that is not a seqgraph checkpoint is a CheckpointError."""
    p = existing_file(path, "checkpoint", CheckpointError, "best.pt")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickle protocols; we explain
            warnings.simplefilter("ignore")
            ckpt = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        text = str(e)
        if "GLOBAL" in text or "Unsupported global" in text:  # it names a function or class
            detail = next((ln.strip() for ln in text.splitlines() if "GLOBAL" in ln or "global" in ln), "")
            raise CheckpointError(f"refusing to load {p}: it holds more than tensors and plain data, "
                                  f"which could run code ({detail[:160]})") from None
        raise CheckpointError(f"cannot read checkpoint {p}: truncated or not a checkpoint") from None
    except Exception as e:  # any failure to parse a foreign file means the same to the user
        why = _first_sentence(e)
        raise CheckpointError(f"cannot read checkpoint {p}: truncated or not a checkpoint ({why})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{p} is not a seqgraph character-model checkpoint")
    missing = [k for k in REQUIRED if k not in ckpt]
    if missing:
        raise CheckpointError(f"checkpoint {p} lacks {', '.join(missing)}")
    if not isinstance(ckpt["version"], int) or isinstance(ckpt["version"], bool):
        raise CheckpointError(f"checkpoint {p} has a malformed version {ckpt['version']!r}")
    if ckpt["version"] > VERSION:
        raise CheckpointError(f"checkpoint {p} was written by a newer seqgraph (format {ckpt['version']})")
    check_schema(ckpt, p)
    return ckpt


def check_schema(ckpt: dict[str, Any], p: Path) -> None:
    """The checkpoint's parts have the types and values seqgraph writes: a valid run config, a
    vocabulary of distinct single characters, a step count, finite weight tensors. Shapes are
    checked when the weights go into their model."""
    from seqgraph.config import resolve
    from seqgraph.experiments.charlm.spec import CharLMRun
    from seqgraph.sweep.spec import spec_fields

    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {p} has {what}")

    config = ckpt["config"]
    if not isinstance(config, dict):
        raise bad("a malformed config")
    later = CharLMRun.in_id_unless_default  # settings added since: an older checkpoint has their default
    missing = [k for k in spec_fields(CharLMRun) if k not in config and k not in later]
    if missing:
        raise bad(f"a config without {', '.join(missing)}")
    try:
        resolve(CharLMRun, None, **{k: v for k, v in config.items() if k != "corpus"})
    except (SeqgraphError, TypeError, ValueError) as e:
        raise bad(f"an invalid config ({' '.join(str(e).split())[:160]})") from None
    vocab = ckpt["vocab"]
    if (not isinstance(vocab, list) or not vocab or not all(isinstance(c, str) and len(c) == 1 for c in vocab)
            or len(set(vocab)) != len(vocab)):
        raise bad("a malformed vocabulary (expected distinct single characters)")
    step = ckpt["step"]
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise bad(f"a malformed step {step!r}")
    data = ckpt.get("data")  # the training text's identity (absent in older checkpoints)
    if data is not None and not (isinstance(data, dict) and isinstance(data.get("characters"), int)
                                 and not isinstance(data["characters"], bool)
                                 and isinstance(data.get("sha256"), str)):
        raise bad("a malformed record of its training text")
    weights = ckpt["model"]
    if not isinstance(weights, dict) or not weights or not all(isinstance(t, torch.Tensor) for t in weights.values()):
        raise bad("malformed weights")
    for name, t in weights.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise bad(f"non-finite weights ({name})")


def text_identity(text: str) -> dict[str, Any]:
    """What identifies a training text in a checkpoint: its length in characters and the SHA-256
    of its UTF-8 bytes."""
    import hashlib

    return {"characters": len(text), "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}


def text_changed(ckpt: dict[str, Any], text: str) -> str:
    """How ``text`` differs from the text the checkpoint's model was trained on, in words ("" if
    it is the same, or the checkpoint is older than this record)."""
    was = ckpt.get("data")
    if not isinstance(was, dict):
        return ""
    now = text_identity(text)
    if now == {k: was.get(k) for k in now}:
        return ""
    size = (f"{was['characters']:,} characters then, {now['characters']:,} now"
            if was["characters"] != now["characters"] else f"{now['characters']:,} characters, other content")
    return f"it has changed since the checkpoint was written ({size}; sha256 {str(was['sha256'])[:12]}… then)"


RESUME_KEYS = ("optimizer", "scheduler", "rng")


def check_resumable(ckpt: dict[str, Any], p: Path) -> None:
    """What ``--resume`` needs beyond the model: optimizer, scheduler and generator states."""
    missing = [k for k in RESUME_KEYS if not isinstance(ckpt.get(k), dict)]
    if missing:
        raise CheckpointError(f"checkpoint {p} cannot be resumed: it lacks {', '.join(missing)}")
    rng = ckpt["rng"]
    for k in ("data", "torch"):
        if not isinstance(rng.get(k), torch.Tensor) or rng[k].dtype != torch.uint8:
            raise CheckpointError(f"checkpoint {p} cannot be resumed: its generator state {k!r} is malformed")
    running = ckpt.get("running")  # absent in older checkpoints: the averages then start afresh
    if running is not None:
        ok = (isinstance(running, dict) and all(isinstance(running.get(k), float) for k in ("loss", "accuracy"))
              and isinstance(running.get("steps"), int) and not isinstance(running["steps"], bool)
              and running["steps"] >= 0 and all(map(math.isfinite, (running["loss"], running["accuracy"]))))
        if not ok:
            raise CheckpointError(f"checkpoint {p} cannot be resumed: its running averages are malformed")
