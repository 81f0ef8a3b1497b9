"""Our cells against torch's, with copied weights, and against autograd."""

import pytest
import torch
from torch import nn

from seqgraph.nn.cells import (
    CourseGRUCell,
    GRUCell,
    LSTMCell,
    PeepholeLSTMCell,
    RNNCell,
    TimeGatedLSTMCell,
    time_gate,
)
from seqgraph.nn.models import RecurrentStack, SequenceClassifier
from seqgraph.nn.registry import cell_class, cell_names, unidirectional_cells

CELLS = {name: cell_class(name) for name in unidirectional_cells()}  # bilstm is two LSTMs: tests/nn/test_models.py

B, I, H, T = 3, 5, 4, 7


@pytest.fixture(autouse=True)
def _double_precision():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def copy_from(ours, ref, suffix=""):
    with torch.no_grad():
        ours.weight_ih.copy_(getattr(ref, "weight_ih" + suffix))
        ours.weight_hh.copy_(getattr(ref, "weight_hh" + suffix))
        b_ih, b_hh = getattr(ref, "bias_ih" + suffix), getattr(ref, "bias_hh" + suffix)
        if isinstance(ours, GRUCell):
            ours.bias_ih.copy_(b_ih)
            ours.bias_hh.copy_(b_hh)
        else:
            ours.bias.copy_(b_ih + b_hh)


@pytest.mark.parametrize(
    "ours_cls, ref_cls",
    [(RNNCell, nn.RNNCell), (LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)],
)
def test_single_step_equals_torch_cell(ours_cls, ref_cls):
    torch.manual_seed(0)
    ref, ours = ref_cls(I, H), ours_cls(I, H)
    copy_from(ours, ref)
    x = torch.randn(B, I)
    if ours_cls is LSTMCell:
        hx = (torch.randn(B, H), torch.randn(B, H))
        h_ref, c_ref = ref(x, hx)
        h, c = ours(x, hx)
        torch.testing.assert_close(c, c_ref)
    else:
        hx = torch.randn(B, H)
        h_ref, h = ref(x, hx), ours(x, hx)
    torch.testing.assert_close(h, h_ref)


