"""``seqgraph sample``: texts from a trained character model, by temperature, β, greedy or beam
search, optionally written to a CSV."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from seqgraph.config import check_memory
from seqgraph.errors import ConfigError
from seqgraph.experiments.charlm.model import load_model
from seqgraph.io import check_replace, write_csv
from seqgraph.nn.charlm import beam_search, check_sampling, generate
from seqgraph.nn.memory import sampling_bytes
from seqgraph.train.loop import resolve_device

MAX_SAMPLED = 10_000_000  # characters per call: at thousands of characters per second, hours
SAMPLE_CSV_COLUMNS = ["knob", "value", "seed", "text"]


@dataclass
class Sampling:
    """How to draw: ``temperature`` (0: greedy), or ``beta`` (softmax(β · logits)), or ``beam``."""

    temperature: float = 1.0
    beta: float | None = None
    greedy: bool = False
    beam: int = 0
    top_k: int = 0
    top_p: float = 1.0
    temperature_given: bool = False  # --temp was given (it cannot go with --beta)


@dataclass
class SampleResult:
    step: int  # the checkpoint's training step
    knob: str  # temperature | beta | greedy | beam
    value: float
    temperature: float | None
    texts: list[str]
    extra: list[dict[str, Any]] = field(default_factory=list)  # per text: log_prob for beams


def sample_checkpoint(ckpt: str | Path, how: Sampling, *, length: int = 30, prompt: str = "", num: int = 1,
                      seed: int = 0, device: str = "auto", out: str | Path | None = None,
                      overwrite: bool = False) -> SampleResult:
    """``num`` texts of ``length`` characters continuing ``prompt`` (default: a newline if the
    vocabulary has one, else its first character), generated as one batch with its own seeded
    generator; ``out``: also a CSV of them (an existing one replaced only with ``overwrite``)."""
    if out is not None:
        check_replace(out, overwrite)
    if length <= 0 or num <= 0:
        raise ConfigError("--length and --num must be positive")
    if num * length > MAX_SAMPLED:
        raise ConfigError(f"--num × --length = {num * length:,} characters; at most {MAX_SAMPLED:,} per call")
    knobs = [k for k, on in (("--beta", how.beta is not None), ("--temp", how.temperature_given),
                             ("--greedy", how.greedy), ("--beam", how.beam > 0)) if on]
    if how.beam:  # beam search draws nothing: every sampling flag beside it would be silently ignored
        sampling = [k for k in knobs if k != "--beam"] + [k for k, on in (("--top-k", how.top_k != 0),
                                                                          ("--top-p", how.top_p != 1.0)) if on]
        if sampling:
            raise ConfigError(f"--beam searches for the likeliest texts and samples nothing: {', '.join(sampling)} "
                              f"{'is' if len(sampling) == 1 else 'are'} for sampling; give one or the other")
    if how.beta is not None and len(knobs) > 1:
        raise ConfigError(f"{' and '.join(knobs)} are alternatives: give one")
    check_sampling(how.temperature, how.beta, how.top_k, how.top_p)
    if how.beam and num > how.beam:
        raise ConfigError(f"--num {num} is more than --beam {how.beam}: beam search returns at most --beam texts")
    dev = resolve_device(device)
    model, vocab, ck = load_model(ckpt, dev)
    rows = max(num, how.beam)
    cfg = ck["config"]
    check_memory(sampling_bytes(rows=rows, length=length + len(prompt or " "), hidden=cfg["hidden"],
                                layers=cfg["layers"], vocab=len(vocab)), f"{rows:,} samples of {length:,} characters")
    if not prompt:
        prompt = "\n" if "\n" in vocab.stoi else vocab.chars[0]
    prompt_ids = vocab.encode(prompt, "prompt")
    T = 0.0 if how.greedy else how.temperature
    knob, value = (("beam", float(how.beam)) if how.beam else ("beta", how.beta) if how.beta is not None
                   else ("greedy", 0.0) if T == 0 else ("temperature", T))
    if how.beam:
        ids, scores = beam_search(model, prompt_ids, length, how.beam)
        texts = [prompt + vocab.decode(r) for r in ids[:num]]
        extra: list[dict[str, Any]] = [{"log_prob": float(s)} for s in scores[:num]]
    else:
        gen = torch.Generator(device=dev).manual_seed(seed)
        ids = generate(model, prompt_ids, length, num=num, temperature=T, top_k=how.top_k, top_p=how.top_p,
                       generator=gen, beta=how.beta)
        texts = [prompt + vocab.decode(r) for r in ids]
        extra = [{} for _ in texts]
    if out is not None:
        write_csv(out, SAMPLE_CSV_COLUMNS, [{"knob": knob, "value": value, "seed": seed, "text": t} for t in texts])
    return SampleResult(int(ck["step"]), knob, float(value), None if knob in ("beta", "beam") else T, texts, extra)
