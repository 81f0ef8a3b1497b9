"""``seqgraph search``: an Optuna study over the run settings of a sweep command.

A search asks its trials in *rounds* of ``concurrent`` trials; each round is a sweep of those
runs on the sweep engine (any executor), so every trial is an ordinary run row in summary.csv
and curves.csv (``status`` ok, or ``pruned``), and ``table`` and ``plot`` read a search's
folder as they read a sweep's. The study lives in ``<out>/study.db`` (SQLite, written by this
process only); a killed search continues with ``--resume``.

Determinism: each round's sampler is seeded by (``search_seed``, round) and sees the trials
finished before the round; its pruner compares with the trials completed before the round
(:mod:`seqgraph.search.pruning`). So the same command gives the same trials, the same runs and
the same pruning under every executor, and a resumed search the same as one never interrupted
— as far as each run itself is reproducible (docs: reproducibility). ``--timeout`` ends a search
by the clock, which no seed repeats.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

from seqgraph.config import Settings, check_choice, resolve
from seqgraph.errors import ConfigError
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.experiments.memory.spec import MemoryOptions, MemoryRun
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.search.pruning import PRUNERS, TrialStopper, intermediate
from seqgraph.search.space import Dimension, base_settings, check_space, describe_space, split_space
from seqgraph.sweep.grid import RunOptions, Sweep, axis_name, resolve_sweep
from seqgraph.sweep.spec import RunSpec, run_id
from seqgraph.train.progress import Event, Message, Progress, SweepStarted, no_progress

OBJECTIVES = ("best", "final", "solved-step")
SAMPLERS = ("tpe", "random")
STUDY_FILE, TRIALS_FILE, HISTORY_FILE = "study.db", "trials.csv", "history.png"
STUDY_NAME = "seqgraph-search"
MAX_TRIALS = 10_000


def require() -> Any:
    """optuna, or one line saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise ConfigError("seqgraph search needs Optuna: pip install 'seqgraph[search]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@dataclass
class SearchOptions(Settings):
    """How a search chooses and ends its trials."""

    trials: int = 20  # trials to finish (complete, pruned or failed); --resume with more goes on
    timeout: float = 0.0  # seconds after which no new round starts (0: none)
    objective: str = "best"  # best | final (held-out figure) | solved-step (steps to solved)
    sampler: str = "tpe"  # tpe | random
    search_seed: int = 0  # the sampler's seed
    concurrent: int = 2  # trials per round: asked together, trained in parallel by the executor
    pruner: str = "median"  # median | none
    startup_trials: int = 5  # completed trials before the pruner prunes
    warmup_steps: int = 0  # steps of a run before it may be pruned

    def validate(self) -> None:
        check_choice(self.objective, "objective", OBJECTIVES)
        check_choice(self.sampler, "sampler", SAMPLERS)
        check_choice(self.pruner, "pruner", PRUNERS)
        if not 1 <= self.trials <= MAX_TRIALS:
            raise ConfigError(f"trials must be in 1..{MAX_TRIALS:,}, got {self.trials}")
        if not 1 <= self.concurrent <= 256:
            raise ConfigError(f"concurrent must be in 1..256, got {self.concurrent}")
        if not (math.isfinite(self.timeout) and self.timeout >= 0):
            raise ConfigError(f"timeout must be ≥ 0 seconds, got {self.timeout}")
        for name in ("startup_trials", "warmup_steps", "search_seed"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name.replace('_', '-')} must be ≥ 0, got {getattr(self, name)}")


@dataclass
class PalindromeSearchOptions(PalindromeOptions):
    out: str = "results/search/palindrome"


@dataclass
class MemorySearchOptions(MemoryOptions):
    out: str = "results/search/memory"


@dataclass
class TrainSearchOptions(TrainOptions):
    out: str = "results/search/train"


@dataclass(frozen=True)
class SearchCommand:
    """A sweep command a search runs: its experiment, run spec and run options, and how a run's
    row and curve give the objective. This base is a sequence experiment's (palindrome, memory:
    a held-out figure per evaluation in curves.csv); :class:`TextSearchCommand` the character
    model's."""

    name: str
    experiment: str
    spec: type[RunSpec]
    options: type[RunOptions]
    final_column: str  # summary.csv: the final held-out figure
    best_column: str  # … and the best
    curve_column: str  # curves.csv: the held-out figure at each evaluation
    objectives: tuple[str, ...] = OBJECTIVES

    def metric(self, base: Mapping[str, Any], dims: list[Dimension]) -> str:
        """The held-out figure's kind: accuracy or mse (the task's; one for the whole search)."""
        from seqgraph.tasks.registry import get_task

        tasks = {base["task"], *(c for d in dims if d.field == "task" for c in d.choices)}
        metrics = {get_task(t).metric for t in tasks}
        if len(metrics) > 1:
            raise ConfigError(f"--task {','.join(sorted(tasks))}: their figures differ "
                              f"({', '.join(sorted(metrics))}); a search compares one figure: search each task alone")
        return metrics.pop()

    def check(self, base: Mapping[str, Any]) -> None:
        """Refuse, before anything runs, what every trial would fail on."""

    def context(self, options: RunOptions) -> dict[str, Any]:
        """What every job of a round needs (none for sequence experiments)."""
        return {}

    def curves(self, out: Path, rows: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[int, float]]]:
        """Each finished run's held-out figure at each evaluation, by run id."""
        from seqgraph.io import read_csv

        curves: dict[str, list[tuple[int, float]]] = {}
        if (out / "curves.csv").exists():
            df = read_csv(out / "curves.csv")
            for rid, step, value in zip(df["run_id"].astype(str), df["step"], df[self.curve_column], strict=True):
                curves.setdefault(rid, []).append((int(step), float(value)))
        return curves


