import torch

from seqgraph.analysis.grads import gradient_flow, state_gradients
from seqgraph.analysis.settings import GradsConfig
from seqgraph.config import resolve
from seqgraph.nn.models import SequenceClassifier
from seqgraph.tasks.registry import get_task


def first_over_last(rows, model):
    by_t = {}
    for r in rows:
        if r["model"] == model and r["trained_steps"] == 0:
            by_t.setdefault(r["t"], []).append(r["grad_norm"])
    T = max(by_t)
    mean = {t: sum(v) / len(v) for t, v in by_t.items()}
    return mean[1] / mean[T]  # the state holding the first digit vs the last one carried


def test_rnn_gradients_vanish_far_faster_than_lstm_gradients():
    cfg = resolve(GradsConfig, None, model="rnn,lstm,gru,peep", length=60, seeds="0,1", batch_size=32,
                  hidden=64, device="cpu")
    rows = gradient_flow(cfg)
    rnn, lstm = first_over_last(rows, "rnn"), first_over_last(rows, "lstm")
    assert rnn < 1e-9  # vanished over 59 steps
    assert lstm > 1e6 * rnn  # the LSTM's reaches the first step many orders of magnitude better
    assert first_over_last(rows, "gru") > 100 * rnn
    assert first_over_last(rows, "peep") > 100 * rnn


def test_state_gradients_equal_autograd_through_an_unrolled_reference():
    """‖∂L/∂h_t‖ from the step-by-step run equals plain autograd through nn.RNNCell."""
    torch.manual_seed(0)
    model = SequenceClassifier("rnn", 10, 8, 10).double()
    x, y = get_task("decimal").batch(5, 9, seed=1)
    ours = state_gradients(model, x, y)
    cell = torch.nn.RNNCell(10, 8).double()
    c = model.rnn.cells[0]
    with torch.no_grad():
        cell.weight_ih.copy_(c.weight_ih)
        cell.weight_hh.copy_(c.weight_hh)
        cell.bias_ih.copy_(c.bias)
        cell.bias_hh.zero_()
    h = torch.zeros(5, 8, dtype=torch.double, requires_grad=True)
    hs = []
    for t in range(x.shape[1]):
        h.retain_grad()
        hs.append(h)  # the state entering step t + 1
        h = cell(torch.nn.functional.one_hot(x[:, t], 10).double(), h)
    torch.nn.functional.cross_entropy(model.head(h), y).backward()
    ref = torch.stack([s.grad.norm(dim=1).mean() for s in hs])
    torch.testing.assert_close(ours, ref)


def test_after_training_rows_are_reported(tmp_path):
    cfg = resolve(GradsConfig, None, model="lstm", length=8, seeds="3", train_steps=5, batch_size=8, hidden=8,
                  device="cpu")
    rows = gradient_flow(cfg)
    assert {r["trained_steps"] for r in rows} == {0, 5}
    assert len(rows) == 2 * 7
    assert sorted({r['t'] for r in rows}) == list(range(7))


def test_a_seed_or_model_given_twice_counts_once():
    """`grads --seeds 1,1` measured seed 1 twice (duplicate rows); palindrome de-duplicated its runs."""
    cfg = resolve(GradsConfig, None, model="rnn,rnn", length=4, seeds="1,1", batch_size=2, hidden=2, device="cpu")
    assert cfg.seeds == [1] and cfg.model == ["rnn"]
    once = resolve(GradsConfig, None, model="rnn", length=4, seeds="1", batch_size=2, hidden=2, device="cpu")
    assert gradient_flow(cfg) == gradient_flow(once)
