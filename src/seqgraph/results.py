"""Result rows → pandas: group the runs of one or many sweeps by any setting, mean ± std over seeds.

Every row of a summary.csv carries its run's settings, so summaries of different sweeps can be
concatenated and grouped by whichever axes differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgraph.errors import DataError
from seqgraph.experiments.memory.spec import MemoryRun
from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.experiments.transfer.spec import TransferRun
from seqgraph.sweep.spec import spec_fields

PALINDROME_SETTINGS = tuple(spec_fields(PalindromeRun))
# every swept experiment's settings (palindrome, memory, gcn transfer), in reading order
SETTINGS = tuple(dict.fromkeys((*PALINDROME_SETTINGS, *spec_fields(MemoryRun), *spec_fields(TransferRun))))
MSE_MARGIN = 0.1  # a final MSE within 10% of the not-learned baseline's is no result
_FIRST = ("task", "graph", "length", "distance", "model")  # the usual reading order of a table


def read_summaries(paths: Sequence[str | Path]) -> Any:
    """One DataFrame from one or more summary CSVs (rows of several sweeps). A run is its
    ``run_id``: a run given twice (the same file twice, a copied row) is one row, the last."""
    import pandas as pd

    from seqgraph.io import read_csv

    frames = [read_csv(p) for p in paths]
    for p, f in zip(paths[1:], frames[1:], strict=True):
        if list(f.columns) != list(frames[0].columns):
            raise DataError(f"{p} has other columns than {paths[0]}: give CSVs of one kind "
                            "(summaries of one experiment, or curves)")
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if "run_id" in df.columns and "step" not in df.columns:  # curves have a row per step of a run
        df = df.drop_duplicates("run_id", keep="last").reset_index(drop=True)
    return df


def names(text: str | None) -> list[str] | None:
    """A comma list of setting names as typed (``batch-size`` or ``batch_size``), each once, in
    order (``model,model`` is ``model``); None stays None."""
    if text is None:
        return None
    return list(dict.fromkeys(c.strip().replace("-", "_") for c in text.split(",") if c.strip()))


def read_many(paths: Sequence[str | Path]) -> Any:
    """:func:`read_summaries`, refusing an empty list."""
    if not paths:
        raise DataError("give at least one CSV")
    return read_summaries(paths)


def summary_table(paths: Sequence[str | Path], by: str | None = None) -> tuple[Any, list[Baseline]]:
    """``seqgraph table``: palindrome or memory summaries grouped by ``by`` (a comma list;
    default: every setting that varies but the seed), and the not-learned baselines of their tasks."""
    df = read_many(paths)
    if "final_accuracy" not in df.columns and "final_metric" not in df.columns:
        raise DataError(f"{paths[0]} is not a palindrome or memory summary (no final_accuracy or final_metric "
                        "column)")
    if df.empty:  # as plot refuses it: an empty table said nothing with exit code 0
        raise DataError(f"{paths[0]} has no rows (a header only)" if len(paths) == 1 else
                        f"{', '.join(map(str, paths))} have no rows (headers only)")
    check_numbers(df, NUMBER_COLUMNS)
    return aggregate(df, names(by)), baselines(df)


TEXT_COLUMNS = {"model", "task", "cell", "optimizer", "encoding", "classes", "init", "run_id", "status", "metric",
                "kernel", "kernel_used", "text", "folder", "graph", "norm"}
# what a summary's numbers are read as; a column absent from a file is not checked
NUMBER_COLUMNS = ("length", "seed", "final_accuracy", "final_metric", "best_accuracy", "best_metric", "solved_step",
                  "trained_steps", "wall_time", "loss_ratio")


def check_numbers(df: Any, columns: Sequence[str]) -> None:
    """Refuse (DataError) a column of ``columns`` in ``df`` (those of :data:`TEXT_COLUMNS` aside)
    that holds text or non-finite numbers where numbers belong: one check for ``table`` and
    ``plot``, so a hand-edited summary is read alike by both; a length must be a whole number ≥ 1."""
    import numpy as np
    import pandas as pd

    for column in (c for c in columns if c in df.columns and c not in TEXT_COLUMNS):
        values = pd.to_numeric(df[column], errors="coerce")
        if (values.isna() & df[column].notna()).any() or not np.isfinite(values.dropna()).all():
            raise DataError(f"column {column!r} holds values that are not finite numbers")
        if column == "length" and not (values.dropna() % 1 == 0).all():
            raise DataError(f"column {column!r} holds lengths that are not whole numbers")
        if column == "length" and (values.dropna() < 1).any():  # seqgraph writes a run's length as trained
            raise DataError(f"column {column!r} holds lengths below 1 (e.g. {int(values[values < 1].iloc[0])})")


def varying_settings(df: Any, settings: Sequence[str] = SETTINGS, exclude: Sequence[str] = ("seed",)
                     ) -> list[str]:
    """The settings that take more than one value in ``df``, in reading order."""
    cols = [c for c in settings if c in df.columns and c not in exclude and df[c].nunique(dropna=False) > 1]
    return sorted(cols, key=lambda c: _FIRST.index(c) if c in _FIRST else len(_FIRST))


def aggregate(summary: Any, by: Sequence[str] | None = None) -> Any:
    """Mean and standard deviation over the runs of each group (over seeds, by default).

    Args:
        summary: palindrome summary rows (final_accuracy) or memory ones (final_metric). by:
            the settings to group by (default: every setting that varies, except the seed).

    Returns:
        one row per group: the ``by`` columns, ``runs``, ``final_mean``, ``final_std``,
        ``best_mean``, ``solved`` (runs solved), ``solved_step_mean``, ``steps_mean``,
        ``wall_mean`` and ``failed`` (runs that could not be trained); for memory rows also
        ``metric`` (its name: accuracy or mse) and ``loss_ratio_mean`` (final held-out loss
        over the not-learned loss).
    """
    import pandas as pd

    by = list(varying_settings(summary) if by is None else by)
    missing = [c for c in by if c not in summary.columns]
    if missing:
        raise DataError(f"cannot group by {', '.join(missing)}: no such column "
                        f"(settings: {', '.join(c for c in SETTINGS if c in summary.columns)})")
    memory = "final_metric" in summary.columns
    final, best = ("final_metric", "best_metric") if memory else ("final_accuracy", "best_accuracy")
    needed = [final, best, "solved_step", "trained_steps", "wall_time", *(["loss_ratio"] if memory else [])]
    absent = [c for c in needed if c not in summary.columns]
    if absent:
        raise DataError(f"not a {'memory' if memory else 'palindrome'} summary: no column(s) {', '.join(absent)}")
    for column in needed:
        values = pd.to_numeric(summary[column], errors="coerce")
        if (values.isna() & summary[column].notna()).any():
            raise DataError(f"column {column!r} of the summary holds values that are not numbers")
    df = summary.copy()
    status = df["status"] if "status" in df.columns else pd.Series("ok", index=df.index)
    df["_pruned"] = status.astype(str) == "pruned"  # ended early by a search's pruner: no final figure to average
    df["_failed"] = (status.astype(str) != "ok") & ~df["_pruned"]
    keys = by or ["_all"]
    if not by:
        df["_all"] = "all runs"
    ok = df[~df["_failed"] & ~df["_pruned"]]
    g = ok.groupby(keys, sort=False, dropna=False)
    extra = {"metric": ("metric", "first"), "loss_ratio_mean": ("loss_ratio", "mean")} if memory else {}
    out = g.agg(
        runs=(final, "count"),
        final_mean=(final, "mean"), final_std=(final, "std"),
        best_mean=(best, "mean"),
        solved=("solved_step", "count"),
        solved_step_mean=("solved_step", "mean"),
        steps_mean=("trained_steps", "mean"),
        wall_mean=("wall_time", "mean"),
        **extra,
    ).reset_index()
    failed = df.groupby(keys, sort=False, dropna=False)["_failed"].sum().rename("failed").reset_index()
    out = failed.merge(out, on=keys, how="left")
    if df["_pruned"].any():  # a search's summary: a column only then
        pruned = df.groupby(keys, sort=False, dropna=False)["_pruned"].sum().rename("pruned").reset_index()
        out = out.merge(pruned, on=keys, how="left")
    out["runs"] = out["runs"].fillna(0).astype(int)
    out["solved"] = out["solved"].fillna(0).astype(int)
    numeric = [c for c in by if pd.api.types.is_numeric_dtype(out[c])]
    if numeric:
        out = out.sort_values(numeric, kind="stable")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Baseline:
    """The accuracy a model that learned nothing scores (see
    :meth:`seqgraph.tasks.base.Task.baseline`)."""

    task: str
    length: int | None  # None: the same at every length
    value: float

    @property
    def why(self) -> str:
        """How the value comes about, in a few words (the task's own)."""
        from seqgraph.tasks.registry import get_task

        return get_task(self.task).baseline_why


def baselines(summary: Any) -> list[Baseline]:
    """The not-learned baseline of every task in ``summary`` (rows of runs): one per task, or
    one per length present where it depends on the length (Baum–Sweet, random combinations).
    Tasks or lengths seqgraph does not know (a foreign CSV) get none."""
    from seqgraph.errors import ConfigError
    from seqgraph.tasks.registry import TASKS, get_task

    if "task" not in summary.columns:
        return []
    out: list[Baseline] = []
    for name in dict.fromkeys(summary["task"].astype(str)):
        if name not in TASKS:
            continue
        task = get_task(name)
        try:
            if not task.baseline_by_length:
                out.append(Baseline(name, None, task.baseline(task.min_length)))
            elif "length" in summary.columns:
                lengths = summary.loc[summary["task"].astype(str) == name, "length"]
                for length in sorted({int(v) for v in lengths}):
                    out.append(Baseline(name, length, task.baseline(length)))
        except (ConfigError, ValueError, TypeError):
            continue
    return out


def at_baseline(value: float, base: float | None, metric: str = "accuracy") -> bool:
    """Whether a final ``metric`` (accuracy, or mse) is no better than the not-learned ``base``:
    an accuracy within :data:`~seqgraph.tasks.base.BASELINE_MARGIN` of it, an MSE within
    :data:`MSE_MARGIN` (relative)."""
    import math

    from seqgraph.tasks.base import BASELINE_MARGIN

    if base is None or math.isnan(value):
        return False
    return value >= (1 - MSE_MARGIN) * base if metric == "mse" else value <= base + BASELINE_MARGIN


def row_baselines(table: Any, bases: Sequence[Baseline]) -> list[float | None]:
    """The baseline each row of an aggregated ``table`` sits against: the one baseline that
    matches the row's task and length (columns of the row where they vary, else the only
    ones there are); None where no single one does (a row mixing lengths of a task whose
    baseline depends on the length)."""
    out: list[float | None] = []
    for row in table.to_dict("records"):
        match = [b for b in bases
                 if ("task" not in row or str(row["task"]) == b.task)
                 and (b.length is None or "length" not in row or row["length"] == b.length)]
        out.append(match[0].value if len(match) == 1 else None)
    return out


def baseline_notes(bases: Sequence[Baseline]) -> list[str]:
    """One phrase per task: ``decimal 0.100 (1/10)``, ``baum-sweet (majority label) L=6 0.504, L=10 0.941``."""
    notes = []
    for task in dict.fromkeys(b.task for b in bases):
        mine = [b for b in bases if b.task == task]
        if mine[0].length is None:
            notes.append(f"{task} {mine[0].value:.3f} ({mine[0].why})")
        else:
            notes.append(f"{task} ({mine[0].why}) " + ", ".join(f"L={b.length} {b.value:.3f}" for b in mine))
    return notes
