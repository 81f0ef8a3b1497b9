"""Node classification on the one training loop: the same numbers as a hand-written loop, the
progress events, the caller's random state and config left as they were."""

import copy

import numpy as np
import pytest
import torch

from seqgraph.config import read_toml
from seqgraph.errors import GraphError
from seqgraph.experiments.node_classification import (
    NodeClassificationConfig,
    choose_labeled,
    train_node_classifier,
)
from seqgraph.graphs import karate_club, load_graph, node_labels
from seqgraph.train.progress import Evaluated, Recorder, RunFinished, RunStarted, Steps


def config(tmp_path, **kw):
    cfg = NodeClassificationConfig(out=str(tmp_path / "run"), device="cpu", **{"epochs": 25, **kw})
    cfg.validate()
    return cfg


def hand_written(cfg, labeled):
    """The loop as it was written out before the training loop served it: seed, Adam with weight
    decay, a step on the labelled nodes' cross-entropy, then an eval-mode prediction, per epoch."""
    from torch.nn import functional as F

    from seqgraph.nn.gcn import GCN, gcn_norm, sparse_propagation

    g = karate_club()
    y, classes = node_labels(g, "club")
    tr = torch.tensor([g.index(n) for n in labeled])
    te = torch.tensor([i for i in range(g.num_nodes) if i not in tr.tolist()])
    A_hat, X, Y = sparse_propagation(gcn_norm(g).A_hat), torch.eye(g.num_nodes), torch.tensor(y)
    rows = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = GCN(g.num_nodes, cfg.hidden, len(classes), cfg.dropout)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        for epoch in range(1, cfg.epochs + 1):
            model.train()
            opt.zero_grad()
            loss = F.cross_entropy(model(X, A_hat)[tr], Y[tr])
            loss.backward()
            opt.step()
            model.eval()
            with torch.no_grad():
                pred = model(X, A_hat).argmax(1)
            rows.append({"epoch": epoch, "loss": loss.item(),
                         "train_accuracy": (pred[tr] == Y[tr]).float().mean().item(),
                         "test_accuracy": (pred[te] == Y[te]).float().mean().item()})
    return rows, [classes[p] for p in pred.tolist()]


@pytest.mark.parametrize("seed, dropout", [(0, 0.5), (7, 0.2)])
def test_the_training_loop_gives_the_numbers_of_the_hand_written_loop(tmp_path, seed, dropout):
    cfg = config(tmp_path, seed=seed, dropout=dropout)
    res = train_node_classifier(cfg)
    rows, predicted = hand_written(cfg, ["0", "33"])
    assert res.log == rows  # exactly: the same operations in the same order, in this process
    assert [p["predicted"] for p in res.predictions] == predicted
    assert res.test_accuracy == rows[-1]["test_accuracy"] and res.labeled == ["0", "33"]


def test_progress_events_one_step_per_epoch(tmp_path):
    rec = Recorder()
    res = train_node_classifier(config(tmp_path), rec)
    assert [type(e) for e in rec.events] == [RunStarted] + [Steps, Evaluated] * 25 + [RunFinished]
    started, steps, evaluated, finished = rec.events[0], rec.of(Steps), rec.of(Evaluated), rec.events[-1]
    assert started.steps == 25 and started.settings["epochs"] == 25 and "out" not in started.settings
    assert [(s.step, s.total, s.run_steps) for s in steps] == [(k, 25, 1) for k in range(1, 26)]
    assert [s.metrics for s in steps] == [{"loss": r["loss"], "accuracy": r["train_accuracy"],
                                           "test_accuracy": r["test_accuracy"]} for r in res.log]
    assert [(e.step, e.metrics) for e in evaluated] == [
        (r["epoch"], {k: v for k, v in r.items() if k != "epoch"}) for r in res.log]  # log.csv's rows
    assert finished.summary["test_accuracy"] == res.test_accuracy
    assert started.run_id == evaluated[0].run_id == finished.run_id
    again = Recorder()
    train_node_classifier(config(tmp_path / "elsewhere"), again)  # the run id: its settings, not its folder
    assert again.events[0].run_id == started.run_id
    differs = Recorder()
    train_node_classifier(config(tmp_path / "other", lr=0.02), differs)
    assert differs.events[0].run_id != started.run_id


def test_the_callers_random_state_and_config_are_left_as_they_were(tmp_path):
    cfg = config(tmp_path)
    given = copy.deepcopy(cfg)
    before = torch.get_rng_state()
    first = train_node_classifier(cfg)
    assert torch.equal(torch.get_rng_state(), before)
    assert cfg == given and cfg.labeled == []  # the karate club's default is the run's, not the config's
    assert read_toml(tmp_path / "run" / "config.toml")["labeled"] == ["0", "33"]  # the resolved settings
    torch.rand(5)  # the caller draws: the run is the same
    assert train_node_classifier(cfg).log == first.log


def test_labelled_nodes_per_class_from_their_own_generator(tmp_path):
    g = load_graph("karate")  # the shipped node-link file, labels under "label"
    y, _ = node_labels(g, "label")
    picks = choose_labeled(g, y, [], 2, seed=3)
    assert picks.tolist() == sorted(picks.tolist()) and len(picks) == 4 and len(set(y[picks].tolist())) == 2
    np.testing.assert_array_equal(choose_labeled(g, y, [], 2, seed=3), picks)
    res = train_node_classifier(config(tmp_path, graph="karate", per_class=2, seed=3))
    assert res.labeled == [g.nodes[i] for i in picks.tolist()]
    with pytest.raises(GraphError, match="too few for --per-class 40"):
        choose_labeled(g, y, [], 40, seed=0)


def test_a_class_too_small_for_per_class_is_named_by_its_label_and_why(tmp_path):
    """The message named the class index (0, 1) and not why one node must stay unlabelled."""
    import json

    g = tmp_path / "g.json"
    g.write_text(json.dumps({"nodes": [{"id": "A", "label": "cat"}, {"id": "B", "label": "cat"},
                                       {"id": "C", "label": "dog"}],
                             "edges": [{"source": "A", "target": "B"}, {"source": "B", "target": "C"}]}))
    with pytest.raises(GraphError, match=r"class 'dog' has 1 node\(s\): too few for --per-class 1 \(each class keeps "
                                         r"at least one unlabelled node, to measure accuracy on\)"):
        train_node_classifier(config(tmp_path, graph=str(g)))
