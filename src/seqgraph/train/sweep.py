"""Sweeps: plan runs into jobs, execute them, append results row by row, resume by spec.

A sweep's runs are specs (:mod:`seqgraph.config`); each is identified by :func:`run_id`, a
hash of its settings, so ``--resume`` trains exactly the runs whose rows are missing — after a
crash, or after a new axis value was added. Executors take jobs and yield results as they
finish; only this module writes files:

* ``sequential`` — one run at a time, in this process;
* ``batched`` — runs of one shape as one model (K slots) on one device, in this process;
* ``processes`` — jobs in worker processes, one per core with its share of the threads;
* ``ray`` — jobs as Ray tasks on a local instance or a cluster (:mod:`seqgraph.train.ray_executor`).

``auto`` chooses batched on a GPU and, on a CPU, processes when there are at least two runs:
measured on 2 cores, whole sweeps ran 1.2–1.5× faster in two worker processes, while a batch
of runs gains per step only 1.1× (LSTM) to 2.1× (RNN) at K = 8, and only for runs that share
a shape (benchmarks/sweep_throughput.py, README "Performance").
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgraph.config import RunOptions, Sweep, axis_name, read_toml, run_id, spec_fields, write_toml
from seqgraph.errors import ConfigError, SeqgraphError
from seqgraph.io import append_rows, drop_torn_row, folder_lock, make_folder, read_csv, whole_rows, write_csv
from seqgraph.train.jobs import (
    Experiment,
    Job,
    JobOutcome,
    RunResult,
    collect_job,
    describe,
    experiment,
    out_of_memory,
    run_job,
    settle,
)
from seqgraph.train.progress import Progress, RunFinished, SweepStarted, no_progress

# --- planning -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    executor: str  # sequential | batched | processes | ray
    slots: int  # runs trained at once as one model, per job
    workers: int  # jobs at once (processes, ray)
    mix_lengths: bool  # runs of different lengths may share a job
    device: str
    cluster: Any = None  # the Ray cluster (executor ray)
    note: str = ""  # said after the description (e.g. a capped --workers)
    kernel: str = "auto"  # recurrent kernel (RunOptions.kernel)

    def describe(self) -> str:
        if self.executor == "sequential":
            return f"one run at a time on {self.device}"
        if self.executor == "batched":
            mix = ", lengths mixed" if self.mix_lengths else ""
            return f"batched: up to {self.slots} runs as one model on {self.device}{mix}"
        per = f", {self.slots} runs per job" if self.slots > 1 else ""
        if self.executor == "processes":
            return f"{self.workers} worker processes on {self.device}{per}{self.note}"
        c = self.cluster
        where = f"{c.gpus} GPU(s)" if self.device == "cuda" else f"{c.cpus} CPU(s)"
        return f"Ray tasks on a cluster of {where}{per}"


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def auto_slots(exp: Experiment, specs: Sequence[Any], device: str) -> int:
    """Runs per batch when ``--batch-runs`` is not given: on a GPU as many as fit in about 40%
    of its free memory (at most 256); on a CPU 8 (measured: no gain beyond)."""
    if not device.startswith("cuda"):
        return 8
    import torch

    free, _ = torch.cuda.mem_get_info(torch.device(device)) if ":" in device else torch.cuda.mem_get_info()
    per_run = max(exp.memory(s) for s in specs) if hasattr(exp, "memory") else 1 << 26
    return int(max(1, min(256, 0.4 * free // max(per_run, 1))))


def check_fits(exp: Experiment, todo: Sequence[Any]) -> None:
    """Refuse, before anything starts, a run that cannot fit in this machine's free memory."""
    from seqgraph.perf import available_memory

    free = available_memory()
    if not todo or free is None or not hasattr(exp, "memory"):
        return
    biggest = max(todo, key=exp.memory)
    need = exp.memory(biggest)
    if need > free:
        sizes = ", ".join(f"{f.replace('_', ' ')} {getattr(biggest, f):,}" for f in SIZE_FIELDS
                          if hasattr(biggest, f))
        raise ConfigError(f"a run of these settings needs about {need / 2**30:,.1f} GiB ({sizes}); this "
                          f"machine has {free / 2**30:,.1f} GiB free: use smaller sizes")


