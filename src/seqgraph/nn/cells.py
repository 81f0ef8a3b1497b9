"""Recurrent cells written from their equations.

Conventions follow ``torch.nn``: ``weight_ih`` is ``(G·H, I)``, ``weight_hh`` is ``(R·H, H)``,
gates are stacked along the feature dimension and ``reset_parameters`` draws U(-1/√H, 1/√H).
With ``runs=K`` a cell holds K independent sets of weights stacked along a leading dimension
(``weight_ih (K, G·H, I)``, …) and reads inputs ``(T, K, B, I)``: K runs trained as one model. Cells whose
equations have one bias per gate (RNN, LSTM, peephole) hold a single ``bias`` — exactly the
course's parameter count; the GRU keeps torch's ``bias_ih`` and ``bias_hh`` because its
reset gate multiplies ``W_hn h + b_hn``.

Each cell provides:

* ``project(x)``: everything computable for all steps at once (one matmul), with autograd;
* ``step`` / ``step_backward``: the pointwise part of one step and its hand-derived
  gradient, run by :func:`seqgraph.nn.scan.scan` (the one time loop);
* ``forward(input, hx=None)``: a single step with torch's cell signature, for drop-in use.

Inside the loop tensors are feature-major, ``([K,] G·H, B)``; the step code slices gates along
dim −2, so the same lines serve one run and K runs.

tanh is computed as 2σ(2x) − 1: on the CPU build we measure, ``torch.tanh`` is ~4× slower
than ``torch.sigmoid`` (see PERF_NOTES); the identity is exact up to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.nn.scan import State, scan


def _tanh_(x: Tensor) -> Tensor:
    """In-place tanh(x) = 2σ(2x) − 1."""
    return x.mul_(2).sigmoid_().mul_(2).sub_(1)


def _tanh(x: Tensor) -> Tensor:
    """tanh(x) = 2σ(2x) − 1 into a new tensor."""
    return torch.mul(x, 2).sigmoid_().mul_(2).sub_(1)


def _one_minus_square(x: Tensor, out: Tensor | None = None) -> Tensor:
    """1 − x² (the derivative of tanh at its output), in one op."""
    return torch.addcmul(torch.ones_like(x) if out is None else out.fill_(1), x, x, value=-1,
                         out=out)


def _project(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``W x_t + b`` for every step at once, ``(T, B, I) -> (T, G, B)``; with K runs
    (``weight (K, G, I)``) ``(T, K, B, I) -> (T, K, G, B)``. ``bias`` None: no bias.

    Integer input ``(T, [K,] B)`` stands for one-hot vectors.
    """
    if bias is None:
        bias = weight.new_zeros(()).expand(weight.shape[:-1])
    if weight.dim() == 3:
        return _project_runs(x, weight, bias)
    if not x.is_floating_point():
        if not (torch.is_grad_enabled() and (weight.requires_grad or bias.requires_grad)):
            # W one_hot(ids) is W's columns: gather them (the very same numbers, without the matmul)
            T, B = x.shape
            out = weight.index_select(1, x.reshape(-1)).add_(bias.unsqueeze(1))  # (G, T·B)
            return out.view(-1, T, B).transpose(0, 1)
        x = F.one_hot(x, weight.shape[1]).to(weight.dtype)
    T, B, _ = x.shape
    if x.is_contiguous():
        # one (G, I) @ (I, T·B) matmul; the result is viewed as (T, G, B) without a copy
        out = torch.addmm(bias.unsqueeze(1), weight, x.view(T * B, -1).t())
        return out.view(-1, T, B).transpose(0, 1)
    # e.g. the (T, B, H) output of a previous layer, stored (T, H, B): batched matmul
    return torch.baddbmm(bias.unsqueeze(1), weight.expand(T, -1, -1), x.transpose(1, 2))


