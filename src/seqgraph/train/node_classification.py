"""Semi-supervised node classification: a 2-layer GCN trained on a few labelled nodes,
evaluated on all the others."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from seqgraph.config import NodeClassificationConfig, to_dict, write_toml
from seqgraph.errors import GraphError
from seqgraph.graphs import Graph, karate_club, load_features, load_graph, node_labels
from seqgraph.io import write_csv
from seqgraph.nn.gcn import GCN, gcn_norm, sparse_propagation
from seqgraph.train.loop import resolve_device

LOG_COLUMNS = ["epoch", "loss", "train_accuracy", "test_accuracy"]


@dataclass
class NodeClassificationResult:
    graph: str
    classes: list[str]
    labeled: list[str]
    test_accuracy: float
    predictions: list[dict[str, Any]]  # node, true, predicted, labeled
    log: list[dict[str, Any]]


def choose_labeled(g: Graph, y: np.ndarray, cfg: NodeClassificationConfig) -> np.ndarray:
    """Indices of the nodes whose labels the model sees."""
    if cfg.labeled:
        idx = np.array([g.index(n) for n in cfg.labeled], np.int64)
        if (y[idx] < 0).any():
            raise GraphError(f"labelled node {g.nodes[int(idx[y[idx] < 0][0])]!r} has no label")
        return idx
    rng = np.random.default_rng(cfg.seed)
    picks = []
    for c in range(int(y.max()) + 1):
        members = np.flatnonzero(y == c)
        if len(members) <= cfg.per_class:
            raise GraphError(f"class {c} has {len(members)} node(s): too few for --per-class {cfg.per_class}")
        picks.extend(rng.choice(members, cfg.per_class, replace=False).tolist())
    return np.array(sorted(picks), np.int64)


def train_node_classifier(cfg: NodeClassificationConfig,
                          on_epoch: Any = None) -> NodeClassificationResult:
    """Train and evaluate; writes ``log.csv``, ``predictions.csv`` and ``config.toml`` to
    ``cfg.out``. ``on_epoch(row)`` is called after every epoch."""
    if cfg.graph:
        g = load_graph(cfg.graph)
        key = cfg.label_key or "label"
    else:
        g = karate_club()
        key = cfg.label_key or "club"
        if not cfg.labeled:
            cfg.labeled = ["0", "33"]  # the instructor and the administrator (Kipf & Welling's demo)
    y, classes = node_labels(g, key)
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    train_idx = choose_labeled(g, y, cfg)
    test_mask = y >= 0
    test_mask[train_idx] = False
    if not test_mask.any():
        raise GraphError("every labelled node is in the training set: nothing left to evaluate")
    x = load_features(cfg.features, g) if cfg.features else np.eye(g.num_nodes)
    A_hat = sparse_propagation(gcn_norm(g).A_hat, device=device)
    X = torch.tensor(x, dtype=torch.float32, device=device)
    Y = torch.tensor(y, device=device)
    out = Path(cfg.out)
    write_toml(out / "config.toml", to_dict(cfg))  # first: an --out that cannot be written fails before training
    tr = torch.tensor(train_idx, device=device)
    te = torch.tensor(np.flatnonzero(test_mask), device=device)
    model = GCN(X.shape[1], cfg.hidden, len(classes), cfg.dropout).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    log = []
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        opt.zero_grad(set_to_none=True)
        logits = model(X, A_hat)
        loss = F.cross_entropy(logits[tr], Y[tr])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(X, A_hat).argmax(1)
        row = {"epoch": epoch, "loss": loss.item(),
               "train_accuracy": (pred[tr] == Y[tr]).float().mean().item(),
               "test_accuracy": (pred[te] == Y[te]).float().mean().item()}
        log.append(row)
        if on_epoch is not None:
            on_epoch(row)
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


