"""The time gate k(t) of one unit, sampled for a table and a figure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from seqgraph.analysis.settings import TimeGateConfig
from seqgraph.nn.cells import time_gate


def time_gate_table(cfg: TimeGateConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """k(t) at integer steps t = t0..t0 + steps (the table) and on a fine grid (the figure).

    ``cfg.t0`` is the time of the first input: 0 as seqgraph's time-gated cell counts, 1 as
    the 2018 course's equations count. Rows: t, k, phase φ, and the gate's τ, s, r_on (so the
    CSV can be re-plotted)."""
    one = {"tau": torch.tensor([cfg.tau], dtype=torch.float64),
           "shift": torch.tensor([cfg.shift], dtype=torch.float64),
           "r_on": torch.tensor([cfg.r_on], dtype=torch.float64)}

    def rows(t: torch.Tensor) -> list[dict[str, Any]]:
        k = time_gate(t, one["tau"], one["shift"], one["r_on"], cfg.leak)[:, 0]
        phi = torch.remainder(t.double() - cfg.shift, cfg.tau) / cfg.tau
        return [{"t": float(a), "k": float(b), "phase": float(c), "tau": cfg.tau, "shift": cfg.shift,
                 "r_on": cfg.r_on} for a, b, c in zip(t.tolist(), k.tolist(), phi.tolist(), strict=True)]

    start = cfg.t0
    integer = rows(torch.arange(start, start + cfg.steps + 1, dtype=torch.float64))
    fine = rows(torch.linspace(start, start + cfg.steps, cfg.steps * cfg.resolution + 1, dtype=torch.float64))
    return integer, fine


TIMEGATE_COLUMNS = ["t", "k", "phase", "tau", "shift", "r_on"]


@dataclass
class TimeGateReport:
    integer: list[dict[str, Any]]  # k(t) at integer steps (the table)
    csv: Path  # the fine grid
    figure: Path


def timegate_report(cfg: TimeGateConfig) -> TimeGateReport:
    """:func:`time_gate_table`, with the fine grid written to ``<out>/timegate.csv`` and drawn
    to ``<out>/timegate.png``."""
    import pandas as pd

    from seqgraph.io import folder_lock, write_csv
    from seqgraph.plots import plot_timegate, save_figure

    integer, fine = time_gate_table(cfg)
    csv = Path(cfg.out) / "timegate.csv"
    with folder_lock(cfg.out, "timegate"):
        write_csv(csv, TIMEGATE_COLUMNS, fine)
        title = f"Time gate k(t): τ = {cfg.tau:g}, s = {cfg.shift:g}, r_on = {cfg.r_on:g}"
        figure = save_figure(plot_timegate(pd.DataFrame(fine), cfg.tau, cfg.shift, cfg.r_on, title),
                             Path(cfg.out) / "timegate.png")
    return TimeGateReport(integer, csv, figure)
