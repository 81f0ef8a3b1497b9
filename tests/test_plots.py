"""Every figure is rendered and its file checked (format, size, dimensions)."""

import struct

import numpy as np
import pandas as pd
import pytest

from seqgraph.errors import DataError
from seqgraph.plots import detect_kind, figure_for, save_figure


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def summary():
    return pd.DataFrame([{"model": m, "task": "decimal", "length": L, "seed": s, "final_accuracy": a,
                          "best_accuracy": a, "steps": 10, "solved_step": None, "wall_time": 1.0}
                         for m, base in (("rnn", 0.9), ("lstm", 1.0)) for L in (5, 10, 15) for s in (1, 2)
                         for a in [max(0.1, base - 0.03 * L + 0.01 * s)]])


def curves():
    return pd.DataFrame([{"model": m, "task": "decimal", "length": L, "seed": s, "step": st,
                          "loss": 2.3 / st, "accuracy": min(1, st / 100), "train_accuracy": 0.5,
                          "eval_loss": 1.0, "elapsed": 0.1}
                         for m in ("rnn", "lstm") for L in (5, 10) for s in (1, 2) for st in (10, 20, 30)])


def textlog():
    return pd.DataFrame([{"step": s, "loss": 3 / s ** 0.3, "accuracy": 0.3 + s / 1e4, "val_loss": 3.1 / s ** 0.3,
                          "val_bpc": 4.4 / s ** 0.3, "val_accuracy": 0.28 + s / 1e4, "lr": 0.002,
                          "chars_per_s": 1e4, "elapsed": s / 10} for s in (100, 200, 300)])


def grads():
    return pd.DataFrame([{"model": m, "seed": s, "trained_steps": k, "t": t,
                          "grad_norm": (0.5 if m == "rnn" else 0.95) ** (20 - t)}
                         for m in ("rnn", "lstm") for s in (1, 2) for k in (0, 50) for t in range(20)])


def timegate():
    return pd.DataFrame([{"t": t / 10, "k": max(0.0, 1 - abs(t / 10 % 6 - 3)), "tau": 6.0, "shift": 3.0, "r_on": 0.2}
                         for t in range(300)])


@pytest.mark.parametrize("make, kind", [(summary, "accuracy"), (curves, "curves"), (textlog, "text"),
                                        (grads, "grads"), (timegate, "timegate")])
def test_each_figure_renders(tmp_path, make, kind, is_drawn):
    df = make()
    assert detect_kind(df) == kind
    path = save_figure(figure_for(df, kind), tmp_path / f"{kind}.png")
    w, h = png_size(path)
    assert w >= 600 and h >= 300
    assert is_drawn(path)  # not a blank canvas


def test_accuracy_against_any_setting_with_a_line_per_other(tmp_path, is_drawn):
    df = pd.concat([summary().assign(lr=lr, hidden=h) for lr in (1e-3, 1e-2, 1e-1) for h in (64, 128)])
    fig = figure_for(df, "accuracy", x="lr", by=["hidden"])
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"  # learning rates span decades
    assert ax.get_legend().get_title().get_text() == "hidden"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["64", "128"]
    assert is_drawn(save_figure(fig, tmp_path / "lr.png"))
    default = figure_for(df, "accuracy")  # a line per model × lr × hidden combination
    lines = default.axes[0].get_lines()
    dots = [ln for ln in lines if ln.get_linestyle() == "None" and ln.get_marker() == "."]
    assert len(lines) - len(dots) == 2 * 3 * 2 + 1  # + the not-learned baseline line
    assert len(dots) == 2 * 3 * 2 and all(len(d.get_xdata()) == 2 * 3 for d in dots)  # each run: 2 seeds × 3 lengths
    with pytest.raises(DataError, match="no such column"):
        figure_for(df, "accuracy", x="colour")


