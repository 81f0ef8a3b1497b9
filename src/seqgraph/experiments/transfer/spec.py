"""One graph-transfer run: every setting that defines its result. No torch here: config
validation, help and completion read it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from seqgraph.config import check_choice, check_positive, check_seed
from seqgraph.errors import ConfigError
from seqgraph.graphs.transfer import FAMILIES, check_distance
from seqgraph.sweep.grid import RunOptions
from seqgraph.sweep.spec import RunSpec, label

MODELS = ("gcn", "gat")
NORMS = ("batch", "none")


@dataclasses.dataclass(frozen=True)
class TransferRun(RunSpec):
    """One run of the graph-transfer benchmark (Di Giovanni et al., ICML 2023): a source node r
    hops from the target carries one of ``classes`` labels; an r-layer GNN predicts it at the
    target. Defaults are the repository's (``lrnzgiusti/on-oversquashing``, ``exp/parser.py``
    and ``exp/scripts/run_synthetic_*.sh``): hidden 64, Adam 1e-3 with weight decay 5e-4,
    batch 128, 100 epochs, batch normalisation between layers, the learning rate halved after
    10 epochs without a better test accuracy (at least 1e-5), stop at test accuracy 1."""

    toml_section: ClassVar[str] = "transfer"
    plural: ClassVar[Mapping[str, str]] = {"distance": "distances", "seed": "seeds"}
    grid_defaults: ClassVar[Mapping[str, tuple[Any, ...]]] = {"distance": (2, 3, 4, 5, 6), "model": ("gcn", "gat"),
                                                             "seed": (1, 2, 3)}
    plan_order: ClassVar[tuple[str, ...]] = ("graph", "distance", "model")
    choices: ClassVar[Mapping[str, Any]] = {"graph": FAMILIES, "model": MODELS, "norm": NORMS}

    graph: str = "ring"  # ring | crossed-ring | clique-path
    distance: int = 5  # hops r between the source and the target
    model: str = "gcn"  # gcn | gat
    seed: int = 1  # weights, the split and the batches all derive from it
    layers: int = 0  # message-passing layers; 0: the distance r (the benchmark's rule)
    hidden: int = 64
    norm: str = "batch"  # batch: BatchNorm after every layer but the last (PyG's BasicGNN, as the repository); none
    classes: int = 5
    samples: int = 10_000  # graphs in the dataset (one structure; the source's label varies)
    test_fraction: float = 0.1  # of the samples, held out
    batch_size: int = 128
    epochs: int = 100  # at most, with early stopping
    lr: float = 1e-3
    weight_decay: float = 5e-4
    early_stop: bool = True  # end a run once its test accuracy is 1 (the repository's rule)

    def validate(self) -> None:
        check_choice(self.graph, "graph", FAMILIES)
        check_choice(self.model, "model", MODELS)
        check_choice(self.norm, "norm", NORMS)
        check_distance(self.graph, self.distance)
        check_seed(self.seed, "seeds")
        check_positive(self, "hidden", "samples", "batch_size", "epochs")
        if self.layers < 0 or self.layers > 1000:
            raise ConfigError(f"layers must be in [0, 1000] (0: the distance), got {self.layers}")
        if self.classes < 2:
            raise ConfigError(f"classes must be at least 2, got {self.classes}")
        if not 0 < self.test_fraction < 1:
            raise ConfigError(f"test-fraction must be in (0, 1), got {self.test_fraction}")
        n_test = round(self.samples * self.test_fraction)
        if n_test < 1 or self.samples - n_test < 1:
            raise ConfigError(f"{self.samples} samples with test-fraction {self.test_fraction} leave an empty split")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight-decay must be ≥ 0, got {self.weight_decay}")

    @property
    def depth(self) -> int:
        """Layers the model has: ``layers``, or the distance when 0."""
        return self.layers or self.distance

    @property
    def split(self) -> tuple[int, int]:
        """(train, test) samples."""
        n_test = round(self.samples * self.test_fraction)
        return self.samples - n_test, n_test

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.split[0] // self.batch_size)

    def label(self, extra: tuple[str, ...] = ()) -> str:
        """``gcn ring r=5 seed=1``, plus ``name=value`` for each setting in ``extra``."""
        return label(self, f"{self.model} {self.graph} r={self.distance} seed={self.seed}",
                     ("model", "graph", "distance", "seed"), extra)


@dataclasses.dataclass
class TransferOptions(RunOptions):
    """RunOptions of ``seqgraph gcn transfer``."""

    out: str = "results/transfer"
