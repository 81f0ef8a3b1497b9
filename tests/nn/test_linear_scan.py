"""The two scans of h_t = a_t h_{t−1} + b_t against the recurrence written as a loop."""

import pytest
import torch

from seqgraph.nn import linear_scan
from seqgraph.nn.linear_scan import fused_scan, log_space_scan, scan_method

T, B, H = 11, 3, 4


def loop(a, b, h):
    out = []
    for a_t, b_t in zip(a, b, strict=True):
        h = a_t * h + b_t
        out.append(h)
    return torch.stack(out)


def coefficients(p):
    k, v = p.chunk(2, -1)
    return torch.sigmoid(k), v * v


def coefficient_grads(p, d_a, d_b, out):
    k, v = p.chunk(2, -1)
    s = torch.sigmoid(k)
    out[..., :H] = d_a * s * (1 - s)
    out[..., H:] = d_b * 2 * v


def test_log_space_scan_equals_the_loop():
    torch.manual_seed(0)
    log_a, log_b = -torch.rand(T, B, H, dtype=torch.float64) * 3, torch.randn(T, B, H, dtype=torch.float64)
    h0 = torch.randn(B, H, dtype=torch.float64)  # any sign
    torch.testing.assert_close(log_space_scan(log_a, log_b, h0), loop(log_a.exp(), log_b.exp(), h0))


@pytest.mark.parametrize("chunk", [1, 2 * B * H, 10**6])  # one step a block, blocks that do not divide T, one block
def test_fused_scan_equals_the_loop_with_gradients(monkeypatch, chunk):
    monkeypatch.setattr(linear_scan, "CHUNK_ELEMENTS", chunk)
    torch.manual_seed(1)
    p = torch.randn(T, B, 2 * H, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(B, H, dtype=torch.float64, requires_grad=True)
    w = torch.randn(T, B, H, dtype=torch.float64)
    ours = fused_scan(p, h0, coefficients, coefficient_grads)
    a, b = coefficients(p)
    want = loop(a, b, h0)
    torch.testing.assert_close(ours, want)
    g_ours = torch.autograd.grad((ours * w).sum(), (p, h0))
    g_want = torch.autograd.grad((want * w).sum(), (p, h0))
    for x, y in zip(g_ours, g_want, strict=True):
        torch.testing.assert_close(x, y)


def test_fused_scan_passes_gradcheck(monkeypatch):
    monkeypatch.setattr(linear_scan, "CHUNK_ELEMENTS", 2 * B * H)
    torch.manual_seed(2)
    p = torch.randn(5, B, 2 * H, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(B, H, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p, h: fused_scan(p, h, coefficients, coefficient_grads), (p, h0))


def test_the_method_follows_the_device_unless_given():
    x = torch.zeros(1)
    assert scan_method(x) == "sequential"
    assert scan_method(x, "parallel") == "parallel"
    with pytest.raises(ValueError, match="unknown scan method 'loop'"):
        scan_method(x, "loop")
