"""Figures from the CSVs seqgraph writes (matplotlib, non-interactive backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqgraph.errors import DataError

KINDS = {
    # kind: columns that identify it
    "accuracy": ("model", "length", "seed", "final_accuracy"),
    "curves": ("model", "length", "seed", "step", "loss", "accuracy"),
    "memory": ("model", "task", "length", "seed", "metric", "final_metric"),  # seqgraph memory's summary.csv
    "memory-curves": ("model", "task", "length", "seed", "step", "loss", "eval_metric"),
    "text": ("step", "loss", "val_loss", "val_bpc"),
    "grads": ("model", "seed", "trained_steps", "t", "grad_norm"),
    "timegate": ("t", "k"),
    "nodes": ("epoch", "loss", "train_accuracy", "test_accuracy"),  # gcn train's log.csv
    "transfer": ("graph", "distance", "model", "seed", "final_accuracy", "resistance"),  # gcn transfer's summary.csv
}
STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
FORMATS = ("png", "svg", "pdf")


def detect_kind(df: Any) -> str:
    """The figure a CSV calls for, from its columns."""
    cols = set(df.columns)
    for kind in ("grads", "memory-curves", "curves", "memory", "transfer", "accuracy", "text", "nodes", "timegate"):
        if set(KINDS[kind]) <= cols:
            return kind
    if {"step", "text"} <= cols:
        raise DataError("samples.csv holds generated text, not numbers: read it as a table "
                        "(its text column is what the model wrote at each step)")
    raise DataError(f"cannot tell what to plot from columns {', '.join(map(str, df.columns))}; "
                    f"expected a seqgraph summary, curves, log (train or gcn train), grads or timegate CSV")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _mean_std(df: Any, by: list[str], col: str) -> Any:
    g = df.groupby(by, sort=True)[col]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def _jitter(values: Any) -> float:
    """A small x offset between the lines' run dots: 6% of the smallest gap between x values
    (0 on a log axis's scale or a single value)."""
    import pandas as pd

    xs = np.unique(pd.to_numeric(values, errors="coerce").dropna())
    return 0.06 * float(np.diff(xs).min()) if len(xs) > 1 else 0.0


def _line_label(keys: tuple[Any, ...], by: list[str]) -> str:
    if len(by) == 1:
        return str(keys[0])
    return ", ".join(f"{c}={v:g}" if isinstance(v, float) else f"{c}={v}" for c, v in zip(by, keys, strict=True))


def _draw_baselines(ax: Any, df: Any, x: str) -> None:
    """A dotted grey line per task at its not-learned accuracy; where that depends on the
    length, a dotted curve through each length's value (x = length) or a line per length."""
    from seqgraph.results import Baseline, baselines
    from seqgraph.tasks.registry import get_task

    bases = baselines(df) if "task" in df.columns else [Baseline("decimal", None, get_task("decimal").baseline(10))]
    for task in dict.fromkeys(b.task for b in bases):
        mine = [b for b in bases if b.task == task]
        style = {"color": "grey", "lw": 0.8, "ls": ":"}
        if mine[0].length is None:
            ax.axhline(mine[0].value, **style, label=f"not learned, {task}: {_why(mine[0])}")
        elif x == "length" and len(mine) > 1:
            ax.plot([b.length for b in mine], [b.value for b in mine], **style,
                    label=f"not learned, {task}: {mine[0].why} at each L")
        else:
            for b in mine:
                ax.axhline(b.value, **style, label=f"not learned, {task} L={b.length}: {_why(b)}")


def _why(b: Any) -> str:
    return b.why if b.why != "majority label" else f"majority label {b.value:.3f}"


def plot_accuracy(df: Any, x: str = "length", by: list[str] | None = None, title: str | None = None) -> Any:
    """Held-out accuracy against any setting (default: the palindrome length), one line per
    combination of the ``by`` settings (default: every other setting that varies but the
    seed), mean ± std over seeds. A positive axis other than the length spanning a decade or
    more (learning rates) is logarithmic."""
    from seqgraph.results import varying_settings

    if x not in df.columns:
        raise DataError(f"cannot plot against {x!r}: no such column")
    by = [c for c in (by if by is not None else varying_settings(df, exclude=("seed", x))) if c != x]
    missing = [c for c in by if c not in df.columns]
    if missing:
        raise DataError(f"cannot draw a line per {', '.join(missing)}: no such column")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    groups = list(df.groupby(by, sort=False)) if by else [((), df)]
    per_point = 0
    for i, (keys, part) in enumerate(groups):
        keys = keys if isinstance(keys, tuple) else (keys,)
        s = _mean_std(part, [x], "final_accuracy")
        per_point = max(per_point, int(s["count"].max()))
        # a marker and a line style per line too, so lines that coincide (all at 1.0) stay visible
        ax.plot(s[x], s["mean"], color=f"C{i % 10}", marker=MARKERS[i % len(MARKERS)], ls=STYLES[i % len(STYLES)],
                markersize=7 - 1.5 * (i % 3), markerfacecolor="none" if i % 2 else None,
                label=_line_label(keys, by) if by else None)
        if (s["count"] > 1).any():  # every run as a dot: outcomes over seeds are often bimodal (solved or not),
            # which a ± std band would draw as a continuum
            offset = (i - (len(groups) - 1) / 2) * _jitter(df[x])  # lines' dots side by side, not on top
            ax.plot(part[x] + offset, part["final_accuracy"], ".", color=f"C{i % 10}", alpha=0.45, ms=5)
    _draw_baselines(ax, df, x)
    values = df[x].dropna()
    if x != "length" and values.dtype.kind in "if" and (values > 0).all() and values.max() >= 10 * values.min():
        ax.set_xscale("log")
    xlabel = "palindrome length L" if x == "length" else x.replace("_", " ")
    if values.dtype.kind in "if" and len(values) and (values == values.round()).all() and ax.get_xscale() == "linear":
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # lengths 5, 10, … never 7.5
        if values.nunique() <= 12:  # a tick at each value drawn (5, 10, …, 30), not at 6, 9, 12
            ax.set_xticks(sorted(values.unique()))
    stat = f"the mean of {per_point} runs per point, each run a dot" if per_point > 1 else "one run per point"
    # the statistic on a line of its own: on one line the title ran past the figure's edge
    ax.set(xlabel=xlabel, ylabel="final held-out accuracy", ylim=(0, 1.05),
           title=f"{title or f'Held-out accuracy against {xlabel}'}\n({stat})")
    _legend(ax, title=", ".join(by) if len(by) == 1 else None, fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_memory(df: Any, x: str = "length", by: list[str] | None = None, title: str | None = None) -> Any:
    """``seqgraph memory``'s summary: a panel per task, its final held-out metric against
    ``x`` (default: the task's L), a line per combination of ``by`` (default: every other
    setting that varies but the seed and the task), mean ± std over seeds; the not-learned
    baseline dotted. MSE panels are logarithmic (lower is better)."""
    from seqgraph.results import baselines, varying_settings
    from seqgraph.tasks.registry import TASKS, get_task

    if x not in df.columns:
        raise DataError(f"cannot plot against {x!r}: no such column")
    by = [c for c in (by if by is not None else varying_settings(df, exclude=("seed", "task", x))) if c != x]
    missing = [c for c in by if c not in df.columns]
    if missing:
        raise DataError(f"cannot draw a line per {', '.join(missing)}: no such column")
    plt = _plt()
    tasks = list(dict.fromkeys(df["task"].astype(str)))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4.2), squeeze=False)
    bases = {b.task: b for b in baselines(df)}
    for ax, task in zip(axes[0], tasks, strict=True):
        part = df[df["task"].astype(str) == task]
        metric = str(part["metric"].iloc[0])
        groups = part.groupby(by, sort=False) if by else [((), part)]
        for i, (keys, sub) in enumerate(groups):
            keys = keys if isinstance(keys, tuple) else (keys,)
            s = _mean_std(sub, [x], "final_metric")
            ax.errorbar(s[x], s["mean"], yerr=s["std"] if (s["count"] > 1).any() else None, color=f"C{i % 10}",
                        marker=MARKERS[i % len(MARKERS)], ls=STYLES[i % len(STYLES)], capsize=3,
                        label=_line_label(keys, by) if by else None)
        if task in bases:
            ax.axhline(bases[task].value, color="grey", lw=0.8, ls=":", label=f"not learned: {bases[task].why}")
        known = task in TASKS
        xlabel = (get_task(task).length_meaning if known and x == "length" else x.replace("_", " "))
        values = part[x].dropna()
        if values.dtype.kind in "if" and 0 < values.nunique() <= 12:  # a tick at each value drawn
            ax.set_xticks(sorted(values.unique()))
        if metric == "mse":
            ax.set_yscale("log")
        else:
            ax.set_ylim(0, 1.05)
        runs = int(part.groupby([*by, x]).size().max()) if by else int(part.groupby(x).size().max())
        ax.set(xlabel=xlabel, ylabel=f"final held-out {metric}",
               title=f"{task} ({'mean ± std of ' + str(runs) + ' runs' if runs > 1 else 'one run'} per point)")
        _legend(ax, fontsize="small")
        ax.grid(alpha=0.3)
    fig.suptitle(title or "Memory benchmarks")
    fig.tight_layout()
    return fig


