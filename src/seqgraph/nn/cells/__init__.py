"""Recurrent cells written from their equations, one module per cell.

The conventions every cell follows (weight layout, runs=K, ``project`` / ``step`` /
``step_backward``) are in :mod:`seqgraph.nn.cells.base`; each cell's module carries its
equations and the derivation of its hand-written backward. Import cells from here:
``from seqgraph.nn.cells import LSTMCell``.
"""

from seqgraph.nn.cells.base import ParallelScanCell, RecurrentCell
from seqgraph.nn.cells.course_gru import CourseGRUCell
from seqgraph.nn.cells.gru import GRUCell
from seqgraph.nn.cells.lru import LRUCell
from seqgraph.nn.cells.lstm import LSTMCell
from seqgraph.nn.cells.mingru import MinGRUCell
from seqgraph.nn.cells.minlstm import MinLSTMCell
from seqgraph.nn.cells.peephole import PeepholeLSTMCell
from seqgraph.nn.cells.rnn import RNNCell
from seqgraph.nn.cells.tglstm import TimeGatedLSTMCell, time_gate
from seqgraph.nn.linear_scan import log_space_scan

__all__ = [
    "CourseGRUCell",
    "GRUCell",
    "LRUCell",
    "LSTMCell",
    "MinGRUCell",
    "MinLSTMCell",
    "ParallelScanCell",
    "PeepholeLSTMCell",
    "RNNCell",
    "RecurrentCell",
    "TimeGatedLSTMCell",
    "log_space_scan",
    "time_gate",
]
