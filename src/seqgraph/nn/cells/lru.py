"""The Linear Recurrent Unit (Orvieto et al. 2023): a complex diagonal recurrence, trained in parallel."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from seqgraph.nn.cells.base import ParallelScanCell
from seqgraph.nn.registry import LRU_DEFAULTS, check_lru_ring
from seqgraph.nn.scan import State


def _power_kernel(log_lam: Tensor, steps: int, start: int = 0) -> Tensor:
    r""":math:`\lambda^k = e^{k \log\lambda}` for k = start … start + steps − 1: ``([K,] H)`` → ``(steps, [K,] 1, H)``
    (a batch axis to broadcast over). Powers of |λ| < 1 only shrink: no overflow."""
    k = torch.arange(start, start + steps, device=log_lam.device, dtype=log_lam.real.dtype)
    return torch.exp(k.view(-1, *([1] * log_lam.dim())) * log_lam).unsqueeze(-2)


def causal_convolution(b: Tensor, kernel: Tensor) -> Tensor:
    r""":math:`x_t = \sum_{k=0}^{t} \kappa_k b_{t-k}` along dim 0, by FFT (zero-padded to a power of two
    ≥ 2T, so the circular convolution is the causal one): O(T log T) work, O(T·B·H) memory.

    Shapes:
        b ``(T, ...)`` complex; kernel ``(T, ...)`` broadcastable to b → ``(T, ...)``.
    """
    T = b.shape[0]
    n = 1 << (2 * T - 1).bit_length()
    return torch.fft.ifft(torch.fft.fft(b, n=n, dim=0) * torch.fft.fft(kernel, n=n, dim=0), dim=0)[:T]


class _RealScan(torch.autograd.Function):
    r"""x_t = λ x_{t−1} + b_t for a complex λ constant in time, in real arithmetic: one fused time loop
    of four ``addcmul`` per step, states stored as ``[Re x | Im x]`` ``(T, [K,] B, 2H)`` (what the
    readout's one matmul reads). Backward: the adjoint G_t = g_t + conj(λ) G_{t+1};
    ∂Re λ = Σ Re(G_t conj(x_{t−1})), ∂Im λ = Σ Im(G_t conj(x_{t−1})), ∂b_t = G_t, ∂x_0 = conj(λ) G_1."""

    @staticmethod
    def forward(ctx, b_re: Tensor, b_im: Tensor, lam_re: Tensor, lam_im: Tensor,
                x0_re: Tensor, x0_im: Tensor) -> Tensor:
        T, H = b_re.shape[0], b_re.shape[-1]
        x = torch.empty(*b_re.shape[:-1], 2 * H, dtype=b_re.dtype, device=b_re.device)
        x_re, x_im = x[..., :H], x[..., H:]
        re, im = x0_re, x0_im
        for t in range(T):
            torch.addcmul(b_re[t], lam_re, re, out=x_re[t]).addcmul_(lam_im, im, value=-1)
            torch.addcmul(b_im[t], lam_re, im, out=x_im[t]).addcmul_(lam_im, re)
            re, im = x_re[t], x_im[t]
        ctx.save_for_backward(lam_re, lam_im, x0_re, x0_im, x)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, g: Tensor) -> tuple[Tensor, ...]:
        lam_re, lam_im, x0_re, x0_im, x = ctx.saved_tensors
        T, H = x.shape[0], x.shape[-1] // 2
        G = torch.empty_like(x)
        G_re, G_im, g_re, g_im = G[..., :H], G[..., H:], g[..., :H], g[..., H:]
        c_re = torch.zeros_like(x0_re)  # conj(λ) G_{t+1}, real and imaginary parts
        c_im = torch.zeros_like(x0_im)
        for t in range(T - 1, -1, -1):
            torch.add(g_re[t], c_re, out=G_re[t])
            torch.add(g_im[t], c_im, out=G_im[t])
            c_re = torch.addcmul(lam_re * G_re[t], lam_im, G_im[t])
            c_im = torch.addcmul(lam_re * G_im[t], lam_im, G_re[t], value=-1)
        prev_re = torch.cat([x0_re.expand_as(G_re[0]).unsqueeze(0), x[:-1, ..., :H]])
        prev_im = torch.cat([x0_im.expand_as(G_im[0]).unsqueeze(0), x[:-1, ..., H:]])
        d_re = torch.addcmul(G_re * prev_re, G_im, prev_im).sum_to_size(lam_re.shape)
        d_im = torch.addcmul(G_im * prev_re, G_re, prev_im, value=-1).sum_to_size(lam_im.shape)
        return (G_re, G_im, d_re, d_im, c_re.sum_to_size(x0_re.shape), c_im.sum_to_size(x0_im.shape))


class LRUCell(ParallelScanCell):
    r"""Linear Recurrent Unit — Orvieto, Smith, Gu, Fernando, Gulcehre, Pascanu & De, *Resurrecting
    Recurrent Neural Networks for Long Sequences* (ICML 2023, arXiv:2303.06349), the layer of its
    appendix A (state size N = H):

    .. math::
        x_t = \Lambda x_{t-1} + \gamma \odot (B u_t),\quad y_t = \operatorname{Re}(C x_t) + D u_t,\quad
        \Lambda = \operatorname{diag}\big(e^{-e^{\nu} + i e^{\theta}}\big),\quad \gamma = e^{\gamma^{\log}}

    with complex B (H × I), C (H × H), real D (H × I; the paper's D is diagonal because its input and
    output sizes agree). Ring initialisation (Lemma 3.2): |λ| uniform on the ring of radii
    [r_min, r_max] (by area), phase uniform in [0, max_phase]; :math:`\gamma^{\log} = \log\sqrt{1 - |\lambda|^2}`
    (trained, as the paper's code); B ~ N(0, 1/(2I)), C ~ N(0, 1/H) per real and imaginary part, D ~ N(0, 1/I).

    Λ does not change with t, so the scan over a sequence is the causal convolution
    :math:`x_t = \sum_{k \le t} \lambda^k b_{t-k} + \lambda^{t+1} x_0` (:func:`causal_convolution`, by
    FFT: the parallel form, CUDA's default) or one fused time loop in real arithmetic (:class:`_RealScan`,
    the CPU's); sampling runs the recurrence step by
    step. The layer is linear in its input: the paper puts an MLP/GLU and a skip connection after each
    LRU; a seqgraph stack does not.

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H (output y and state size N).
        runs: K sets of weights stacked as one model (default None: a single run).
        r_min, r_max: the ring's radii, 0 ≤ r_min < r_max ≤ 1 (the paper's defaults 0 and 1).
        max_phase: largest initial phase (the paper's 6.28 ≈ 2π).

    Attributes:
        weight_ih ``(3H, I)``: rows Re B, Im B, D (one projection); weight_out ``(H, 2H)``: columns
        Re C, Im C; nu_log, theta_log, gamma_log ``(H,)``. No bias. With ``runs=K`` each gains a
        leading K.

    Shapes:
        state (y, Re x, Im x), each ``(B, H)``; y is the output (what the next layer and the head read);
        the recursion reads only x. ``forward``: input ``(B, I)``, state (zeros by default) → the new
        state; ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output y ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 3
    state_size = 3
    source_index = 1  # the recursion carries x (Re x, Im x); y is read out of it

    weight_out: Tensor
    nu_log: Tensor
    theta_log: Tensor
    gamma_log: Tensor

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None,
                 r_min: float = LRU_DEFAULTS["r_min"], r_max: float = LRU_DEFAULTS["r_max"],
                 max_phase: float = LRU_DEFAULTS["max_phase"]) -> None:
        check_lru_ring(r_min, r_max, max_phase)
        self.r_min, self.r_max, self.max_phase = r_min, r_max, max_phase
        super().__init__(input_size, hidden_size, runs)
        del self.bias
        H = hidden_size
        self.weight_out = nn.Parameter(torch.empty(*self._lead, H, 2 * H))
        for name in ("nu_log", "theta_log", "gamma_log"):
            self.register_parameter(name, nn.Parameter(torch.empty(*self._lead, H)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if "weight_out" not in self._parameters:  # the base class calls this before the LRU's own exist
            return
        H, I = self.hidden_size, self.input_size
        shape = (*self._lead, H)
        with torch.no_grad():
            u1 = torch.rand(shape).clamp_min(1e-12)
            u2 = torch.rand(shape).clamp_min(1e-12)
            nu_log = torch.log(-0.5 * torch.log(u1 * (self.r_max**2 - self.r_min**2) + self.r_min**2))
            self.nu_log.copy_(nu_log)
            self.theta_log.copy_(torch.log(self.max_phase * u2))
            modulus = torch.exp(-torch.exp(nu_log))
            self.gamma_log.copy_(0.5 * torch.log1p(-modulus.square()).clamp_min(-30.0))
            b = torch.randn(*self._lead, 2 * H, I) / math.sqrt(2 * I)
            d = torch.randn(*self._lead, H, I) / math.sqrt(I)
            self.weight_ih.copy_(torch.cat([b, d], -2))
            self.weight_out.copy_(torch.randn(*self._lead, H, 2 * H) / math.sqrt(H))

    def input_bias(self) -> Tensor | None:
        return None

    def grad_states(self) -> tuple[int, ...]:
        return (1, 2)  # x = Re x + i Im x

    def log_lambda(self) -> Tensor:
        r""":math:`\log\lambda = -e^{\nu} + i e^{\theta}`, complex ``([K,] H)``."""
        return torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log))

    def _gamma(self) -> Tensor:
        """γ, broadcastable over the batch: ``([K,] 1, H)`` (or ``(H,)`` for one run)."""
        g = torch.exp(self.gamma_log)
        return g.unsqueeze(-2) if g.dim() == 2 else g

    def _readout(self, x_re: Tensor, x_im: Tensor, du: Tensor) -> Tensor:
        """y = Re(C x) + D u = C_re x_re − C_im x_im + D u, any leading shape ``(..., [K,] B, H)``."""
        c_re, c_im = self.weight_out.chunk(2, -1)  # ([K,] H, H) each
        return torch.matmul(x_re, c_re.transpose(-1, -2)) - torch.matmul(x_im, c_im.transpose(-1, -2)) + du

    def scan_all(self, p: Tensor, state: State, method: str) -> State:
        bu_re, bu_im, du = p.chunk(3, -1)
        gamma = self._gamma()
        if method == "parallel":
            b = torch.complex(gamma * bu_re, gamma * bu_im)  # (T, [K,] B, H)
            log_lam = self.log_lambda()
            T = p.shape[0]
            x = causal_convolution(b, _power_kernel(log_lam, T))
            x = x + _power_kernel(log_lam, T, start=1) * torch.complex(state[1], state[2])  # λ^{t+1} x_0
            x_re, x_im = x.real, x.imag
            return self._readout(x_re, x_im, du), x_re, x_im
        r, phase = torch.exp(-torch.exp(self.nu_log)), torch.exp(self.theta_log)  # |λ|, arg λ
        lam_re, lam_im = r * torch.cos(phase), r * torch.sin(phase)
        if lam_re.dim() == 2:  # K runs: (K, 1, H) against states (K, B, H)
            lam_re, lam_im = lam_re.unsqueeze(-2), lam_im.unsqueeze(-2)
        x = _RealScan.apply(gamma * bu_re, gamma * bu_im, lam_re, lam_im, state[1], state[2])  # (T, …, 2H)
        c_re, c_im = self.weight_out.chunk(2, -1)
        y = torch.matmul(x, torch.cat([c_re, -c_im], -1).transpose(-1, -2)) + du  # Re(C x) + D u, one matmul
        H = self.hidden_size
        return y, x[..., :H], x[..., H:]

    def step_from(self, p: Tensor, state: State) -> State:
        bu_re, bu_im, du = p.chunk(3, -1)
        gamma = self._gamma()
        lam = torch.exp(self.log_lambda())
        lam_re, lam_im = lam.real, lam.imag
        if lam_re.dim() == 2:  # K runs: (K, 1, H) against states (K, B, H)
            lam_re, lam_im = lam_re.unsqueeze(-2), lam_im.unsqueeze(-2)
        _, x_re, x_im = state
        new_re = lam_re * x_re - lam_im * x_im + gamma * bu_re
        new_im = lam_re * x_im + lam_im * x_re + gamma * bu_im
        return self._readout(new_re, new_im, du), new_re, new_im

    def inference_step(self) -> Callable[[Tensor, State], State]:
        """:meth:`step_from` with λ, γ and the readout computed once (the weights are fixed while sampling)."""
        r, phase = torch.exp(-torch.exp(self.nu_log)), torch.exp(self.theta_log)
        lam_re, lam_im, gamma = r * torch.cos(phase), r * torch.sin(phase), self._gamma()
        if lam_re.dim() == 2:
            lam_re, lam_im = lam_re.unsqueeze(-2), lam_im.unsqueeze(-2)
        c_re, c_im = (c.transpose(-1, -2).contiguous() for c in self.weight_out.chunk(2, -1))

        def step(p: Tensor, state: State) -> State:
            bu_re, bu_im, du = p.chunk(3, -1)
            _, x_re, x_im = state
            re = torch.addcmul(torch.addcmul(gamma * bu_re, lam_re, x_re), lam_im, x_im, value=-1)
            im = torch.addcmul(torch.addcmul(gamma * bu_im, lam_re, x_im), lam_im, x_re)
            if re.dim() == 2:  # one run: y = D u + Re x C_reᵀ − Im x C_imᵀ in two addmm
                return torch.addmm(du, re, c_re).addmm_(im, c_im, alpha=-1), re, im
            return torch.matmul(re, c_re) - torch.matmul(im, c_im) + du, re, im

        return step

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, r_min={self.r_min}, r_max={self.r_max}, max_phase={self.max_phase}"