def _project_runs(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """K runs: one ``(K, G, I) @ (K, I, T·B)`` batched matmul, viewed as ``(T, K, G, B)``."""
    K, _, I = weight.shape
    T, B = x.shape[0], x.shape[2]
    if x.is_floating_point():  # (T, K, B, I), e.g. the output of a previous layer
        X = x.permute(1, 3, 0, 2).reshape(K, I, T * B)
    else:  # symbol ids (T, K, B): one-hot columns
        X = weight.new_zeros(K, I, T * B)
        X.scatter_(1, x.permute(1, 0, 2).reshape(K, 1, T * B), 1.0)
    out = torch.baddbmm(bias.unsqueeze(-1), weight, X)  # (K, G, T·B)
    return out.view(K, -1, T, B).permute(2, 0, 1, 3)


class RecurrentCell(nn.Module):
    """Base class: parameters, projection, and the glue to the time loop."""

    gates: int = 1  # G: input projection width is gates·H
    rec_gates: int = 1  # R: recurrent matmul width is rec_gates·H
    state_size: int = 1  # 1: (h,), 2: (h, c)
    source_index: int = 0  # which state the recurrent matmul reads (0: h, 1: c)
    rec_adds_input: bool = False  # rec_t arrives as xs_t[0] + W_hh s_{t-1} (one fused addmm)
    fused_mode: str | None = None  # torch's fused kernel that computes exactly this cell (seqgraph.nn.fused)
    # the pointwise step for sampling, batch-major, without the cache (RNNCell.step_inference);
    # None: the stepper runs the cell's own step
    step_inference: Callable[..., State] | None = None
    bias_hh: Tensor | None

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.runs = runs
        self._lead: tuple[int, ...] = () if runs is None else (runs,)
        H = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(*self._lead, self.gates * H, input_size))
        self.weight_hh = nn.Parameter(torch.empty(*self._lead, self.rec_gates * H, H))
        self.bias = nn.Parameter(torch.empty(*self._lead, self.gates * H))
        self.bias_hh = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forget_gate_rows(self) -> slice | None:
        """Rows of ``bias`` that feed the forget gate (None: the cell has none)."""
        return None

    def init_forget_bias(self, value: float) -> None:
        """Set the forget-gate bias (1.0 is the usual choice for learning long dependencies:
        Gers et al. 2000, Jozefowicz et al. 2015). No-op for cells without a forget gate."""
        rows = self.forget_gate_rows()
        if rows is not None:
            with torch.no_grad():
                self.bias[..., rows] = value

    # --- the pieces the time loop calls -------------------------------------------------
    def project(self, x: Tensor, t0: int = 0) -> tuple[Tensor, ...]:
        """Input projection for all steps, feature-major: ``(T, B, I) -> ((T, G·H, B),)``.
        ``t0`` is the time of the first step (used by time-dependent cells)."""
        return (_project(x, self.weight_ih, self.bias),)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        raise NotImplementedError

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        """Write dL/d(xs_t) into ``d_xs`` (and dL/d(rec_t) into ``d_rec`` unless it aliases
        ``d_xs``); return the gradient reaching the previous state through every path but
        the recurrent matmul (None for zero)."""
        raise NotImplementedError

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        """When dL/d(rec) equals (a slice of) dL/d(xp), return that view so it is not
        stored twice; None when the cell writes ``d_rec`` itself."""
        return d_seqs[0]

    def fused_weights(self) -> list[Tensor]:
        """``[W_ih, W_hh, b_ih, b_hh]`` as torch's fused kernels take them: the cell's single
        bias as ``b_ih`` and a zero ``b_hh`` (the sum is the same bias)."""
        return [self.weight_ih, self.weight_hh, self.bias, torch.zeros_like(self.bias)]

    def loop_weights(self) -> tuple[Tensor, tuple[Tensor, ...]]:
        """The weight of the loop's recurrent matmul, and the step weights (see
        :func:`seqgraph.nn.scan.scan`): ``weight_hh`` and none, unless a cell says otherwise."""
        return self.weight_hh, ()

    # --- user-facing --------------------------------------------------------------------
    def scan(self, x: Tensor, hx: State | None = None, *, outputs: bool = True, t0: int = 0,
             final_at: Tensor | None = None) -> tuple[Tensor, State]:
        """Run over a sequence: ``x (T, B, I)`` (or symbol ids ``(T, B)``, read as one-hot)
        → output ``(T, B, H)``, final state (each ``(B, H)``; zeros when ``hx`` is None).
        With K runs every shape gains a K after T (``x (T, K, B, I)``, state ``(K, B, H)``).
        With ``outputs=False`` only the final state is computed (output None); ``t0`` is the
        time of the first step (time-gated cells; 0 for a fresh sequence); ``final_at (K,)``
        returns each run's state after that step (see :func:`seqgraph.nn.scan.scan`).

        Inside the loop tensors are feature-major, ``(H, B)``: the recurrent matmuls
        ``W_hh (R, H) @ s (H, B)`` and their backward are ~1.5× faster on the CPU in that
        orientation, and gate chunks are contiguous. The returned tensors are transposed
        views.
        """
        lead = self.weight_hh.shape[:-2]
        if hx is None:
            z = self.weight_hh.new_zeros(*lead, self.hidden_size, x.shape[1 + len(lead)])
            state = tuple(z for _ in range(self.state_size))
        else:
            state = tuple(h.transpose(-1, -2).contiguous() for h in hx)
        weight_hh, step_weights = self.loop_weights()
        out, final = scan(self, self.project(x, t0), weight_hh, self.bias_hh, state, outputs=outputs,
                          final_at=final_at, step_weights=step_weights)
        out_t = out.transpose(-1, -2) if out is not None else None
        return out_t, tuple(h.transpose(-1, -2) for h in final)  # type: ignore[return-value]

    def forward(self, input: Tensor, hx: Tensor | State | None = None) -> Tensor | State:
        """One step, torch-style: ``input (B, I)``; returns h' (or (h', c'))."""
        if isinstance(hx, Tensor):
            hx = (hx,)
        _, state = self.scan(input.unsqueeze(0), hx)
        return state[0] if self.state_size == 1 else state

    def extra_repr(self) -> str:
        runs = f", runs={self.runs}" if self.runs is not None else ""
        return f"{self.input_size}, {self.hidden_size}{runs}"


