"""Stacks of recurrent layers and the models built on them."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.errors import ConfigError
from seqgraph.nn.cells import CELLS, RecurrentCell, State


def make_cell(name: str, input_size: int, hidden_size: int, **options: Any) -> RecurrentCell:
    """A cell by name (``rnn``, ``lstm``, ``peep``, ``gru``, ``tglstm``); ``options`` go to
    cells that take them (``learn_gate`` for ``tglstm``)."""
    try:
        cls = CELLS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r} (choose from {', '.join(CELLS)})") from None
    if name != "tglstm":
        options = {}
    return cls(input_size, hidden_size, **options)


class RecurrentStack(nn.Module):
    """``num_layers`` cells of one kind, each run over the whole sequence in turn.

    Args:
        cell: cell name. input_size: I. hidden_size: H. num_layers: L (1).
        dropout: dropout on the outputs of every layer but the last (0).
        cell_options: extra arguments for the cells (``learn_gate`` for ``tglstm``).

    Shapes:
        input ``(T, B, I)`` → output ``(T, B, H)``; state: one tuple per layer.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, cell_options: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.cells = nn.ModuleList(
            make_cell(cell, input_size if i == 0 else hidden_size, hidden_size, **(cell_options or {}))
            for i in range(num_layers)
        )
        self.dropout = dropout

    def forward(self, x: Tensor, hx: list[State] | None = None, *, last_only: bool = False, t0: int = 0
                ) -> tuple[Tensor, list[State]]:
        """Returns the last layer's output ``(T, B, H)`` (None with ``last_only``, when only
        the final states are wanted) and each layer's final state. ``t0``: time of the first
        step (time-gated cells)."""
        states: list[State] = []
        last = len(self.cells) - 1
        for i, cell in enumerate(self.cells):
            if i > 0 and self.dropout > 0:
                x = F.dropout(x, self.dropout, self.training)
            x, state = cell.scan(x, None if hx is None else hx[i], outputs=not (last_only and i == last), t0=t0)
            states.append(state)
        return x, states


class SequenceClassifier(nn.Module):
    r"""Read a sequence of symbols, classify from the last hidden state:
    :math:`p = W_{ph} h_T + b_p`.

    Args:
        cell: cell name. num_symbols: d (one-hot input size). hidden_size: n.
        num_classes: c. num_layers: recurrent layers (1).
        forget_bias: initial forget-gate bias of LSTM-type cells (None: plain uniform init).
        cell_options: extra cell arguments (``learn_gate`` for ``tglstm``).

    Shapes:
        tokens ``(B, T)`` long → logits ``(B, c)``.
    """

    def __init__(self, cell: str, num_symbols: int, hidden_size: int, num_classes: int,
                 num_layers: int = 1, forget_bias: float | None = None,
                 cell_options: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.num_symbols = num_symbols
        self.rnn = RecurrentStack(cell, num_symbols, hidden_size, num_layers, cell_options=cell_options)
        self.head = nn.Linear(hidden_size, num_classes)
        if forget_bias is not None:
            for c in self.rnn.cells:
                c.init_forget_bias(forget_bias)

    def forward(self, tokens: Tensor) -> Tensor:
        _, states = self.rnn(tokens.t(), last_only=True)  # ids (T, B) are read as one-hot
        return self.head(states[-1][0])  # h_T (B, n) → (B, c)
