"""The one list of recurrent cells. Config validation, ``params``, help text and shell
completion read it; it imports no torch, so ``seqgraph --help`` stays instant.

A new cell is one class in :mod:`seqgraph.nn.cells` (plus its test) and one line here.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seqgraph.errors import ConfigError

if TYPE_CHECKING:
    from seqgraph.nn.cells import RecurrentCell


@dataclass(frozen=True)
class CellEntry:
    name: str  # what users type: --model lstm
    summary: str  # one line for help and tables
    cls: str  # "module:Class", imported on first use
    options: tuple[str, ...] = ()  # extra constructor arguments the cell takes
    # a forward and a backward stack of ``cls``, the head reading both (seqgraph.nn.models.BidirectionalStack):
    # a sequence classifier only; models that step forward in time (the character model, grads) refuse it
    bidirectional: bool = False
    # whether ``forget_bias`` means something for the cell; False: a forget bias other than its default is refused
    # (the older cells without a forget gate ignore it, as they always have)
    forget_bias: bool = True


CELLS: dict[str, CellEntry] = {
    e.name: e
    for e in (
        CellEntry("rnn", "Elman RNN, h = tanh(W_hx x + W_hh h + b)", "seqgraph.nn.cells.rnn:RNNCell"),
        CellEntry("lstm", "LSTM (gates i, f, g, o as torch.nn.LSTMCell)", "seqgraph.nn.cells.lstm:LSTMCell"),
        CellEntry("peep", "the course's peephole LSTM: gates read c_{t-1}",
                  "seqgraph.nn.cells.peephole:PeepholeLSTMCell"),
        CellEntry("gru", "GRU (gates r, z, n as torch.nn.GRUCell)", "seqgraph.nn.cells.gru:GRUCell"),
        CellEntry("course-gru", "the 2020 course's GRU: no biases, h~ = tanh(W x + U (r ⊙ h))",
                  "seqgraph.nn.cells.course_gru:CourseGRUCell"),
        CellEntry("tglstm", "time-gated LSTM (a Phased-LSTM time gate)", "seqgraph.nn.cells.tglstm:TimeGatedLSTMCell",
                  options=("learn_gate",)),
        CellEntry("mingru", "minGRU (Feng et al. 2024): h = (1 − z)⊙h + z⊙g(W x), z = σ(W_z x); a parallel scan",
                  "seqgraph.nn.cells.mingru:MinGRUCell", forget_bias=False),
        CellEntry("minlstm", "minLSTM (Feng et al. 2024): h = f'⊙h + i'⊙g(W x), gates from x only; a parallel scan",
                  "seqgraph.nn.cells.minlstm:MinLSTMCell"),
        CellEntry("lru", "LRU (Orvieto et al. 2023): complex diagonal x = Λx + γ⊙Bu, y = Re(Cx) + Du; in parallel",
                  "seqgraph.nn.cells.lru:LRUCell", options=("r_min", "r_max", "max_phase"), forget_bias=False),
        CellEntry("bilstm", "the 2020 course's biLSTM: an LSTM each way, the head reads both final states",
                  "seqgraph.nn.cells.lstm:LSTMCell", bidirectional=True),
    )
}


# cells whose equations a torch fused kernel computes (RecurrentCell.fused_mode; a test checks the two agree)
FUSED_CELLS = frozenset({"rnn", "lstm", "gru"})
# recurrent kernels: auto | the hand-written loop | torch's fused kernel (seqgraph.nn.fused)
KERNELS = ("auto", "seqgraph", "fused")
# the character model takes nn.LSTM itself beside seqgraph's cells
CHAR_CELLS_EXTRA = ("torch",)
CHAR_MODEL_IS_CAUSAL = "a character model predicts each character from the ones before it"
# the cells with a forget gate, whose bias ``forget_bias`` sets (a test checks it against the classes)
FORGET_GATE_CELLS = ("lstm", "peep", "tglstm", "bilstm", "minlstm")
# the LRU's ring initialisation, as the paper's appendix A writes it (r_min=0, r_max=1, max_phase=6.28)
LRU_DEFAULTS = {"r_min": 0.0, "r_max": 1.0, "max_phase": 6.28}


def check_lru_ring(r_min: float, r_max: float, max_phase: float) -> None:
    """A ConfigError unless 0 ≤ r_min < r_max ≤ 1 and max_phase > 0 (|λ| ≤ 1: the LRU is stable)."""
    if not 0 <= r_min < r_max <= 1:
        raise ConfigError(f"lru: the ring's radii must satisfy 0 ≤ r-min < r-max ≤ 1, got r-min {r_min}, "
                          f"r-max {r_max}")
    if not 0 < max_phase <= 2 * math.pi + 1e-9:
        raise ConfigError(f"lru: max-phase must be in (0, 2π], got {max_phase}")


def check_cell_settings(name: str, changed: dict[str, Any]) -> None:
    """A ConfigError for a cell setting given (``changed``: the settings that differ from their
    defaults) to a cell that does not have it: the LRU's ``r_min``/``r_max``/``max_phase`` for
    another cell, ``forget_bias`` for a cell whose entry refuses it. Names the cells that take it."""
    entry = check_cell(name)
    for key in changed:
        flag = "--" + key.replace("_", "-")
        if key in LRU_DEFAULTS and key not in entry.options:
            takers = [n for n, e in CELLS.items() if key in e.options]
            raise ConfigError(f"{flag} is an option of {', '.join(takers)}, not of {name}")
        if key == "forget_bias" and not entry.forget_bias:
            raise ConfigError(f"{flag}: {name} has no forget gate (it applies to {', '.join(FORGET_GATE_CELLS)})")


def cell_names() -> tuple[str, ...]:
    """Every cell's name, in the registry's order."""
    return tuple(CELLS)


def unidirectional_cells() -> tuple[str, ...]:
    """The cells that read a sequence forward only: what a model stepping forward in time
    (the character model, gradient flow) can use."""
    return tuple(n for n, e in CELLS.items() if not e.bidirectional)


def char_cells() -> tuple[str, ...]:
    """The cells a character model can use: seqgraph's forward-only cells and ``torch`` (nn.LSTM)."""
    return (*unidirectional_cells(), *CHAR_CELLS_EXTRA)


