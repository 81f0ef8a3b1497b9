"""``seqgraph train``, ``sample`` and ``evaluate``: the character-level language model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import (
    complete,
    complete_examples,
    console,
    fail,
    given,
    interrupted,
    one_of,
    print_json,
    report_failures,
    stop_on_ctrl_c,
    user_errors,
)
from seqgraph.cli.options import (
    KERNEL_HELP,
    RUN,
    RUN_OPTIONS_HELP,
    SETTINGS,
    Device,
    Json,
    Opt,
    Overwrite,
    options_of,
    with_options,
)
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.nn.registry import char_cells
from seqgraph.sweep.grid import EXECUTORS
from seqgraph.train import OPTIMIZERS

SETTING_HELP: dict[str, str | Opt] = {
    "text": "",  # the TEXT argument
    "cell": f"Cell, {one_of(char_cells())} (torch: nn.LSTM; the others are seqgraph's cells).",
    "layers": "Recurrent layers.",
    "hidden": "Hidden units per layer.",
    "seq_length": "Characters per training sequence.",
    "batch_size": "Sequences per batch.",
    "steps": "Total training steps.",
    "optimizer": f"Optimizer, {one_of(OPTIMIZERS)}.",
    "lr": "Learning rate(s), e.g. 2e-4,2e-3,2e-2.",
    "lr_decay": "Multiply the learning rate by this every --lr-step steps.",
    "lr_step": "Steps between learning-rate decays.",
    "max_norm": "Gradient-norm clipping; 0 disables.",
    "dropout": "Dropout between layers and before the output layer.",
    "forget_bias": "Initial forget-gate bias of seqgraph's LSTM-type cells (0 measured better than 1 here: docs, "
                   "character model).",
    "learn_gate": Opt("tglstm: learn the time gate.", ("--learn-gate/--fixed-gate",)),
    "val_fraction": "Held-out end of the text.",
    "eval_every": "Steps between validation passes (and checkpoints).",
    "eval_batches": "Validation windows per pass, in batches.",
    "sample_every": "Steps between samples written to samples.csv; 0 never.",
    "sample_length": "Characters per sample in samples.csv.",
    "seed": "Seed(s) of weights and data order.",
    "kernel": KERNEL_HELP,
}
GRID_EXECUTORS = tuple(e for e in EXECUTORS if e != "batched")  # character models train one at a time
RUN_HELP: dict[str, str | Opt] = RUN_OPTIONS_HELP | {
    "out": "Folder for log.csv, samples.csv, config.toml and checkpoints; with lists, one folder per run in it and a "
           "summary.csv.",
    "ckpt": "Path of the last checkpoint of a single run (best.pt beside it). Default: <out>/last.pt.",
    "executor": Opt(f"For lists: {one_of(GRID_EXECUTORS)} (auto: on a CPU one process per core).",
                    complete=complete(GRID_EXECUTORS)),
    "resume": Opt("Continue from the last checkpoint (same step, schedule and data stream); with lists, train only "
                  "what is missing.", ("--resume",)),
    "overwrite": Opt("Replace a training run (or grid) already in --out.", ("--overwrite",)),
}


@with_options(options_of(CharLMRun, SETTING_HELP, panel=SETTINGS, skip=("text",)),
              options_of(TrainOptions, RUN_HELP, panel=RUN, skip=("batch_runs",)))
def train(
    ctx: typer.Context,
    text: Annotated[Path | None, typer.Argument(help="UTF-8 text file. Default: the built-in King James Bible.", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with these options, or a shipped example's name (charlm-grid); flags override it.", rich_help_panel=RUN, autocompletion=complete_examples("config"))] = None,
    **settings: Any,
) -> None:
    """Train a character-level language model on a text (Ctrl-C saves a checkpoint).

    Any setting given as a list (e.g. --lr 2e-4,2e-3 --hidden 128,256) trains every combination, one folder per run under --out, with one summary.csv.
    """
    from seqgraph.cli.display import Display, with_logs
    from seqgraph.experiments.charlm.grid import configure, is_grid
    from seqgraph.experiments.charlm.grid import train as train_text
    from seqgraph.experiments.charlm.loop import Interrupted

    with user_errors():
        flags = given(ctx, exclude=("config", "text"))
        if text is not None:
            flags["text"] = str(text)
        sweep = configure(config, flags)
        if sweep.options.dry_run:
            from seqgraph.cli.display import print_dry_run

            return print_dry_run("charlm", sweep)
        grid = is_grid(sweep)
        display = Display(console(stderr=True), _grid_line if grid else None)
        try:
            with display, stop_on_ctrl_c(not grid) as stop, with_logs(display, sweep.options.tensorboard) as progress:
                try:
                    summary = train_text(sweep, progress, stop)
                except KeyboardInterrupt as e:
                    display.finished = getattr(e, "saved", display.finished)  # the rows in summary.csv decide
                    raise
        except Interrupted as e:
            raise fail(f"{e}; continue with the same command and --resume", code=130) from None
        except KeyboardInterrupt:
            raise interrupted(display.finished, sweep.options.out) from None
    if grid:
        report_failures(summary)
        _print_grid(summary, sweep)
        return
    o = console()
    v = summary.val
    o.print(f"trained on {summary.corpus}: step {summary.step:,}, {summary.chars_per_s:,.0f} chars/s, "
            f"{summary.wall_time:.0f}s")
    if v:
        o.print(f"validation: loss {v['loss']:.3f}, {v['bpc']:.3f} bits/char, accuracy {v['accuracy']:.3f}")
    outdir = Path(sweep.options.out)
    samples = f", samples: {outdir / 'samples.csv'}" if (outdir / "samples.csv").exists() else ""
    o.print(f"checkpoints: {summary.last} (last), {summary.best} (best); log: {outdir / 'log.csv'}{samples}")


def _grid_line(label: str, s: dict[str, Any]) -> str:
    if str(s.get("status", "ok")) != "ok":
        return f"{label}: {s['status']}"
    return (f"{label}: step {s['trained_steps']:,}, val {s['val_loss']:.3f} ({s['val_bpc']:.3f} bpc, "
            f"acc {s['val_accuracy']:.3f}), {s['chars_per_s']:,.0f} chars/s")


def _print_grid(df: Any, sweep: Any) -> None:
    from rich.table import Table

    by = sweep.varying()
    t = Table(title="Validation per run", title_justify="left")
    for c in (*by, "steps", "val loss", "bits/char", "val acc", "chars/s", "folder"):
        t.add_column(c.replace("_", " "), justify="left" if c in ("cell", "text", "optimizer", "folder") else "right")
    for r in df.to_dict("records"):
        ok = str(r["status"]) == "ok"

        def num(v: Any, fmt: str, ok: bool = ok) -> str:
            return format(v, fmt) if ok else "—"

        cells = [f"{r[c]:g}" if isinstance(r[c], float) else str(r[c]) for c in by]
        t.add_row(*cells, num(r["trained_steps"], ","), num(r["val_loss"], ".3f"), num(r["val_bpc"], ".3f"),
                  num(r["val_accuracy"], ".3f"), num(r["chars_per_s"], ",.0f"),
                  Path(str(r["folder"])).name if ok else str(r["status"]))
    con = console()
    con.print(t)
    con.print(f"results: {Path(sweep.options.out) / 'summary.csv'}; checkpoints and logs in each run's folder")


def sample(
    ctx: typer.Context,
    ckpt: Annotated[Path, typer.Argument(help="A checkpoint written by seqgraph train.")],
    temp: Annotated[float, typer.Option("--temp", "--temperature", help="Temperature T: softmax(logits / T); 0 = greedy (argmax). The course's β is 1/T.")] = 1.0,
    beta: Annotated[float | None, typer.Option("--beta", help="Inverse temperature β as the 2019/2020 course writes it: softmax(β · logits), β > 0. Instead of --temp.")] = None,
    greedy: Annotated[bool, typer.Option("--greedy", help="Same as --temp 0.")] = False,
    length: Annotated[int, typer.Option(help="Characters to generate.")] = 30,
    prompt: Annotated[str, typer.Option(help="Text to continue. Default: a newline if the vocabulary has one, else its first character.")] = "",
    num: Annotated[int, typer.Option(help="Samples, generated as one batch.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the sampler.")] = 0,
    top_k: Annotated[int, typer.Option(help="Sample among the k most likely characters (0: all).")] = 0,
    top_p: Annotated[float, typer.Option(help="Sample among the smallest set with probability ≥ p (nucleus), in (0, 1].")] = 1.0,
    beam: Annotated[int, typer.Option(help="Beam search with this width instead of sampling (0: off); prints the --num best beams.")] = 0,
    device: Device = "auto",
    out: Annotated[Path | None, typer.Option("--out", help="Also write the samples to this CSV (knob, value, seed, text).")] = None,
    overwrite: Overwrite = False,
    as_json: Json = False,
) -> None:
    """Generate text from a trained character model (state carried, one step per character)."""
    from seqgraph.experiments.charlm.sample import Sampling, sample_checkpoint

    with user_errors():
        how = Sampling(temp, beta, greedy, beam, top_k, top_p, temperature_given="temp" in given(ctx))
        res = sample_checkpoint(ckpt, how, length=length, prompt=prompt, num=num, seed=seed, device=device, out=out,
                                overwrite=overwrite)
    if as_json:
        print_json({"checkpoint": str(ckpt), "step": res.step, "knob": res.knob, "value": res.value,
                    "temperature": res.temperature, "beta": beta, "beam": beam,
                    "samples": [{"text": t, **e} for t, e in zip(res.texts, res.extra, strict=True)]})
        return
    import sys

    sys.stdout.write("\n\n".join(res.texts) + "\n")


def evaluate(
    ckpt: Annotated[Path, typer.Argument(help="A checkpoint written by seqgraph train.")],
    text: Annotated[Path | None, typer.Argument(help="UTF-8 text. Default: the checkpoint's own validation split.")] = None,
    device: Device = "auto",
    as_json: Json = False,
) -> None:
    """Loss, bits per character, perplexity and next-character accuracy of a model on a text."""
    from seqgraph.experiments.charlm.model import evaluate_checkpoint
    from seqgraph.train.loop import resolve_device

    with user_errors():
        res, name, ck = evaluate_checkpoint(ckpt, text, resolve_device(device))
    if as_json:
        print_json({"checkpoint": str(ckpt), "text": name, **res.as_dict()})
        return
    from rich.table import Table

    con = console()
    on = f"the {name}" if text is None else name  # "the validation split of …"; a file by its name
    con.print(f"{ckpt} (step {ck['step']:,}) on {on}", markup=False, soft_wrap=True)
    t = Table()
    for c in ("characters", "loss (nats)", "bits/char", "perplexity", "accuracy"):
        t.add_column(c, justify="right")
    t.add_row(f"{res.characters:,}", f"{res.loss:.4f}", f"{res.bpc:.4f}", f"{res.perplexity:.3f}", f"{res.accuracy:.4f}")
    con.print(t)
