"""Checkpoints that never execute code: tensors and plain types only, written atomically,
loaded with ``torch.load(weights_only=True)``."""

from __future__ import annotations

import io
import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from seqgraph.errors import CheckpointError
from seqgraph.io import atomic_write_bytes

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
    p = Path(path)
    if p.is_dir():
        raise CheckpointError(f"{p} is a folder, not a checkpoint (e.g. {p / 'best.pt'})")
    if not p.is_file():
        raise CheckpointError(f"checkpoint not found: {p}")
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
    if ckpt["version"] > VERSION:
        raise CheckpointError(f"checkpoint {p} was written by a newer seqgraph (format {ckpt['version']})")
    return ckpt