def plot_curves(df: Any, title: str = "Learning curves", metric: str = "accuracy") -> Any:
    """Training loss and held-out ``metric`` (a curves.csv column) against step: a row per
    model (memory curves: per task and model, each task scored its own way), a colour per
    length (and per any other setting that varies but the seed), band = std over seeds (kept
    within the figure's range: a loss below 0 or an accuracy above 1 is never drawn). Every
    panel shares the step axis, so runs that solve sooner are seen to."""
    from seqgraph.results import varying_settings

    plt = _plt()
    if metric == "eval_metric" and "task" in df.columns:  # tasks differ in metric: never one panel
        df = df.assign(model=df["task"].astype(str) + " " + df["model"].astype(str))
    models = list(dict.fromkeys(df["model"]))
    fig, axes = plt.subplots(len(models), 2, figsize=(10, 3.2 * len(models)), squeeze=False, sharex=True)
    colour_by = [c for c in varying_settings(df, exclude=("seed", "model", "step")) if c in df.columns] or ["length"]
    combos = list(dict.fromkeys(df[colour_by].itertuples(index=False, name=None)))
    # lengths: an ordered scale without its pale yellow end (invisible on white); several
    # settings: colours told apart (tab20 up to 20)
    if colour_by == ["length"] or len(combos) > 20:
        from matplotlib.colors import ListedColormap

        cmap = ListedColormap(plt.get_cmap("viridis")(np.linspace(0.0, 0.8, max(len(combos), 2))))
    else:
        cmap = plt.get_cmap("tab20" if len(combos) > 10 else "tab10")
    for row, model in enumerate(models):
        part = df[df["model"] == model]
        for i, combo in enumerate(combos):
            sub = part[(part[colour_by] == pd_row(combo, colour_by)).all(axis=1)]
            if sub.empty:
                continue
            label = f"L={combo[0]}" if colour_by == ["length"] else _line_label(combo, colour_by)
            for col, name in enumerate(("loss", metric)):
                s = _mean_std(sub, ["step"], name)
                ax = axes[row][col]
                ax.plot(s["step"], s["mean"], color=cmap(i), label=label if row == 0 and col == 0 else None,
                        marker="o" if len(s) == 1 else None)  # one evaluation is a point, not an empty panel
                lo, hi = s["mean"] - s["std"], s["mean"] + s["std"]
                if name == "loss" or metric in ("accuracy", "eval_metric"):  # a loss, an MSE, an accuracy: ≥ 0
                    lo = lo.clip(lower=0)
                if metric == "accuracy" and name == metric:
                    hi = hi.clip(upper=1)
                ax.fill_between(s["step"], lo, hi, color=cmap(i), alpha=0.15)
        axes[row][0].set(ylabel=f"{model}: training loss", xlabel="step")
        if metric == "accuracy":
            axes[row][1].set(ylabel=f"{model}: held-out accuracy", xlabel="step", ylim=(0, 1.05))
        else:
            axes[row][1].set(ylabel=f"{model}: held-out metric", xlabel="step")
        for ax in axes[row]:
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if not handles:  # the first model lacks some settings: gather the labels from every row
        seen: dict[str, Any] = {}
        for row_axes in axes:
            for h, lab in zip(*row_axes[0].get_legend_handles_labels(), strict=True):
                seen.setdefault(lab, h)
        handles, labels = list(seen.values()), list(seen)
    fig.suptitle(title)
    # one legend for every panel, right of them; the figure widens by the legend's own width,
    # so long labels (length=10, lr=0.001) are never cut at the edge
    legend = fig.legend(handles, labels, fontsize="small", loc="upper right", bbox_to_anchor=(1.0, 0.95),
                        ncol=1 if len(combos) <= 12 else 2)
    fig.canvas.draw()
    panels = fig.get_figwidth()
    width = legend.get_window_extent().width / fig.dpi + 0.1  # inches
    fig.set_figwidth(panels + width)
    fig.tight_layout(rect=(0, 0, panels / (panels + width), 1))
    return fig


