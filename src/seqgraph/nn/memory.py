"""What a recurrent model needs in memory, about: the one estimate that planning (GPU batch
sizes) and the refusals of work that cannot fit read. No torch here."""

from __future__ import annotations


def training_bytes(*, gates: int, hidden: int, layers: int, batch: int, steps: int, inputs: int = 0,
                   outputs: int = 0, directions: int = 1, dtype_bytes: int = 4) -> int:
    r"""Bytes to train a stack of recurrent layers on ``batch`` sequences of ``steps`` steps.

    .. math::
        \text{bytes} = s\,\bigl(B T\,[\,I + 3C + \ell\,d\,H\,(2G + 6)\,] + 4 W\bigr),
        \quad W = \ell\,d\,G H (H + I + 1) + H C

    Per step and sequence: the input (I values, e.g. a one-hot symbol), the logits with their
    gradient and softmax (3C), and per layer and direction the input projection with its
    gradient (2G·H) and what the backward keeps (states, cell states, ~6H). The weights W count
    four times: values, gradients and two optimizer states. ``s``: bytes per number.

    Args:
        gates: G (1 RNN, 3 GRU, 4 LSTM). hidden: H. layers: ℓ. batch: B. steps: T.
        inputs: I. outputs: C. directions: d (2 bidirectional). dtype_bytes: s (4 float32).
    """
    per_position = inputs + 3 * outputs + layers * directions * hidden * (2 * gates + 6)
    weights = layers * directions * gates * hidden * (hidden + inputs + 1) + hidden * outputs
    return dtype_bytes * (batch * steps * per_position + 4 * weights)


def sampling_bytes(*, rows: int, length: int, hidden: int, layers: int, vocab: int) -> int:
    """Bytes to generate ``rows`` texts of ``length`` characters: the ids (int64) and texts
    (~4 bytes a character), and per row its logits and states (float64 at most)."""
    return rows * (12 * length + 8 * (vocab + 4 * hidden * layers))
