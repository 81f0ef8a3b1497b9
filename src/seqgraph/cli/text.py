"""``seqgraph train``, ``sample`` and ``evaluate``: the character-level language model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import console, fail, print_json, user_errors


def train(
    text: Annotated[Path | None, typer.Argument(help="UTF-8 text file. Default: the built-in King James Bible.")] = None,
    cell: Annotated[str | None, typer.Option(help="lstm, peep, gru, rnn, tglstm (seqgraph's cells) or torch (nn.LSTM). [default: lstm]")] = None,
    layers: Annotated[int | None, typer.Option(help="[default: 2]")] = None,
    hidden: Annotated[int | None, typer.Option(help="[default: 128]")] = None,
    seq_length: Annotated[int | None, typer.Option(help="Characters per training sequence. [default: 30]")] = None,
    batch_size: Annotated[int | None, typer.Option(help="[default: 64]")] = None,
    steps: Annotated[int | None, typer.Option(help="Total training steps. [default: 5000]")] = None,
    optimizer: Annotated[str | None, typer.Option(help="adam, rmsprop or sgd. [default: adam]")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate. [default: 2e-3]")] = None,
    lr_decay: Annotated[float | None, typer.Option(help="Multiply the learning rate by this every --lr-step steps. [default: 0.96]")] = None,
    lr_step: Annotated[int | None, typer.Option(help="[default: 5000]")] = None,
    max_norm: Annotated[float | None, typer.Option(help="Gradient-norm clipping; 0 disables. [default: 5]")] = None,
    dropout: Annotated[float | None, typer.Option(help="[default: 0]")] = None,
    learn_gate: Annotated[bool | None, typer.Option("--learn-gate/--fixed-gate", help="tglstm: learn the time gate. [default: learn]")] = None,
    val_fraction: Annotated[float | None, typer.Option(help="Held-out end of the text. [default: 0.05]")] = None,
    eval_every: Annotated[int | None, typer.Option(help="Steps between validation passes (and checkpoints). [default: 250]")] = None,
    sample_every: Annotated[int | None, typer.Option(help="Steps between samples written to samples.csv; 0 never. [default: 1000]")] = None,
    seed: Annotated[int | None, typer.Option(help="[default: 0]")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda. [default: auto]")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with these options; flags override it.")] = None,
    out: Annotated[str | None, typer.Option(help="Folder for log.csv, samples.csv, config.toml, checkpoints. [default: results/charlm]")] = None,
    ckpt: Annotated[str | None, typer.Option(help="Path of the last checkpoint. [default: <out>/last.pt; best: best.pt beside it]")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint: same step, schedule and data stream.")] = False,
) -> None:
    """Train a character-level language model on a text (Ctrl-C saves a checkpoint)."""
    from seqgraph.config import CharLMConfig, resolve

    with user_errors():
        cfg = resolve(CharLMConfig, config, text=str(text) if text else None, cell=cell, layers=layers,
                      hidden=hidden, seq_length=seq_length, batch_size=batch_size, steps=steps, optimizer=optimizer,
                      lr=lr, lr_decay=lr_decay, lr_step=lr_step, max_norm=max_norm, dropout=dropout, learn_gate=learn_gate,
                      val_fraction=val_fraction, eval_every=eval_every, sample_every=sample_every, seed=seed,
                      device=device, out=out, ckpt=ckpt, resume=resume or None)
        from seqgraph.train.charlm import Interrupted, train_charlm

        con = console(stderr=True)
        listener = TrainProgress(con)
        try:
            with listener:
                summary = train_charlm(cfg, listener)
        except Interrupted as e:
            raise fail(f"{e}; continue with the same command and --resume", code=130) from None
    o = console()
    v = summary.val
    o.print(f"trained on {summary.corpus}: step {summary.step:,}, {summary.chars_per_s:,.0f} chars/s, "
            f"{summary.wall_time:.0f}s")
    if v:
        o.print(f"validation: loss {v['loss']:.3f}, {v['bpc']:.3f} bits/char, accuracy {v['accuracy']:.3f}")
    o.print(f"checkpoints: {summary.last} (last), {summary.best} (best); log: {Path(cfg.out) / 'log.csv'}, "
            f"samples: {Path(cfg.out) / 'samples.csv'}")


class TrainProgress:
    """Rich progress of a character-model run (on its own, or inside another command's display)."""

    def __init__(self, con: Any, progress: Any = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.owns = progress is None
        self.progress = progress or Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(),
                                             TimeRemainingColumn(), TextColumn("{task.fields[info]}"), console=con)
        self.con = self.progress.console
        self.val = ""
        self._last = 0.0
        self.task: Any = None

    def __enter__(self) -> TrainProgress:
        return self  # the display starts with the training, so early errors print alone

    def __exit__(self, *exc: object) -> None:
        if self.task is not None and self.owns:
            self.progress.stop()

    def start(self, total: int, step: int, corpus: str, n_params: int) -> None:
        if self.owns:
            self.progress.start()
        self.con.print(f"corpus: {corpus}; model: {n_params:,} parameters; from step {step:,}")
        self.task = self.progress.add_task("", total=total, completed=step, info="")

    def step(self, step: int, loss: float, accuracy: float, chars_per_s: float) -> None:
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        self.progress.update(self.task, completed=step,
                             info=f"loss {loss:.3f} acc {accuracy:.3f} {self.val}{chars_per_s:,.0f} chars/s")

    def evaluation(self, row: dict[str, Any]) -> None:
        self.val = f"val {row['val_loss']:.3f} ({row['val_bpc']:.2f} bpc, acc {row['val_accuracy']:.3f}) "
        self.progress.update(self.task, completed=row["step"],
                             info=f"loss {row['loss']:.3f} acc {row['accuracy']:.3f} {self.val}"
                                  f"{row['chars_per_s']:,.0f} chars/s")

    def samples(self, step: int, rows: list[dict[str, Any]]) -> None:
        greedy = rows[0]["text"].replace("\n", " ")
        self.con.print(f"step {step:,} greedy: {greedy}")


def sample(
    ckpt: Annotated[Path, typer.Argument(help="A checkpoint written by seqgraph train.")],
    temp: Annotated[float, typer.Option("--temp", help="Temperature T: softmax(logits / T); 0 = greedy (argmax). The course's β is 1/T.")] = 1.0,
    greedy: Annotated[bool, typer.Option("--greedy", help="Same as --temp 0.")] = False,
    length: Annotated[int, typer.Option(help="Characters to generate.")] = 30,
    prompt: Annotated[str, typer.Option(help="Text to continue. Default: a newline if the vocabulary has one, else its first character.")] = "",
    num: Annotated[int, typer.Option(help="Samples, generated as one batch.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the sampler.")] = 0,
    top_k: Annotated[int, typer.Option(help="Sample among the k most likely characters (0: all).")] = 0,
    top_p: Annotated[float, typer.Option(help="Sample among the smallest set with probability ≥ p (nucleus), in (0, 1].")] = 1.0,
    beam: Annotated[int, typer.Option(help="Beam search with this width instead of sampling (0: off); prints the --num best beams.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Generate text from a trained character model (state carried, one step per character)."""
    import torch

    from seqgraph.nn.charlm import beam_search, generate
    from seqgraph.train.charlm import load_model
    from seqgraph.train.loop import resolve_device

    with user_errors():
        if length <= 0 or num <= 0:
            raise fail("--length and --num must be positive")
        if temp < 0:
            raise fail(f"--temp must be ≥ 0 (0 = greedy), got {temp}")
        if not 0 < top_p <= 1:
            raise fail(f"--top-p must be in (0, 1], got {top_p}")
        dev = resolve_device(device)
        model, vocab, ckpt_data = load_model(ckpt, dev)
        if not prompt:
            prompt = "\n" if "\n" in vocab.stoi else vocab.chars[0]
        prompt_ids = vocab.encode(prompt, "prompt")
        T = 0.0 if greedy else temp
        if beam:
            ids, scores = beam_search(model, prompt_ids, length, beam)
            texts = [prompt + vocab.decode(r) for r in ids[:num]]
            extra: list[dict[str, Any]] = [{"log_prob": float(s)} for s in scores[:num]]
        else:
            gen = torch.Generator(device=dev).manual_seed(seed)
            ids = generate(model, prompt_ids, length, num=num, temperature=T, top_k=top_k, top_p=top_p,
                           generator=gen)
            texts = [prompt + vocab.decode(r) for r in ids]
            extra = [{} for _ in texts]
    if as_json:
        print_json({"checkpoint": str(ckpt), "step": ckpt_data["step"], "temperature": T, "beam": beam,
                    "samples": [{"text": t, **e} for t, e in zip(texts, extra, strict=True)]})
        return
    import sys

    sys.stdout.write("\n\n".join(texts) + "\n")


def evaluate(
    ckpt: Annotated[Path, typer.Argument(help="A checkpoint written by seqgraph train.")],
    text: Annotated[Path | None, typer.Argument(help="UTF-8 text. Default: the checkpoint's own validation split.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Loss, bits per character, perplexity and next-character accuracy of a model on a text."""
    from seqgraph.tasks.text import CharCorpus, load_text
    from seqgraph.train.charlm import corpus_text, evaluate_stream, load_model
    from seqgraph.train.loop import resolve_device

    with user_errors():
        dev = resolve_device(device)
        model, vocab, ck = load_model(ckpt, dev)
        cfg = ck["config"]
        if text is None:
            source = cfg.get("text", "")
            if source and not Path(source).is_file():
                raise fail(f"the checkpoint's training text {source} is not available: pass a TEXT file")
            full, name = corpus_text(source)
            ids = CharCorpus(full, vocab, cfg["val_fraction"], cfg["seq_length"]).val
            name = f"validation split of {name}"
        else:
            ids = vocab.encode(load_text(text), f"text {text}")
            name = str(text)
        res = evaluate_stream(model, ids, dev)
    if as_json:
        print_json({"checkpoint": str(ckpt), "text": name, **res.as_dict()})
        return
    from rich.table import Table

    con = console()
    con.print(f"{ckpt} (step {ck['step']:,}) on the {name}")
    t = Table()
    for c in ("characters", "loss (nats)", "bits/char", "perplexity", "accuracy"):
        t.add_column(c, justify="right")
    t.add_row(f"{res.characters:,}", f"{res.loss:.4f}", f"{res.bpc:.4f}", f"{res.perplexity:.3f}", f"{res.accuracy:.4f}")
    con.print(t)
