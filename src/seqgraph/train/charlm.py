"""Training, evaluating and loading the character-level language model.

One run trains into one folder (``seqgraph train``); a grid of runs (any setting given as a
list) trains one folder per run under ``--out`` through the sweep engine, with one summary.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import signal
import threading
import time
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from seqgraph.config import CharLMRun, TrainOptions, check_memory, read_toml, run_id, spec_fields, to_dict, write_toml
from seqgraph.errors import CheckpointError, ConfigError, DataError
from seqgraph.io import append_rows, drop_torn_row, make_folder, read_csv, write_csv
from seqgraph.nn.charlm import CharLM, generate
from seqgraph.nn.fused import resolve_kernel
from seqgraph.nn.registry import cell_names
from seqgraph.tasks.text import DEFAULT_CORPUS, CharCorpus, Vocab, default_corpus, load_text
from seqgraph.train.checkpoint import check_resumable, load_checkpoint, save_checkpoint
from seqgraph.train.jobs import Job, RunResult, failed_result
from seqgraph.train.loop import StepStats, Trainer, fit, make_optimizer, resolve_device
from seqgraph.train.progress import Evaluated, Message, Progress, RunStarted, Samples, Steps, no_progress

LOG_COLUMNS = ["step", "loss", "accuracy", "val_loss", "val_bpc", "val_accuracy", "lr", "chars_per_s", "elapsed"]
SAMPLE_COLUMNS = ["step", "temperature", "text"]
SAMPLE_TEMPERATURES = (0.0, 0.5, 1.0, 2.0)  # 0 = greedy
# settings that define the model and its data: a resumed run must keep them (the rest may grow)
_FIXED_ON_RESUME = tuple(f for f in spec_fields(CharLMRun) if f not in CharLMRun.continuable)
LN2 = math.log(2)


class Interrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C at a step boundary, after saving a checkpoint."""

    def __init__(self, step: int, path: Path) -> None:
        super().__init__(f"interrupted at step {step}; checkpoint saved to {path}")
        self.step, self.path = step, path


@dataclass
class EvalResult:
    loss: float  # mean cross-entropy per character (nats)
    bpc: float  # bits per character
    perplexity: float
    accuracy: float  # next-character accuracy
    characters: int

    def as_dict(self) -> dict[str, float]:
        return {"loss": self.loss, "bpc": self.bpc, "perplexity": self.perplexity,
                "accuracy": self.accuracy, "characters": self.characters}


@dataclass
class TrainSummary:
    corpus: str
    step: int
    val: dict[str, float] = field(default_factory=dict)
    best_val_loss: float = math.inf
    chars_per_s: float = 0.0
    wall_time: float = 0.0
    last: str = ""
    best: str = ""


def corpus_text(text: str) -> tuple[str, str]:
    """The training text and its name (``""`` → the built-in corpus)."""
    if not text:
        return default_corpus(), DEFAULT_CORPUS
    return load_text(text), text


def build_model(cfg: dict[str, Any] | CharLMRun, vocab_size: int, kernel: str = "auto") -> CharLM:
    c = cfg if isinstance(cfg, dict) else to_dict(cfg)
    return CharLM(vocab_size, c["hidden"], c["layers"], c["dropout"], c["cell"], c.get("forget_bias", 1.0),
                  {"learn_gate": c.get("learn_gate", True)}, kernel=kernel)


def perplexity(loss: float) -> float:
    """exp(loss), infinite past float64's range (a loss above ~709.8 nats: exp would raise)."""
    return math.inf if loss > 709.0 else math.exp(loss)


@torch.no_grad()
def evaluate_batches(model: CharLM, batches: list[tuple[Tensor, Tensor]], device: torch.device) -> EvalResult:
    """Loss, bpc, perplexity and accuracy over fixed (x, y) windows, each from a zero state."""
    was = model.training
    model.eval()
    total, correct, n = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits, _ = model(x)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        correct += int((logits.argmax(-1) == y).sum())
        n += y.numel()
    model.train(was)
    loss = total / n
    return EvalResult(loss, loss / LN2, perplexity(loss), correct / n, n)


