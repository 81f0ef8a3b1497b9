"""``seqgraph reproduce``: re-run the course's experiments within a budget and write a
self-contained report (Markdown, figures, CSVs), each claim beside what seqgraph measured.

One function per section, each on top of the engine (sweeps of run specs, the character
model's training). Every experiment writes into its own folder under the output and is resumed,
not repeated, when the command runs again: finished palindrome runs are skipped, the character
model continues from its checkpoint, finished gradient and diversity tables are read back.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path
from typing import Any

from seqgraph.analysis.settings import GradsConfig
from seqgraph.config import read_toml, resolve, write_toml
from seqgraph.errors import ConfigError
from seqgraph.experiments.charlm.spec import CharLMRun
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.io import atomic_write_bytes, folder_lock, make_folder
from seqgraph.sweep.grid import EXECUTORS, resolve_sweep
from seqgraph.train.progress import Message, Progress, no_progress

COURSE_GRAPH = "course-2020"  # the shipped example graph (seqgraph.examples)


@dataclasses.dataclass(frozen=True)
class Budget:
    lengths: str
    models: str
    seeds: str
    steps: int
    binary_steps: int
    grads_seeds: str
    grads_train_steps: int
    text_steps: int
    sample_chars: int
    # the literature's memory benchmarks (section 7): copy delays T, adding lengths T, steps, seeds
    copy_lengths: str
    adding_lengths: str
    lit_steps: int
    lit_seeds: str


BUDGETS = {
    "quick": Budget(lengths="5,15,25,35", models="rnn,lstm,peep,gru,tglstm", seeds="42", steps=2500,
                    binary_steps=300, grads_seeds="42,1337,1994", grads_train_steps=0, text_steps=1500,
                    sample_chars=300, copy_lengths="10", adding_lengths="50", lit_steps=1500, lit_seeds="42"),
    "full": Budget(lengths="5:40:5", models="rnn,lstm,peep,gru,tglstm", seeds="42,1337,1994", steps=5000,
                   binary_steps=5000, grads_seeds="42,1337,1994", grads_train_steps=500, text_steps=20000,
                   sample_chars=1000, copy_lengths="10,50", adding_lengths="50,100", lit_steps=3000,
                   lit_seeds="42,1337,1994"),
}


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _pm(mean: float, std: float) -> str:
    return f"{mean:.3f}" if math.isnan(std) else f"{mean:.3f} ± {std:.3f}"


def diversity(text: str, n: int = 4) -> tuple[float, float]:
    """Character entropy (bits) of a text and its share of distinct n-grams."""
    counts = Counter(text)
    total = sum(counts.values())
    entropy = -sum(c / total * math.log2(c / total) for c in counts.values())
    grams = [text[i : i + n] for i in range(len(text) - n + 1)]
    return entropy, (len(set(grams)) / len(grams) if grams else 0.0)


def reproduce(budget_name: str | Budget, out: str, device: str = "auto", progress: Progress = no_progress,
              executor: str = "auto") -> Path:
    """Run (or resume) every experiment of the budget and write ``<out>/report.md``.

    ``progress`` receives every section's events (sweeps, the character model's training);
    ``executor`` is how palindrome sweeps run (see :mod:`seqgraph.train.sweep`)."""
    if isinstance(budget_name, Budget):
        b, budget_name = budget_name, "custom"
    elif budget_name in BUDGETS:
        b = BUDGETS[budget_name]
    else:
        raise ConfigError(f"unknown budget {budget_name!r} (choose from {', '.join(BUDGETS)})")
    from seqgraph.train.loop import resolve_device

    resolve_device(device)  # a missing GPU or an unknown executor is refused before any work or write
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r} (choose from {', '.join(EXECUTORS)})")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--out {root} is a file, not a folder")
    with folder_lock(root, "reproduction"):
        return _reproduce(b, budget_name, root, device, executor, progress)


def _reproduce(b: Budget, budget_name: str, root: Path, device: str, executor: str, progress: Progress) -> Path:
    marker = root / "budget.toml"
    if marker.exists() and read_toml(marker).get("budget") != budget_name:
        raise ConfigError(f"{root} holds a '{read_toml(marker).get('budget')}' reproduction; "
                          f"use another --out for --budget {budget_name}")
    make_folder(root)
    write_toml(marker, {"budget": budget_name, **dataclasses.asdict(b)})
    sections = [
        memory_section(b, root, device, executor, progress),
        binary_section(b, root, device, executor, progress),
        grads_section(b, root, device, progress),
        params_section(progress),
        charlm_section(b, root, device, progress),
        graph_section(root, progress),
        literature_section(b, root, device, executor, progress),
    ]
    head = (f"# seqgraph reproduction ({budget_name} budget)\n\n"
            "Each section states the course's question or setup with the course file it comes from, the "
            "not-learned baseline where there is one, and what seqgraph measured in this run. "
            "CSV files and figures lie beside this report; re-running `seqgraph reproduce` reuses finished work.\n")
    report = root / "report.md"
    atomic_write_bytes(report, (head + "\n" + "\n".join(sections)).encode())
    return report


def _sweep(root: Path, device: str, executor: str, progress: Progress, **settings: Any) -> Any:
    from seqgraph.sweep.engine import run_sweep

    sweep = resolve_sweep(PalindromeRun, PalindromeOptions, None, device=device, executor=executor,
                          out=str(root), resume=True, **settings)
    return run_sweep("palindrome", sweep, progress)


def memory_section(b: Budget, root: Path, device: str, executor: str, progress: Progress) -> str:
    """1. Accuracy against palindrome length, every cell."""
    import pandas as pd

    from seqgraph.plots import plot_accuracy, plot_curves, save_figure
    from seqgraph.results import aggregate

    progress(Message("1/7 memory: RNN vs LSTM (and peephole, GRU, time-gated) on decimal palindromes"))
    summ = _sweep(root / "memory", device, executor, progress, model=b.models, lengths=b.lengths, seeds=b.seeds,
                  steps=b.steps)
    agg = aggregate(summ, by=["length", "model"])
    save_figure(plot_accuracy(summ), root / "memory" / "accuracy.png")
    curves = pd.read_csv(root / "memory" / "curves.csv")
    save_figure(plot_curves(curves[curves.run_id.isin(summ.run_id)]), root / "memory" / "curves.png")
    longest = {}
    for m in dict.fromkeys(summ.model):
        solved = agg[(agg.model == m) & (agg.final_mean >= 0.99)]
        longest[m] = int(solved.length.max()) if len(solved) else None
    rows = [[r.length, r.model, _pm(r.final_mean, r.final_std), f"{r.solved}/{r.runs}"] for r in agg.itertuples()]
    return (
        "## 1. Memory: accuracy against palindrome length\n\n"
        "**Course question** (`uvadlc/DL_assignments_2019` `assignment_2/README.md`, Task 1): compare the vanilla "
        "RNN with the LSTM on palindromes of growing length. No course result is quoted here: the templates "
        "report none. Not learned (baseline): 0.100 (1/10 digits); a row at the baseline is no result.\n\n"
        "**seqgraph measured** "
        f"({b.steps} steps at most per run, seeds {b.seeds}, early stop once solved): longest length solved "
        "(mean held-out accuracy ≥ 0.99): "
        + ", ".join(f"{m}: {('L = ' + str(v)) if v else 'none'}" for m, v in longest.items())
        + f" (lengths tried: {b.lengths})."
        + (" With one seed per length this is indicative only: another seed can move a length either way; "
           "the full budget uses three." if len(set(summ.seed)) == 1 else "")
        + "\n\n"
        + _md_table(["length", "model", "final accuracy", "solved"], rows)
        + "\n\n![accuracy against length](memory/accuracy.png)\n\n![learning curves](memory/curves.png)\n"
    )


def binary_section(b: Budget, root: Path, device: str, executor: str, progress: Progress) -> str:
    """2. The peephole LSTM on binary palindromes, three seeds."""
    from seqgraph.results import aggregate
    from seqgraph.tasks.base import BASELINE_MARGIN
    from seqgraph.tasks.registry import get_task

    progress(Message("2/7 peephole LSTM on binary palindromes (inputs of length 41 and 81), three seeds"))
    summ = _sweep(root / "binary", device, executor, progress, model="peep", task="binary", lengths="10,20",
                  seeds="42,1337,1994", steps=b.binary_steps, eval_every=50)
    bsum = aggregate(summ, by=["length"])
    base = get_task("binary").baseline(10)
    rows = [[r.length, 4 * r.length + 1, _pm(r.final_mean, r.final_std), f"{r.best_mean:.3f}", f"{r.solved}/{r.runs}",
             "at baseline: not learned" if r.final_mean <= base + BASELINE_MARGIN else ""]
            for r in bsum.itertuples()]
    return (
        "## 2. Peephole LSTM on binary palindromes\n\n"
        "**Course setup** (`uvadlc/uvadlc_practicals_2020` `assignment_2/2_recurrentnns_gnns/code/Part 1/"
        "train.py`: the binary palindrome of `--input_length` L is read as 4·L + 2 − 1 symbols, so L = 10 and 20 "
        "give inputs of 41 and 81). No course result is quoted here: the templates report none.\n\n"
        f"**Not learned (baseline):** {base:.3f}, the majority label's rate: the label is 1 with probability "
        "exactly 2/3 (unreversed, the first digit's leading bit, 8/9; reversed, the last digit's parity, 4/9), "
        "not 0.5. A final accuracy at the baseline means the model learned "
        "nothing; such rows are marked and are no result.\n\n"
        f"**seqgraph measured** ({b.binary_steps} steps per run at most):\n\n"
        + _md_table(["digits L", "input length", "final accuracy (mean ± std)", "best", "solved", ""], rows) + "\n"
    )


def grads_section(b: Budget, root: Path, device: str, progress: Progress) -> str:
    """3. Gradient flow over 99 steps."""
    from seqgraph.analysis.grads import grads_report

    progress(Message("3/7 gradient flow over 99 steps, RNN vs LSTM"))
    gcfg = resolve(GradsConfig, None, model=b.models, seeds=b.grads_seeds, train_steps=b.grads_train_steps,
                   device=device, out=str(root / "grads"))
    report = grads_report(gcfg, progress, reuse=True)
    last = gcfg.length - 2
    rows = [[r["model"], f"{r['last']:.3g}", f"{r['first']:.3g}", f"{r['ratio']:.2g}"]
            for r in report.table if r["trained_steps"] == 0]
    return (
        "## 3. Gradient flow over time\n\n"
        "**seqgraph measured** (untrained models as seqgraph initialises them: weights U(±1/√n), LSTM-type "
        "forget-gate bias 1; loss on the last of 99 steps; float64; mean over "
        f"batch and seeds {b.grads_seeds}):\n\n"
        + _md_table(["model", f"‖∂L/∂s_{last}‖ (last)", "‖∂L/∂s_1‖ (first digit)", "first / last"], rows)
        + "\n\n![gradient flow](grads/grads.png)\n"
    )


def params_section(progress: Progress) -> str:
    """4. The LSTM's parameter count: the course's formula against the module."""
    from seqgraph.analysis.params import count_params

    progress(Message("4/7 LSTM parameter count: formula against the module"))
    pc = count_params("lstm", 10, 128, 10)
    return (
        "## 4. LSTM parameter count\n\n"
        f"**Formula** (derived in `seqgraph/analysis/params.py`): {pc.formula}\n\n"
        f"**seqgraph measured:** {pc.filled}; the module's `sum(p.numel())` = {pc.module_total:,} "
        f"({'equal' if pc.module_total == pc.total else 'DIFFERENT'}).\n"
    )


def charlm_section(b: Budget, root: Path, device: str, progress: Progress) -> str:
    """5. The character model: held-out figures, samples and their diversity per temperature."""
    import pandas as pd
    import torch

    from seqgraph.experiments.charlm.grid import continue_run
    from seqgraph.experiments.charlm.model import corpus_text, evaluate_stream, load_model
    from seqgraph.io import write_csv
    from seqgraph.nn.charlm import generate
    from seqgraph.plots import plot_text, save_figure
    from seqgraph.tasks.text import CharCorpus
    from seqgraph.train.loop import resolve_device

    progress(Message(f"5/7 character LSTM on the King James Bible, {b.text_steps} steps"))
    tdir = root / "charlm"
    continue_run(CharLMRun(steps=b.text_steps, sample_every=b.text_steps), tdir, device, progress)
    tlog = pd.read_csv(tdir / "log.csv")
    save_figure(plot_text(tlog, f"Character LSTM on the King James Bible ({b.text_steps} steps)"),
                tdir / "curves.png")
    dev = resolve_device(device)  # the held-out pass reads 5% of the Bible: on the run's device
    model, vocab, ck = load_model(tdir / "last.pt", dev)
    text, _ = corpus_text("")
    val = CharCorpus(text, vocab, ck["config"]["val_fraction"], ck["config"]["seq_length"]).val
    ev = evaluate_stream(model, val, dev)
    div_path = tdir / "diversity.csv"
    if div_path.exists():
        div = pd.read_csv(div_path, keep_default_na=False)
    else:
        drows = []
        prompt = vocab.encode("And ")
        for T in (0.0, 0.5, 1.0, 2.0):
            ids = generate(model, prompt, b.sample_chars, num=4, temperature=T,
                           generator=torch.Generator(device=dev).manual_seed(0))
            samples = [vocab.decode(r) for r in ids]
            ent, distinct = zip(*(diversity(s) for s in samples), strict=True)
            drows.append({"temperature": "greedy" if T == 0 else T, "entropy_bits": sum(ent) / 4,
                          "distinct_4grams": sum(distinct) / 4,
                          "sample": ("And " + samples[0][:120]).replace("\n", " ").replace("|", "/")})
        write_csv(div_path, ["temperature", "entropy_bits", "distinct_4grams", "sample"], drows)
        div = pd.DataFrame(drows)
    rows = [[r.temperature, f"{float(r.entropy_bits):.2f}", f"{float(r.distinct_4grams):.2f}", f"`{r.sample}`"]
            for r in div.itertuples()]
    return (
        "## 5. Character-level LSTM\n\n"
        f"**seqgraph measured** (2 × 128 LSTM, seq 30, batch 64, {int(ck['step']):,} steps on the King James "
        f"Bible): validation loss {ev.loss:.3f} nats, {ev.bpc:.3f} bits/char, perplexity {ev.perplexity:.2f}, "
        f"next-character accuracy **{ev.accuracy:.3f}** (on the whole held-out last 5%).\n\n"
        f"Samples of {b.sample_chars} characters from the prompt `And `, four per temperature: character "
        "entropy of the generated text and the share of distinct 4-grams (diversity rises with temperature):\n\n"
        + _md_table(["temperature", "entropy (bits/char)", "distinct 4-grams", "sample (first 120 chars)"], rows)
        + "\n\n![character model curves](charlm/curves.png)\n"
    )


def graph_section(root: Path, progress: Progress) -> str:
    """6. The course graph: Ã, Â, and how many GCN updates carry C's information to E."""
    from seqgraph.analysis.hops import hops_between
    from seqgraph.graphs import load_graph
    from seqgraph.graphs.io import save_matrices
    from seqgraph.nn.gcn import gcn_norm

    progress(Message("6/7 the course graph: Ã, Â and updates from C to E"))
    g = load_graph(COURSE_GRAPH)
    m = gcn_norm(g)
    save_matrices(m, g.nodes, root / "graph")

    def mat(a: Any) -> str:
        d = a.toarray()
        return _md_table(["", *g.nodes], [[n, *(f"{v:.4f}".rstrip("0").rstrip(".") if v else "0" for v in row)]
                                          for n, row in zip(g.nodes, d, strict=True)])

    hops = hops_between(g, "C", "E")
    return (
        "## 6. The course graph (edges A–B, A–E, A–F, B–D, C–D, D–F)\n\n"
        "**Course question** (`uvadlc/uvadlc_practicals_2020` `assignment_2/2_recurrentnns_gnns/code/"
        "assignment_2.pdf`, the pen-and-paper GNN task named in `code/README.md`; seqgraph's `course-2020` graph): "
        "Ã = A + I, Â = D̃^-1/2 Ã D̃^-1/2, and how many GCN updates information needs to travel from C to E "
        "(the shortest path C–D–B–A–E or C–D–F–A–E has 4 edges).\n\n"
        f"**seqgraph measured:** {hops} updates from C to E.\n\nÃ:\n\n{mat(m.A_tilde)}\n\nÂ:\n\n{mat(m.A_hat)}\n"
    )


