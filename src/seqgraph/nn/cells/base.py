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

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.nn.linear_scan import scan_method
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

    def grad_states(self) -> tuple[int, ...]:
        """The state components ``seqgraph grads`` reports ‖∂L/∂s_t‖ of (their joint norm): the
        state the recursion carries, ``(source_index,)`` unless a cell says otherwise."""
        return (self.source_index,)

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


def _log_g(x: Tensor) -> Tensor:
    r"""log g(x) for the paper's :math:`g(x) = x + 0.5` (x ≥ 0), :math:`\sigma(x)` (x < 0): positive and
    continuous, so h̃ = g(·) has a logarithm (Feng et al. 2024, appendix B.3)."""
    return torch.where(x >= 0, (F.relu(x) + 0.5).log(), -F.softplus(-x))


def _g(x: Tensor) -> Tensor:
    """g(x) = x + 0.5 for x ≥ 0, σ(x) otherwise (see :func:`_log_g`)."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def _g_fast(x: Tensor) -> Tensor:
    """:func:`_g` as relu(x) + σ(min(x, 0)): the same numbers, without ``torch.where`` (whose CPU
    kernel, like every boolean op here, costs ~20× a sigmoid: PERF_NOTES)."""
    return torch.sigmoid(x.clamp_max(0)).add_(torch.relu(x))


def _g_and_grad(x: Tensor) -> tuple[Tensor, Tensor]:
    """g(x) and g'(x) = 1 for x ≥ 0, σ(x)(1 − σ(x)) otherwise, without booleans: with
    s = σ(min(x, 0)), g' = s(1 − s) + ¾·[x ≥ 0] (s = ½ where x ≥ 0) and [x ≥ 0] = clamp(sign x + 1, 0, 1)."""
    s = torch.sigmoid(x.clamp_max(0))
    g = torch.relu(x).add_(s)
    grad = torch.sign(x).add_(1).clamp_(0, 1).mul_(0.75).add_(s).addcmul_(s, s, value=-1)
    return g, grad


def _input_projection(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``W x_t + b`` for every step at once, batch-major: ``(T, B, I) -> (T, B, G)``; with K runs
    (``weight (K, G, I)``) ``(T, K, B, I) -> (T, K, B, G)``. Symbol ids ``(T, [K,] B)`` stand for
    one-hot vectors: they pick columns of W (an embedding lookup, the same numbers)."""
    w_t = weight.transpose(-1, -2)  # ([K,] I, G)
    if not x.is_floating_point():
        if weight.dim() == 3:  # run k's ids index rows k·I … k·I + I − 1 of the runs' tables laid end to end
            K, I = weight.shape[0], weight.shape[2]
            x = x + torch.arange(K, device=x.device).view(K, 1) * I
        out = F.embedding(x, w_t.reshape(-1, w_t.shape[-1]))
    elif weight.dim() == 2:  # one run: x Wᵀ + b in one addmm (a separate bias pass costs as much again)
        return F.linear(x, weight, bias)
    else:
        out = torch.matmul(x, w_t)  # (T, K, B, G): one broadcast (batched) matmul
    if bias is not None:
        out = out + (bias.unsqueeze(-2) if weight.dim() == 3 else bias)
    return out


class ParallelScanCell(RecurrentCell):
    r"""Base of the cells whose gates do not read the previous state (minGRU, minLSTM, LRU): every
    step's coefficients come from its input alone, so the recurrence is linear in the state and a
    whole sequence is one parallel scan over time instead of T dependent steps.

    A subclass supplies

    * ``scan_all(p, state, method)``: every state component at every step from the pre-activations
      ``p = W x + b`` of the whole sequence (the training path, with autograd), by a
      :mod:`seqgraph.nn.linear_scan` method: ``"parallel"`` (the paper's parallel form; CUDA's
      default) or ``"sequential"`` (one fused time loop; the CPU's default);
    * ``step_from(p_t, state)``: one step of the paper's sequential equations (sampling, ``grads``,
      and the reference the scans are tested against).

    There is no recurrent matmul: no ``weight_hh`` and no fused kernel. Tensors are batch-major,
    ``(T, [K,] B, ·)``, as :meth:`scan` returns them. ``scan(..., method="steps")`` runs the step
    loop with autograd instead (same numbers; the reference and the benchmark's baseline).
    """

    rec_gates = 0
    fused_mode = None

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None) -> None:
        super().__init__(input_size, hidden_size, runs)
        del self.weight_hh  # no recurrent matmul: the gates read x_t only

    def input_bias(self) -> Tensor | None:
        """The bias added to the input projection (None: the cell has none)."""
        return self.bias

    def preactivations(self, x: Tensor) -> Tensor:
        """``W x_t + b`` for all steps: ``(T, [K,] B, I)`` or ids ``(T, [K,] B)`` → ``(T, [K,] B, G·H)``."""
        return _input_projection(x, self.weight_ih, self.input_bias())

    def zero_state(self, p: Tensor) -> State:
        """The zero initial state for pre-activations ``p (T, [K,] B, G·H)``: each ``([K,] B, H)``."""
        z = p.new_zeros(*p.shape[1:-1], self.hidden_size)
        return tuple(z for _ in range(self.state_size))

    def scan_all(self, p: Tensor, state: State, method: str) -> State:
        """Each state component at steps 1 … T, each ``(T, [K,] B, H)``, from ``p (T, [K,] B, G·H)``
        and the initial ``state`` (each ``([K,] B, H)``), by ``method`` ("parallel" or "sequential")."""
        raise NotImplementedError

    def step_from(self, p: Tensor, state: State) -> State:
        """One step of the sequential equations: ``p ([K,] B, G·H)``, state → the new state."""
        raise NotImplementedError

    def inference_step(self) -> Callable[[Tensor, State], State]:
        """One step for sampling, ``p ([K,] B, G·H)``, state → the new state: :meth:`step_from`
        unless a cell precomputes what its fixed weights give every step, or fuses ops (at batch 1
        a step's cost is its number of ops)."""
        return self.step_from

    def scan(self, x: Tensor, hx: State | None = None, *, outputs: bool = True, t0: int = 0,
             final_at: Tensor | None = None, method: str | None = None) -> tuple[Tensor, State]:
        """As :meth:`RecurrentCell.scan` (``t0`` is unused: the cells do not read the clock).
        ``method``: "parallel" or "sequential" (default: by device, :func:`~seqgraph.nn.linear_scan.scan_method`),
        or "steps": the step loop (:meth:`step_from`) with autograd."""
        if final_at is not None and outputs:
            raise ValueError("final_at reads one step per run; ask for outputs=False")
        p = self.preactivations(x)
        state = self.zero_state(p) if hx is None else tuple(hx)
        if method != "steps":
            seqs = self.scan_all(p, state, scan_method(p, method))
        else:
            steps = []
            for p_t in p.unbind(0):
                state = self.step_from(p_t, state)
                steps.append(state)
            seqs = tuple(torch.stack(s) for s in zip(*steps, strict=True))
        if final_at is None:
            final = tuple(s[-1] for s in seqs)
        else:  # run k's state after step final_at[k]: (K, B, H) gathered along time
            index = final_at.view(1, -1, 1, 1).expand(1, *seqs[0].shape[1:])
            final = tuple(s.gather(0, index).squeeze(0) for s in seqs)
        return (seqs[0] if outputs else None), final  # type: ignore[return-value]