@torch.no_grad()
def evaluate_stream(model: CharLM, ids: Tensor, device: torch.device, streams: int = 32,
                    chunk: int = 256) -> EvalResult:
    """Evaluate on a whole text as a language model reads it: ``streams`` parallel pieces, state
    carried across chunks, every character after the first predicted once."""
    if len(ids) < 2:
        raise DataError("the text needs at least 2 characters to evaluate")
    model.eval()
    streams = max(1, min(streams, (len(ids) - 1) // 2))
    per = (len(ids) - 1) // streams
    x_all = ids[: streams * per].view(streams, per)
    y_all = ids[1 : streams * per + 1].view(streams, per)
    tail_x, tail_y = ids[streams * per : -1], ids[streams * per + 1 :]
    total, correct, n = 0.0, 0, 0
    state = None
    for s in range(0, per, chunk):
        x, y = x_all[:, s : s + chunk].to(device), y_all[:, s : s + chunk].to(device)
        logits, state = model(x, state)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        correct += int((logits.argmax(-1) == y).sum())
        n += y.numel()
    if len(tail_x):  # the few characters that did not fill a stream
        logits, _ = model(tail_x.unsqueeze(0).to(device))
        y = tail_y.unsqueeze(0).to(device)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        correct += int((logits.argmax(-1) == y).sum())
        n += y.numel()
    loss = total / n
    return EvalResult(loss, loss / LN2, perplexity(loss), correct / n, n)


def load_model(path: str | Path, device: torch.device | None = None) -> tuple[CharLM, Vocab, dict[str, Any]]:
    """A trained model, its vocabulary and its checkpoint (safe load; see checkpoint.py)."""
    ckpt = load_checkpoint(path)
    vocab_chars = ckpt["vocab"]
    if not isinstance(vocab_chars, list) or not all(isinstance(c, str) for c in vocab_chars):
        raise CheckpointError(f"checkpoint {path} has a malformed vocabulary")
    vocab = Vocab(vocab_chars)
    try:
        model = build_model(ckpt["config"], len(vocab))
        model.load_state_dict(ckpt["model"])
    except (KeyError, TypeError, RuntimeError, ConfigError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {path} does not match its model ({first[:160]})") from None
    model.eval()
    if device is not None:
        model.to(device)
    return model, vocab, ckpt


def sample_rows(model: CharLM, corpus: CharCorpus, step: int, length: int, seed: int,
                device: torch.device) -> list[dict[str, Any]]:
    """Greedy and temperature samples from a fixed prompt, with their own generator (the
    training stream is untouched)."""
    prompt = corpus.val[:1]  # the first validation character
    gen = torch.Generator(device=device).manual_seed(seed * 1_000_003 + step)
    rows = []
    for T in SAMPLE_TEMPERATURES:
        ids = generate(model, prompt, length, temperature=T, generator=gen)[0]
        rows.append({"step": step, "temperature": "greedy" if T == 0 else T,
                     "text": corpus.vocab.decode(prompt) + corpus.vocab.decode(ids)})
    model.train()
    return rows


def _truncate_csv(path: Path, columns: list[str], max_step: int) -> None:
    if path.exists():
        df = read_csv(path, columns)
        if (df["step"] > max_step).any():
            write_csv(path, columns, df[df["step"] <= max_step].to_dict("records"))


def saved_steps(out: str | Path, ckpt: str = "") -> Any:
    """The ``steps`` target of the training in ``out``, which a bare ``--resume`` keeps: the one
    ``<out>/config.toml`` records (a number, or a list for a grid); with that file deleted, the
    one the last checkpoint records (a single run; ``ckpt`` if given) or the run folders'
    config.toml (a grid); None if nothing records one."""
    out = Path(out)
    if (out / "config.toml").is_file():
        return read_toml(out / "config.toml").get("steps")
    last = Path(ckpt) if ckpt else out / "last.pt"
    if last.is_file():
        return load_checkpoint(last)["config"].get("steps")
    found = sorted({v for c in out.glob("*/config.toml") if (v := read_toml(c).get("steps")) is not None}, key=str)
    return None if not found else found[0] if len(found) == 1 else found


def clear_run(out: str | Path, ckpt: str = "") -> None:
    """Remove the files of a training run in ``out`` (``--overwrite``); other files stay."""
    out = Path(out)
    last = Path(ckpt) if ckpt else out / "last.pt"
    for path in (out / "log.csv", out / "samples.csv", out / "config.toml", last, last.with_name("best.pt")):
        path.unlink(missing_ok=True)


def train_charlm(cfg: CharLMRun, out: str | Path, *, device: str = "auto", resume: bool = False, ckpt: str = "",
                 progress: Progress = no_progress, label: str = "", kernel: str = "auto") -> TrainSummary:
    """Train (or, with ``resume``, continue) a character model into the folder ``out``.

    Writes ``<out>/log.csv`` (a row per evaluation), ``<out>/samples.csv`` (greedy and
    T = 0.5, 1, 2 samples every ``sample_every`` steps), ``<out>/config.toml``, and
    checkpoints ``last`` (``ckpt``, default ``<out>/last.pt``; every evaluation, at the end,
    on Ctrl-C) and ``best`` beside it (lowest validation loss). Ctrl-C stops at the next step
    boundary and raises :class:`Interrupted`. ``kernel``: the recurrent kernel (auto, seqgraph,
    fused: :mod:`seqgraph.nn.fused`); the weights and checkpoints are the same on each.
    """
    out = Path(out)
    label = label or cfg.label()
    last_path = Path(ckpt) if ckpt else out / "last.pt"
    best_path = last_path.with_name("best.pt")
    log_path, samples_path = out / "log.csv", out / "samples.csv"
    dev = resolve_device(device)
    resolve_kernel(kernel, [cfg.cell] if cfg.cell in cell_names() else [], dev, cfg.batch_size)  # refuse early

    if (out / "summary.csv").exists() or (out / "curves.csv").exists():
        raise ConfigError(f"{out} holds the results of a sweep or a grid (summary.csv); give a run's own "
                          "folder or another --out")
    if (out / "config.toml").exists():
        known = {*spec_fields(CharLMRun), *(f.name for f in dataclasses.fields(TrainOptions)), "corpus"}
        foreign = sorted(set(read_toml(out / "config.toml")) - known)
        if foreign:
            raise ConfigError(f"{out} holds the output of another command (its config.toml has {foreign[0]!r}); "
                              "choose another --out")
    if ckpt and last_path.parent.resolve() != out.resolve() and any(
            (last_path.parent / f).exists() for f in ("log.csv", "config.toml", "summary.csv")):
        raise ConfigError(f"--ckpt {last_path} is in the folder of another run ({last_path.parent}); "
                          "keep checkpoints in this run's --out or a folder of their own")
    make_folder(last_path.parent)  # an unwritable --ckpt fails now, not after training
    if not last_path.exists() and not best_path.exists() and log_path.exists() and \
            len(log_path.read_bytes().splitlines()) <= 2:
        # killed between its first log row and its first checkpoint: nothing to continue, start over
        for path in (log_path, samples_path, best_path):
            path.unlink(missing_ok=True)
        resume = False
    ckpt_data: dict[str, Any] | None = None
    if resume:
        ckpt_data = load_checkpoint(last_path)
        check_resumable(ckpt_data, last_path)
        saved = ckpt_data["config"]
        for k in _FIXED_ON_RESUME:
            if saved.get(k) != getattr(cfg, k):
                raise ConfigError(f"--resume: {k} is {getattr(cfg, k)!r} but the checkpoint {last_path} used "
                                  f"{saved.get(k)!r}; use the same settings or another --out")
        if ckpt_data["step"] >= cfg.steps:
            raise ConfigError(f"--resume: the checkpoint is already at step {ckpt_data['step']}; "
                              f"ask for more --steps (now {cfg.steps})")
    elif last_path.exists() or log_path.exists() or best_path.exists():
        holder = out if last_path.parent.resolve() == out.resolve() else f"{out} (or {last_path.parent})"
        raise ConfigError(f"{holder} already holds a training run: add --resume to continue it, "
                          "--overwrite to replace it, or choose another --out")

    text, name = corpus_text(cfg.text)
    vocab = Vocab(ckpt_data["vocab"]) if ckpt_data else Vocab.from_text(text)
    corpus = CharCorpus(text, vocab, cfg.val_fraction, cfg.seq_length)
    # per position: one-hot input, gates, states and their gradients per layer, logits and theirs
    per_position = len(vocab) + cfg.layers * cfg.hidden * 24 + 3 * len(vocab)
    weights = cfg.layers * 4 * cfg.hidden * (2 * cfg.hidden + len(vocab)) + cfg.hidden * len(vocab)
    check_memory(4 * (max(cfg.batch_size, 1) * cfg.seq_length * per_position + 4 * weights),
                 f"a model of {cfg.layers} × {cfg.hidden:,} at batch size {cfg.batch_size:,}, "
                 f"sequence length {cfg.seq_length:,}")
    torch.manual_seed(cfg.seed)
    model = build_model(cfg, len(vocab), kernel).to(dev)
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step, gamma=cfg.lr_decay)
    data_gen = torch.Generator().manual_seed(cfg.seed)
    step, best = 0, math.inf
    if ckpt_data:
        try:
            model.load_state_dict(ckpt_data["model"])
            opt.load_state_dict(ckpt_data["optimizer"])
            sched.load_state_dict(ckpt_data["scheduler"])
            step, best = int(ckpt_data["step"]), float(ckpt_data.get("best_val_loss", math.inf))
            rng = ckpt_data["rng"]
            data_gen.set_state(rng["data"])
            torch.set_rng_state(rng["torch"])
            if dev.type == "cuda" and "cuda" in rng:
                torch.cuda.set_rng_state(rng["cuda"], dev)
            for p in model.parameters():  # load_state_dict does not compare the optimizer's buffers
                for v in opt.state.get(p, {}).values():
                    if isinstance(v, Tensor) and v.dim() > 0 and v.shape != p.shape:
                        raise ValueError(f"optimizer buffer of shape {tuple(v.shape)} for a parameter of "
                                         f"shape {tuple(p.shape)}")
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CheckpointError(f"checkpoint {last_path} cannot be resumed: its state does not match its "
                                  f"model ({first[:160]})") from None
        for path in (log_path, samples_path):  # a row torn by a full disk or a kill mid-write
            drop_torn_row(path)
        _truncate_csv(log_path, LOG_COLUMNS, step)
        _truncate_csv(samples_path, SAMPLE_COLUMNS, step)
    make_folder(out)
    # the run's settings and where it ran: seqgraph train --config <out>/config.toml reads it back
    where = {"out": str(out), "device": device, **({"ckpt": str(ckpt)} if ckpt else {})}
    write_toml(out / "config.toml", {**to_dict(cfg), **where}, comment=f"seqgraph train on {name}")
    rid = run_id(cfg)
    trainer = Trainer(model, opt, max_norm=cfg.max_norm, scheduler=sched, forward=lambda x: model(x)[0])
    val_batches = corpus.val_batches(cfg.batch_size, cfg.eval_batches)
    n_params = sum(p.numel() for p in model.parameters())
    progress(Message(f"corpus: {name}; model: {n_params:,} parameters; from step {step:,}"))
    progress(RunStarted(rid, label, cfg.steps))

    def checkpoint(path: Path, at: int) -> None:
        rng = {"data": data_gen.get_state(), "torch": torch.get_rng_state()}
        if dev.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(dev)
        # the training loss and accuracy summed since the last log row: a Ctrl-C checkpoint between two
        # evaluations keeps them, so the next log row after --resume averages the same steps as a straight run
        running = {"loss": float(sums[0]), "accuracy": float(sums[1]), "steps": int(sums[2])}
        save_checkpoint(path, {"config": to_dict(cfg), "vocab": vocab.chars, "corpus": name,
                               "model": model.state_dict(), "optimizer": opt.state_dict(),
                               "scheduler": sched.state_dict(), "step": at, "best_val_loss": best, "rng": rng,
                               "running": running})

    stop = threading.Event()
    t0 = time.perf_counter()
    start_step = step
    sums: list[float] = [0.0, 0.0, 0]  # loss, accuracy and steps since the last log row
    if ckpt_data and isinstance(ckpt_data.get("running"), dict):
        running = ckpt_data["running"]
        sums[:] = [running["loss"], running["accuracy"], running["steps"]]
    summary = TrainSummary(name, step, best_val_loss=best, last=str(last_path), best=str(best_path))

    def next_batch(_: int) -> tuple[Tensor, Tensor]:
        x, y = corpus.batch(cfg.batch_size, data_gen)
        return x.to(dev), y.to(dev)

    def on_step(stats: StepStats) -> bool:
        nonlocal best
        sums[0] += stats.loss
        sums[1] += stats.accuracy
        sums[2] += 1
        elapsed = time.perf_counter() - t0
        cps = (stats.step - start_step) * cfg.batch_size * cfg.seq_length / max(elapsed, 1e-9)
        progress(Steps(label, stats.step, cfg.steps, 1, 1,
                       {"loss": stats.loss, "accuracy": stats.accuracy, "chars_per_s": cps}))
        summary.step, summary.chars_per_s = stats.step, cps
        if stats.step % cfg.eval_every == 0 or stats.step == cfg.steps:
            v = evaluate_batches(model, val_batches, dev)
            row = {"step": stats.step, "loss": sums[0] / sums[2], "accuracy": sums[1] / sums[2],
                   "val_loss": v.loss, "val_bpc": v.bpc, "val_accuracy": v.accuracy,
                   "lr": opt.param_groups[0]["lr"], "chars_per_s": round(cps, 1), "elapsed": round(elapsed, 3)}
            sums[:] = [0.0, 0.0, 0]
            append_rows(log_path, LOG_COLUMNS, [row])
            progress(Evaluated(rid, label, stats.step, row))
            summary.val = v.as_dict()
            if v.loss < best:
                best = v.loss
                summary.best_val_loss = best
                checkpoint(best_path, stats.step)
            checkpoint(last_path, stats.step)
        if cfg.sample_every and stats.step % cfg.sample_every == 0:
            rows = sample_rows(model, corpus, stats.step, cfg.sample_length, cfg.seed, dev)
            append_rows(samples_path, SAMPLE_COLUMNS, rows)
            progress(Samples(rid, stats.step, rows))
        return stop.is_set()

    previous = None
    if threading.current_thread() is threading.main_thread():
        def request_stop(signum: int, frame: Any) -> None:
            if stop.is_set():  # a second Ctrl-C: stop now
                raise KeyboardInterrupt
            stop.set()

        previous = signal.signal(signal.SIGINT, request_stop)
    try:
        step = fit(trainer, next_batch, steps=cfg.steps, start_step=step, on_step=on_step)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    summary.wall_time = time.perf_counter() - t0
    if stop.is_set() and step < cfg.steps:
        checkpoint(last_path, step)
        raise Interrupted(step, last_path)
    return summary


# --- grids: one folder per run, through the sweep engine -------------------------------------

def is_grid(sweep: Any) -> bool:
    """A text-model sweep is a grid (one folder per run) when it has more than one run or is
    sent to another executor; a single run trains straight into ``--out``."""
    return len(sweep.runs()) > 1 or sweep.options.executor not in ("auto", "sequential")


def train_grid(sweep: Any, progress: Progress = no_progress) -> Any:
    """Train every run of ``sweep`` into its own folder under ``--out`` (absolute, so workers
    on other nodes write where the driver looks: a multi-node grid needs a shared folder);
    returns the summary DataFrame."""
    from seqgraph.train.sweep import run_sweep

    for text, val_fraction, seq_length in {(r.text, r.val_fraction, r.seq_length) for r in sweep.runs()}:
        CharCorpus(corpus_text(text)[0], None, val_fraction, seq_length)  # a bad text fails before any run
    o = sweep.options
    context = {"out": str(Path(o.out).resolve()), "resume": o.resume, "overwrite": o.overwrite}
    return run_sweep("charlm", sweep, progress, context=context)


def finished_summary(folder: Path) -> TrainSummary:
    """The summary of a run already trained to its last step, read from its folder."""
    ck = load_checkpoint(folder / "last.pt")
    log = read_csv(folder / "log.csv", LOG_COLUMNS).iloc[-1]
    val = {"loss": float(log.val_loss), "bpc": float(log.val_bpc), "accuracy": float(log.val_accuracy)}
    return TrainSummary(str(ck.get("corpus", "")), int(ck["step"]), val, float(ck.get("best_val_loss", math.inf)),
                        float(log.chars_per_s), float(log.elapsed), str(folder / "last.pt"), str(folder / "best.pt"))


RESULT_COLUMNS = ("trained_steps", "val_loss", "val_bpc", "val_accuracy", "best_val_loss", "chars_per_s",
                  "wall_time", "folder", "status")


def run_folder(root: str | Path, spec: CharLMRun, label_fields: tuple[str, ...]) -> Path:
    """``<root>/<the varying settings>-<run id>``; an existing folder of the same run (found by
    its id, whatever else varied when it was made) is reused."""
    rid = run_id(spec)
    root = Path(root)
    found = sorted(root.glob(f"*{rid}")) if root.is_dir() else []
    if found:
        return found[0]

    def fmt(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else Path(v).stem if isinstance(v, str) and "/" in v else str(v)

    parts = [f"{f}={fmt(getattr(spec, f))}" for f in label_fields if f != "text" or spec.text]
    return root / ",".join([*parts, rid])


class _CharLM:
    name = "charlm"
    spec = CharLMRun
    result_columns = RESULT_COLUMNS
    curve_columns: tuple[str, ...] = ()  # each run keeps its own log.csv
    batchable = False  # runs train one at a time (sequentially, in processes or on Ray)

    def group_key(self, spec: CharLMRun, mix_lengths: bool) -> Hashable:
        return run_id(spec)

    def cost(self, spec: CharLMRun) -> float:
        return float(spec.steps * spec.seq_length * spec.batch_size * spec.hidden * spec.hidden * spec.layers)

    def steps(self, spec: CharLMRun) -> int:
        return spec.steps

    def complete(self, row: dict[str, Any], spec: CharLMRun) -> bool:
        """A run in the summary is done unless more steps are asked of it now."""
        return int(row.get("trained_steps") or 0) >= spec.steps

    def train(self, job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
        ctx = job.context
        for spec in job.runs:
            folder = run_folder(ctx["out"], spec, job.label_fields)
            if ctx.get("overwrite") and folder.exists():
                shutil.rmtree(folder)
            last = folder / "last.pt"
            resume = bool(ctx.get("resume")) and last.exists()
            if resume and int(load_checkpoint(last)["step"]) >= spec.steps:
                s = finished_summary(folder)  # trained to the end, but its row never reached the summary
            else:
                s = train_charlm(spec, folder, device=device, resume=resume, progress=progress,
                                 label=job.run_label(spec), kernel=job.kernel)
            summary = {"trained_steps": s.step, "val_loss": s.val.get("loss"), "val_bpc": s.val.get("bpc"),
                       "val_accuracy": s.val.get("accuracy"), "best_val_loss": s.best_val_loss,
                       "chars_per_s": round(s.chars_per_s, 1), "wall_time": round(s.wall_time, 3),
                       "folder": str(folder), "status": "ok"}
            yield RunResult(run_id(spec), spec, summary)

    def failed(self, spec: CharLMRun, why: str) -> RunResult:
        return failed_result(spec, RESULT_COLUMNS, why)

    def kernel_cells(self, spec: CharLMRun) -> list[str]:
        return [spec.cell] if spec.cell in cell_names() else []  # not "torch" (nn.LSTM itself)


EXPERIMENT = _CharLM()