def literature_section(b: Budget, root: Path, device: str, executor: str, progress: Progress) -> str:
    """7. Beyond the course: the literature's memory benchmarks (copy, adding) for RNN, LSTM, GRU."""
    from seqgraph.experiments.memory.spec import MemoryOptions, MemoryRun
    from seqgraph.results import aggregate
    from seqgraph.sweep.engine import run_sweep
    from seqgraph.tasks.registry import TASKS, get_task

    progress(Message("7/7 the literature's memory benchmarks: copy and adding, RNN vs LSTM vs GRU"))
    rows, sources = [], []
    for task, lengths in (("copy", b.copy_lengths), ("adding", b.adding_lengths)):
        sweep = resolve_sweep(MemoryRun, MemoryOptions, None, device=device, executor=executor,
                              out=str(root / "literature" / task), resume=True, task=task, lengths=lengths,
                              model="rnn,lstm,gru", seeds=b.lit_seeds, steps=b.lit_steps)
        summ = run_sweep("memory", sweep, progress)
        sources.append(f"`{task}`: {TASKS[task].source}")
        t = get_task(task)
        for r in aggregate(summ, by=["length", "model"]).itertuples():
            fmt = ".4f" if t.metric == "mse" else ".3f"
            mean_std = (f"{r.final_mean:{fmt}}" if math.isnan(r.final_std)
                        else f"{r.final_mean:{fmt}} ± {r.final_std:{fmt}}")
            rows.append([task, r.length, r.model, t.metric, mean_std, f"{t.baseline(int(r.length)):{fmt}}",
                         f"{r.loss_ratio_mean:.3f}", f"{r.solved}/{r.runs}"])
    return (
        "## 7. Beyond the course: the literature's memory benchmarks\n\n"
        "**Setup** (`seqgraph memory`; the tasks as their anchors define them — "
        + "; ".join(sources)
        + f"): RNN, LSTM and GRU, hidden 128, Adam 1e-3, at most {b.lit_steps} steps, seeds {b.lit_seeds}. "
        "Copy: the model sees 10 symbols, waits T steps, and must repeat them (accuracy on the 10 answers; "
        "not learned: 1/8). Adding: the sum of the two marked values among T (MSE; not learned: always "
        "answering 1, MSE ≈ 0.167). No paper's figure is quoted beside these: none has been read for this "
        "setup." + (" With one seed per row this is indicative only." if len(b.lit_seeds.split(",")) == 1 else "")
        + "\n\n"
        "**seqgraph measured** (loss ratio: the final held-out loss over the not-learned loss; 1 = nothing "
        "learned):\n\n"
        + _md_table(["task", "T", "model", "metric", "final (mean ± std)", "not learned", "loss ratio", "solved"],
                    rows) + "\n"
    )