def pd_row(values: tuple[Any, ...], columns: list[str]) -> Any:
    import pandas as pd

    return pd.Series(values, index=columns)


def _finish(fig: Any, axes: Any, title: str) -> Any:
    """A light grid on every panel, the title above them, a tight layout."""
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _legend(ax: Any, **kw: Any) -> None:
    """``ax.legend(**kw)`` where the axes has labelled lines (an empty legend is a matplotlib
    warning on the user's terminal)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def plot_text(df: Any, title: str = "Character model") -> Any:
    """Text-model curves: loss (train, validation), validation bits/char, accuracy."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    axes[0].plot(df["step"], df["loss"], label="training")
    axes[0].plot(df["step"], df["val_loss"], label="validation")
    axes[0].set(xlabel="step", ylabel="loss (nats/char)")
    _legend(axes[0])
    axes[1].plot(df["step"], df["val_bpc"], color="C1")
    axes[1].set(xlabel="step", ylabel="validation bits/char")
    if "accuracy" in df.columns:
        axes[2].plot(df["step"], df["accuracy"], label="training")
    if "val_accuracy" in df.columns:
        axes[2].plot(df["step"], df["val_accuracy"], label="validation")
    axes[2].set(xlabel="step", ylabel="next-character accuracy")
    _legend(axes[2])
    return _finish(fig, axes, title)


