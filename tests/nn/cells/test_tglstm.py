"""The time gate against its piecewise definition; the time-gated LSTM against the plain one."""

import pytest
import torch

from seqgraph.nn.cells import LSTMCell, TimeGatedLSTMCell, time_gate

B, I, H, T = 3, 5, 4, 7


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
