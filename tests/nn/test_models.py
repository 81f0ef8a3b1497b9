"""SequenceClassifier's encodings and initialisations, against torch references."""

import math

import pytest
import torch
from torch import nn

from seqgraph.nn.models import SequenceClassifier, kaiming_normal_init


def test_scalar_encoding_reads_the_symbol_as_one_float_like_the_course_templates():
    """The templates feed one float per step (input_dim = 1): nn.LSTM with copied weights on
    x = symbols as floats, shape (B, T, 1), is the reference."""
    torch.manual_seed(3)
    model = SequenceClassifier("lstm", 10, 8, 10, encoding="scalar").double()
    cell = model.rnn.cells[0]
    assert cell.weight_ih.shape == (32, 1)
    ref = nn.LSTM(1, 8, batch_first=True).double()
    with torch.no_grad():
        ref.weight_ih_l0.copy_(cell.weight_ih)
        ref.weight_hh_l0.copy_(cell.weight_hh)
        ref.bias_ih_l0.copy_(cell.bias)
        ref.bias_hh_l0.zero_()
    tokens = torch.randint(0, 10, (5, 7))
    out, _ = ref(tokens.double().unsqueeze(-1))
    expected = model.head(out[:, -1])
    torch.testing.assert_close(model(tokens), expected)


def test_scalar_and_onehot_differ_only_in_the_input_layer():
    a = SequenceClassifier("rnn", 3, 4, 2, encoding="onehot")
    b = SequenceClassifier("rnn", 3, 4, 2, encoding="scalar")
    assert a.rnn.cells[0].weight_ih.shape == (4, 3) and b.rnn.cells[0].weight_ih.shape == (4, 1)
    with pytest.raises(ValueError):
        SequenceClassifier("rnn", 3, 4, 2, encoding="embedding")


def test_kaiming_normal_matches_torch_init_and_zeroes_biases():
    torch.manual_seed(11)
    model = SequenceClassifier("lstm", 10, 64, 10)
    torch.manual_seed(5)
    kaiming_normal_init(model)
    torch.manual_seed(5)
    for name, p in model.named_parameters():
        if name.rpartition(".")[2].startswith("weight"):
            ref = torch.empty_like(p)
            nn.init.kaiming_normal_(ref)  # defaults: fan_in, leaky_relu with a = 0, i.e. gain √2
            torch.testing.assert_close(p.detach(), ref, rtol=0, atol=0)
        else:
            assert torch.all(p == 0), name
    w = model.rnn.cells[0].weight_hh.detach()  # (4·64, 64): std √(2/64)
    assert float(w.std()) == pytest.approx(math.sqrt(2 / 64), rel=0.05)


def test_kaiming_normal_then_forget_bias():
    model = SequenceClassifier("lstm", 10, 6, 10, forget_bias=1.0, init="kaiming-normal")
    b = model.rnn.cells[0].bias.detach()
    assert torch.all(b[6:12] == 1.0) and torch.all(b[:6] == 0) and torch.all(b[12:] == 0)


def test_kaiming_normal_keeps_the_time_gate_parameters():
    torch.manual_seed(2)
    plain = SequenceClassifier("tglstm", 10, 6, 10)
    torch.manual_seed(2)
    kaiming = SequenceClassifier("tglstm", 10, 6, 10, init="kaiming-normal")
    for name in ("tau", "shift", "r_on"):
        torch.testing.assert_close(getattr(kaiming.rnn.cells[0], name), getattr(plain.rnn.cells[0], name))


def test_t0_starts_the_time_gates_clock_later_which_is_shifting_s_back_by_one():
    """k(t) depends on t − s only: counting the first input as t = 1 (the 2018 course) is the
    cell counting from 0 with every shift s one less."""
    torch.manual_seed(4)
    course = SequenceClassifier("tglstm", 10, 6, 10, t0=1).double()
    shifted = SequenceClassifier("tglstm", 10, 6, 10).double()
    shifted.load_state_dict(course.state_dict())
    with torch.no_grad():
        shifted.rnn.cells[0].shift.sub_(1)
    tokens = torch.randint(0, 10, (4, 9))
    torch.testing.assert_close(course(tokens), shifted(tokens), rtol=1e-12, atol=1e-12)
    plain = SequenceClassifier("tglstm", 10, 6, 10).double()
    plain.load_state_dict(course.state_dict())
    assert not torch.allclose(course(tokens), plain(tokens))  # the clock matters
    lstm, lstm0 = SequenceClassifier("lstm", 10, 6, 10, t0=1), SequenceClassifier("lstm", 10, 6, 10)
    lstm0.load_state_dict(lstm.state_dict())
    torch.testing.assert_close(lstm(tokens), lstm0(tokens), rtol=0, atol=0)  # cells without a clock ignore it