def plot_nodes(df: Any, title: str = "GCN node classification") -> Any:
    """gcn train's log.csv: training loss, and accuracy on the labelled (training) and the
    unlabelled nodes, against epoch."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(df["epoch"], df["loss"], color="C0")
    axes[0].set(xlabel="epoch", ylabel="training loss")
    axes[1].plot(df["epoch"], df["train_accuracy"], color="C0", label="labelled nodes (training)")
    axes[1].plot(df["epoch"], df["test_accuracy"], color="C1", ls="--", label="unlabelled nodes")
    axes[1].set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.05))
    _legend(axes[1], fontsize="small")
    return _finish(fig, axes, title)


def plot_smoothing(rows: Sequence[dict[str, Any]], title: str = "Over-smoothing") -> Any:
    """√(Dirichlet energy) and MAD against propagation step / layer, log scale, a line per
    ``where`` (``propagation``: Â^k X; a model: after layer k). Values of exactly 0 (smoothed to
    the last bit) cannot sit on a log axis: they are left out, and the caption says how many."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    dropped = 0
    for n, where in enumerate(dict.fromkeys(r["where"] for r in rows)):
        mine = [r for r in rows if r["where"] == where]
        label = ("Â^k X (propagation)" if where == "propagation"
                 else f"{where.upper().replace('-TRAINED', ' (trained)')}, after layer k")
        for ax, key in zip(axes, ("sqrt_energy", "mad"), strict=True):
            pts = [(r["step"], r[key]) for r in mine if r[key] > 0]
            dropped += len(mine) - len(pts)
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, color=f"C{n}", ls=STYLES[n % len(STYLES)], marker=MARKERS[n % len(MARKERS)],
                        markersize=3, label=label)
    axes[0].set(xlabel="step k (propagations or layers)", ylabel="√ Dirichlet energy", yscale="log")
    axes[1].set(xlabel="step k (propagations or layers)", ylabel="MAD (neighbours)", yscale="log")
    axes[0].legend(fontsize="small")
    if dropped:
        fig.text(0.01, 0.01, f"{dropped} value(s) of exactly 0 not drawn (log scale)", fontsize="small")
    return _finish(fig, axes, title)