@dataclass(frozen=True)
class TextSearchCommand(SearchCommand):
    """``seqgraph train``'s runs: each in its folder under --out with its own log.csv; the
    figure is the validation loss (minimised), and there is no solved rule."""

    def metric(self, base: Mapping[str, Any], dims: list[Dimension]) -> str:
        return "loss"

    def check(self, base: Mapping[str, Any]) -> None:
        from seqgraph.experiments.charlm.model import corpus_text
        from seqgraph.tasks.text import CharCorpus

        CharCorpus(corpus_text(base["text"])[0], None, base["val_fraction"], base["seq_length"])

    def context(self, options: RunOptions) -> dict[str, Any]:
        return {"out": str(Path(options.out).resolve()), "resume": True, "overwrite": False}

    def curves(self, out: Path, rows: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[int, float]]]:
        from seqgraph.io import read_csv

        curves: dict[str, list[tuple[int, float]]] = {}
        for rid, row in rows.items():
            log = Path(str(row.get("folder") or "")) / "log.csv"
            if row.get("folder") and log.is_file():
                df = read_csv(log)
                curves[rid] = [(int(a), float(b)) for a, b in zip(df["step"], df["val_loss"], strict=True)]
        return curves


COMMANDS: dict[str, SearchCommand] = {
    "palindrome": SearchCommand("palindrome", "palindrome", PalindromeRun, PalindromeSearchOptions,
                                "final_accuracy", "best_accuracy", "accuracy"),
    "memory": SearchCommand("memory", "memory", MemoryRun, MemorySearchOptions,
                            "final_metric", "best_metric", "eval_metric"),
    "train": TextSearchCommand("train", "charlm", CharLMRun, TrainSearchOptions, "val_loss", "best_val_loss",
                               "val_loss", objectives=("best", "final")),
}


