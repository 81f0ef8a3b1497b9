"""Stacks of recurrent layers and the models built on them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.nn.cells import ParallelScanCell, RecurrentCell
from seqgraph.nn.fused import auto_kernel, fused_scan
from seqgraph.nn.registry import cell_class, cell_options, directions
from seqgraph.nn.scan import State


def make_cell(name: str, input_size: int, hidden_size: int, runs: int | None = None,
              **options: Any) -> RecurrentCell:
    """A cell by registry name (see :mod:`seqgraph.nn.registry`); ``options`` go to the cells
    that take them (``learn_gate`` for ``tglstm``); ``runs=K`` stacks K independent cells."""
    return cell_class(name)(input_size, hidden_size, runs, **cell_options(name, options))


def kaiming_normal_init(module: nn.Module) -> None:
    r"""He et al. (2015) normal initialisation as ``torch.nn.init.kaiming_normal_`` with its
    defaults (fan_in, gain √2): every parameter named ``weight*`` ~ :math:`N(0, 2/\text{fan\_in})`
    with fan_in its last dimension (so K stacked runs draw as K single ones); every ``bias*`` 0.
    Other parameters (the time gate's τ, s, r_on) keep their initialisation."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            leaf = name.rpartition(".")[2]
            if leaf.startswith("weight"):
                p.normal_(0.0, math.sqrt(2.0 / p.shape[-1]))
            elif leaf.startswith("bias"):
                p.zero_()


class RunLinear(nn.Module):
    r"""K independent linear layers applied at once: :math:`y_k = x_k W_k^T + b_k`.

    Parameter names and per-run shapes are ``nn.Linear``'s, so run k of a stack and a plain
    ``nn.Linear`` exchange weights by indexing: ``weight[k]``, ``bias[k]``.

    Shapes:
        weight ``(K, out, in)``, bias ``(K, out)``; input ``(K, B, in)`` → ``(K, B, out)``.
    """

    def __init__(self, in_features: int, out_features: int, runs: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(runs, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(runs, out_features))
        bound = 1.0 / math.sqrt(in_features)  # nn.Linear's default initialisation
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))