@pytest.mark.parametrize("ext, magic", [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_other_formats(tmp_path, ext, magic):
    path = save_figure(figure_for(summary(), "accuracy"), tmp_path / f"a.{ext}")
    assert path.read_bytes()[:5].startswith(magic)


def test_unknown_columns_and_format(tmp_path):
    with pytest.raises(DataError, match="cannot tell what to plot"):
        detect_kind(pd.DataFrame({"x": [1], "y": [2]}))
    with pytest.raises(DataError, match="unknown figure format"):
        save_figure(figure_for(summary(), "accuracy"), tmp_path / "a.gif")
    with pytest.raises(DataError, match="needs column"):
        figure_for(pd.DataFrame({"model": ["a"]}), "accuracy")


def test_accuracy_figure_draws_the_not_learned_baseline_of_each_task():
    df = pd.concat([summary().assign(task="decimal"), summary().assign(task="binary")])
    ax = figure_for(df, "accuracy", by=["task", "model"]).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "not learned, decimal: 1/10" in labels
    (binary,) = [t for t in labels if t.startswith("not learned, binary: majority label")]
    assert float(binary.rsplit(" ", 1)[1]) == pytest.approx(2 / 3, abs=0.005)
    ys = sorted(line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == ":")
    assert ys[0] == pytest.approx(0.1) and ys[1] == pytest.approx(2 / 3, abs=0.005)


def test_accuracy_figure_draws_a_baseline_per_length_where_it_depends_on_the_length():
    from seqgraph.tasks.registry import get_task

    df = summary().assign(task="baum-sweet")  # lengths 5, 10, 15 → clipped to what the task allows
    df["length"] = df["length"].map({5: 2, 10: 6, 15: 10})
    ax = figure_for(df, "accuracy").axes[0]
    (line,) = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert line.get_label() == "not learned, baum-sweet: majority label at each L"
    assert list(line.get_xdata()) == [2, 6, 10]
    assert list(line.get_ydata()) == [get_task("baum-sweet").baseline(L) for L in (2, 6, 10)]
    one = summary().assign(task="random-combinations", length=8, lr=1e-3)
    one.loc[one["seed"] == 2, "lr"] = 1e-2
    ax = figure_for(one, "accuracy", x="lr").axes[0]
    (line,) = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert line.get_label() == "not learned, random-combinations L=8: 1/L" and line.get_ydata()[0] == 1 / 8


# --- what the figures show (structure, not pixels) ---------------------------------------------

def test_every_accuracy_line_is_visible_when_lines_coincide():
    df = summary()
    df["final_accuracy"] = 1.0  # every model solves every length: the lines lie on each other
    more = df[df.model == "rnn"].assign(model="gru")
    fig = figure_for(pd.concat([df, more]), "accuracy")
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label() in ("rnn", "lstm", "gru")]
    assert len(lines) == 3
    assert len({(ln.get_marker(), ln.get_linestyle()) for ln in lines}) == 3


def test_accuracy_ticks_dots_and_title():
    fig = figure_for(summary(), "accuracy")  # two seeds, lengths 5, 10, 15
    ax = fig.axes[0]
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ticks == [5, 10, 15]  # few values: a tick at each
    assert not ax.collections  # no ± std band: outcomes over seeds are often bimodal
    assert "the mean of 2 runs per point, each run a dot" in ax.get_title()
    one = figure_for(summary()[lambda d: d.seed == 1], "accuracy")
    assert "one run per point" in one.axes[0].get_title()
    assert not [ln for ln in one.axes[0].get_lines() if ln.get_marker() == "."]  # no dots beside a single run


@pytest.mark.parametrize("x", ["length", "lr"])
def test_accuracy_title_fits_in_the_figure(x):
    df = summary().assign(lr=lambda d: (d.model == "rnn") * 9e-3 + 1e-3)  # two seeds per point
    fig = figure_for(df, "accuracy", x=x)
    fig.canvas.draw()
    assert "the mean of 2 runs" in fig.axes[0].get_title()
    box = fig.axes[0].title.get_window_extent(fig.canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


def test_every_run_is_a_dot_at_its_accuracy():
    df = summary()
    df.loc[df.seed == 1, "final_accuracy"] = 1.0
    df.loc[df.seed == 2, "final_accuracy"] = 0.2  # bimodal: solved or not, never the mean 0.6
    ax = figure_for(df, "accuracy").axes[0]
    dots = [ln for ln in ax.get_lines() if ln.get_marker() == "."]
    drawn = sorted(float(y) for d in dots for y in d.get_ydata())
    assert drawn == pytest.approx(sorted(df["final_accuracy"]))
    for d in dots:  # near their length, apart from the other line's
        assert all(min(abs(x - L) for L in (5, 10, 15)) < 0.5 for x in d.get_xdata())


def test_grads_label_is_mathtext():
    ax = figure_for(grads(), "grads").axes[0]
    assert "s_t" not in ax.get_ylabel().replace(r"\partial s_t", "")  # only inside $…$
    assert ax.get_ylabel().startswith("$")


def test_curves_have_one_legend_and_no_pale_yellow():
    fig = figure_for(curves(), "curves")
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    assert sorted(t.get_text() for t in fig.legends[0].get_texts()) == ["L=10", "L=5"]
    import matplotlib.colors as mc

    for ax in fig.axes:
        for ln in ax.get_lines():
            r, g, b = mc.to_rgb(ln.get_color())
            assert not (r > 0.8 and g > 0.8 and b < 0.4), ln.get_color()  # viridis' end vanishes on white


def test_curves_legend_with_long_labels_fits_beside_the_panels():
    df = pd.concat([curves().assign(lr=lr) for lr in (1e-3, 1e-2)])  # labels like "length=10, lr=0.001"
    fig = figure_for(df, "curves")
    fig.canvas.draw()
    box = fig.legends[0].get_window_extent(fig.canvas.get_renderer())
    assert "lr=0.001" in " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width  # not cut at the figure's edge
    assert all(box.x0 >= ax.get_window_extent().x1 for ax in fig.axes)  # and on no panel


def test_curves_of_a_single_evaluation_draw_points():
    fig = figure_for(curves()[lambda d: d.step == 10], "curves")
    assert all(ln.get_marker() == "o" for ax in fig.axes for ln in ax.get_lines())


def test_gcn_log_is_plotted_and_samples_are_refused(tmp_path, is_drawn):
    log = pd.DataFrame([{"epoch": e, "loss": 1 / e, "train_accuracy": 1.0, "test_accuracy": 0.5 + e / 400}
                        for e in range(1, 201)])
    assert detect_kind(log) == "nodes"
    path = save_figure(figure_for(log, "nodes"), tmp_path / "nodes.png")
    assert is_drawn(path)
    samples = pd.DataFrame([{"step": 1000, "temperature": 0.5, "text": "the"}])
    with pytest.raises(DataError, match="generated text"):
        detect_kind(samples)


def test_the_gradient_band_is_the_range_over_seeds_and_in_the_legend():
    df = grads()
    df.loc[df.seed == 2, "grad_norm"] *= 10  # seed 2 ten times larger
    df.loc[(df.seed == 2) & (df.t == 0), "grad_norm"] = 0.0  # a zero: no place on the log axis
    ax = figure_for(df, "grads").axes[0]
    bands = ax.collections
    assert len(bands) == 4  # a model × (untrained, trained)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum("range over 2 seeds" in lab for lab in labels) == 4
    part = df[(df.model == "rnn") & (df.trained_steps == 0)]
    lo, hi = part.groupby("t")["grad_norm"].min(), part.groupby("t")["grad_norm"].max()
    ys = np.concatenate([p.vertices[:, 1] for p in bands[0].get_paths()])
    assert ys.max() == pytest.approx(hi.max()) and ys.min() == pytest.approx(lo[lo > 0].min())  # no floor


def test_learning_curves_share_the_step_axis_and_keep_bands_in_range():
    df = curves()
    df.loc[df.seed == 2, "loss"] = 0.0  # a spread that a plain ± std band takes below 0
    fig = figure_for(df, "curves")
    axes = fig.axes[:4]
    assert len({ax.get_xlim() for ax in axes}) == 1  # one step axis for every panel
    for ax in axes:
        for band in ax.collections:
            y = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
            assert y.min() >= -1e-9
            if "accuracy" in ax.get_ylabel():
                assert y.max() <= 1 + 1e-9