def plot_search(trials: Any, objective: str, direction: str,
                title: str = "Search: the objective of each trial") -> Any:
    """A search's trials (trials.csv): each complete trial's objective (dots) and the best so far
    (a step line, ``direction`` minimize or maximize); pruned trials at their figure when they
    were pruned (grey crosses: a run cut short, not a finished one)."""
    import pandas as pd

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    done = trials[trials["state"] == "complete"]
    values = pd.to_numeric(done["value"], errors="coerce")
    ax.plot(done["trial"], values, "o", color="C0", label="complete")
    if len(done):
        best = values.cummin() if direction == "minimize" else values.cummax()
        ax.step(done["trial"], best, where="post", color="C1", label="best so far")
    if "value_at_prune" in trials.columns:
        pruned = trials[trials["state"] == "pruned"]
        at = pd.to_numeric(pruned["value_at_prune"], errors="coerce")
        if at.notna().any():
            ax.plot(pruned["trial"], at, "x", color="0.5", label="pruned (its figure when pruned)")
    ax.set(xlabel="trial", ylabel=objective)
    ax.legend(fontsize="small")
    return _finish(fig, [ax], title)


def plot_transfer(df: Any, title: str = "Graph transfer: held-out accuracy against source–target distance") -> Any:
    """gcn transfer's summary: final test accuracy against distance r, a line per (graph,
    model) through the mean over seeds with every seed's point; beside it, each graph's bounds
    on the transfer: the effective resistance R(source, target) and the r-step propagation
    weight (Â^r)_{target,source} (log scale). The dotted line: a guess among the classes."""
    plt = _plt()
    ok = df[df["status"].astype(str) == "ok"] if "status" in df.columns else df
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    graphs = sorted(ok["graph"].astype(str).unique())
    models = sorted(ok["model"].astype(str).unique())
    for (graph, model), part in ok.groupby(["graph", "model"], sort=True):
        stats = _mean_std(part, ["distance"], "final_accuracy")
        g, m = graphs.index(str(graph)), models.index(str(model))  # a colour per graph, a line style per model
        color = f"C{g % 10}"
        ax.plot(stats["distance"], stats["mean"], color=color, ls=STYLES[m % len(STYLES)],
                marker=MARKERS[m % len(MARKERS)], label=f"{str(model).upper()} on {graph}")
        ax.scatter(part["distance"], part["final_accuracy"], color=color, s=10, alpha=0.5)
    if "baseline" in ok.columns and ok["baseline"].notna().any():
        ax.axhline(float(ok["baseline"].dropna().iloc[0]), color="grey", ls=":", label="guess (1 / classes)")
    ax.set(xlabel="distance r (layers = r)", ylabel="test accuracy (mean; dots: seeds)", ylim=(0, 1.05))
    ax.legend(fontsize="small")
    ax = axes[1]
    bounds = ok.drop_duplicates(["graph", "distance"]).sort_values(["graph", "distance"])
    for graph, part in bounds.groupby("graph", sort=True):
        n = graphs.index(str(graph))
        ax.plot(part["distance"], part["resistance"], color=f"C{n}", marker="o", label=f"R(s, t), {graph}")
        if "propagation" in part.columns and (part["propagation"] > 0).all():
            ax.plot(part["distance"], part["propagation"], color=f"C{n}", ls="--", marker="s",
                    label=f"(Â^r)_ts, {graph}")
    ax.set(xlabel="distance r", ylabel="bound (log scale)", yscale="log")
    ax.legend(fontsize="x-small")
    return _finish(fig, axes, title)