class RecurrentStack(nn.Module):
    """``num_layers`` cells of one kind, each run over the whole sequence in turn.

    Args:
        cell: cell name. input_size: I. hidden_size: H. num_layers: L (1).
        dropout: dropout on the outputs of every layer but the last (0).
        cell_options: extra arguments for the cells (``learn_gate`` for ``tglstm``).
        runs: K independent stacks trained as one (None: a plain stack).
        kernel: ``seqgraph`` (the hand-written loop), ``fused`` (torch's fused kernel on
            these parameters: rnn, lstm, gru; one run) or ``auto`` (per call, by device and
            batch: :func:`seqgraph.nn.fused.auto_kernel`; K > 1 stacked runs: ``seqgraph``).

    Shapes:
        input ``(T, [K,] B, I)`` → output ``(T, [K,] B, H)``; state: one tuple per layer.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, cell_options: dict[str, Any] | None = None,
                 runs: int | None = None, kernel: str = "seqgraph") -> None:
        super().__init__()
        self.cells = nn.ModuleList(
            make_cell(cell, input_size if i == 0 else hidden_size, hidden_size, runs, **(cell_options or {}))
            for i in range(num_layers)
        )
        self.dropout = dropout
        self.hidden_size = hidden_size
        self.kernel = ""
        self.set_kernel(kernel)

    def set_kernel(self, kernel: str) -> None:
        """Run on ``seqgraph``'s loop, the ``fused`` kernel (same parameters, same results up to
        rounding) or ``auto``."""
        first = cast(RecurrentCell, self.cells[0])
        if kernel == "fused":
            if first.fused_mode is None:
                raise ValueError(f"{type(first).__name__} has no fused kernel")
            if first.runs not in (None, 1):
                raise ValueError("the fused kernel runs one model, not K stacked runs")
        elif kernel not in ("seqgraph", "auto"):
            raise ValueError(f"unknown kernel {kernel!r}")
        self.kernel = kernel

    def path(self, x: Tensor, final_at: Tensor | None = None) -> str:
        """The kernel a call on input ``x`` runs on: ``seqgraph`` or ``fused``."""
        if self.kernel != "auto":
            return self.kernel
        first = cast(RecurrentCell, self.cells[0])
        if first.runs not in (None, 1) or final_at is not None:
            return "seqgraph"
        return auto_kernel(first.fused_mode, x.device, x.shape[1 if first.runs is None else 2])

    def forward(self, x: Tensor, hx: list[State] | None = None, *, last_only: bool = False, t0: int = 0,
                final_at: Tensor | None = None) -> tuple[Tensor, list[State]]:
        """Returns the last layer's output ``(T, [K,] B, H)`` (None with ``last_only``, when
        only the final states are wanted) and each layer's final state. ``t0``: time of the
        first step (time-gated cells); ``final_at (K,)``: the step each run's final state is
        read at (with ``last_only``; lower layers still run every step)."""
        if self.path(x, final_at) == "fused":
            if final_at is not None:
                raise ValueError("the fused kernel reads every run at its last step (no final_at)")
            return self._fused(x, hx, last_only)
        states: list[State] = []
        last = len(self.cells) - 1
        for i, module in enumerate(self.cells):
            cell = cast(RecurrentCell, module)
            if i > 0 and self.dropout > 0:
                x = F.dropout(x, self.dropout, self.training)
            top = last_only and i == last
            x, state = cell.scan(x, None if hx is None else hx[i], outputs=not top, t0=t0,
                                 final_at=final_at if top else None)
            states.append(state)
        return x, states

    @torch.no_grad()
    def stepper(self) -> Callable[[Tensor, list[State], int], tuple[Tensor, list[State]]]:
        """One time step at a time, for inference (sampling one character after another).

        Returns ``step(x, state, t=0)``, without gradients; ``t`` is the step's time
        (time-gated cells). No loop bookkeeping: the weights are laid out for it once, here,
        so call ``stepper`` again after they change. One plain stack (no K runs; no dropout:
        eval mode). The states it returns are new tensors, never overwritten by later steps.

        Shapes:
            x: symbol ids ``(B,)`` or inputs ``(B, I)``; state: a tuple per layer, each tensor
            ``(B, H)`` (as :meth:`forward` returns them) → the top layer's h ``(B, H)`` and
            the new states."""
        if cast(RecurrentCell, self.cells[0]).runs is not None:
            raise ValueError("stepper runs one plain stack, not K runs")
        layers = [_layer_stepper(cast(RecurrentCell, c)) for c in self.cells]

        def step(x: Tensor, state: list[State], t: int = 0) -> tuple[Tensor, list[State]]:
            if torch.is_grad_enabled():  # (a decorator would cost every step ~10% in sampling)
                with torch.no_grad():
                    return step(x, state, t)
            new = []
            for layer, layer_state in zip(layers, state, strict=True):
                layer_state = layer(x, layer_state, t)
                new.append(layer_state)
                x = layer_state[0]
            return x, new

        return step

    def _fused(self, x: Tensor, hx: list[State] | None, last_only: bool) -> tuple[Tensor, list[State]]:
        cells = [cast(RecurrentCell, c) for c in self.cells]
        mode = cast(str, cells[0].fused_mode)
        stacked = cells[0].runs is not None  # K = 1: the kernel runs on the run's views
        weights = [[w[0] if stacked else w for w in c.fused_weights()] for c in cells]
        if stacked:
            x = x.squeeze(1)
            hx = None if hx is None else [tuple(s.squeeze(0) for s in layer) for layer in hx]
        if self.dropout == 0 or not self.training:
            out, states = fused_scan(mode, x, weights, hx, self.hidden_size)
        else:  # layer by layer, with the same dropout calls as the loop
            states = []
            for i, w in enumerate(weights):
                if i > 0:
                    x = F.dropout(_loop_layout(x), self.dropout, self.training)
                x, layer_state = fused_scan(mode, x, [w], None if hx is None else [hx[i]], self.hidden_size)
                states += layer_state
            out = x
        if self.dropout > 0 and self.training:  # a caller's dropout on the output draws the loop's masks too
            out = _loop_layout(out)
        if stacked:
            out = out.unsqueeze(1)
            states = [tuple(s.unsqueeze(0) for s in layer) for layer in states]
        return (None if last_only else out), states  # type: ignore[return-value]


def _layer_stepper(cell: RecurrentCell) -> Callable[[Tensor, State, int], State]:
    """One layer's step for :meth:`RecurrentStack.stepper`, batch-major: ids ``(B,)`` or
    inputs ``(B, I)`` and the state (each ``(B, H)``) → the new state."""
    if isinstance(cell, ParallelScanCell):
        return _scan_cell_stepper(cell)
    step_inference = cell.step_inference
    if step_inference is not None and type(cell).project is RecurrentCell.project:
        # rec = x W_ihᵀ + b + h W_hhᵀ (B, G·H), written into a buffer kept per batch size with
        # its gate views (a chunk per step costs ~10%). (B, H) @ (H, G·H) with the weight
        # transposed once is the fastest small matmul here; a one-hot x picks a row of the
        # table W_ihᵀ + b (the very numbers the matmul would give).
        table = cell.weight_ih.t() + cell.bias
        w_ih_t, w_hh_t = cell.weight_ih.t().contiguous(), cell.weight_hh.t().contiguous()
        buffers: dict[int, tuple[Tensor, tuple[Tensor, ...]]] = {}

        def fast(x: Tensor, state: State, t: int) -> State:
            B = x.shape[0]
            if B not in buffers:
                with torch.inference_mode(False):  # a plain tensor: usable in and out of inference mode
                    rec = table.new_empty(B, table.shape[1])
                buffers[B] = rec, rec.chunk(cell.gates, -1)
            rec, gates = buffers[B]
            if x.is_floating_point():
                torch.addmm(cell.bias, x, w_ih_t, out=rec)
            else:
                torch.index_select(table, 0, x, out=rec)
            return step_inference(rec.addmm_(state[0], w_hh_t), state, gates)

        return fast

    def general(x: Tensor, state: State, t: int) -> State:
        # the cell's own step, feature-major: the states and a lower layer's h are (H, B) views
        xs = [s[0] for s in cell.project(x.unsqueeze(0), t)]  # (1, B) ids or (1, B, I) → (G·H, B)
        state = tuple(s.t() for s in state)
        s_prev = state[cell.source_index]
        weight_hh, step_weights = cell.loop_weights()
        if cell.rec_adds_input:
            rec = torch.addmm(xs[0], weight_hh, s_prev)
        elif cell.bias_hh is not None:
            rec = torch.addmm(cell.bias_hh.unsqueeze(1), weight_hh, s_prev)
        else:
            rec = torch.mm(weight_hh, s_prev)
        new_state, _ = cell.step((*xs, *step_weights), rec, state)
        return tuple(s.t() for s in new_state)

    return general


def _scan_cell_stepper(cell: ParallelScanCell) -> Callable[[Tensor, State, int], State]:
    """A parallel-scan cell's sequential step (:meth:`ParallelScanCell.step_from`), batch-major; the
    pre-activations of a symbol are a row of the table W_ihᵀ + b, looked up once per step."""
    bias = cell.input_bias()
    step_from = cell.inference_step()
    w_t = cell.weight_ih.t()
    table = w_t + bias if bias is not None else w_t
    w_t = w_t.contiguous()

    def step(x: Tensor, state: State, t: int) -> State:
        if x.is_floating_point():
            p = x @ w_t if bias is None else torch.addmm(bias, x, w_t)
        else:
            p = table.index_select(0, x)
        return step_from(p, state)

    return step


def _loop_layout(x: Tensor) -> Tensor:
    """``(T, B, H)`` stored as the loop stores it, ``(T, H, B)`` in memory: dropout draws its
    mask in memory order, so both kernels then draw the same masks."""
    return x.transpose(1, 2).contiguous().transpose(1, 2)


def reverse_runs(x: Tensor, final_at: Tensor | None) -> Tensor:
    r"""Time reversed per run: run k's steps ``0..final_at[k]`` in reverse order, its steps
    after them (right padding) where they are; the whole time axis when ``final_at`` is None.
    Its own inverse, so it also puts reversed outputs back in order.

    Shapes:
        x ``(T, [K,] B, ...)``; final_at ``(K,)`` long or None → like x.
    """
    if final_at is None:
        return x.flip(0)
    t = torch.arange(x.shape[0], device=x.device).view(-1, *([1] * final_at.dim()))
    idx = torch.where(t <= final_at, final_at - t, t)  # (T, K): which step lands at t
    return x.gather(0, idx.view(*idx.shape, *([1] * (x.dim() - idx.dim()))).expand_as(x))


class BidirectionalStack(nn.Module):
    r"""``num_layers`` layers of a forward and a backward cell, as ``torch.nn.LSTM(bidirectional=True)``
    (Schuster & Paliwal 1997): the forward cell reads :math:`x_1 \ldots x_T`, the backward one
    :math:`x_T \ldots x_1`; a layer's output at step t is :math:`[\overrightarrow{h}_t; \overleftarrow{h}_t]`
    (2H), the next layer's input. Runs right-padded to a common T (``final_at``) are reversed
    within their own length (:func:`reverse_runs`), so each backward cell starts at its run's
    last real step.

    ``cells`` holds them interleaved — forward 0, backward 0, forward 1, … — so parameters are
    named as in :class:`RecurrentStack`, with twice the cells.

    Args:
        as :class:`RecurrentStack`.

    Shapes:
        input ``(T, [K,] B, I)`` → output ``(T, [K,] B, 2H)``; state: per layer a tuple (h, c),
        each ``([K,] B, 2H)`` = [forward final; backward final] (after :math:`x_T` and after
        :math:`x_1`).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, cell_options: dict[str, Any] | None = None,
                 runs: int | None = None) -> None:
        super().__init__()
        self.cells = nn.ModuleList(
            make_cell(cell, input_size if i < 2 else 2 * hidden_size, hidden_size, runs, **(cell_options or {}))
            for i in range(2 * num_layers)
        )
        self.dropout = dropout

    def forward(self, x: Tensor, hx: list[State] | None = None, *, last_only: bool = False, t0: int = 0,
                final_at: Tensor | None = None) -> tuple[Tensor | None, list[State]]:
        """As :meth:`RecurrentStack.forward`; ``final_at (K,)`` also bounds each run's reversal."""
        states: list[State] = []
        layers = len(self.cells) // 2
        out: Tensor | None = x
        for i in range(layers):
            fwd, bwd = (cast(RecurrentCell, self.cells[2 * i + j]) for j in (0, 1))
            assert out is not None
            if i > 0 and self.dropout > 0:
                out = F.dropout(out, self.dropout, self.training)
            top = last_only and i == layers - 1
            at = final_at if top else None
            h0 = [None, None] if hx is None else [tuple(s.chunk(2, -1)[j] for s in hx[i]) for j in (0, 1)]
            out_f, st_f = fwd.scan(out, h0[0], outputs=not top, t0=t0, final_at=at)
            out_b, st_b = bwd.scan(reverse_runs(out, final_at), h0[1], outputs=not top, t0=t0, final_at=at)
            states.append(tuple(torch.cat([f, b], -1) for f, b in zip(st_f, st_b, strict=True)))
            out = None if top else torch.cat([out_f, reverse_runs(out_b, final_at)], -1)
        return out, states


