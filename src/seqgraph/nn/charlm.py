"""A character-level language model and how to sample from it."""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.errors import ConfigError
from seqgraph.nn.cells import RecurrentCell
from seqgraph.nn.models import RecurrentStack
from seqgraph.nn.registry import cell_class

State = Any  # seqgraph stack: list of per-layer tuples; torch: (h, c)


class CharLM(nn.Module):
    """One-hot characters → stacked recurrent layers → linear to the vocabulary.

    Args:
        vocab_size: V. hidden: H (128). layers: L (2). dropout: between layers and before
            the output layer (0). cell: ``lstm``, ``peep``, ``gru``, ``rnn`` (seqgraph's cells)
            or ``torch`` (``nn.LSTM``), or ``tglstm``. forget_bias: initial forget-gate bias
            of seqgraph's LSTM-type cells (1.0). cell_options: e.g. ``{"learn_gate": False}``.
        kernel: ``auto``, ``seqgraph`` or ``fused`` for seqgraph's cells
            (:class:`~seqgraph.nn.models.RecurrentStack`): auto takes torch's fused kernel on
            these weights where it is faster (training batches), the hand-written loop where
            it is not (sampling one character at a time).

    Shapes:
        tokens ``(B, T)`` → logits ``(B, T, V)`` and the final state.
    """

    def __init__(self, vocab_size: int, hidden: int = 128, layers: int = 2, dropout: float = 0.0,
                 cell: str = "lstm", forget_bias: float | None = 1.0,
                 cell_options: dict[str, Any] | None = None, kernel: str = "auto") -> None:
        super().__init__()
        from seqgraph.nn.registry import CHAR_CELLS_EXTRA, CHAR_MODEL_IS_CAUSAL, check_unidirectional

        check_unidirectional(cell, "cell", CHAR_MODEL_IS_CAUSAL, CHAR_CELLS_EXTRA)
        self.vocab_size, self.cell = vocab_size, cell
        if cell == "torch":
            self.rnn: nn.Module = nn.LSTM(vocab_size, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        else:
            if kernel == "auto" and cell_class(cell).fused_mode is None:
                kernel = "seqgraph"
            stack = RecurrentStack(cell, vocab_size, hidden, layers, dropout, cell_options, kernel=kernel)
            if forget_bias is not None:
                for c in stack.cells:
                    cast(RecurrentCell, c).init_forget_bias(forget_bias)
            self.rnn = stack
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, tokens: Tensor, state: State = None, t0: int = 0) -> tuple[Tensor, State]:
        """``t0``: time of the first token when continuing from ``state`` (time-gated cells)."""
        ids = tokens.t()  # (T, B)
        if self.cell == "torch":
            x = F.one_hot(ids, self.vocab_size).to(self.head.weight.dtype)
            out, state = self.rnn(x, state)
        else:
            out, state = self.rnn(ids, state, t0=t0)  # ids are read as one-hot vectors
        logits = self.head(self.dropout(out))  # (T, B, V)
        return logits.transpose(0, 1), state


def reorder_state(state: State, index: Tensor, cell: str) -> State:
    """Select batch rows of a state (beam search)."""
    if cell == "torch":
        return tuple(s.index_select(1, index) for s in state)
    return [tuple(s.index_select(0, index) for s in layer) for layer in state]


def choose_next(logits: Tensor, temperature: float, generator: torch.Generator | None,
                top_k: int = 0, top_p: float = 1.0, beta: float | None = None,
                uniform: Tensor | None = None, out: Tensor | None = None) -> Tensor:
    r"""Pick the next ids from ``logits (B, V)``.

    ``temperature`` 0 is argmax (greedy); otherwise sample from softmax(logits / T), optionally
    keeping only the ``top_k`` most likely characters and/or the smallest set whose
    probability reaches ``top_p`` (nucleus). ``beta`` (not None) replaces the temperature with
    the inverse temperature as the 2019–2020 course writes it: softmax(β · logits), β > 0.

    A draw is the inverse of the cumulative distribution at a uniform u ∈ [0, 1): the first id
    whose cumulative probability exceeds u (ids of probability 0 are never drawn).
    ``uniform (B,)`` or ``(B, 1)``: the u to use (drawn beforehand); None: drawn from
    ``generator``. ``out (B,)``: where to write the ids (returned).
    """
    if beta is not None:
        z = logits * beta
    elif temperature == 0:
        return torch.argmax(logits, -1, out=out)
    else:
        z = logits if temperature == 1 else logits / temperature
    if top_k > 0 and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, -math.inf)
    if top_p < 1.0:
        sorted_z, order = z.sort(dim=-1, descending=True)
        probs = sorted_z.softmax(-1)
        drop = probs.cumsum(-1) - probs >= top_p  # keep the first that reaches top_p
        sorted_z = sorted_z.masked_fill(drop, -math.inf)
        z = torch.full_like(z, -math.inf).scatter(-1, order, sorted_z)
    if uniform is None:
        uniform = torch.rand(z.shape[0], 1, generator=generator, device=z.device, dtype=z.dtype)
    elif uniform.dim() == 1:
        uniform = uniform.unsqueeze(-1)
    cdf = z.softmax(-1).cumsum_(-1)
    u = uniform.to(cdf.dtype) * cdf[:, -1:]  # the total is 1 up to rounding
    if out is None:
        out = torch.empty(z.shape[0], dtype=torch.long, device=z.device)
    torch.searchsorted(cdf, u, right=True, out=out.unsqueeze(-1))
    return out.clamp_(max=z.shape[-1] - 1)