@dataclass
class Search:
    """A resolved search: fixed settings, the space, how to run, how to search."""

    command: SearchCommand
    base: dict[str, Any]  # every field of the spec → its value (a searched one: any of its values)
    dims: list[Dimension]
    options: RunOptions
    search: SearchOptions
    preset: str = ""

    @cached_property  # read for every reported figure: the task registry is asked once
    def metric(self) -> str:
        """The held-out figure: accuracy, mse (the task's) or loss (the character model's validation loss)."""
        return self.command.metric(self.base, self.dims)

    @property
    def direction(self) -> Literal["maximize", "minimize"]:
        return "maximize" if self.search.objective != "solved-step" and self.metric == "accuracy" else "minimize"

    def objective_label(self) -> str:
        if self.search.objective == "solved-step":
            return "steps to solved"
        if self.metric == "loss":
            return f"{self.search.objective} validation loss"
        return f"{self.search.objective} held-out {self.metric}"

    def spec_of(self, params: Mapping[str, Any]) -> Any:
        spec = self.command.spec(**(self.base | dict(params)))
        spec.validate()
        return spec

    def identity(self) -> dict[str, Any]:
        """What makes a study this search (``--resume`` refuses another): all but the budget."""
        searched = {d.field for d in self.dims}
        fixed = {axis_name(self.command.spec, f): v for f, v in self.base.items() if f not in searched}
        s = dataclasses.asdict(self.search)
        return {"command": self.command.name, "space": describe_space(self.dims), "fixed": fixed,
                **{k: v for k, v in s.items() if k not in ("trials", "timeout")}, "direction": self.direction}

    def to_dict(self) -> dict[str, Any]:
        """The search as config.toml keys: the command, the space and fixed settings as typed,
        the search and run options."""
        ident = self.identity()
        hidden = RunOptions.not_in_toml
        return {"search": self.command.name, **({"preset": self.preset} if self.preset else {}),
                **ident["fixed"], **ident["space"], **dataclasses.asdict(self.search),
                **{k: v for k, v in dataclasses.asdict(self.options).items() if k not in hidden}}


def resolve_search(command: str, search_flags: Mapping[str, Any], **flags: Any) -> Search:
    """A search of ``command`` (palindrome, memory, train) from its flags (None: not given): run
    settings as ranges, lists or values (:mod:`seqgraph.search.space`), run options, and the
    search's own options ``search_flags``."""
    cmd = COMMANDS[command]
    search = resolve(SearchOptions, None, **search_flags)
    fixed, dims = split_space(cmd.spec, flags)
    choice_flags = {d.name: list(d.choices) for d in dims if d.kind == "choice"}
    sweep = resolve_sweep(cmd.spec, cmd.options, None, **fixed, **choice_flags)
    base = base_settings(cmd.spec, sweep.axes, dims)
    check_space(cmd.spec, base, dims)
    if search.objective not in cmd.objectives:
        raise ConfigError(f"--objective {search.objective}: seqgraph {command} runs have no solved rule; choose "
                          f"{' or '.join(cmd.objectives)}")
    s = Search(cmd, base, dims, sweep.options, search, sweep.preset)
    _ = s.metric  # one figure to compare, or a ConfigError now
    cmd.check(base)
    return s


@dataclass
class TrialRound(Sweep[Any]):
    """One round of a search as a sweep of its runs (the engine trains and records them; the
    search writes config.toml)."""

    owns_config: ClassVar[bool] = False
    planned: list[Any] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def runs(self) -> list[Any]:
        return list(self.planned)

    def varying(self) -> list[str]:
        return list(self.searched)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.config)


@dataclass
class SearchResult:
    """A finished (or ended) search: every trial, the best, what mattered."""

    trials: Any  # DataFrame: trials.csv
    best: dict[str, Any] | None  # the best complete trial's row of ``trials``
    importances: dict[str, float]  # parameter → importance (fANOVA), when there are enough trials
    objective: str  # what the value is, in words
    direction: str
    names: list[str]  # the searched settings' names (columns of ``trials``)
    files: list[Path]
    ended_by: str = ""  # "timeout" when --timeout ended it


class _RoundProgress:
    """Passes a round's events on; after the first round, its 'runs to train' line is left out
    (the trial lines say what happens)."""

    def __init__(self, target: Progress) -> None:
        self.target, self.rounds = target, 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, SweepStarted):
            self.rounds += 1
            if self.rounds > 1:
                event = dataclasses.replace(event, executor="")
        self.target(event)


def _storage(path: Path) -> Any:
    optuna = require()
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return optuna.storages.RDBStorage(f"sqlite:///{path}")
    except (SQLAlchemyError, RuntimeError, ValueError) as e:
        raise ConfigError(f"cannot read the study {path}: not a seqgraph search's study, or corrupt "
                          f"({type(e).__name__}); choose another --out, or --overwrite") from None


