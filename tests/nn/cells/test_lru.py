"""The LRU against its equations (Orvieto et al. 2023, eq. (7) and appendix A) in complex numbers."""

import math

import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.nn.cells import LRUCell

B, I, H, T = 3, 5, 4, 9


def reference(cell, u, x0):
    """x_t = Λ x_{t−1} + γ ⊙ (B u_t), y_t = Re(C x_t) + D u_t, Λ = diag(exp(−exp ν + i exp θ))."""
    w = cell.weight_ih
    Bc = torch.complex(w[:H], w[H:2 * H])
    D = w[2 * H:]
    C = torch.complex(cell.weight_out[:, :H], cell.weight_out[:, H:])
    lam = torch.exp(torch.complex(-torch.exp(cell.nu_log), torch.exp(cell.theta_log)))
    gamma = torch.exp(cell.gamma_log)
    x, ys, xs = x0, [], []
    for u_t in u:
        x = lam * x + gamma * (u_t.to(Bc.dtype) @ Bc.T)
        ys.append((x @ C.T).real + u_t @ D.T)
        xs.append(x)
    return torch.stack(ys), torch.stack(xs)


@pytest.mark.parametrize("method", ["parallel", "sequential", "steps"])
def test_scan_equals_the_complex_equations(method):
    torch.manual_seed(2)
    cell = LRUCell(I, H, r_min=0.4, r_max=0.95)
    u = torch.randn(T, B, I)
    x0 = torch.complex(torch.randn(B, H), torch.randn(B, H))
    y, (y_T, re_T, im_T) = cell.scan(u, (torch.zeros(B, H), x0.real, x0.imag), method=method)
    want_y, want_x = reference(cell, u, x0)
    torch.testing.assert_close(y, want_y)
    torch.testing.assert_close(torch.complex(re_T, im_T), want_x[-1])
    torch.testing.assert_close(y_T, want_y[-1])
    ps = list(cell.parameters())
    ours = torch.autograd.grad((y * torch.cos(want_y.detach())).sum(), ps)
    theirs = torch.autograd.grad((want_y * torch.cos(want_y.detach())).sum(), ps)
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b)


def test_ring_initialisation():
    """|λ| on the ring [r_min, r_max], phase in [0, max_phase], γ = √(1 − |λ|²) (Lemma 3.2)."""
    torch.manual_seed(3)
    cell = LRUCell(I, 4096, r_min=0.5, r_max=0.9, max_phase=math.pi / 4)
    lam = torch.exp(cell.log_lambda())
    r, phase = lam.abs(), lam.angle()
    assert 0.5 - 1e-9 <= r.min() and r.max() <= 0.9 + 1e-9
    assert 0 <= phase.min() and phase.max() <= math.pi / 4 + 1e-9
    torch.testing.assert_close(torch.exp(cell.gamma_log), torch.sqrt(1 - r**2))
    # uniform on the ring by area: P(|λ|² ≤ m) = (m − r_min²) / (r_max² − r_min²); at the middle 1/2
    mid = (0.5**2 + 0.9**2) / 2
    assert abs((r**2 <= mid).double().mean().item() - 0.5) < 0.03


@pytest.mark.parametrize(("r_min", "r_max", "max_phase"), [(0.5, 0.5, 1.0), (-0.1, 0.9, 1.0), (0.2, 1.2, 1.0),
                                                            (0.2, 0.9, 0.0), (0.2, 0.9, 7.0)])
def test_bad_ring_is_a_config_error(r_min, r_max, max_phase):
    with pytest.raises(ConfigError, match="lru"):
        LRUCell(I, H, r_min=r_min, r_max=r_max, max_phase=max_phase)
