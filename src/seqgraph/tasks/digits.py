"""Sequential digits: an 8×8 handwritten digit read pixel by pixel, row-major — 64 steps of one
feature (the pixel's ink 0..16, divided by 16) — then its class 0..9 read at the last step.
Cross-entropy; held-out accuracy. ``digits-permuted`` reads the pixels in one fixed shuffled
order instead (the permuted variant: neighbouring pixels are no longer neighbouring steps).

This is sequential MNIST as it runs offline: the images are scikit-learn's bundled
``sklearn.datasets.load_digits`` (1,797 images 8×8, ink 0..16; UCI's optical recognition of
handwritten digits), not MNIST's 60,000 28×28 (784 steps). The split is fixed and recorded:
``numpy.random.default_rng(0).permutation(1797)``, its first 1,437 images the training split,
its last 360 the held-out split. The permuted order is ``numpy.random.default_rng(1).permutation(64)``
(step t reads pixel ``order[t]``). Training batches (stream TRAIN) draw images of the training
split uniformly with replacement, held-out batches (stream EVAL) images of the held-out split,
each sample's image a hash of (seed, stream, counter, sample) (:mod:`seqgraph.tasks.rng`).

scikit-learn is optional (``pip install 'seqgraph[digits]'``); it is imported, and the images
loaded, once, on first use.

Source: Le, Jaitly & Hinton, *A Simple Way to Initialize Recurrent Networks of Rectified Linear
Units* (2015), §4.2 (pixel-by-pixel MNIST, and its fixed random permutation).
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor

from seqgraph.errors import ConfigError
from seqgraph.tasks.base import EVAL, TRAIN, N, Target, Task
from seqgraph.tasks.registry import FEATURES

IMAGES, PIXELS, CLASSES, INK = 1797, 64, 10, 16.0
TRAIN_SIZE = 1437  # the held-out split: the other 360
SPLIT_SEED, ORDER_SEED = 0, 1  # numpy default_rng seeds of the split and of the permuted pixel order
MISSING = "the digits tasks need scikit-learn: pip install 'seqgraph[digits]'"


@cache
def load() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: images ``(1797, 64)`` float64 ink 0..16 (row-major) and labels
    ``(1797,)`` int64. A ConfigError where scikit-learn is not installed."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ConfigError(MISSING) from None
    d = load_digits()
    return d.data, d.target.astype("int64")


@cache
def split() -> tuple[np.ndarray, np.ndarray]:
    """The image indices of the training split (1,437) and of the held-out split (360): the
    first and last of ``default_rng(0).permutation(1797)``."""
    import numpy as np

    perm = np.random.default_rng(SPLIT_SEED).permutation(IMAGES)
    return perm[:TRAIN_SIZE], perm[TRAIN_SIZE:]


@cache
def pixel_order() -> np.ndarray:
    """The permuted variant's order: step t reads pixel ``order[t]`` (``default_rng(1).permutation(64)``)."""
    import numpy as np

    return np.random.default_rng(ORDER_SEED).permutation(PIXELS)


class Digits(Task):
    name = "digits"
    length_meaning: ClassVar[str] = "pixels (always 64)"
    min_length: ClassVar[int] = PIXELS
    max_length: ClassVar[int | None] = PIXELS
    max_length_why: ClassVar[str] = "an 8×8 image is 64 pixels"
    default_length: ClassVar[int] = PIXELS
    encodings: ClassVar[tuple[str, ...]] = FEATURES
    target: ClassVar[Target] = "class-at-last"
    baseline_why: ClassVar[str] = "majority class"
    requires: ClassVar[tuple[str, ...]] = ("sklearn",)
    permuted: ClassVar[bool] = False
    """Whether the pixels are read in :func:`pixel_order` (else row-major)."""

    def num_symbols(self, length: int) -> int:
        return 0  # no symbols: one feature

    def num_features(self, length: int) -> int:
        return 1

    def num_classes(self, length: int) -> int:
        return CLASSES

    def input_length(self, length: N) -> N:
        return length  # L is the number of pixels read, always 64

    def sequences(self, which: int) -> tuple[np.ndarray, np.ndarray]:
        """One split as the model reads it: ``(n, 64)`` float32 features (ink/16, in reading
        order) and ``(n,)`` labels; ``which``: TRAIN or EVAL."""
        images, labels = load()
        index = split()[0 if which == TRAIN else 1]  # EVAL: the held-out split
        x = images[index] / INK
        if self.permuted:
            x = x[:, pixel_order()]
        return x.astype("float32"), labels[index]

    def baseline(self, length: int) -> float:
        """The held-out split's majority-class rate (always answering its most frequent class)."""
        self.check_length(length)
        import numpy as np

        _, y = self.sequences(EVAL)
        return float(np.bincount(y, minlength=CLASSES).max() / len(y))

    def baseline_loss(self, length: int) -> float:
        """The entropy of the training split's classes: −Σ p_c ln p_c (always answering its
        class frequencies)."""
        self.check_length(length)
        import numpy as np

        _, y = self.sequences(TRAIN)
        p = np.bincount(y, minlength=CLASSES) / len(y)
        return float(-sum(q * math.log(q) for q in p if q > 0))

    def batches(self, lengths: Tensor, seeds: Tensor, counters: Tensor, batch: int,
                stream: int = TRAIN) -> tuple[Tensor, Tensor, Tensor]:
        """As :meth:`Task.batches`, each sample an image of its stream's split (no generator:
        the data are the images)."""
        import torch

        from seqgraph.tasks.rng import raw_ints, sample_keys

        self.check_length(int(lengths.max()))
        self.check_length(int(lengths.min()))
        device = lengths.device
        images, labels = (torch.from_numpy(a).to(device) for a in self.sequences(stream))
        keys = sample_keys(seeds, counters, batch, stream)  # (K, B)
        pick = raw_ints(keys, torch.zeros(1, dtype=torch.long, device=device)).squeeze(-1) % len(labels)
        x = images[pick].unsqueeze(-1)  # (K, B, 64, 1)
        return x, labels[pick], self.input_length(lengths) - 1


class DigitsPermuted(Digits):
    name = "digits-permuted"
    permuted: ClassVar[bool] = True
