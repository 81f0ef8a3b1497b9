"""Every figure is rendered and its file checked (format, size, dimensions)."""

import struct

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
    assert len(default.axes[0].get_lines()) == 2 * 3 * 2 + 1  # + the not-learned baseline line
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