SIZE_FIELDS = ("length", "hidden", "layers", "batch_size")


def make_plan(exp: Experiment, options: RunOptions, todo: Sequence[Any]) -> Plan:
    if options.executor == "ray":
        return _ray_plan(exp, options, todo)
    from seqgraph.train.loop import resolve_device

    dev = resolve_device(options.device)
    device = str(dev) if dev.index is not None else dev.type  # cuda:1 stays cuda:1
    gpu = dev.type == "cuda"
    name = options.executor
    if name == "auto":
        if gpu and getattr(exp, "batchable", True) and options.kernel != "fused":
            name = "batched"
        elif cpu_count() > 1 and len(todo) > 1:
            name = "processes"
        else:
            name = "sequential"
    if name == "batched" and not getattr(exp, "batchable", True):
        raise ConfigError(f"--executor batched: {exp.name} runs train one at a time "
                          "(choose sequential, processes or ray)")
    slots = 1
    if name == "batched":
        slots = options.batch_runs or auto_slots(exp, todo, device)
    elif name in ("processes", "ray"):
        slots = options.batch_runs or 1
    workers = options.workers or (min(cpu_count(), max(1, len(todo))) if name == "processes" else 0)
    capped = ""
    if name == "processes" and workers > (limit := max_workers()):
        capped = f" (--workers {workers} capped: more would only compete for cores or memory)"
        workers = limit
    check_kernel(exp, options.kernel, todo, device, slots)
    return Plan(name, max(1, slots), workers, mix_lengths=gpu, device=device, note=capped, kernel=options.kernel)


def check_kernel(exp: Experiment, kernel: str, todo: Sequence[Any], device: str, slots: int) -> None:
    """Refuse ``--kernel fused`` for a cell without a fused twin or with stacked runs, before
    anything is written."""
    if kernel != "fused":
        return
    from seqgraph.nn.fused import resolve_kernel

    cells = sorted({c for spec in todo for c in getattr(exp, "kernel_cells", lambda s: [])(spec)})
    resolve_kernel(kernel, cells, device, 0, alone=slots <= 1)


WORKER_MEMORY = 600 << 20  # a worker process: torch, the model, its batches (measured ~400 MB)