# --- the bidirectional LSTM (--model bilstm) ---------------------------------------------------

def _copy_from_torch(stack, ref):
    """Our interleaved cells [forward 0, backward 0, forward 1, …] from torch's ``_l{k}`` and
    ``_l{k}_reverse`` weights; our one bias per gate is torch's bias_ih + bias_hh."""
    with torch.no_grad():
        for i, cell in enumerate(stack.cells):
            suffix = f"_l{i // 2}" + ("_reverse" if i % 2 else "")
            cell.weight_ih.copy_(getattr(ref, "weight_ih" + suffix))
            cell.weight_hh.copy_(getattr(ref, "weight_hh" + suffix))
            cell.bias.copy_(getattr(ref, "bias_ih" + suffix) + getattr(ref, "bias_hh" + suffix))


@pytest.mark.parametrize("layers", [1, 2])
def test_bilstm_equals_torch_bidirectional_lstm_values_and_gradients(layers):
    from seqgraph.nn.models import BidirectionalStack

    torch.manual_seed(21)
    I, H, T, B = 5, 4, 7, 3
    ref = nn.LSTM(I, H, num_layers=layers, bidirectional=True).double()
    stack = BidirectionalStack("bilstm", I, H, layers).double()
    _copy_from_torch(stack, ref)
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    out_ref, (h_ref, c_ref) = ref(x)
    out, states = stack(x)
    torch.testing.assert_close(out, out_ref, rtol=1e-12, atol=1e-12)
    for k, (h, c) in enumerate(states):  # per layer [forward; backward], torch's h_n rows 2k, 2k + 1
        torch.testing.assert_close(h, torch.cat([h_ref[2 * k], h_ref[2 * k + 1]], -1), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(c, torch.cat([c_ref[2 * k], c_ref[2 * k + 1]], -1), rtol=1e-12, atol=1e-12)
    _, last = stack(x, last_only=True)
    torch.testing.assert_close(last[-1][0], states[-1][0], rtol=0, atol=0)
    g = torch.randn_like(out)
    ours = [x] + [p for c in stack.cells for p in (c.weight_ih, c.weight_hh, c.bias)]
    theirs = [x] + [getattr(ref, f"{w}_l{i // 2}" + ("_reverse" if i % 2 else ""))
                    for i in range(2 * layers) for w in ("weight_ih", "weight_hh", "bias_ih")]
    loss_ref = (out_ref * g).sum() + (h_ref * h_ref).sum()  # through the outputs and the final states
    loss = (out * g).sum() + sum((s[0] * s[0]).sum() for s in states)
    for a, b in zip(torch.autograd.grad(loss_ref, theirs), torch.autograd.grad(loss, ours), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)


def bilstm_reference(model, tokens):
    """The biLSTM classifier written out with plain autograd from the course's LSTM equations
    (``uvadlc/uvadlc_practicals_2020`` ``assignment_2/2_recurrentnns_gnns/code/release/Part 1/bi_lstm.py``
    is a stub: a ``biLSTM(seq_length, input_dim, hidden_dim, num_classes, batch_size, device)``
    built from an ``LSTMCell`` whose ``forward(x, c, h)`` is left to the student):

        g = tanh(W_gx x + W_gh h + b_g), i, f, o = σ(W_·x x + W_·h h + b_·),
        c = g ⊙ i + c ⊙ f, h = tanh(c) ⊙ o                      (one LSTMCell step)
        h→ over x_1 … x_T, h← over x_T … x_1 (its own cell), zero initial states,
        p = W_ph [h→_T ; h←_1] + b_p.
    """
    H = model.rnn.cells[0].hidden_size
    x = nn.functional.one_hot(tokens, model.num_symbols).to(model.head.weight.dtype)  # (B, T, d)

    def run(cell, steps):
        h = c = x.new_zeros(x.shape[0], H)
        for t in steps:
            z = x[:, t] @ cell.weight_ih.T + h @ cell.weight_hh.T + cell.bias
            i, f, g, o = torch.sigmoid(z[:, :H]), torch.sigmoid(z[:, H:2 * H]), torch.tanh(z[:, 2 * H:3 * H]), \
                torch.sigmoid(z[:, 3 * H:])
            c = g * i + c * f
            h = torch.tanh(c) * o
        return h

    T = tokens.shape[1]
    h_fwd = run(model.rnn.cells[0], range(T))
    h_bwd = run(model.rnn.cells[1], range(T - 1, -1, -1))
    return torch.cat([h_fwd, h_bwd], 1) @ model.head.weight.T + model.head.bias


def test_bilstm_classifier_equals_its_equations_values_and_gradients():
    torch.manual_seed(22)
    model = SequenceClassifier("bilstm", 6, 5, 4).double()
    assert model.head.weight.shape == (4, 10) and len(model.rnn.cells) == 2
    tokens, y = torch.randint(0, 6, (3, 8)), torch.randint(0, 4, (3,))
    ref = bilstm_reference(model, tokens)
    logits = model(tokens)
    torch.testing.assert_close(logits, ref, rtol=1e-12, atol=1e-12)
    params = list(model.parameters())
    for a, b in zip(torch.autograd.grad(nn.functional.cross_entropy(ref, y), params),
                    torch.autograd.grad(nn.functional.cross_entropy(logits, y), params), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)
    # the backward direction matters: reversing the input changes the answer
    assert not torch.allclose(model(tokens.flip(1)), logits)


def test_reverse_runs_reverses_each_run_within_its_own_length():
    from seqgraph.nn.models import reverse_runs

    x = torch.arange(6).view(6, 1, 1).expand(6, 3, 2)  # (T, K, B): the step index everywhere
    final_at = torch.tensor([5, 2, 0])
    r = reverse_runs(x, final_at)
    assert r[:, 0, 0].tolist() == [5, 4, 3, 2, 1, 0]
    assert r[:, 1, 0].tolist() == [2, 1, 0, 3, 4, 5]  # padding stays after the run
    assert r[:, 2, 1].tolist() == [0, 1, 2, 3, 4, 5]
    assert torch.equal(reverse_runs(r, final_at), x)  # its own inverse
    assert torch.equal(reverse_runs(x, None), x.flip(0))
    f = torch.randn(6, 3, 2, 4)  # features follow their step
    assert torch.equal(reverse_runs(f, final_at)[:3, 1], f[:3, 1].flip(0))


@pytest.mark.parametrize("cell", ["lstm", "gru", "bilstm"])
def test_a_prediction_at_every_step_is_the_head_on_every_output(cell):
    """readout steps: p_t = W h_t + b from the stack's outputs; K runs equal each run alone
    (its slice of every parameter); features are read as (…, T, F)."""
    torch.manual_seed(0)
    K, B, T, F = 3, 4, 6, 2
    stacked = SequenceClassifier(cell, F, 5, 7, runs=K, encoding="features", readout="steps").double()
    x = torch.randn(K, B, T, F, dtype=torch.float64)
    out = stacked(x)
    assert out.shape == (K, B, T, 7)
    for k in range(K):
        one = SequenceClassifier(cell, F, 5, 7, encoding="features", readout="steps").double()
        one.load_state_dict({n: p[k] for n, p in stacked.state_dict().items()})
        h, _ = one.rnn(x[k].transpose(0, 1))  # (T, B, H) in the stack's own layout
        reference = h.transpose(0, 1) @ one.head.weight.T + one.head.bias
        torch.testing.assert_close(one(x[k]), reference)
        torch.testing.assert_close(out[k], reference)


def test_a_value_head_reads_features_at_the_last_step():
    torch.manual_seed(1)
    m = SequenceClassifier("lstm", 2, 6, 1, encoding="features").double()
    x = torch.randn(5, 8, 2, dtype=torch.float64)
    ref = torch.nn.LSTM(2, 6).double()
    cell = m.rnn.cells[0]
    with torch.no_grad():
        ref.weight_ih_l0.copy_(cell.weight_ih)
        ref.weight_hh_l0.copy_(cell.weight_hh)
        ref.bias_ih_l0.copy_(cell.bias)
        ref.bias_hh_l0.zero_()
    _, (h, _) = ref(x.transpose(0, 1))
    torch.testing.assert_close(m(x), h[0] @ m.head.weight.T + m.head.bias)