def _study(search: Search, path: Path) -> Any:
    optuna = require()
    from sqlalchemy.exc import SQLAlchemyError

    storage = _storage(path)
    try:
        names = [s.study_name for s in optuna.study.get_all_study_summaries(storage)]
        if names and names != [STUDY_NAME]:
            raise ConfigError(f"{path} is not a seqgraph search's study (its studies: {', '.join(names)})")
        study = optuna.create_study(storage=storage, study_name=STUDY_NAME, direction=search.direction,
                                    load_if_exists=True)
        saved = study.user_attrs.get("seqgraph")
        ident = search.identity()
        if saved is None and study.trials:
            raise ConfigError(f"{path} is not a seqgraph search's study; choose another --out")
        if saved is not None and saved != ident:
            key = next(k for k in {**saved, **ident} if saved.get(k) != ident.get(k))
            raise ConfigError(f"--resume: the study in {path} is another search ({key}: {saved.get(key)!r}, "
                              f"this command: {ident.get(key)!r}); give its settings, or choose another --out")
        if saved is None:
            study.set_user_attr("seqgraph", ident)
    except SQLAlchemyError as e:
        raise ConfigError(f"cannot read the study {path}: not a seqgraph search's study, or corrupt "
                          f"({type(e).__name__}); choose another --out, or --overwrite") from None
    return study


def _sampler(search: Search, round_index: int) -> Any:
    optuna = require()
    seed = search.search.search_seed * 1_000_003 + round_index
    if search.search.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return optuna.samplers.TPESampler(seed=seed)


def _finished(t: Any) -> bool:
    from optuna.trial import TrialState

    return t.state in (TrialState.COMPLETE, TrialState.PRUNED) or (t.state == TrialState.FAIL and
                                                                    "failed_run" in t.user_attrs)