class RNNCell(RecurrentCell):
    r"""Elman RNN: :math:`h_t = \tanh(W_{hx} x_t + W_{hh} h_{t-1} + b_h)`.

    Args:
        input_size: I. hidden_size: H.

    Shapes:
        input ``(B, I)``, hidden ``(B, H)``; ``scan``: ``(T, B, I)`` → ``(T, B, H)``.
    """

    rec_adds_input = True
    fused_mode = "rnn"

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        h = _tanh_(rec)
        return (h,), (h,)

    def step_inference(self, rec: Tensor, state: State, gates: tuple[Tensor, ...] | None = None) -> State:
        """:meth:`step` without the cache, for a few samples at a time (sampling), batch-major:
        pre-activations ``rec (B, G·H)`` (may be overwritten; ``gates``: its views per gate,
        when the caller keeps them) → the new state, in new tensors (``rec`` may be reused).
        ``torch.tanh``, which on tensors this small costs less than 2σ(2x) − 1 (equal up to
        rounding)."""
        return (rec.tanh(),)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = tanh(a), a = xp + W h_prev:  dL/da = dh ⊙ (1 − h²); the loop adds W_hhᵀ dL/da
        (h,) = cache
        dxp = d_xs[0]
        torch.mul(h, h, out=dxp)
        dxp.neg_().add_(1).mul_(d_state[0])  # dh · (1 − h²)
        return [None]


