"""minGRU against its equations (Feng et al. 2024, §3.1 and appendix B.3) written out with nn.Linear."""

import pytest
import torch
from torch import nn

from seqgraph.nn.cells import MinGRUCell

B, I, H, T = 3, 5, 4, 9


def g(x):
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def reference(lin_z, lin_h, x, h):
    """h_t = (1 − z_t) h_{t−1} + z_t h̃_t, z_t = σ(Linear_z(x_t)), h̃_t = g(Linear_h(x_t))."""
    out = []
    for x_t in x:
        z = torch.sigmoid(lin_z(x_t))
        h = (1 - z) * h + z * g(lin_h(x_t))
        out.append(h)
    return torch.stack(out)


@pytest.mark.parametrize("method", ["parallel", "sequential"])
def test_scan_equals_the_equations_with_copied_weights(method):
    torch.manual_seed(0)
    cell = MinGRUCell(I, H)
    lin_z, lin_h = nn.Linear(I, H), nn.Linear(I, H)
    with torch.no_grad():  # rows z, h of weight_ih and bias
        lin_z.weight.copy_(cell.weight_ih[:H]), lin_z.bias.copy_(cell.bias[:H])
        lin_h.weight.copy_(cell.weight_ih[H:]), lin_h.bias.copy_(cell.bias[H:])
    x = 3 * torch.randn(T, B, I)  # both branches of g
    h0 = torch.randn(B, H)
    out, (final,) = cell.scan(x, (h0,), method=method)
    want = reference(lin_z, lin_h, x, h0)
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(final, want[-1])
    (out * torch.cos(want.detach())).sum().backward()
    (want * torch.cos(want.detach())).sum().backward()
    torch.testing.assert_close(cell.weight_ih.grad, torch.cat([lin_z.weight.grad, lin_h.weight.grad]))
    torch.testing.assert_close(cell.bias.grad, torch.cat([lin_z.bias.grad, lin_h.bias.grad]))


def test_parameters_are_two_linear_layers_and_no_recurrent_weight():
    cell = MinGRUCell(I, H)
    assert {n: tuple(p.shape) for n, p in cell.named_parameters()} == {"weight_ih": (2 * H, I), "bias": (2 * H,)}