class SequenceClassifier(nn.Module):
    r"""Read a sequence, predict from the last hidden state — :math:`p = W_{ph} h_T + b_p`
    (``readout="last"``) — or at every step, :math:`p_t = W_{ph} h_t + b_p` (``"steps"``); a
    bidirectional cell (``bilstm``, :class:`BidirectionalStack`) reads both directions, at the
    end :math:`p = W_{ph} [\overrightarrow{h}_T; \overleftarrow{h}_1] + b_p`, at step t
    :math:`p_t = W_{ph} [\overrightarrow{h}_t; \overleftarrow{h}_t] + b_p`. A real-valued
    answer (the adding task) is one output, ``num_classes=1``.

    Args:
        cell: cell name. num_symbols: d (the symbols 0..d−1; ``features``: F, the features
            per step). hidden_size: n. num_classes: c (outputs). num_layers: recurrent layers (1).
        forget_bias: initial forget-gate bias of LSTM-type cells (None: plain uniform init).
        cell_options: extra cell arguments (``learn_gate`` for ``tglstm``).
        encoding: ``onehot`` (symbol s → the d-vector e_s; input size d), ``scalar``
            (s → the single float s; input size 1, as the course templates feed digits) or
            ``features`` (real-valued inputs ``(…, T, F)``; input size F).
        init: ``default`` (torch's U(±1/√n)) or ``kaiming-normal`` (:func:`kaiming_normal_init`),
            applied before ``forget_bias``.
        runs: K independent classifiers trained as one (None: one). Run k's parameters are
            ``p[k]`` of each parameter ``p``; ``state_dict`` entries stack single models'.
        t0: the time of the first input step for time-gated cells (0; the 2018 course counts
            from 1).
        kernel: ``seqgraph``, ``fused`` or ``auto`` (:class:`RecurrentStack`; a bidirectional
            stack runs the loop).
        readout: ``last`` (one prediction per sequence) or ``steps`` (one per step).

    Shapes:
        tokens ``(B, T)`` long (``features``: ``(B, T, F)`` float) → logits ``(B, c)``
        (``steps``: ``(B, T, c)``); with K runs every shape gains a leading K.
    """

    def __init__(self, cell: str, num_symbols: int, hidden_size: int, num_classes: int,
                 num_layers: int = 1, forget_bias: float | None = None,
                 cell_options: dict[str, Any] | None = None, runs: int | None = None,
                 encoding: str = "onehot", init: str = "default", t0: int = 0, kernel: str = "seqgraph",
                 readout: str = "last") -> None:
        super().__init__()
        self.t0 = t0
        if encoding not in ("onehot", "scalar", "features"):
            raise ValueError(f"unknown encoding {encoding!r}")
        if readout not in ("last", "steps"):
            raise ValueError(f"unknown readout {readout!r}")
        self.num_symbols = num_symbols
        self.encoding = encoding
        self.readout = readout
        input_size = 1 if encoding == "scalar" else num_symbols
        ways = directions(cell)
        self.rnn: RecurrentStack | BidirectionalStack = (
            BidirectionalStack(cell, input_size, hidden_size, num_layers, cell_options=cell_options, runs=runs)
            if ways == 2 else
            RecurrentStack(cell, input_size, hidden_size, num_layers, cell_options=cell_options, runs=runs,
                           kernel=kernel))
        self.head: nn.Module = (nn.Linear(ways * hidden_size, num_classes) if runs is None
                                else RunLinear(ways * hidden_size, num_classes, runs))
        if init == "kaiming-normal":
            kaiming_normal_init(self)
        elif init != "default":
            raise ValueError(f"unknown init {init!r}")
        if forget_bias is not None:
            for c in self.rnn.cells:
                cast(RecurrentCell, c).init_forget_bias(forget_bias)

    def forward(self, tokens: Tensor, final_at: Tensor | None = None) -> Tensor:
        """``final_at (K,)``: run k's last real step (runs of different lengths, right-padded
        to a common T): the last state is read there, a bidirectional stack reverses each run
        within it."""
        dtype = cast(RecurrentCell, self.rnn.cells[0]).weight_ih.dtype
        if self.encoding == "features":  # (…, T, F) → (T, …, F)
            x = tokens.movedim(-2, 0).to(dtype)
        else:
            x = tokens.movedim(-1, 0)  # (T, [K,] B); ids are read as one-hot
            if self.encoding == "scalar":  # the id itself as one feature: (T, [K,] B, 1)
                x = x.unsqueeze(-1).to(dtype)
        if self.readout == "last":
            _, states = self.rnn(x, last_only=True, final_at=final_at, t0=self.t0)
            return self.head(states[-1][0])  # h_T ([K,] B, n) (bidirectional: 2n) → ([K,] B, c)
        out, _ = self.rnn(x, final_at=final_at, t0=self.t0)  # (T, [K,] B, n)
        assert out is not None
        out = out.movedim(0, -2)  # ([K,] B, T, n)
        if isinstance(self.head, RunLinear):  # (K, B·T, n) through the K heads at once
            K, B, T, n = out.shape
            return self.head(out.reshape(K, B * T, n)).view(K, B, T, -1)
        return self.head(out)