def _lstm_gates(gates: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Activate ``([K,] 4H, B)`` pre-activations in place (i, f, g, o): σ, σ, tanh, σ."""
    i, f, g, o = gates.chunk(4, -2)
    g.mul_(2)
    gates.sigmoid_()
    g.mul_(2).sub_(1)
    return i, f, g, o


def _lstm_gates_backward(gates: Tensor, d_gates: Tensor, dc: Tensor, c_prev: Tensor) -> Tensor:
    """Given dL/dc (through c = f·c_prev + i·g), write dL/d(pre-activation) of i, f, g into
    ``d_gates ([K,] 4H, B)`` — the caller has written dL/do into its o rows — and return
    dL/dc_prev through the forget path.

    c = f⊙c_prev + i⊙g:  dL/di = dc⊙g, dL/df = dc⊙c_prev, dL/dg = dc⊙i; then through the
    activations: σ'(a) = s(1 − s), tanh'(a) = 1 − g²; and dL/dc_prev = dc⊙f."""
    i, f, g, _o = gates.chunk(4, -2)
    di, df, dg, _do = d_gates.chunk(4, -2)
    torch.mul(dc, g, out=di)
    torch.mul(dc, c_prev, out=df)
    torch.mul(dc, i, out=dg)
    deriv = torch.addcmul(gates, gates, gates, value=-1)  # σ' = s(1 − s) for i, f, o
    _one_minus_square(g, out=deriv.chunk(4, -2)[2])  # tanh' = 1 − g²
    d_gates.mul_(deriv)
    return dc * f


class LSTMCell(RecurrentCell):
    r"""LSTM (gate order i, f, g, o as ``torch.nn.LSTMCell``):

    .. math::
        g = \tanh(W_{gx}x + W_{gh}h_{t-1} + b_g),\;
        i, f, o = \sigma(W_{\cdot x}x + W_{\cdot h}h_{t-1} + b_\cdot),\;
        c_t = g \odot i + c_{t-1} \odot f,\; h_t = \tanh(c_t) \odot o

    Args:
        input_size: I. hidden_size: H.

    Shapes:
        input ``(B, I)``; state (h, c) each ``(B, H)``.
    """

    gates = 4
    rec_gates = 4
    state_size = 2
    rec_adds_input = True
    fused_mode: str | None = "lstm"

    def forget_gate_rows(self) -> slice | None:
        return slice(self.hidden_size, 2 * self.hidden_size)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        c_prev = state[1]
        gates = rec
        i, f, g, o = _lstm_gates(gates)
        c = torch.addcmul(f * c_prev, i, g)
        tc = _tanh(c)
        h = o * tc
        return (h, c), (gates, c_prev, tc)

    def step_inference(self, rec: Tensor, state: State, gates: tuple[Tensor, ...] | None = None) -> State:
        """See :meth:`RNNCell.step_inference`: 6 small ops instead of :meth:`step`'s 12."""
        i, f, g, o = rec.chunk(4, -1) if gates is None else gates
        g = g.tanh()
        rec.sigmoid_()  # i, f, o (and the g rows, no longer read)
        c = torch.addcmul(f * state[1], i, g)
        return o * c.tanh(), c

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = o⊙tanh(c):  dL/do = dh⊙tanh(c);  dL/dc += dh⊙o⊙(1 − tanh²(c)); then the gates
        gates, c_prev, tc = cache
        dh, dc = d_state
        o = gates.chunk(4, -2)[3]
        torch.mul(dh, tc, out=d_xs[0].chunk(4, -2)[3])
        dc = torch.addcmul(dc, dh * o, _one_minus_square(tc))
        return [None, _lstm_gates_backward(gates, d_xs[0], dc, c_prev)]


class PeepholeLSTMCell(RecurrentCell):
    r"""The course's peephole LSTM: the gates read :math:`c_{t-1}` instead of :math:`h_{t-1}`.

    .. math::
        f, i, o = \sigma(W_{\cdot x}x + W_{\cdot h}c_{t-1} + b_\cdot),\;
        c_t = \sigma(W_{cx}x + b_c) \odot i + c_{t-1} \odot f,\; h_t = \tanh(c_t) \odot o

    Projection rows are ordered (i, f, o, c); ``weight_hh`` ``(3H, H)`` holds the peephole
    weights for (i, f, o).

    Shapes:
        input ``(B, I)``; state (h, c) each ``(B, H)``.
    """

    gates = 4
    rec_gates = 3
    state_size = 2
    source_index = 1

    def forget_gate_rows(self) -> slice | None:
        return slice(self.hidden_size, 2 * self.hidden_size)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        H = self.hidden_size
        c_prev = state[1]
        xp = xs[0]
        ifo = rec.add_(xp[..., : 3 * H, :]).sigmoid_()
        cand = torch.sigmoid(xp[..., 3 * H :, :])
        i, f, o = ifo.chunk(3, -2)
        c = torch.addcmul(f * c_prev, i, cand)
        tc = _tanh(c)
        h = o * tc
        return (h, c), (ifo, cand, c_prev, tc)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # c = f⊙c_prev + i⊙σ(a_c), h = o⊙tanh(c): the LSTM's chain rule with the candidate a
        # sigmoid; the gates' pre-activations also feed W_hh c_prev (added by the loop)
        H = self.hidden_size
        ifo, cand, c_prev, tc = cache
        dh, dc = d_state
        i, f, o = ifo.chunk(3, -2)
        dxp = d_xs[0]
        d_ifo, d_cand = dxp[..., : 3 * H, :], dxp[..., 3 * H :, :]
        di, df, do = d_ifo.chunk(3, -2)
        dc = torch.addcmul(dc, dh * o, _one_minus_square(tc))
        torch.mul(dc, cand, out=di)
        torch.mul(dc, c_prev, out=df)
        torch.mul(dh, tc, out=do)
        d_ifo.mul_(ifo - ifo * ifo)
        torch.mul(dc, i, out=d_cand)
        d_cand.mul_(cand - cand * cand)
        return [None, dc * f]

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        return d_seqs[0][..., : 3 * self.hidden_size, :]


class GRUCell(RecurrentCell):
    r"""GRU (as ``torch.nn.GRUCell``, gate order r, z, n):

    .. math::
        r = \sigma(W_{ir}x + b_{ir} + W_{hr}h + b_{hr}),\;
        z = \sigma(W_{iz}x + b_{iz} + W_{hz}h + b_{hz}),\;
        n = \tanh(W_{in}x + b_{in} + r \odot (W_{hn}h + b_{hn})),\;
        h_t = (1 - z) \odot n + z \odot h_{t-1}

    Shapes:
        input ``(B, I)``, hidden ``(B, H)``.
    """

    gates = 3
    rec_gates = 3
    fused_mode = "gru"

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None) -> None:
        super().__init__(input_size, hidden_size, runs)
        self.bias_ih = self.bias
        del self.bias
        self.bias_hh = nn.Parameter(torch.empty(*self._lead, 3 * hidden_size))
        self.reset_parameters()

    def project(self, x: Tensor, t0: int = 0) -> tuple[Tensor, ...]:
        return (_project(x, self.weight_ih, self.bias_ih),)

    def fused_weights(self) -> list[Tensor]:
        return [self.weight_ih, self.weight_hh, self.bias_ih, cast(Tensor, self.bias_hh)]

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        H = self.hidden_size
        xp = xs[0]
        h_prev = state[0]
        rz = torch.add(xp[..., : 2 * H, :], rec[..., : 2 * H, :]).sigmoid_()
        r, z = rz.chunk(2, -2)
        rec_n = rec[..., 2 * H :, :]
        n = _tanh_(torch.addcmul(xp[..., 2 * H :, :], r, rec_n))
        h = torch.addcmul(n, z, h_prev - n)
        return (h,), (rz, n, rec_n, h_prev)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = (1 − z)⊙n + z⊙h_prev, n = tanh(a_n + r⊙rec_n):  dL/da_n = dh⊙(1 − z)⊙(1 − n²),
        # dL/dr = dL/da_n⊙rec_n, dL/dz = dh⊙(h_prev − n); rec gets (dL/da_r, dL/da_z, dL/da_n⊙r)
        H = self.hidden_size
        rz, n, rec_n, h_prev = cache
        r, z = rz.chunk(2, -2)
        dh = d_state[0]
        dxp = d_xs[0]
        dr, dz, dn = dxp.chunk(3, -2)
        torch.mul(dh, 1 - z, out=dn)
        dn.mul_(_one_minus_square(n))  # through tanh
        torch.mul(dn, rec_n, out=dr)
        torch.mul(dh, h_prev - n, out=dz)
        d_rz = dxp[..., : 2 * H, :]
        d_rz.mul_(rz - rz * rz)
        d_rec[..., : 2 * H, :].copy_(d_rz)
        torch.mul(dn, r, out=d_rec[..., 2 * H :, :])
        return [dh * z]

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        return None