def max_workers() -> int:
    """Worker processes this machine can run usefully: one per core, and as many as its free
    memory holds."""
    from seqgraph.perf import available_memory

    free = available_memory()
    by_memory = cpu_count() if free is None else max(1, free // WORKER_MEMORY)
    return max(1, min(cpu_count(), by_memory))


def _ray_plan(exp: Experiment, options: RunOptions, todo: Sequence[Any]) -> Plan:
    """On Ray the cluster's resources decide: a batch of runs per GPU task, or one run per
    CPU task (``--batch-runs`` sets the runs per task; 64 on GPUs by default)."""
    from seqgraph.train.ray_executor import connect, device_for

    cluster = connect(options.ray_address)
    device = device_for(cluster, options.device)
    batchable = getattr(exp, "batchable", True)
    slots = options.batch_runs or (64 if device == "cuda" and batchable else 1)
    if not batchable:
        slots = 1
    if options.kernel == "fused" and slots > 1 and not options.batch_runs:
        slots = 1  # fused kernels train one run at a time
    check_kernel(exp, options.kernel, todo, device, slots)
    return Plan("ray", slots, options.workers, mix_lengths=device == "cuda", device=device, cluster=cluster,
                kernel=options.kernel)


def plan_jobs(exp: Experiment, specs: Sequence[Any], plan: Plan, label_fields: tuple[str, ...] = ()) -> list[Job]:
    """Jobs for ``specs``: one per run (``slots`` 1), else one per group of runs that can share
    a model — split into batches of ``slots`` runs for parallel executors, whole (a finished
    run's slot goes to the next waiting one) in this process. Parallel executors get the
    costliest jobs first, so the last job to start is a short one."""
    if plan.slots <= 1:
        jobs = [Job(exp.name, (s,), 1, label_fields, plan.kernel) for s in specs]
    else:
        groups: dict[Any, list[Any]] = {}
        for s in specs:
            groups.setdefault(exp.group_key(s, plan.mix_lengths), []).append(s)
        jobs = []
        for runs in groups.values():
            runs.sort(key=exp.cost, reverse=True)  # long runs first; short ones fill freed slots
            if plan.executor in ("processes", "ray"):
                jobs += [Job(exp.name, tuple(runs[i : i + plan.slots]), min(plan.slots, len(runs) - i), label_fields,
                             plan.kernel, stacked=True)
                         for i in range(0, len(runs), plan.slots)]
            else:
                jobs.append(Job(exp.name, tuple(runs), min(plan.slots, len(runs)), label_fields, plan.kernel,
                                stacked=True))
    if plan.executor in ("processes", "ray"):
        jobs.sort(key=lambda j: sum(exp.cost(s) for s in j.runs) / j.slots, reverse=True)
    return jobs


# --- output -------------------------------------------------------------------------------

@dataclass
class Output:
    folder: Path
    summary_columns: list[str]
    curve_columns: list[str]

    @property
    def summary(self) -> Path:
        return self.folder / "summary.csv"

    @property
    def curves(self) -> Path:
        return self.folder / "curves.csv"

    @property
    def config(self) -> Path:
        """The resolved configuration: every axis value swept in this folder, the last options."""
        return self.folder / "config.toml"

    def record(self, result: RunResult) -> None:
        """Append a run's curve rows, then its summary row (a run is done once it is in the
        summary; curve rows of a run that never got there are dropped on resume)."""
        settings = {"run_id": result.run_id, **dataclasses.asdict(result.spec)}
        if self.curve_columns and result.curves:
            append_rows(self.curves, self.curve_columns, [settings | c for c in result.curves])
        append_rows(self.summary, self.summary_columns, [settings | result.summary])


def read_output(exp: Experiment, sweep: Sweep[Any]) -> tuple[Output, dict[str, dict[str, Any]]]:
    """Check the output folder against --resume / --overwrite (writing nothing yet); return it
    and the summary rows of the runs already done there, by run id."""
    opts = sweep.options
    settings = ["run_id", *spec_fields(exp.spec)]
    out = Output(Path(opts.out), [*settings, *exp.result_columns],
                 [*settings, *exp.curve_columns] if exp.curve_columns else [])
    if out.folder.exists() and not out.folder.is_dir():
        raise ConfigError(f"--out {out.folder} is a file, not a folder")
    for path in (out.summary, out.curves):
        if path.exists() and path.stat().st_size == 0:  # killed before its first row: nothing in it
            path.unlink()
    if out.config.exists():
        known = set(sweep.to_dict()) | set(spec_fields(exp.spec)) | set(RunOptions.not_in_toml) | {"preset"}
        foreign = sorted(set(read_toml(out.config)) - known)
        if foreign:
            raise ConfigError(f"{out.folder} holds the output of another command (its config.toml has "
                              f"{foreign[0]!r}); choose another --out")
    exists = out.summary.exists() or out.curves.exists() or out.config.exists()
    done: dict[str, dict[str, Any]] = {}
    if exists and not opts.resume and not opts.overwrite:
        raise ConfigError(f"{out.folder} already holds results: add --resume to continue that sweep (or extend "
                          "it with new values), --overwrite to replace it, or choose another --out")
    if exists and opts.resume:
        for path in (out.summary, out.curves):  # a row torn by a full disk or a kill: its run trains again
            drop_torn_row(path)
            if path.exists() and path.stat().st_size == 0:
                path.unlink()
        if out.summary.exists():
            df = read_csv(out.summary)
            if not _columns_fit(list(df.columns), out.summary_columns, exp):
                raise ConfigError(f"--resume: {out.summary} has other columns than this seqgraph writes "
                                  "(another experiment or an older version); use another --out")
            ok = df[df["status"] == "ok"].drop_duplicates("run_id", keep="last")
            done = {str(r["run_id"]): r for r in ok.to_dict("records")}
        if out.curves.exists() and out.curve_columns and not _columns_fit(list(read_csv(out.curves).columns),
                                                                          out.curve_columns, exp):
            raise ConfigError(f"--resume: {out.curves} has other columns than this seqgraph writes; "
                              "use another --out")
        if out.config.exists():
            read_toml(out.config)  # a corrupt config beside the results is worth an error, not a crash later
    return out, done


def _columns_fit(found: list[str], wanted: list[str], exp: Experiment) -> bool:
    """``found`` is ``wanted``, or ``wanted`` less settings added later
    (``in_id_unless_default``) and result columns added later (``added_results``): a folder of
    an older version, whose runs kept their ids."""
    later = (*getattr(exp.spec, "in_id_unless_default", ()), *getattr(exp, "added_results", {}))
    return found == [c for c in wanted if c in found or c not in later]


def _with_later_settings(df: Any, columns: list[str], exp: Experiment) -> Any:
    """Rows of an older version with the settings and result columns added since, at the values
    those runs had (a setting's default; ``added_results``)."""
    known = {f.name: f.default for f in dataclasses.fields(exp.spec)} | getattr(exp, "added_results", {})
    for c in columns:
        if c not in df.columns:
            df[c] = known[c]
    return df[columns]


def prepare_output(exp: Experiment, out: Output, sweep: Sweep[Any], keep: set[str]) -> None:
    """Make the output folder ready: with --overwrite start empty; else keep only the rows of
    runs ``keep`` (runs that failed, never reached the summary, or will be continued are
    trained again without duplicating rows); write the resolved config."""
    if sweep.options.overwrite:
        out.summary.unlink(missing_ok=True)
        out.curves.unlink(missing_ok=True)
    for path, columns in ((out.summary, out.summary_columns), (out.curves, out.curve_columns)):
        if columns and path.exists():
            df = read_csv(path)
            old_version = list(df.columns) != columns
            if old_version:
                df = _with_later_settings(df, columns, exp)
            kept = df[df["run_id"].astype(str).isin(keep)]
            if path == out.summary:
                kept = kept[kept["status"] == "ok"].drop_duplicates("run_id", keep="last")
            if len(kept) != len(df) or old_version:
                write_csv(path, columns, kept.to_dict("records"))
    make_folder(out.folder)
    data = sweep.to_dict()
    if sweep.options.resume and out.config.exists():  # describe every run in the folder: merge the axes
        saved = read_toml(out.config)
        for name in (axis_name(sweep.spec, f) for f in spec_fields(sweep.spec)):
            if name in saved:
                old = saved[name] if isinstance(saved[name], list) else [saved[name]]
                new = data[name] if isinstance(data[name], list) else [data[name]]
                merged = list(dict.fromkeys([*old, *new]))
                data[name] = merged[0] if len(merged) == 1 else merged
    write_toml(out.config, data)


# --- executors ----------------------------------------------------------------------------

def _run_in_process(exp: Experiment, jobs: Sequence[Job], plan: Plan, progress: Progress) -> Iterator[RunResult]:
    """Jobs one after another in this process. A job that raises has its unfinished runs
    reported failed (the sweep goes on); a batch that runs out of memory is retried with half
    the slots first."""
    todo = list(jobs)
    while todo:
        job = todo.pop(0)
        done: set[str] = set()
        try:
            for result in run_job(job, plan.device, progress):
                done.add(result.run_id)
                yield result
        except SeqgraphError:
            raise
        except Exception as e:
            rest = tuple(s for s in job.runs if run_id(s) not in done)
            if out_of_memory(e) and job.slots > 1:
                todo.insert(0, dataclasses.replace(job, runs=rest, slots=max(1, job.slots // 2)))
                continue
            yield from (exp.failed(s, describe(e)) for s in rest)


_WORKER: dict[str, Any] = {}


def _worker_init(threads: int, events: Any) -> None:
    import torch

    from seqgraph.perf import keep_freed_memory

    torch.set_num_threads(threads)
    keep_freed_memory()
    _WORKER["events"] = events


def _worker_run(index: int, job: Job, device: str) -> JobOutcome:
    events = _WORKER["events"]
    events.put(("started", index))  # a SimpleQueue writes at once: the driver knows even if we die
    return collect_job(job, device, events)


def _drain(events: Any, progress: Progress, started: set[int]) -> None:
    while not events.empty():
        item = events.get()
        if isinstance(item, tuple):
            started.add(item[1])
        else:
            progress(item)


def _pool_round(exp: Experiment, jobs: Sequence[Job], batch: list[int], workers: int, plan: Plan,
                progress: Progress) -> Generator[RunResult, None, tuple[list[int], list[int]]]:
    """Run the jobs ``batch`` in a fresh pool; if a worker dies, stop and return (as the
    generator's value) the lost jobs that had started and those that had not."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")  # fork and OpenMP/CUDA do not mix
    events = ctx.SimpleQueue()  # fresh per pool: a killed worker cannot leave it locked for the next
    started: set[int] = set()
    lost: list[int] = []
    threads = max(1, cpu_count() // workers)
    before = set(ctx.active_children())
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(threads, events))
    pending = {pool.submit(_worker_run, i, jobs[i], plan.device): i for i in batch}
    try:
        while pending:
            finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(events, progress, started)
            for fut in finished:
                i = pending.pop(fut)
                try:
                    outcome = fut.result()
                except BrokenProcessPool:
                    lost.append(i)
                    continue
                yield from settle(exp, jobs[i], outcome)
        _drain(events, progress, started)
        pool.shutdown(wait=True)
    except BaseException:
        manager = getattr(pool, "_executor_manager_thread", None)  # shutdown(wait=False) forgets it
        pool.shutdown(wait=False, cancel_futures=True)
        import time

        deadline = time.monotonic() + 10  # the pool may still be starting a worker: until none is left
        while (stray := set(ctx.active_children()) - before) and time.monotonic() < deadline:
            for p in stray:
                p.terminate()
            for p in stray:
                p.join(timeout=1)
        if manager is not None:  # let the pool's thread close its pipes before the interpreter exits: on
            manager.join(timeout=10)  # CPython 3.11 its close races the exit's wakeup ("Exception ignored")
        raise
    return [i for i in lost if i in started], [i for i in lost if i not in started]


def _run_in_processes(exp: Experiment, jobs: Sequence[Job], plan: Plan, progress: Progress
                      ) -> Iterator[RunResult]:
    """Jobs in ``plan.workers`` spawned processes, each with its share of the CPU threads.

    When a worker dies the pool breaks: jobs that had not started go back to the queue, and
    each job that had started is retried once on its own (so a crash is never blamed on a
    neighbour); if it dies again its runs are reported failed."""
    todo = list(range(len(jobs)))
    suspects: list[int] = []
    while todo or suspects:
        if suspects:
            i = suspects.pop(0)
            started, unstarted = yield from _pool_round(exp, jobs, [i], 1, plan, progress)
            for j in started:
                yield from (exp.failed(s, "its worker process died twice") for s in jobs[j].runs)
            todo += unstarted
        else:
            batch, todo = todo, []
            started, unstarted = yield from _pool_round(exp, jobs, batch, plan.workers, plan, progress)
            suspects += started
            todo += unstarted


def execute(exp: Experiment, jobs: Sequence[Job], plan: Plan, options: RunOptions,
            progress: Progress) -> Iterator[RunResult]:
    """Results of ``jobs`` as they finish, by ``plan.executor``."""
    if plan.executor in ("sequential", "batched"):
        yield from _run_in_process(exp, jobs, plan, progress)
    elif plan.executor == "processes":
        yield from _run_in_processes(exp, jobs, plan, progress)
    elif plan.executor == "ray":
        from seqgraph.train.ray_executor import run_on_ray

        yield from run_on_ray(exp, jobs, plan, plan.cluster, progress)
    else:
        raise ConfigError(f"unknown executor {plan.executor!r}")


# --- the sweep ----------------------------------------------------------------------------

class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep. ``saved``: the sweep's runs whose rows are whole in summary.csv,
    counted from the file itself (a Ctrl-C between writing a row and announcing its run must
    not make the two disagree)."""

    def __init__(self, saved: int, summary: Path) -> None:
        super().__init__(f"interrupted: {saved} finished run(s) in {summary}")
        self.saved, self.summary = saved, summary


def saved_runs(summary: Path, ids: set[str]) -> int:
    """How many of the runs ``ids`` have a whole row in ``summary`` (failed runs included:
    their rows are there too, and --resume trains them again)."""
    return len({r.get("run_id") for r in whole_rows(summary)} & ids)


def run_sweep(exp_name: str, sweep: Sweep[Any], progress: Progress = no_progress,
              context: dict[str, Any] | None = None) -> Any:
    """Train every run of ``sweep`` not already done in its output folder.

    Each finished run appends its curve rows, then its summary row; an interrupted sweep
    loses no finished run. ``context`` goes to every job (e.g. the output folder).

    Returns:
        the summary DataFrame of this sweep's runs (resumed ones included), in plan order.
    """
    out_folder = Path(sweep.options.out)
    if out_folder.exists() and not out_folder.is_dir():
        raise ConfigError(f"--out {out_folder} is a file, not a folder")
    with folder_lock(out_folder, "sweep"):
        return _run_sweep(exp_name, sweep, progress, context)


def _run_sweep(exp_name: str, sweep: Sweep[Any], progress: Progress, context: dict[str, Any] | None) -> Any:
    exp = experiment(exp_name)
    runs = sweep.runs()
    ids = [run_id(r) for r in runs]
    out, done = read_output(exp, sweep)
    try:
        return _train_and_record(exp, sweep, progress, context, runs, ids, out, done)
    except KeyboardInterrupt as e:
        if isinstance(e, SweepInterrupted):
            raise
        raise SweepInterrupted(saved_runs(out.summary, set(ids)), out.summary) from None


def _train_and_record(exp: Experiment, sweep: Sweep[Any], progress: Progress, context: dict[str, Any] | None,
                      runs: list[Any], ids: list[str], out: Output, done: dict[str, dict[str, Any]]) -> Any:
    complete = getattr(exp, "complete", lambda row, spec: True)
    todo = [r for r, i in zip(runs, ids, strict=True) if i not in done or not complete(done[i], r)]
    check_fits(exp, todo)
    plan = make_plan(exp, sweep.options, todo) if todo else None  # may start Ray, or refuse: before any write
    keep = set(done) - {run_id(r) for r in todo}  # runs continued with more steps get new rows
    prepare_output(exp, out, sweep, keep)
    label_fields = tuple(sweep.varying())
    jobs = plan_jobs(exp, todo, plan, label_fields) if plan else []
    if context:
        jobs = [dataclasses.replace(j, context=context) for j in jobs]
    parallel = 1
    if plan and plan.executor == "processes":
        parallel = max(1, min(plan.workers, len(jobs)))
    elif plan and plan.executor == "ray":
        parallel = max(1, min(plan.workers or plan.cluster.gpus or plan.cluster.cpus, len(jobs)))
    progress(SweepStarted(len(runs), len(runs) - len(todo), sum(exp.steps(r) for r in todo),
                          plan.describe() if plan else "nothing left to train", parallel))
    for result in execute(exp, jobs, plan, sweep.options, progress) if plan else ():
        out.record(result)
        trained = result.summary.get("trained_steps") or 0
        progress(RunFinished(result.run_id, result.spec.label(label_fields), result.summary,
                             max(0, exp.steps(result.spec) - int(trained)), result.where))
    df = read_csv(out.summary) if out.summary.exists() else None
    if df is None:
        return None
    df = df[df["run_id"].astype(str).isin(set(ids))].drop_duplicates("run_id", keep="last")
    order = {i: n for n, i in enumerate(ids)}
    return df.sort_values("run_id", key=lambda c: c.astype(str).map(order)).reset_index(drop=True)