@contextmanager
def _quiet() -> Iterator[None]:
    """Optuna's experimental-feature and step warnings stay off the user's stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def check_folder(search: Search) -> None:
    """Refuse, before anything is written, an output folder this search may not write."""
    from seqgraph.config import read_toml

    out = Path(search.options.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder")
    held = [out / n for n in (STUDY_FILE, "summary.csv", "curves.csv", "config.toml", TRIALS_FILE)]
    if not any(p.exists() for p in held):
        return
    config = out / "config.toml"
    if config.exists() and not search.options.overwrite:
        saved = read_toml(config)
        if saved.get("search") != search.command.name:
            what = f"a search of {saved['search']}" if "search" in saved else "another command"
            raise ConfigError(f"{out} holds the output of {what}; choose another --out")
    if not search.options.resume and not search.options.overwrite:
        raise ConfigError(f"{out} already holds results: add --resume to continue that search, --overwrite to "
                          "replace it, or choose another --out")


def run_search(search: Search, progress: Progress = no_progress) -> SearchResult:
    """Run ``search`` until it has ``trials`` finished trials (or ``timeout``), round by round;
    Ctrl-C keeps every finished run (``--resume`` goes on)."""
    from seqgraph.io import folder_lock

    require()
    check_folder(search)
    out = Path(search.options.out)
    with folder_lock(out, "search"):
        return _run(search, progress, out)


def _run(search: Search, progress: Progress, out: Path) -> SearchResult:
    from optuna.trial import TrialState

    from seqgraph.config import write_toml
    from seqgraph.sweep.engine import train_sweep
    from seqgraph.sweep.output import FINISHED

    if search.options.overwrite:
        for name in (STUDY_FILE, "summary.csv", "curves.csv", TRIALS_FILE, HISTORY_FILE, "config.toml"):
            (out / name).unlink(missing_ok=True)
    study = _study(search, out / STUDY_FILE)
    write_toml(out / "config.toml", search.to_dict())
    _recover(study)
    rows, curves = _read_rows(search, out)
    start = time.monotonic()
    opts = dataclasses.replace(search.options, resume=True, overwrite=False)
    rounds = _RoundProgress(progress)
    ended_by = ""
    while True:
        trials = study.get_trials(deepcopy=False)
        remaining = search.search.trials - sum(1 for t in trials if _finished(t))
        if remaining <= 0:
            break
        if search.search.timeout and time.monotonic() - start >= search.search.timeout:
            ended_by = "timeout"
            break
        waiting = [t for t in trials if t.state == TrialState.WAITING]
        if waiting:  # a round interrupted before: its trials again, with their settings
            r = int(waiting[0].user_attrs.get("round", 0))
            k = min(remaining, sum(1 for t in waiting if t.user_attrs.get("round") == r))
        else:
            r = 1 + max((int(t.user_attrs.get("round", 0)) for t in trials if _finished(t)), default=0)
            k = min(remaining, search.search.concurrent)
        study.sampler = _sampler(search, r)
        asked = []
        with _quiet():
            for _ in range(k):
                trial = study.ask()
                params = {d.field: d.suggest(trial) for d in search.dims}
                spec = search.spec_of(params)
                trial.set_user_attr("round", r)
                trial.set_user_attr("run_id", run_id(spec))
                asked.append((trial, spec))
        todo = list({run_id(s): s for _, s in asked if str(rows.get(run_id(s), {}).get("status")) not in FINISHED
                     }.values())  # a run already finished (another trial's) is not trained again
        if todo:
            history = [dict(t.intermediate_values) for t in trials
                       if t.state == TrialState.COMPLETE and int(t.user_attrs.get("round", 0)) < r]
            stopper = None if search.search.pruner == "none" else TrialStopper(
                search.direction, search.search.objective, search.metric, search.search.startup_trials,
                search.search.warmup_steps, history)
            sweep = TrialRound(search.command.spec, {}, opts, planned=todo,
                               searched=[d.field for d in search.dims], config=search.to_dict())
            train_sweep(search.command.experiment, sweep, rounds, context=search.command.context(opts),
                        stopper=stopper)
            rows, curves = _read_rows(search, out)
        for trial, spec in asked:
            line = _tell(search, study, trial, rows.get(run_id(spec)), curves.get(run_id(spec), []))
            best = _best_line(study)
            progress(Message(f"trial {trial.number} (round {r}): {_params_text(search, spec)} → {line}{best}"))
        _write_trials(search, study, rows, out)
    return _result(search, study, rows, out, ended_by)


def _recover(study: Any) -> None:
    """Trials left running by a killed search: failed (``interrupted``), and their settings
    asked again first (a finished run's row is reused, not trained again)."""
    from optuna.trial import TrialState

    with _quiet():
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            study.tell(t.number, state=TrialState.FAIL)  # no failed_run: listed as interrupted
            study.enqueue_trial(t.params, user_attrs={"round": t.user_attrs.get("round", 0)})


def _read_rows(search: Search, out: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[int, float]]]]:
    """The runs' summary rows by run id, and their held-out curves (step, figure)."""
    from seqgraph.io import read_csv

    rows: dict[str, dict[str, Any]] = {}
    if (out / "summary.csv").exists():  # the last row of each run (a failed run trained again appends one)
        df = read_csv(out / "summary.csv")
        rows = {str(r["run_id"]): r for r in df.to_dict("records")}
    return rows, search.command.curves(out, rows)


def objective_value(search: Search, row: Mapping[str, Any]) -> float | None:
    """A run row's objective (None: not a number, e.g. a failed run)."""
    if search.search.objective == "solved-step":
        step = row.get("solved_step")
        if step is None or (isinstance(step, float) and math.isnan(step)):
            return float(row["steps"]) + 1  # never solved: worse than any run that was
        return float(step)
    cmd = search.command
    value = row.get(cmd.best_column if search.search.objective == "best" else cmd.final_column)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _tell(search: Search, study: Any, trial: Any, row: dict[str, Any] | None,
          curve: list[tuple[int, float]]) -> str:
    from optuna.trial import TrialState

    with _quiet():
        for step, figure in curve:
            trial.report(intermediate(figure, search.search.objective, search.metric), step)
        status = "" if row is None else str(row.get("status"))
        value = None if row is None else objective_value(search, row)
        if status == "pruned":
            study.tell(trial, state=TrialState.PRUNED)
            return f"pruned at step {row['trained_steps']}"  # type: ignore[index]
        if status == "ok" and value is not None:
            study.tell(trial, value)
            if search.search.objective == "solved-step" and value > float(row["steps"]):  # type: ignore[index]
                return f"not solved in {int(row['steps'])} steps (counts as {value:.0f})"  # type: ignore[index]
            return f"{_value_text(search, value)}"
        trial.set_user_attr("failed_run", status or "no row")
        study.tell(trial, state=TrialState.FAIL)
        return status or "failed"