def check_kernel(kernel: str, cells: tuple[str, ...] | list[str]) -> None:
    """A ConfigError for an unknown kernel, or ``fused`` for a cell without a fused twin."""
    if kernel not in KERNELS:
        raise ConfigError(f"unknown kernel {kernel!r} (choose from {', '.join(KERNELS)})")
    missing = sorted(c for c in cells if c in CELLS and c not in FUSED_CELLS)
    if kernel == "fused" and missing:
        raise ConfigError(f"--kernel fused: {', '.join(missing)} has no fused kernel "
                          "(fused kernels exist for rnn, lstm and gru)")


def directions(name: str) -> int:
    """2 for a bidirectional entry (two stacks of its cell), else 1."""
    return 2 if check_cell(name).bidirectional else 1


def check_unidirectional(name: str, what: str, why: str, extra: tuple[str, ...] = ()) -> None:
    """A ConfigError for a bidirectional ``name`` (``why``: what needs the forward-only
    reading; ``extra``: more choices to list beside the cells)."""
    if name in CELLS and CELLS[name].bidirectional:
        raise ConfigError(f"{what} {name!r} reads each sequence both ways, but {why} "
                          f"(choose from {', '.join((*unidirectional_cells(), *extra))})")


def check_cell(name: str, what: str = "model") -> CellEntry:
    """The entry of ``name``; an unknown name is a ConfigError listing the choices."""
    try:
        return CELLS[name]
    except KeyError:
        raise ConfigError(f"unknown {what} {name!r} (choose from {', '.join(CELLS)})") from None


def cell_class(name: str) -> type[RecurrentCell]:
    """The class of cell ``name`` (imports torch)."""
    module, _, attr = check_cell(name).cls.partition(":")
    return getattr(importlib.import_module(module), attr)


def cell_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``options`` that cell ``name`` takes."""
    wanted = check_cell(name).options
    return {k: v for k, v in options.items() if k in wanted}


def complete_cells(incomplete: str) -> list[str]:
    """Shell completion for a comma list of cells: completes the last item."""
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [prefix + n for n in (*CELLS, "all") if n.startswith(last)]