class CourseGRUCell(RecurrentCell):
    r"""The 2020 course's GRU (``uvadlc/uvadlc_practicals_2020``, ``assignment_2.pdf``, eqs. 29–32,
    as quoted in issue #10): no biases, and the reset gate scales :math:`h_{t-1}` *before* the
    candidate's matmul.

    .. math::
        z_t = \sigma(W_z [h_{t-1}, x_t]),\;
        r_t = \sigma(W_r [h_{t-1}, x_t]),\;
        \tilde h_t = \tanh(W_{hx} x_t + U_h (r_t \odot h_{t-1})),\;
        h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t

    It differs from ``torch.nn.GRUCell`` (:class:`GRUCell`) in three ways: torch applies r
    *after* the matmul (:math:`r \odot (W_{hn} h + b_{hn})`), has biases (two sets), and mixes
    the other way round, :math:`h_t = (1 - z) \odot \tilde h + z \odot h_{t-1}`.

    Rows are ordered (r, z, n) as torch's: ``weight_ih`` ``(3H, I)`` holds
    :math:`W_{rx}, W_{zx}, W_{hx}`, ``weight_hh`` ``(3H, H)`` holds :math:`W_{rh}, W_{zh}, U_h`.
    The loop's recurrent matmul is the first 2H rows; :math:`U_h` is a step weight.

    Shapes:
        input ``(B, I)``, hidden ``(B, H)``.
    """

    gates = 3
    rec_gates = 3

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None) -> None:
        super().__init__(input_size, hidden_size, runs)
        del self.bias  # the course's equations have no biases

    def project(self, x: Tensor, t0: int = 0) -> tuple[Tensor, ...]:
        return (_project(x, self.weight_ih, None),)

    def loop_weights(self) -> tuple[Tensor, tuple[Tensor, ...]]:
        H = self.hidden_size
        return self.weight_hh[..., : 2 * H, :], (self.weight_hh[..., 2 * H :, :],)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        H = self.hidden_size
        xp, u = xs  # u = U_h ([K,] H, H)
        h_prev = state[0]
        rz = rec.add_(xp[..., : 2 * H, :]).sigmoid_()
        r, z = rz.chunk(2, -2)
        rh = r * h_prev
        n = _tanh_(torch.matmul(u, rh).add_(xp[..., 2 * H :, :]))
        h = torch.addcmul(h_prev, z, n - h_prev)
        return (h,), (rz, n, rh, h_prev, u)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = h_prev + z⊙(n − h_prev), n = tanh(a_n), a_n = xp_n + U (r⊙h_prev), [a_r; a_z] = xp_rz + W h_prev:
        #   dL/da_n = dh⊙z⊙(1 − n²);  dL/da_z = dh⊙(n − h_prev)⊙z(1 − z);
        #   dL/d(r⊙h_prev) = Uᵀ dL/da_n;  dL/da_r = that⊙h_prev⊙r(1 − r);  dL/dU += dL/da_n (r⊙h_prev)ᵀ;
        #   dL/dh_prev = dh⊙(1 − z) + r⊙Uᵀ dL/da_n  (+ Wᵀ [dL/da_r; dL/da_z], added by the loop)
        rz, n, rh, h_prev, u = cache
        r, z = rz.chunk(2, -2)
        dh = d_state[0]
        dxp, du = d_xs
        dr, dz, dn = dxp.chunk(3, -2)
        torch.mul(dh, z, out=dn)
        dn.mul_(_one_minus_square(n))  # dL/da_n
        d_rh = torch.matmul(u.transpose(-1, -2), dn)
        du.add_(torch.matmul(dn, rh.transpose(-1, -2)))
        torch.mul(d_rh, h_prev, out=dr)
        torch.mul(dh, n - h_prev, out=dz)
        d_rz = dxp[..., : 2 * self.hidden_size, :]
        d_rz.mul_(rz - rz * rz)
        return [torch.addcmul(dh - dh * z, d_rh, r)]

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        return d_seqs[0][..., : 2 * self.hidden_size, :]