@pytest.mark.parametrize("name, ref_cls", [("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)])
def test_sequence_and_gradients_equal_torch_layer(name, ref_cls):
    torch.manual_seed(1)
    ref, ours = ref_cls(I, H), CELLS[name](I, H)
    copy_from(ours, ref, "_l0")
    x = torch.randn(T, B, I, requires_grad=True)
    n_state = 2 if name == "lstm" else 1
    h0 = [torch.randn(B, H, requires_grad=True) for _ in range(n_state)]
    ref_h0 = tuple(h.unsqueeze(0) for h in h0) if name == "lstm" else h0[0].unsqueeze(0)
    out_ref, _ = ref(x, ref_h0)
    out, _ = ours.scan(x, tuple(h0))
    torch.testing.assert_close(out, out_ref)
    g = torch.randn_like(out)
    wrt_ref = [x, *h0, ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0]
    wrt = [x, *h0, ours.weight_ih, ours.weight_hh, ours.bias_ih if name == "gru" else ours.bias]
    for a, b in zip(torch.autograd.grad((out_ref * g).sum(), wrt_ref),
                    torch.autograd.grad((out * g).sum(), wrt), strict=True):
        torch.testing.assert_close(b, a)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_hand_written_backward_passes_gradcheck(name):
    torch.manual_seed(2)
    cell = CELLS[name](I, H)
    x = torch.randn(5, 2, I, requires_grad=True)
    h0 = tuple(torch.randn(2, H, requires_grad=True) for _ in range(cell.state_size))

    def f(x, *h):
        out, final = cell.scan(x, h)
        return (out, *final)

    assert torch.autograd.gradcheck(f, (x, *h0))
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]
    assert torch.autograd.gradcheck(lambda *ps: _scan_params(cell, ps, x.detach()), tuple(params))


def _scan_params(cell, ps, x):
    """The time loop driven with explicit parameter tensors (so gradcheck can perturb them)."""
    from seqgraph.nn.scan import scan

    names = [n for n, _ in cell.named_parameters()]
    p = dict(zip(names, ps, strict=True))
    if isinstance(cell, CourseGRUCell):  # no biases; U_h (the last H rows of weight_hh) is a step weight
        H = cell.hidden_size
        z = x.new_zeros(H, x.shape[1])
        out, _ = scan(cell, (torch.einsum("gi,tbi->tgb", p["weight_ih"], x),), p["weight_hh"][: 2 * H], None, (z,),
                      step_weights=(p["weight_hh"][2 * H :],))
        return out
    if isinstance(cell, GRUCell):
        seqs = (torch.einsum("gi,tbi->tgb", p["weight_ih"], x) + p["bias_ih"][:, None],)
        b_hh = p["bias_hh"]
    elif isinstance(cell, TimeGatedLSTMCell):
        k = time_gate(torch.arange(x.shape[0]), p["tau"], p["shift"], p["r_on"], cell.leak)
        seqs = (torch.einsum("gi,tbi->tgb", p["weight_ih"], x) + p["bias"][:, None], k.unsqueeze(-1))
        b_hh = None
    else:
        seqs = (torch.einsum("gi,tbi->tgb", p["weight_ih"], x) + p["bias"][:, None],)
        b_hh = None
    z = x.new_zeros(cell.hidden_size, x.shape[1])
    out, _ = scan(cell, seqs, p["weight_hh"], b_hh, tuple(z for _ in range(cell.state_size)))
    return out


def peephole_reference(cell, x, h0, c0):
    """The course's peephole equations written out with autograd."""
    H = cell.hidden_size
    W, U, b = cell.weight_ih, cell.weight_hh, cell.bias
    c, outs = c0, []
    for t in range(x.shape[0]):
        z = x[t] @ W.T + b
        zi, zf, zo, zc = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        ui, uf, uo = U[:H], U[H:2 * H], U[2 * H:]
        i = torch.sigmoid(zi + c @ ui.T)
        f = torch.sigmoid(zf + c @ uf.T)
        o = torch.sigmoid(zo + c @ uo.T)
        c = torch.sigmoid(zc) * i + c * f
        outs.append(torch.tanh(c) * o)
    return torch.stack(outs), c


def test_peephole_equals_its_equations():
    torch.manual_seed(3)
    cell = PeepholeLSTMCell(I, H)
    x = torch.randn(T, B, I)
    h0, c0 = torch.randn(B, H), torch.randn(B, H)
    out_ref, c_ref = peephole_reference(cell, x, h0, c0)
    out, (_h, c) = cell.scan(x, (h0, c0))
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(c, c_ref)
    g = torch.randn_like(out)
    params = list(cell.parameters())
    for a, b in zip(torch.autograd.grad((out_ref * g).sum(), params),
                    torch.autograd.grad((out * g).sum(), params), strict=True):
        torch.testing.assert_close(b, a)


def course_gru_reference(cell, x, h0):
    """The 2020 course's GRU, written out with plain autograd from its equations — the
    template ``uvadlc/uvadlc_practicals_2020`` ``assignment_2/2_recurrentnns_gnns/code/release/Part 1/gru.py``
    is a stub; the equations are ``assignment_2.pdf`` eqs. 29–32 as issue #10 quotes them:

        z_t = σ(W_z [h_{t−1}, x_t]),  r_t = σ(W_r [h_{t−1}, x_t])        (no biases)
        h̃_t = tanh(W_h x_t + U_h (r_t ⊙ h_{t−1}))                       (r before the matmul)
        h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t

    W_z [h, x] is written as one matrix on the concatenation, split from seqgraph's
    (r, z, n)-ordered ``weight_hh`` / ``weight_ih`` rows.
    """
    H = cell.hidden_size
    Wx, Wh = cell.weight_ih, cell.weight_hh
    W_r = torch.cat([Wh[:H], Wx[:H]], 1)  # (H, H + I), acting on [h, x]
    W_z = torch.cat([Wh[H : 2 * H], Wx[H : 2 * H]], 1)
    W_h, U_h = Wx[2 * H :], Wh[2 * H :]
    h, outs = h0, []
    for t in range(x.shape[0]):
        hx = torch.cat([h, x[t]], 1)  # (B, H + I)
        z = torch.sigmoid(hx @ W_z.T)
        r = torch.sigmoid(hx @ W_r.T)
        h_tilde = torch.tanh(x[t] @ W_h.T + (r * h) @ U_h.T)
        h = (1 - z) * h + z * h_tilde
        outs.append(h)
    return torch.stack(outs)


def test_course_gru_one_step_equals_its_equations():
    torch.manual_seed(12)
    cell = CourseGRUCell(I, H)
    assert not any(n.startswith("bias") for n, _ in cell.named_parameters())
    x, h0 = torch.randn(B, I), torch.randn(B, H)
    torch.testing.assert_close(cell(x, h0), course_gru_reference(cell, x.unsqueeze(0), h0)[0])


def test_course_gru_sequence_and_gradients_equal_its_equations():
    torch.manual_seed(13)
    cell = CourseGRUCell(I, H)
    with torch.no_grad():
        cell.weight_hh.mul_(3)  # gates away from ½, so the two GRUs below differ clearly
    x = torch.randn(T, B, I, requires_grad=True)
    h0 = torch.randn(B, H, requires_grad=True)
    out_ref = course_gru_reference(cell, x, h0)
    out, (h_T,) = cell.scan(x, (h0,))
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(h_T, out_ref[-1])
    g = torch.randn_like(out)
    wrt = [x, h0, cell.weight_ih, cell.weight_hh]
    for name, a, b in zip(("x", "h0", "weight_ih", "weight_hh"), torch.autograd.grad((out_ref * g).sum(), wrt),
                          torch.autograd.grad((out * g).sum(), wrt), strict=True):
        torch.testing.assert_close(b, a, msg=name)
    # and it is not torch's GRU (reset after the matmul, h = (1 − z)h̃ + z h) with the same weights
    ref = nn.GRU(I, H, bias=False)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(cell.weight_ih)
        ref.weight_hh_l0.copy_(cell.weight_hh)
    torch_out, _ = ref(x, h0.unsqueeze(0))
    assert (torch_out - out).abs().max() > 1e-2


@pytest.mark.parametrize("name", sorted(CELLS))
def test_symbol_ids_equal_one_hot_input(name):
    torch.manual_seed(4)
    cell = CELLS[name](6, H)
    tokens = torch.randint(0, 6, (T, B))
    one_hot = nn.functional.one_hot(tokens, 6).double()
    out_ids, _ = cell.scan(tokens)
    out_hot, _ = cell.scan(one_hot)
    torch.testing.assert_close(out_ids, out_hot)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_no_grad_path_equals_grad_path(name):
    torch.manual_seed(5)
    cell = CELLS[name](I, H)
    x = torch.randn(T, B, I)
    with torch.no_grad():
        a, _ = cell.scan(x)
    b, _ = cell.scan(x.requires_grad_())
    torch.testing.assert_close(a, b.detach())


def test_two_layer_stack_equals_torch_lstm():
    torch.manual_seed(6)
    ref = nn.LSTM(I, H, num_layers=2)
    stack = RecurrentStack("lstm", I, H, num_layers=2)
    for k, cell in enumerate(stack.cells):
        copy_from(cell, ref, f"_l{k}")
    x = torch.randn(T, B, I, requires_grad=True)
    out_ref, (_h_ref, c_ref) = ref(x)
    out, states = stack(x)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(torch.stack([s[1] for s in states]), c_ref)
    gx_ref, = torch.autograd.grad(out_ref.sum(), x)
    gx, = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(gx, gx_ref)


def test_classifier_reads_last_step_only():
    torch.manual_seed(7)
    model = SequenceClassifier("lstm", 10, 8, 10)
    tokens = torch.randint(0, 10, (4, 6))
    logits = model(tokens)
    assert logits.shape == (4, 10)
    out, _ = model.rnn(tokens.t())
    torch.testing.assert_close(logits, model.head(out[-1]))


def test_unknown_cell_is_a_config_error():
    from seqgraph.errors import ConfigError
    from seqgraph.nn.models import make_cell

    with pytest.raises(ConfigError, match="unknown model 'lstn'"):
        make_cell("lstn", 3, 4)


def test_forget_bias_sets_only_the_forget_rows():
    for name in ("lstm", "peep"):
        model = SequenceClassifier(name, 10, 6, 10, forget_bias=1.0)
        b = model.rnn.cells[0].bias.detach()
        assert torch.all(b[6:12] == 1.0)
        assert torch.all(b[:6].abs() < 1.0) and torch.all(b[12:].abs() < 1.0)
    gru = SequenceClassifier("gru", 10, 6, 10, forget_bias=1.0)  # no forget gate: unchanged
    assert torch.all(gru.rnn.cells[0].bias_ih.abs() <= 1 / 6 ** 0.5)


def test_time_gate_matches_the_piecewise_definition():
    tau, s, r_on = torch.tensor([6.0]), torch.tensor([3.0]), torch.tensor([0.2])
    # φ(t) = ((t − 3) mod 6)/6; open while φ < 0.2: rising until φ = 0.1, falling until 0.2
    cases = {3.0: 0.0, 3.3: 0.05 / 0.1, 3.6: 1.0, 3.9: 2 - 2 * 0.15 / 0.2, 4.2: 0.0, 5.0: 0.0, 9.0: 0.0,
             9.3: 0.5, 2.9: 0.0, 0.0: 0.0, 15.6: 1.0}
    for t, expected in cases.items():
        k = time_gate(torch.tensor([t]), tau, s, r_on)
        assert float(k) == pytest.approx(expected, abs=1e-9), t
    leaky = time_gate(torch.tensor([5.0]), tau, s, r_on, leak=0.01)
    assert float(leaky) == pytest.approx(0.01 * (2.0 / 6.0))


def test_time_gated_cell_with_k_one_is_the_plain_lstm():
    from seqgraph.nn.scan import scan

    torch.manual_seed(8)
    tg, plain = TimeGatedLSTMCell(I, H), LSTMCell(I, H)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias"):
            getattr(plain, name).copy_(getattr(tg, name))
    x = torch.randn(T, B, I, requires_grad=True)
    xp = tg.project(x)[0]
    ones = torch.ones(T, H, 1)
    z = torch.zeros(H, B)
    out_tg, _ = scan(tg, (xp, ones), tg.weight_hh, None, (z, z))
    out_plain, _ = plain.scan(x)
    torch.testing.assert_close(out_tg.transpose(1, 2), out_plain)
    g_tg, = torch.autograd.grad(out_tg.sum(), x)
    g_plain, = torch.autograd.grad(out_plain.sum(), x)
    torch.testing.assert_close(g_tg, g_plain)


def test_time_gate_closed_keeps_the_state():
    torch.manual_seed(9)
    tg = TimeGatedLSTMCell(I, H, learn_gate=False)
    with torch.no_grad():
        tg.tau.fill_(100.0)
        tg.shift.fill_(50.0)  # closed for t in [0, 50): k = 0
    h0, c0 = torch.randn(B, H), torch.randn(B, H)
    _, (h, c) = tg.scan(torch.randn(T, B, I), (h0, c0))
    torch.testing.assert_close(h, h0)
    torch.testing.assert_close(c, c0)
    assert "tau" not in dict(tg.named_parameters())


def test_registry_lists_every_cell_class():
    import inspect

    from seqgraph.nn import cells

    defined = {c for _, c in inspect.getmembers(cells, inspect.isclass)
               if issubclass(c, cells.RecurrentCell) and c is not cells.RecurrentCell}
    assert set(CELLS.values()) == defined


# --- many runs as one model: a leading run dimension K --------------------------------------

def _stack_of(singles, layers=1, **kw):
    first = singles[0]
    stack = SequenceClassifier(kw.pop("name"), 10, first.rnn.cells[0].hidden_size, 10,
                               layers, runs=len(singles), **kw)
    stack.load_state_dict({k: torch.stack([s.state_dict()[k] for s in singles]) for k in first.state_dict()})
    return stack


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("name", cell_names())
def test_k_runs_stacked_equal_k_models_alone(name, layers):
    """Forward and every parameter gradient of K stacked runs equal K separate models, also
    when the runs have different lengths (right-padded, each read at its own last step; a
    bidirectional model reverses each run within its own length)."""
    torch.manual_seed(10)
    K, Bk, Tk = 3, 4, 6
    singles = [SequenceClassifier(name, 10, H, 10, layers, forget_bias=1.0) for _ in range(K)]
    stack = _stack_of(singles, layers, name=name)
    lengths = torch.tensor([6, 3, 5])
    x, y = torch.randint(0, 10, (K, Bk, Tk)), torch.randint(0, 10, (K, Bk))
    logits = stack(x, final_at=lengths - 1)
    nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1).sum().backward()
    for k, single in enumerate(singles):
        alone = single(x[k, :, : lengths[k]])
        nn.functional.cross_entropy(alone, y[k]).backward()
        torch.testing.assert_close(logits[k], alone)
        for (pname, p), (_, q) in zip(single.named_parameters(), stack.named_parameters(), strict=True):
            torch.testing.assert_close(q.grad[k], p.grad, msg=f"{name}: {pname}")


@pytest.mark.parametrize("name", sorted(CELLS))
def test_hand_written_backward_with_runs_passes_gradcheck(name):
    torch.manual_seed(11)
    cell = CELLS[name](I, H, runs=2)
    x = torch.randn(4, 2, 3, I, requires_grad=True)  # (T, K, B, I)
    h0 = tuple(torch.randn(2, 3, H, requires_grad=True) for _ in range(cell.state_size))
    final_at = torch.tensor([3, 1])

    def f(x, *h):
        out, final = cell.scan(x, h)
        _, read = cell.scan(x, h, outputs=False, final_at=final_at)
        return (out, *final, *read)

    assert torch.autograd.gradcheck(f, (x, *h0))


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell])
def test_step_inference_equals_the_training_step(cls):
    """The sampling step (batch-major, torch.tanh, no cache) against the loop's step
    (feature-major, 2σ(2x) − 1) on the same pre-activations and state."""
    torch.manual_seed(0)
    cell = cls(4, 6).double()
    B = 3
    rec = torch.randn(B, cell.gates * 6, dtype=torch.float64)
    state = tuple(torch.randn(B, 6, dtype=torch.float64) for _ in range(cell.state_size))
    ref, _ = cell.step((rec.t().clone(),), rec.t().clone(), tuple(s.t() for s in state))
    ours = cell.step_inference(rec.clone(), state)
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b.t(), atol=1e-14, rtol=0)
