"""Semi-supervised node classification (``seqgraph gcn train``): a 2-layer GCN trained on a few
labelled nodes with the one training loop (:mod:`seqgraph.train.loop`), evaluated on all the
others after every epoch.

Progress is reported as events (:mod:`seqgraph.train.progress`): ``RunStarted`` (with the
run's settings), a ``Steps`` and an ``Evaluated`` per epoch (one step is one epoch: the whole
graph) with log.csv's figures, and ``RunFinished`` (so ``--tensorboard`` gets every epoch).
Weights and dropout draw from the seed inside ``torch.random.fork_rng`` (the global random
state is left as it was); the labelled nodes drawn per class come from their own numpy
generator.

Importing this module imports no torch (the command line reads the config's defaults).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from seqgraph.config import Settings, check_device, to_dict, write_toml
from seqgraph.errors import ConfigError, GraphError
from seqgraph.train.progress import Evaluated, Progress, RunFinished, RunStarted, Steps, no_progress

if TYPE_CHECKING:
    from seqgraph.graphs import Graph

LOG_COLUMNS = ["epoch", "loss", "train_accuracy", "test_accuracy"]
KARATE_LABELED = ["0", "33"]  # the instructor and the administrator (Kipf & Welling's demo)


@dataclasses.dataclass
class NodeClassificationConfig(Settings):
    """Semi-supervised node classification with a 2-layer GCN (Kipf & Welling)."""

    toml_section: ClassVar[str] = "gcn_train"

    graph: str = ""  # graph file with node labels; empty: Zachary's karate club
    label_key: str = ""  # node attribute holding the class ("club" for the karate club)
    labeled: list[str] = dataclasses.field(default_factory=list)  # nodes whose labels are seen
    per_class: int = 1  # without `labeled`: this many random labelled nodes per class
    features: str = ""  # node features CSV; empty: one-hot node identity (X = I)
    hidden: int = 16
    epochs: int = 200
    lr: float = 0.01
    weight_decay: float = 5e-4
    dropout: float = 0.5
    seed: int = 0
    device: str = "auto"
    out: str = "results/gcn_train"
    tensorboard: str = ""  # folder for TensorBoard event files ("": none; seqgraph[tensorboard])

    not_in_run_id: ClassVar[tuple[str, ...]] = ("device", "out", "tensorboard")  # where and how, not what

    def validate(self) -> None:
        if isinstance(self.labeled, str):
            self.labeled = [s.strip() for s in self.labeled.split(",") if s.strip()]
        self.labeled = list(dict.fromkeys(str(s) for s in self.labeled))  # a node named twice is one node
        for name in ("hidden", "epochs", "per_class"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if self.tensorboard:
            from seqgraph.tensorboard import require

            require()

    def run_id(self) -> str:
        """The run's identity: a short hash of the settings that define its result (names its
        TensorBoard folder)."""
        import hashlib
        import json

        ident = {k: v for k, v in to_dict(self).items() if k not in self.not_in_run_id}
        return hashlib.sha1(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:12]
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        check_device(self.device)


@dataclass
class NodeClassificationResult:
    graph: str
    classes: list[str]
    labeled: list[str]
    test_accuracy: float
    predictions: list[dict[str, Any]]  # node, true, predicted, labeled
    log: list[dict[str, Any]]


def choose_labeled(g: Graph, y: np.ndarray, labeled: list[str], per_class: int, seed: int,
                   classes: list[str] | None = None) -> np.ndarray:
    """Indices of the nodes whose labels the model sees: ``labeled`` by id, or (empty)
    ``per_class`` nodes of each class drawn with ``np.random.default_rng(seed)`` — fewer than the
    class has, so each class keeps an unlabelled node to measure accuracy on (``classes``: the
    labels, by class index, for the message)."""
    if labeled:
        idx = np.array([g.index(n) for n in labeled], np.int64)
        if (y[idx] < 0).any():
            raise GraphError(f"labelled node {g.nodes[int(idx[y[idx] < 0][0])]!r} has no label")
        return idx
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(int(y.max()) + 1):
        members = np.flatnonzero(y == c)
        if len(members) <= per_class:
            name = repr(classes[c]) if classes is not None else str(c)
            raise GraphError(f"class {name} has {len(members)} node(s): too few for --per-class {per_class} (each "
                             "class keeps at least one unlabelled node, to measure accuracy on); give a smaller "
                             "--per-class, or choose the nodes with --labeled")
        picks.extend(rng.choice(members, per_class, replace=False).tolist())
    return np.array(sorted(picks), np.int64)


def train_node_classifier(cfg: NodeClassificationConfig,
                          progress: Progress = no_progress) -> NodeClassificationResult:
    """Train and evaluate; writes ``config.toml`` (first), ``log.csv`` and ``predictions.csv``
    to ``cfg.out``, which no other seqgraph process may write meanwhile. ``cfg`` is left as it
    was given."""
    from seqgraph.io import folder_lock

    with folder_lock(cfg.out, "gcn training run"):
        return _train_node_classifier(cfg, progress)


def _train_node_classifier(cfg: NodeClassificationConfig, progress: Progress) -> NodeClassificationResult:
    import torch

    from seqgraph.graphs import karate_club, load_features, load_graph, node_labels
    from seqgraph.io import write_csv
    from seqgraph.nn.gcn import GCN, gcn_norm, sparse_propagation
    from seqgraph.train.loop import StepStats, Trainer, fit, resolve_device, seeded

    labeled = cfg.labeled
    if cfg.graph:
        g = load_graph(cfg.graph)
        key = cfg.label_key or "label"
    else:
        g = karate_club()
        key = cfg.label_key or "club"
        labeled = labeled or KARATE_LABELED
    y, classes = node_labels(g, key)
    device = resolve_device(cfg.device)
    train_idx = choose_labeled(g, y, labeled, cfg.per_class, cfg.seed, classes)
    test_mask = y >= 0
    test_mask[train_idx] = False
    if not test_mask.any():
        raise GraphError("every labelled node is in the training set: nothing left to evaluate")
    x = load_features(cfg.features, g) if cfg.features else np.eye(g.num_nodes)
    A_hat = sparse_propagation(gcn_norm(g).A_hat, device=device)
    X = torch.tensor(x, dtype=torch.float32, device=device)
    Y = torch.tensor(y, device=device)
    out = Path(cfg.out)
    # the resolved settings (the karate club's labelled nodes too), first: an --out that cannot be
    # written fails before training
    write_toml(out / "config.toml", to_dict(dataclasses.replace(cfg, labeled=list(labeled))))
    tr = torch.tensor(train_idx, device=device)
    te = torch.tensor(np.flatnonzero(test_mask), device=device)
    log: list[dict[str, Any]] = []
    rid = dataclasses.replace(cfg, labeled=list(labeled)).run_id()
    with seeded(cfg.seed, device):  # the weights, then every epoch's dropout
        model = GCN(X.shape[1], cfg.hidden, len(classes), cfg.dropout).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        # one step is one epoch: the loss on the labelled nodes of the whole graph
        trainer = Trainer(model, opt, forward=lambda idx: model(X, A_hat)[idx])
        pred = torch.empty(0)

        def on_step(stats: StepStats) -> None:
            nonlocal pred
            model.eval()
            with torch.no_grad():
                pred = model(X, A_hat).argmax(1)
            row = {"epoch": stats.step, "loss": stats.loss,
                   "train_accuracy": (pred[tr] == Y[tr]).float().mean().item(),
                   "test_accuracy": (pred[te] == Y[te]).float().mean().item()}
            log.append(row)
            progress(Steps("", stats.step, cfg.epochs, 1, 1, {"loss": row["loss"], "accuracy": row["train_accuracy"],
                                                              "test_accuracy": row["test_accuracy"]}))
            progress(Evaluated(rid, "", stats.step, {k: v for k, v in row.items() if k != "epoch"}))

        settings = {k: v for k, v in to_dict(dataclasses.replace(cfg, labeled=list(labeled))).items()
                    if k not in cfg.not_in_run_id}
        progress(RunStarted(rid, "", cfg.epochs, settings))
        fit(trainer, lambda _: (tr, Y[tr]), steps=cfg.epochs, on_step=on_step)
    progress(RunFinished(rid, "", {"test_accuracy": log[-1]["test_accuracy"]}))
    pred_np = pred.cpu().numpy()
    labeled_set = set(train_idx.tolist())
    predictions = [{"node": g.nodes[i], "true": classes[y[i]] if y[i] >= 0 else "",
                    "predicted": classes[pred_np[i]], "labeled": i in labeled_set}
                   for i in range(g.num_nodes)]
    write_csv(out / "log.csv", LOG_COLUMNS, log)
    write_csv(out / "predictions.csv", ["node", "true", "predicted", "labeled"], predictions)
    return NodeClassificationResult(cfg.graph or "karate club (networkx)", classes,
                                    [g.nodes[i] for i in train_idx], log[-1]["test_accuracy"],
                                    predictions, log)