def time_gate(t: Tensor, tau: Tensor, shift: Tensor, r_on: Tensor, leak: float = 0.0) -> Tensor:
    r"""The Phased-LSTM openness :math:`k(t)` per unit.

    .. math::
        \phi = \frac{(t - s) \bmod \tau}{\tau},\quad
        k = \begin{cases} 2\phi / r_{on} & \phi < r_{on}/2 \\
                          2 - 2\phi / r_{on} & r_{on}/2 \le \phi < r_{on} \\
                          \alpha \phi & \text{otherwise (leak } \alpha\text{)} \end{cases}

    Shapes:
        t ``(T,)``; tau, shift, r_on ``([K,] H)`` → k ``(T, [K,] H)``. Differentiable in τ, s, r_on.
    """
    t = t.to(tau.dtype).view(-1, *([1] * tau.dim()))
    phi = torch.remainder(t - shift, tau) / tau
    rising = 2 * phi / r_on
    return torch.where(phi < r_on / 2, rising, torch.where(phi < r_on, 2 - rising, leak * phi))


class TimeGatedLSTMCell(LSTMCell):
    r"""The 2018 course's time-gated LSTM (a Phased-LSTM time gate on a plain LSTM):

    .. math::
        \tilde c_t = g \odot i + c_{t-1} \odot f,\;
        c_t = k_t \odot \tilde c_t + (1 - k_t) \odot c_{t-1},\;
        \tilde h_t = \tanh(c_t) \odot o,\;
        h_t = k_t \odot \tilde h_t + (1 - k_t) \odot h_{t-1}

    with :math:`k_t` from :func:`time_gate`. Per-unit period τ (log-uniform in [2, 20]), shift
    s (uniform in [0, τ)) and open ratio r_on (0.1) are parameters, or fixed buffers with
    ``learn_gate=False``. With k ≡ 1 it is exactly :class:`LSTMCell`.

    Args:
        input_size: I. hidden_size: H. learn_gate: learn τ, s, r_on (True).
        r_on: initial open ratio (0.1). leak: α in the closed phase (0).

    Shapes:
        input ``(B, I)``; state (h, c) each ``(B, H)``.
    """

    fused_mode = None  # the time gate has no fused kernel
    step_inference = None  # type: ignore[assignment]  # LSTMCell's would leave out the time gate

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None, learn_gate: bool = True,
                 r_on: float = 0.1, leak: float = 0.0) -> None:
        self.learn_gate, self.r_on_init, self.leak = learn_gate, r_on, leak
        super().__init__(input_size, hidden_size, runs)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in (self.weight_ih, self.weight_hh, self.bias):
            nn.init.uniform_(p, -bound, bound)
        shape = (*self._lead, self.hidden_size)
        tau = torch.empty(shape).uniform_(math.log(2.0), math.log(20.0)).exp()
        gate = {"tau": tau, "shift": torch.rand(shape) * tau, "r_on": torch.full(shape, self.r_on_init)}
        for name, value in gate.items():
            if name in self._parameters or name in self._buffers:
                with torch.no_grad():
                    getattr(self, name).copy_(value)
            elif self.learn_gate:
                self.register_parameter(name, nn.Parameter(value))
            else:
                self.register_buffer(name, value)

    tau: Tensor
    shift: Tensor
    r_on: Tensor

    def project(self, x: Tensor, t0: int = 0) -> tuple[Tensor, ...]:
        t = torch.arange(t0, t0 + x.shape[0], device=x.device)
        k = time_gate(t, self.tau, self.shift, self.r_on, self.leak)  # (T, [K,] H)
        return (_project(x, self.weight_ih, self.bias), k.unsqueeze(-1))  # k: (T, [K,] H, 1)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        k = xs[1]  # ([K,] H, 1)
        h_prev, c_prev = state
        gates = rec
        i, f, g, o = _lstm_gates(gates)
        c_hat = torch.addcmul(f * c_prev, i, g)
        c = torch.addcmul(c_prev, k, c_hat - c_prev)
        tc = _tanh(c)
        h_hat = o * tc
        h = torch.addcmul(h_prev, k, h_hat - h_prev)
        return (h, c), (gates, c_prev, c_hat, tc, h_hat, h_prev, k)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = h_prev + k⊙(ĥ − h_prev), c = c_prev + k⊙(ĉ − c_prev): dL/dĥ = dh⊙k,
        # dL/dk = Σ_B dh⊙(ĥ − h_prev) + dc⊙(ĉ − c_prev); the rest is the LSTM's chain rule on ĉ, ĥ
        gates, c_prev, c_hat, tc, h_hat, h_prev, k = cache
        dh, dc = d_state
        o = gates.chunk(4, -2)[3]
        dh_hat = dh * k
        dk = dh * (h_hat - h_prev)
        torch.mul(dh_hat, tc, out=d_xs[0].chunk(4, -2)[3])  # dL/do
        dc = torch.addcmul(dc, dh_hat * o, _one_minus_square(tc))
        dk.addcmul_(dc, c_hat - c_prev)
        dc_hat = dc * k
        dc_prev = dc - dc_hat + _lstm_gates_backward(gates, d_xs[0], dc_hat, c_prev)
        d_xs[1].copy_(dk.sum(-1, keepdim=True))
        return [dh - dh_hat, dc_prev]
