"""The graph-transfer experiment on the sweep engine: each run builds its graph, trains an
r-layer GCN or GAT to carry the source's label to the target, and reports held-out accuracy
per epoch beside the graph's own bounds on that transfer — the hops, the r-step propagation
weight (Â^r)_{target,source} and the effective resistance R(source, target).

A run's numbers are its own, whichever executor trains it: weights from its seed (inside
``torch.random.fork_rng``), the split and each epoch's batches from numpy generators keyed by
(seed, epoch). Runs train one at a time (sequentially, in processes or on Ray).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.experiments.transfer.spec import TransferRun
from seqgraph.graphs.transfer import TransferGraph, transfer_features, transfer_graph, transfer_labels
from seqgraph.nn.gcn import GATLayer, dense_attention
from seqgraph.sweep.jobs import Experiment, Job, RunResult
from seqgraph.sweep.spec import run_id
from seqgraph.train.loop import seeded
from seqgraph.train.progress import Evaluated, Progress, RunStarted, Steps

RESULT_COLUMNS = ("hops", "propagation", "resistance", "trained_steps", "trained_epochs", "final_accuracy",
                  "best_accuracy", "baseline", "final_loss", "solved_step", "solved_epoch", "wall_time", "status")
# lr_now: the learning rate after the plateau rule
CURVE_COLUMNS = ("epoch", "step", "loss", "test_loss", "test_accuracy", "lr_now", "elapsed")
EVAL_CHUNK = 2048  # held-out samples per forward


class TransferNet(nn.Module):
    """PyG's ``BasicGNN`` shape, as the repository builds it (``GCN``/``GAT`` of
    ``torch_geometric.nn.models``): ``depth`` convolutions C → hidden → … → C; after every one
    but the last, batch normalisation (``norm="batch"``) and ReLU; the logits read at the target.

    Shapes:
        x ``(B, N, C)`` → logits ``(B, C)``.
    """

    def __init__(self, model: str, tg: TransferGraph, classes: int, hidden: int, depth: int, norm: str) -> None:
        super().__init__()
        from seqgraph.graphs.layer import gat_edges
        from seqgraph.nn.gcn import GATLayer, GCNLayer, gcn_norm

        sizes = [classes] + [hidden] * (depth - 1) + [classes]
        self.model, self.target = model, tg.target
        if model == "gcn":
            self.convs = nn.ModuleList(GCNLayer(a, b, activation="none") for a, b in itertools.pairwise(sizes))
        else:
            self.convs = nn.ModuleList(GATLayer(a, b, activation="none") for a, b in itertools.pairwise(sizes))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) if norm == "batch" else nn.Identity()
                                   for _ in range(depth - 1))
        n = tg.graph.num_nodes
        self.register_buffer("A_hat", torch.from_numpy(gcn_norm(tg.graph).A_hat.toarray()).float())
        mask = torch.zeros(n, n, dtype=torch.bool)
        i, j = torch.from_numpy(gat_edges(tg.graph))
        mask[i, j] = True
        self.mask: Tensor
        self.A_hat: Tensor
        self.register_buffer("mask", mask)

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for k, conv in enumerate(self.convs):
            if isinstance(conv, GATLayer):
                h = dense_attention(conv, h, self.mask)
            else:
                h = conv(h, self.A_hat)
            if k < len(self.norms):
                B, N, H = h.shape
                h = F.relu(self.norms[k](h.reshape(B * N, H)).reshape(B, N, H))
        return h[:, self.target]


def split(spec: TransferRun) -> tuple[np.ndarray, np.ndarray]:
    """Train and test labels: the repository's balanced labels, shuffled by the run's seed,
    the first ``1 − test_fraction`` for training."""
    labels = transfer_labels(spec.samples, spec.classes)
    labels = labels[np.random.default_rng([spec.seed, 0]).permutation(len(labels))]
    n_train, _ = spec.split
    return labels[:n_train], labels[n_train:]


def graph_bounds(tg: TransferGraph) -> dict[str, float]:
    """The graph's own say on the transfer: hops, (Â^r)_{target,source}, R(source, target)."""
    from seqgraph.analysis.resistance import resistances
    from seqgraph.analysis.squashing import propagation_weights

    r = tg.distance
    g = tg.graph
    prop = float(propagation_weights(g, tg.source, [r])[r][tg.target])
    res = resistances(g, [(g.nodes[tg.source], g.nodes[tg.target])]).pairs[0][2]
    return {"hops": r, "propagation": prop, "resistance": res}