@torch.no_grad()
def check_sampling(temperature: float = 1.0, beta: float | None = None, top_k: int = 0, top_p: float = 1.0) -> None:
    """A ConfigError naming the first knob out of range (by its ``seqgraph sample`` flag)."""
    if temperature < 0:
        raise ConfigError(f"--temp must be ≥ 0 (0 = greedy), got {temperature}")
    if beta is not None and not (0 < beta < math.inf):
        raise ConfigError(f"--beta must be positive and finite (β → ∞ is greedy: use --greedy), got {beta}")
    if not 0 < top_p <= 1:
        raise ConfigError(f"--top-p must be in (0, 1], got {top_p}")
    if top_k < 0:
        raise ConfigError(f"--top-k must be ≥ 0, got {top_k}")


def generate(model: CharLM, prompt_ids: Tensor, length: int, *, num: int = 1, temperature: float = 1.0,
             top_k: int = 0, top_p: float = 1.0, generator: torch.Generator | None = None,
             beta: float | None = None) -> Tensor:
    """Continue ``prompt_ids (P,)`` by ``length`` characters, ``num`` samples as one batch.

    The prompt is read once; then each new character is one recurrent step from the carried
    state — never re-reading the prefix. seqgraph's cells step without the training loop's
    bookkeeping (:meth:`~seqgraph.nn.models.RecurrentStack.stepper`), in inference mode, with
    every sample's uniforms drawn at the start. ``beta``: sample from softmax(β · logits)
    instead of using ``temperature`` (see :func:`choose_next`).

    Returns:
        ids ``(num, length)`` of the generated characters only.
    """
    check_sampling(temperature, beta, top_k, top_p)
    model.eval()
    device = model.head.weight.device
    prompt = prompt_ids.to(device).unsqueeze(0).expand(num, -1)
    logits, state = model(prompt)
    greedy = beta is None and temperature == 0
    uniforms = None if greedy else torch.rand(length, num, 1, generator=generator, device=device)
    out = torch.empty(length, num, dtype=torch.long, device=device)
    rows = out.unbind(0)  # each step writes its ids into its row
    step = model.rnn.stepper() if isinstance(model.rnn, RecurrentStack) else None
    # the head scaled once (its logits are already β·logits or logits/T), transposed for (B, H) @ (H, V)
    scale = beta if beta is not None else 1.0 if greedy else 1.0 / temperature
    w_out, b_out = (model.head.weight * scale).t().contiguous(), model.head.bias * scale
    last = logits[:, -1] * scale
    t0 = len(prompt_ids)
    with torch.inference_mode():
        for t in range(length):
            nxt = choose_next(last, 0.0 if greedy else 1.0, generator, top_k, top_p, None,
                              None if uniforms is None else uniforms[t], out=rows[t])
            if t + 1 == length:
                break
            if step is not None:
                h, state = step(nxt, state, t0 + t)
                last = torch.addmm(b_out, h, w_out)
            else:
                logits, state = model(nxt.unsqueeze(1), state, t0=t0 + t)
                last = logits[:, -1] * scale
    return out.t()


@torch.no_grad()
def beam_search(model: CharLM, prompt_ids: Tensor, length: int, beams: int) -> tuple[Tensor, Tensor]:
    """The ``beams`` most likely continuations of ``length`` characters (by summed log-prob).

    Returns:
        ids ``(beams, length)`` best first, and their log-probabilities ``(beams,)``.
    """
    if beams <= 0:
        raise ConfigError(f"beam width must be positive, got {beams}")
    model.eval()
    device = model.head.weight.device
    logits, state = model(prompt_ids.to(device).unsqueeze(0))
    logp = logits[:, -1].log_softmax(-1)  # (1, V)
    V = logp.shape[-1]
    scores, seqs = logp[0].topk(min(beams, V))  # first step: distinct characters
    seqs = seqs.unsqueeze(1)
    state = reorder_state(state, torch.zeros(len(scores), dtype=torch.long, device=device), model.cell)
    for t in range(length - 1):
        logits, state = model(seqs[:, -1:], state, t0=len(prompt_ids) + t)
        cand = scores.unsqueeze(1) + logits[:, -1].log_softmax(-1)  # (K, V)
        scores, flat = cand.reshape(-1).topk(min(beams, cand.numel()))
        parent, char = flat // V, flat % V
        seqs = torch.cat([seqs[parent], char.unsqueeze(1)], 1)
        state = reorder_state(state, parent, model.cell)
    return seqs, scores