def plot_grads(df: Any, title: str = "Gradient flow over time") -> Any:
    """‖∂L/∂s_t‖ against step t on a log scale, a colour per model (mean over seeds, band = the
    range over seeds, min to max); dashed after training. Gradients that are all zero (vanished to the last bit) are
    drawn on a linear scale: a log scale has nothing to show (matplotlib would warn)."""
    norms = df["grad_norm"]
    if norms.isna().all():
        raise DataError("the CSV has no gradient values (grad_norm is empty)")
    if (norms < 0).any():
        raise DataError("grad_norm holds negative values, but a norm is never negative")
    log = bool((norms > 0).any())
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (model, part) in enumerate(df.groupby("model", sort=False)):
        for stage, sub in part.groupby("trained_steps"):
            s = _mean_std(sub, ["t"], "grad_norm")
            label = model if stage == 0 else f"{model}, after {stage} steps"
            ls = "-" if stage == 0 else "--"
            ax.plot(s["t"], s["mean"], color=f"C{i}", ls=ls, label=label)
            seeds = sub["seed"].nunique() if "seed" in sub.columns else 1
            if seeds > 1:  # the range over seeds, as it is (no floor that draws kinks)
                r = sub.groupby("t", sort=True)["grad_norm"].agg(["min", "max"]).reset_index()
                lo = r["min"].where(r["min"] > 0) if log else r["min"]  # a zero has no place on a log axis
                ax.fill_between(r["t"], lo, r["max"], color=f"C{i}", alpha=0.12, lw=0,
                                label=f"{label}: range over {seeds} seeds")
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="time step $t$ (the loss is at the last step)",
           ylabel=r"$\Vert\partial L/\partial s_t\Vert$ (batch mean)",
           title=title if log else f"{title} (all zero)")
    _legend(ax, fontsize="small")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def plot_timegate(df: Any, tau: float | None = None, shift: float | None = None, r_on: float | None = None,
                  title: str = "Time gate k(t)") -> Any:
    """k(t), with the period τ, the shift s and the open phase r_on·τ marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.4))
    ax.plot(df["t"], df["k"], color="C0", label="k(t)")
    integer = df[np.isclose(df["t"] % 1, 0)]
    ax.plot(integer["t"], integer["k"], "o", color="C0", ms=3, label="k at integer steps")
    t_max = float(df["t"].max())
    if tau is not None and shift is not None and r_on is not None and t_max / tau <= 200:  # else the curve says it
        start = shift - tau * np.ceil(shift / tau)
        first = True
        while start <= t_max:
            if start + r_on * tau >= 0:
                ax.axvspan(max(start, 0), start + r_on * tau, color="C2", alpha=0.15,
                           label=f"open phase r_on·τ = {r_on * tau:g}" if first else None)
                ax.axvline(start, color="C3", lw=0.8, ls="--",
                           label=f"s + nτ (s = {shift:g}, τ = {tau:g})" if first else None)
                first = False
            start += tau
    ax.set(xlabel="t", ylabel="k(t)", ylim=(-0.05, 1.1), title=title)
    _legend(ax, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def save_figure(fig: Any, path: str | Path) -> Path:
    """Save by the file's extension (png, svg, pdf), atomically, and close the figure."""
    p = Path(path)
    fmt = p.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise DataError(f"unknown figure format {p.suffix!r} for {p} (choose from .png, .svg, .pdf)")
    from seqgraph.io import atomic_path

    try:
        with atomic_path(p) as tmp:
            fig.savefig(tmp, format=fmt, dpi=120)
    finally:
        _plt().close(fig)
    return p


