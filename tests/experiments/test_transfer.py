"""The graph-transfer experiment: its model, training, and the sweep engine's promises."""

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from seqgraph.cli import app
from seqgraph.experiments.transfer.spec import TransferRun
from seqgraph.experiments.transfer.train import TransferNet, train_run
from seqgraph.graphs.layer import gat_edges
from seqgraph.graphs.transfer import transfer_features, transfer_graph
from seqgraph.nn.gcn import GATLayer, dense_attention
from seqgraph.train.progress import no_progress

runner = CliRunner()
SMALL = ["--samples", "600", "--epochs", "2", "--batch-size", "64", "--hidden", "16"]


def test_dense_attention_equals_the_edge_form():
    tg = transfer_graph("clique-path", 4)
    torch.manual_seed(0)
    layer = GATLayer(5, 3, activation="elu").double()
    x = torch.randn(2, tg.graph.num_nodes, 5, dtype=torch.float64)
    edges = torch.from_numpy(gat_edges(tg.graph))
    mask = torch.zeros(tg.graph.num_nodes, tg.graph.num_nodes, dtype=torch.bool)
    mask[edges[0], edges[1]] = True
    dense = dense_attention(layer, x, mask)
    for b in range(2):
        assert torch.allclose(dense[b], layer(x[b], edges)[0])


def test_the_label_cannot_arrive_with_fewer_layers_than_hops():
    """The target's logits do not depend on the source's label below r layers, and do at r."""
    tg = transfer_graph("ring", 4)
    for depth, reaches in ((3, False), (4, True)):
        for model in ("gcn", "gat"):
            torch.manual_seed(0)
            net = TransferNet(model, tg, 5, 8, depth, "none").double()
            x = torch.from_numpy(transfer_features(tg, torch.arange(5).numpy(), 5)).double()
            out = net(x)
            assert (not torch.allclose(out[0], out[1])) == reaches, (model, depth)


@pytest.mark.slow
def test_a_short_ring_is_learned():
    res = train_run(TransferRun(graph="ring", distance=2, samples=2000, epochs=10), torch.device("cpu"),
                    no_progress, "")
    assert res.summary["final_accuracy"] == 1.0 and res.summary["solved_epoch"] <= 10
    assert res.summary["hops"] == 2 and res.summary["resistance"] == pytest.approx(1.0)
    assert [c["epoch"] for c in res.curves] == list(range(1, res.summary["trained_epochs"] + 1))


def test_same_seed_same_numbers_and_resume(tmp_path):
    args = ["gcn", "transfer", "--graph", "ring,clique-path", "--distance", "3", "--model", "gcn,gat",
            "--seeds", "1", *SMALL]
    a = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), "--executor", "sequential"])
    assert a.exit_code == 0, a.output
    b = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--executor", "processes", "--workers", "2"])
    assert b.exit_code == 0, b.output
    sa, sb = (pd.read_csv(tmp_path / d / "summary.csv").sort_values("run_id") for d in "ab")
    assert len(sa) == 4 and sa["run_id"].tolist() == sb["run_id"].tolist()
    # another executor trains with another thread count, whose sums round differently: equal to rounding
    # (amplified by a few Adam steps), not bit for bit
    assert sa["final_accuracy"].tolist() == pytest.approx(sb["final_accuracy"].tolist(), abs=0.02)
    assert sa["final_loss"].tolist() == pytest.approx(sb["final_loss"].tolist(), rel=5e-3)
    for col in ("graph", "distance", "model", "seed", "hidden", "epochs", "resistance", "propagation"):
        assert col in sa.columns
    assert (tmp_path / "a" / "transfer.png").exists()
    curves = pd.read_csv(tmp_path / "a" / "curves.csv")
    assert set(curves["run_id"]) == set(sa["run_id"])
    c = runner.invoke(app, [*args, "--distance", "3,4", "--out", str(tmp_path / "a"), "--resume",
                            "--executor", "sequential"])
    assert c.exit_code == 0, c.output
    s = pd.read_csv(tmp_path / "a" / "summary.csv")
    assert len(s) == 8 and s["run_id"].is_unique  # only the four new runs were trained
    assert "runs 8/8" in c.stderr or "8/8" in c.stderr


def test_a_run_is_its_own_whoever_trains_it():
    """Same seed, same device, same process: the same numbers, bit for bit."""
    spec = TransferRun(graph="crossed-ring", distance=3, model="gat", samples=400, epochs=2, hidden=8)
    a, b = (train_run(spec, torch.device("cpu"), no_progress, "") for _ in range(2))
    assert a.curves == [dict(c, elapsed=x["elapsed"]) for c, x in zip(b.curves, a.curves, strict=True)]
    assert a.summary["final_loss"] == b.summary["final_loss"]


def test_plot_and_table_read_a_transfer_summary(tmp_path, is_drawn):
    out = tmp_path / "t"
    r = runner.invoke(app, ["gcn", "transfer", "--distance", "2,3", "--model", "gcn", "--seeds", "1,2", *SMALL,
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    p = runner.invoke(app, ["plot", str(out / "summary.csv"), "--out", str(tmp_path / "f.png")])
    assert p.exit_code == 0, p.output
    assert is_drawn(tmp_path / "f.png")
    t = runner.invoke(app, ["table", str(out / "summary.csv")])
    assert t.exit_code == 0, t.output
    assert "distance" in t.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--graph", "ring", "--distance", "1"], "distances 2"),
    (["--graph", "clique-path", "--distance", "2"], "clique-path"),
    (["--graph", "star"], "unknown graph"),
    (["--model", "gin"], "unknown model"),
    (["--layers", "-1"], "layers"),
    (["--test-fraction", "1.5"], "test-fraction"),
    (["--executor", "batched"], "one at a time"),
    (["--classes", "1"], "classes"),
])
def test_bad_input(args, fragment, user_error, tmp_path):
    r = runner.invoke(app, ["gcn", "transfer", *args, "--out", str(tmp_path / "x")])
    user_error(r, fragment)
    assert not (tmp_path / "x").exists()
