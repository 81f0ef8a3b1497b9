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