def draw(csvs: Sequence[Path], kind: str = "auto", x: str = "length", by: str | None = None, out: Path | None = None,
         fmt: str = "png", model: str | None = None, overwrite: bool = False) -> tuple[str, Path]:
    """``seqgraph plot``: the figure ``csvs`` call for (``kind`` auto: from their columns), of
    ``model`` (a comma list) only, saved to ``out`` (a file, or a folder for ``<kind>.<fmt>``;
    an existing file there replaced only with ``overwrite``; default: beside the first CSV, as
    the command that wrote the CSV draws it). Returns the kind and the file."""
    from seqgraph.io import check_replace
    from seqgraph.results import names, read_many

    if kind != "auto" and kind not in KINDS:
        raise DataError(f"unknown plot kind {kind!r} (choose from auto, {', '.join(KINDS)})")
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    df = read_many(csvs)
    k = detect_kind(df) if kind == "auto" else kind
    if model:
        if "model" not in df.columns:
            raise DataError(f"{csvs[0]} has no model column to filter")
        df = df[df["model"].isin([m.strip() for m in model.split(",")])]
        if df.empty:
            raise DataError(f"no rows for model(s) {model} in {', '.join(map(str, csvs))}")
    if (x != "length" or by is not None) and k not in ("accuracy", "memory"):
        raise DataError(f"--x and --by shape accuracy figures; {csvs[0]} makes a {k} figure")
    name = f"{k}.{fmt}" if k not in ("accuracy", "memory") or x == "length" else f"{k}_{x}.{fmt}"
    path = out / name if out is not None and out.is_dir() else out or csvs[0].with_name(name)
    if out is not None:
        check_replace(path, overwrite)
    return k, save_figure(figure_for(df, k, x.replace("-", "_"), names(by)), path)


def figure_for(df: Any, kind: str, x: str | None = None, by: list[str] | None = None) -> Any:
    """Draw the figure of ``kind`` (see :data:`KINDS`) from a DataFrame; ``x`` and ``by``
    choose the axis and the lines of an accuracy figure."""
    missing = [c for c in KINDS[kind] if c not in df.columns]
    if missing:
        raise DataError(f"a {kind} plot needs column(s) {', '.join(missing)}")
    if df.empty:
        raise DataError("the CSV has no rows to plot")
    from seqgraph.results import check_numbers

    check_numbers(df, KINDS[kind])
    if kind == "timegate":
        def first(k: str) -> float | None:
            return float(df[k].iloc[0]) if k in df.columns else None

        tau, r_on = first("tau"), first("r_on")
        if (tau is not None and not tau > 0) or (r_on is not None and not 0 < r_on <= 1):
            raise DataError(f"a time gate needs tau > 0 and r_on in (0, 1]; the CSV has tau = {tau}, r_on = {r_on}")
        return plot_timegate(df, tau, first("shift"), r_on)
    if kind == "transfer":
        return plot_transfer(df)
    if kind == "accuracy":
        return plot_accuracy(df, x or "length", by)
    if kind == "memory":
        return plot_memory(df, x or "length", by)
    if kind == "memory-curves":
        return plot_curves(df, "Learning curves (held-out metric: the task's own)", metric="eval_metric")
    return {"curves": plot_curves, "text": plot_text, "grads": plot_grads, "nodes": plot_nodes}[kind](df)