def _value_text(search: Search, value: float) -> str:
    if search.search.objective == "solved-step":
        return f"solved at step {value:.0f}"
    return f"{search.objective_label()} {value:.4f}" if search.metric == "mse" else \
        f"{search.objective_label()} {value:.3f}"


def _best_line(study: Any) -> str:
    try:
        best = study.best_trial
    except ValueError:
        return ""
    return f"; best so far trial {best.number}"


def _params_text(search: Search, spec: Any) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    return " ".join(f"{d.name}={fmt(getattr(spec, d.field))}" for d in search.dims) or "(no searched setting)"


STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}


def trials_frame(search: Search, study: Any, rows: Mapping[str, Mapping[str, Any]]) -> Any:
    """Every trial: number, round, state, value, the searched settings, its run (id, status,
    steps, time)."""
    import pandas as pd

    records = []
    for t in study.get_trials(deepcopy=False):
        rid = t.user_attrs.get("run_id", "")
        row = rows.get(rid, {})
        state = STATES.get(t.state.name, t.state.name.lower())
        if state == "failed" and "failed_run" not in t.user_attrs:
            state = "interrupted"
        value = t.value if state == "complete" else None
        rec: dict[str, Any] = {"trial": t.number, "round": t.user_attrs.get("round"), "state": state, "value": value}
        for d in search.dims:
            rec[d.name] = t.params.get(d.field)
        rec |= {"run_id": rid, "status": row.get("status"), "trained_steps": row.get("trained_steps"),
                "wall_time": row.get("wall_time")}
        if state == "pruned" and row:
            rec["value_at_prune"] = objective_value(search, row) if search.search.objective != "solved-step" else None
        records.append(rec)
    columns = ["trial", "round", "state", "value", *(d.name for d in search.dims), "run_id", "status",
               "trained_steps", "wall_time", "value_at_prune"]
    return pd.DataFrame.from_records(records, columns=columns)


def _write_trials(search: Search, study: Any, rows: Mapping[str, Mapping[str, Any]], out: Path) -> None:
    from seqgraph.io import write_csv

    df = trials_frame(search, study, rows)
    write_csv(out / TRIALS_FILE, list(df.columns), df.to_dict("records"))


def importances(search: Search, study: Any) -> dict[str, float]:
    """fANOVA importance of each searched setting (Optuna's, seeded), over the complete trials;
    empty with fewer than 2 of them or one setting that varies."""
    optuna = require()
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(done) < 2 or not search.dims:
        return {}
    names = {d.field: d.name for d in search.dims}
    try:
        with _quiet():
            evaluator = optuna.importance.FanovaImportanceEvaluator(seed=search.search.search_seed)
            found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError):  # e.g. a setting that never varied
        return {}
    return {names.get(k, k): float(v) for k, v in found.items()}


def _result(search: Search, study: Any, rows: Mapping[str, Mapping[str, Any]], out: Path,
            ended_by: str) -> SearchResult:
    from seqgraph.plots import plot_search, save_figure

    df = trials_frame(search, study, rows)
    complete = df[df["state"] == "complete"]
    best = None
    if not complete.empty:
        pick = complete["value"].idxmin() if search.direction == "minimize" else complete["value"].idxmax()
        best = df.loc[pick].to_dict()
    files = [out / n for n in ("summary.csv", "curves.csv", TRIALS_FILE, STUDY_FILE, "config.toml")]
    if not df.empty:
        fig = plot_search(df, search.objective_label(), search.direction)
        files.append(save_figure(fig, out / HISTORY_FILE))
    return SearchResult(df, best, importances(search, study), search.objective_label(), search.direction,
                        [d.name for d in search.dims], [f for f in files if f.exists()], ended_by)
