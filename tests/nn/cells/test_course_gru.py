"""The 2020 course's GRU against its equations written out with autograd (and unlike torch's)."""

import torch
from torch import nn

from seqgraph.nn.cells import CourseGRUCell

B, I, H, T = 3, 5, 4, 7


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
