"""The course's peephole LSTM against its equations written out with autograd."""

import torch

from seqgraph.nn.cells import PeepholeLSTMCell

B, I, H, T = 3, 5, 4, 7


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
