"""minLSTM against its equations (Feng et al. 2024, §3.2 and appendix B.3) written out with nn.Linear."""

import pytest
import torch
from torch import nn

from seqgraph.nn.cells import MinLSTMCell

B, I, H, T = 3, 5, 4, 9


def g(x):
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def reference(lin_f, lin_i, lin_h, x, h):
    """f' = f / (f + i), i' = i / (f + i), h_t = f' h_{t−1} + i' g(Linear_h(x_t))."""
    out = []
    for x_t in x:
        f, i = torch.sigmoid(lin_f(x_t)), torch.sigmoid(lin_i(x_t))
        h = f / (f + i) * h + i / (f + i) * g(lin_h(x_t))
        out.append(h)
    return torch.stack(out)


@pytest.mark.parametrize("method", ["parallel", "sequential"])
def test_scan_equals_the_equations_with_copied_weights(method):
    torch.manual_seed(1)
    cell = MinLSTMCell(I, H)
    lins = [nn.Linear(I, H) for _ in range(3)]
    with torch.no_grad():  # rows f, i, h of weight_ih and bias
        for k, lin in enumerate(lins):
            lin.weight.copy_(cell.weight_ih[k * H:(k + 1) * H]), lin.bias.copy_(cell.bias[k * H:(k + 1) * H])
    x = 3 * torch.randn(T, B, I)
    h0 = torch.randn(B, H)
    out, (final,) = cell.scan(x, (h0,), method=method)
    want = reference(*lins, x, h0)
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(final, want[-1])
    (out * torch.cos(want.detach())).sum().backward()
    (want * torch.cos(want.detach())).sum().backward()
    torch.testing.assert_close(cell.weight_ih.grad, torch.cat([lin.weight.grad for lin in lins]))
    torch.testing.assert_close(cell.bias.grad, torch.cat([lin.bias.grad for lin in lins]))


def test_forget_bias_sets_the_forget_rows():
    cell = MinLSTMCell(I, H)
    cell.init_forget_bias(2.0)
    assert torch.equal(cell.bias[:H], torch.full((H,), 2.0))