def evaluate(net: TransferNet, tg: TransferGraph, labels: np.ndarray, classes: int, device: torch.device
             ) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on ``labels``' samples, in eval mode."""
    net.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for s in range(0, len(labels), EVAL_CHUNK):
            y = torch.from_numpy(labels[s : s + EVAL_CHUNK]).to(device)
            logits = net(torch.from_numpy(transfer_features(tg, labels[s : s + EVAL_CHUNK], classes)).to(device))
            correct += int((logits.argmax(1) == y).sum())
            loss += float(F.cross_entropy(logits, y, reduction="sum"))
    net.train()
    return correct / len(labels), loss / len(labels)


def train_run(spec: TransferRun, device: torch.device, progress: Progress, label: str) -> RunResult:
    """Train one run; its result row and one curve row per epoch."""
    t0 = time.perf_counter()
    rid = run_id(spec)
    tg = transfer_graph(spec.graph, spec.distance)
    bounds = graph_bounds(tg)
    with seeded(spec.seed):
        net = TransferNet(spec.model, tg, spec.classes, spec.hidden, spec.depth, spec.norm)
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=10, min_lr=1e-5)
    train_y, test_y = split(spec)
    per_epoch = spec.steps_per_epoch
    total = spec.epochs * per_epoch
    progress(RunStarted(rid, label, total, dataclasses.asdict(spec)))
    curves: list[dict[str, Any]] = []
    step, best, solved_step, solved_epoch = 0, 0.0, None, None
    acc, test_loss = math.nan, math.nan
    epoch = 0
    for epoch in range(1, spec.epochs + 1):
        order = np.random.default_rng([spec.seed, epoch]).permutation(len(train_y))
        losses = []
        for s in range(0, len(order), spec.batch_size):
            yb = train_y[order[s : s + spec.batch_size]]
            x = torch.from_numpy(transfer_features(tg, yb, spec.classes)).to(device)
            loss = F.cross_entropy(net(x), torch.from_numpy(yb).to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
            step += 1
        train_loss = float(torch.stack(losses).mean())
        acc, test_loss = evaluate(net, tg, test_y, spec.classes, device)
        best = max(best, acc)
        lr = opt.param_groups[0]["lr"]
        curves.append({"epoch": epoch, "step": step, "loss": train_loss, "test_loss": test_loss,
                       "test_accuracy": acc, "lr_now": lr, "elapsed": round(time.perf_counter() - t0, 3)})
        progress(Steps(label, step, total, per_epoch, 1, {"loss": train_loss, "test_accuracy": acc}))
        progress(Evaluated(rid, label, step, {"loss": train_loss, "test_loss": test_loss, "test_accuracy": acc,
                                              "lr": lr}))
        if acc >= 1.0 and solved_step is None:
            solved_step, solved_epoch = step, epoch
        if spec.early_stop and acc >= 1.0:
            break
        sched.step(acc)
    summary = {**bounds, "trained_steps": step, "trained_epochs": epoch, "final_accuracy": acc,
               "best_accuracy": best, "baseline": 1.0 / spec.classes, "final_loss": test_loss,
               "solved_step": solved_step, "solved_epoch": solved_epoch,
               "wall_time": round(time.perf_counter() - t0, 3), "status": "ok"}
    return RunResult(rid, spec, summary, curves)


class _Transfer(Experiment[TransferRun]):
    name = "transfer"
    spec = TransferRun
    result_columns = RESULT_COLUMNS
    curve_columns = CURVE_COLUMNS
    batchable = False  # one graph per run; runs train one at a time (sequentially, in processes or on Ray)

    def cost(self, spec: TransferRun) -> float:
        nodes = 2 * spec.distance
        return float(spec.epochs * spec.split[0] * nodes * spec.hidden * spec.hidden * spec.depth)

    def steps(self, spec: TransferRun) -> int:
        return spec.epochs * spec.steps_per_epoch

    def complete(self, row: Mapping[str, Any], spec: TransferRun) -> bool:
        return True

    def train(self, job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
        from seqgraph.train.loop import resolve_device

        dev = resolve_device(device)
        for spec in job.runs:
            yield train_run(spec, dev, progress, job.run_label(spec))


EXPERIMENT = _Transfer()


def draw_transfer(summary: Any, out: str) -> Any:
    """``transfer.png`` in ``out``: accuracy against distance beside the graphs' bounds
    (:func:`seqgraph.plots.plot_transfer`); None when there are no rows to draw."""
    from pathlib import Path

    from seqgraph.plots import plot_transfer, save_figure

    if summary is None or summary.empty:
        return None
    return save_figure(plot_transfer(summary), Path(out) / "transfer.png")
