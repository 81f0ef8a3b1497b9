"""Sweeps: plan runs into jobs, execute them, append results row by row, resume by spec.

A sweep's runs are specs (:mod:`seqgraph.sweep.spec`); each is identified by :func:`run_id`, a
hash of its settings, so ``--resume`` trains exactly the runs whose rows are missing — after a
crash, or after a new axis value was added. Executors (:mod:`seqgraph.sweep.executors`) take
jobs and yield results as they finish; only :func:`run_sweep` writes files.

``auto`` chooses batched on a GPU and, on a CPU, processes when there are at least two runs:
measured on 2 cores, whole sweeps ran 1.2–1.5× faster in two worker processes, while a batch
of runs gains per step only 1.1× (LSTM) to 2.1× (RNN) at K = 8, and only for runs that share
a shape (benchmarks/sweep_throughput.py, docs/performance.md). A run's numbers never depend on
the executor: whatever depends on the device (the recurrent kernel ``auto``) is resolved per
run spec and device, and a run that may not share a model (:meth:`Experiment.stackable`)
trains alone under every executor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgraph.errors import ConfigError
from seqgraph.io import folder_lock, read_csv, whole_rows
from seqgraph.sweep.executors import cpu_count, execute
from seqgraph.sweep.grid import RunOptions, Sweep
from seqgraph.sweep.jobs import Experiment, Job, RunStopper, experiment
from seqgraph.sweep.output import Output, describe_folder, prepare_output, read_output
from seqgraph.sweep.spec import run_id
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

    def describe(self, alone: int = 0) -> str:
        """The plan in words; ``alone``: runs that train one at a time although the plan
        stacks runs (they may not share a model on this device)."""
        solo = f"; {alone} run(s) one at a time (their kernel trains runs alone)" if alone and self.slots > 1 else ""
        if self.executor == "sequential":
            return f"one run at a time on {self.device}"
        if self.executor == "batched":
            mix = ", lengths mixed" if self.mix_lengths else ""
            return f"batched: up to {self.slots} runs as one model on {self.device}{mix}{solo}"
        per = f", {self.slots} runs per job" if self.slots > 1 else ""
        if self.executor == "processes":
            return f"{self.workers} worker processes on {self.device}{per}{self.note}{solo}"
        c = self.cluster
        where = f"{c.gpus} GPU(s)" if self.device == "cuda" else f"{c.cpus} CPU(s)"
        return f"Ray tasks on a cluster of {where}{per}{solo}"


def auto_slots(exp: Experiment[Any], specs: Sequence[Any], device: str) -> int:
    """Runs per batch when ``--batch-runs`` is not given: on a GPU as many as fit in about 40%
    of its free memory (at most 256); on a CPU 8 (measured: no gain beyond)."""
    if not device.startswith("cuda"):
        return 8
    import torch

    free, _ = torch.cuda.mem_get_info(torch.device(device)) if ":" in device else torch.cuda.mem_get_info()
    per_run = max((exp.memory(s) or 1 << 26) for s in specs)
    return int(max(1, min(256, 0.4 * free // max(per_run, 1))))


SIZE_FIELDS = ("length", "hidden", "layers", "batch_size")


def check_fits(exp: Experiment[Any], todo: Sequence[Any]) -> None:
    """Refuse, before anything starts, a run that cannot fit in this machine's free memory."""
    from seqgraph.perf import available_memory

    free = available_memory()
    known = [(need, s) for s in todo if (need := exp.memory(s)) is not None]
    if not known or free is None:
        return
    need, biggest = max(known, key=lambda pair: pair[0])
    if need > free:
        sizes = ", ".join(f"{f.replace('_', ' ')} {getattr(biggest, f):,}" for f in SIZE_FIELDS
                          if hasattr(biggest, f))
        raise ConfigError(f"a run of these settings needs about {need / 2**30:,.1f} GiB ({sizes}); this "
                          f"machine has {free / 2**30:,.1f} GiB free: use smaller sizes")


def make_plan(exp: Experiment[Any], options: RunOptions, todo: Sequence[Any]) -> Plan:
    if options.executor == "ray":
        return _ray_plan(exp, options, todo)
    from seqgraph.train.loop import resolve_device

    dev = resolve_device(options.device)
    device = str(dev) if dev.index is not None else dev.type  # cuda:1 stays cuda:1
    gpu = dev.type == "cuda"
    name = options.executor
    if name == "auto":
        if gpu and exp.batchable:
            name = "batched"
        elif cpu_count() > 1 and len(todo) > 1:
            name = "processes"
        else:
            name = "sequential"
    if name == "batched" and not exp.batchable:
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
    stacked = ("--executor batched" if options.executor == "batched" else "--executor auto (batched on a GPU)"
               if name == "batched" else f"--batch-runs {slots}" if slots > 1 else "")
    exp.check(todo, device, stacked=stacked)
    return Plan(name, max(1, slots), workers, mix_lengths=gpu, device=device, note=capped)


WORKER_MEMORY = 600 << 20  # a worker process: torch, the model, its batches (measured ~400 MB)


def max_workers() -> int:
    """Worker processes this machine can run usefully: one per core, and as many as its free
    memory holds."""
    from seqgraph.perf import available_memory

    free = available_memory()
    by_memory = cpu_count() if free is None else max(1, free // WORKER_MEMORY)
    return max(1, min(cpu_count(), by_memory))


def _ray_plan(exp: Experiment[Any], options: RunOptions, todo: Sequence[Any]) -> Plan:
    """On Ray the cluster's resources decide: a batch of runs per GPU task, or one run per
    CPU task (``--batch-runs`` sets the runs per task; 64 on GPUs by default)."""
    from seqgraph.sweep.ray_executor import connect, device_for

    cluster = connect(options.ray_address)
    device = device_for(cluster, options.device)
    slots = options.batch_runs or (64 if device == "cuda" and exp.batchable else 1)
    if not exp.batchable:
        slots = 1
    exp.check(todo, device, stacked=f"--batch-runs {slots}" if options.batch_runs > 1 else
              f"--executor ray ({slots} runs per GPU task)" if slots > 1 else "")
    return Plan("ray", slots, options.workers, mix_lengths=device == "cuda", device=device, cluster=cluster)


def plan_jobs(exp: Experiment[Any], specs: Sequence[Any], plan: Plan, label_fields: tuple[str, ...] = ()
              ) -> list[Job]:
    """Jobs for ``specs``: one per run (``slots`` 1, or a run that may not share a model), else
    one per group of runs that can share a model — split into batches of ``slots`` runs for
    parallel executors, whole (a finished run's slot goes to the next waiting one) in this
    process. Parallel executors get the costliest jobs first, so the last job to start is a
    short one."""
    stack = {s: None for s in specs if plan.slots > 1 and exp.stackable(s, plan.device)}
    jobs = [Job(exp.name, (s,), 1, label_fields) for s in specs if s not in stack]
    groups: dict[Any, list[Any]] = {}
    for s in stack:
        groups.setdefault(exp.group_key(s, plan.mix_lengths), []).append(s)
    for runs in groups.values():
        runs.sort(key=exp.cost, reverse=True)  # long runs first; short ones fill freed slots
        if plan.executor in ("processes", "ray"):
            jobs += [Job(exp.name, tuple(runs[i : i + plan.slots]), min(plan.slots, len(runs) - i), label_fields)
                     for i in range(0, len(runs), plan.slots)]
        else:
            jobs.append(Job(exp.name, tuple(runs), min(plan.slots, len(runs)), label_fields))
    if plan.executor in ("processes", "ray"):
        jobs.sort(key=lambda j: sum(exp.cost(s) for s in j.runs) / j.slots, reverse=True)
    return jobs


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
        return train_sweep(exp_name, sweep, progress, context)


def train_sweep(exp_name: str, sweep: Sweep[Any], progress: Progress = no_progress,
                context: dict[str, Any] | None = None, stopper: RunStopper | None = None) -> Any:
    """:func:`run_sweep` for a caller that holds the output folder's lock itself, for longer
    than one sweep (a search trains its trials as sweeps, one round after another); ``stopper``
    goes to every job (:class:`~seqgraph.sweep.jobs.RunStopper`)."""
    exp = experiment(exp_name)
    runs = sweep.runs()
    ids = [run_id(r) for r in runs]
    out, done = read_output(exp, sweep)
    try:
        return _train_and_record(exp, sweep, progress, context, runs, ids, out, done, stopper)
    except KeyboardInterrupt as e:
        if isinstance(e, SweepInterrupted):
            raise
        raise SweepInterrupted(saved_runs(out.summary, set(ids)), out.summary) from None


def _train_and_record(exp: Experiment[Any], sweep: Sweep[Any], progress: Progress, context: dict[str, Any] | None,
                      runs: list[Any], ids: list[str], out: Output, done: dict[str, dict[str, Any]],
                      stopper: RunStopper | None = None) -> Any:
    todo = [r for r, i in zip(runs, ids, strict=True) if i not in done or not exp.complete(done[i], r)]
    check_fits(exp, todo)
    plan = make_plan(exp, sweep.options, todo) if todo else None  # may start Ray, or refuse: before any write
    if plan and done:
        exp.check_resume(done, todo, plan.device)
    # runs continued with more steps keep their rows until their new ones are written (Output.record):
    # an interrupted resume loses none of them
    out.replacing = set(done) & {run_id(r) for r in todo}
    prepare_output(exp, out, sweep, set(done))
    label_fields = tuple(sweep.varying())
    jobs = plan_jobs(exp, todo, plan, label_fields) if plan else []
    alone = sum(1 for j in jobs if j.slots == 1) if plan and plan.slots > 1 else 0
    if context or stopper:
        jobs = [dataclasses.replace(j, context=context or {}, stopper=stopper) for j in jobs]
    parallel = 1
    if plan and plan.executor == "processes":
        parallel = max(1, min(plan.workers, len(jobs)))
    elif plan and plan.executor == "ray":
        parallel = max(1, min(plan.workers or plan.cluster.gpus or plan.cluster.cpus, len(jobs)))
    progress(SweepStarted(len(runs), len(runs) - len(todo), sum(exp.steps(r) for r in todo),
                          plan.describe(alone) if plan else "nothing left to train", parallel))
    for result in execute(exp, jobs, plan, progress) if plan else ():
        out.record(result)
        trained = result.summary.get("trained_steps") or 0
        progress(RunFinished(result.run_id, result.spec.label(label_fields), result.summary,
                             max(0, exp.steps(result.spec) - int(trained)), result.where))
    describe_folder(out, sweep)  # only now: what a resumed folder's config.toml would say is true
    df = read_csv(out.summary) if out.summary.exists() else None
    if df is None:
        return None
    df = df[df["run_id"].astype(str).isin(set(ids))].drop_duplicates("run_id", keep="last")
    order = {i: n for n, i in enumerate(ids)}
    return df.sort_values("run_id", key=lambda c: c.astype(str).map(order)).reset_index(drop=True)


# --- the plan alone (--dry-run) -----------------------------------------------------------

@dataclass(frozen=True)
class DryRun:
    """What a sweep would do, without training or writing anything."""

    runs: int  # in the sweep
    done: int  # already in --out (with --resume)
    plan: str  # the executor's plan in words ("" when nothing is left)
    jobs: int
    parallel: int  # jobs in flight at once
    kernels: dict[str, int]  # kernel → runs to train ({} where the experiment has none to choose)
    run_steps: int  # training steps to do at most (early stopping ends solved runs sooner)
    memory_per_run: int | None  # bytes, about (None: not estimated)
    memory_at_once: int | None  # … for the runs in flight at once
    free_memory: int | None
    probe: Any = None  # the timed shortened run (a :class:`~seqgraph.sweep.jobs.Probe`), or None
    probe_spec: Any = None
    seconds: float | None = None  # the estimated wall time, at most (None: not measured)


def dry_run(exp_name: str, sweep: Sweep[Any], measure: bool = True) -> DryRun:
    """The plan of ``sweep`` on this machine (nothing is trained or written): its runs, those
    already done in ``--out`` (``--resume``), the executor's jobs, kernels, run-steps, memory
    and — with ``measure`` — the time, from a shortened copy of its costliest run timed here
    (:meth:`~seqgraph.sweep.jobs.Experiment.probe`), each run scaled by its cost and divided by
    the jobs in flight. An estimate: early stopping, batching and contention change it."""
    from seqgraph.perf import available_memory

    exp = experiment(exp_name)
    runs = sweep.runs()
    ids = [run_id(r) for r in runs]
    out_folder = Path(sweep.options.out)
    if out_folder.exists() and not out_folder.is_dir():
        raise ConfigError(f"--out {out_folder} is a file, not a folder")
    _, done = read_output(exp, sweep)
    todo = [r for r, i in zip(runs, ids, strict=True) if i not in done or not exp.complete(done[i], r)]
    check_fits(exp, todo)
    free = available_memory()
    if not todo:
        return DryRun(len(runs), len(runs), "", 0, 0, {}, 0, None, None, free)
    plan = make_plan(exp, sweep.options, todo)
    jobs = plan_jobs(exp, todo, plan, tuple(sweep.varying()))
    alone = sum(1 for j in jobs if j.slots == 1) if plan.slots > 1 else 0
    parallel = max(1, min(plan.workers, len(jobs))) if plan.executor in ("processes", "ray") else 1
    at_once = parallel * plan.slots
    kernels: dict[str, int] = {}
    for r in todo:
        if k := exp.kernel(r, plan.device):
            kernels[k] = kernels.get(k, 0) + 1
    needs = [m for r in todo if (m := exp.memory(r)) is not None]
    per_run = max(needs) if needs else None
    biggest = max(todo, key=exp.cost)
    probe = exp.probe(biggest, plan.device) if measure else None
    seconds = None
    if probe is not None:
        base = exp.cost(biggest) or 1.0
        seconds = sum(probe.run_seconds * exp.cost(r) / base for r in todo) / max(1, min(parallel, len(todo)))
    return DryRun(len(runs), len(runs) - len(todo), plan.describe(alone), len(jobs), parallel, kernels,
                  sum(exp.steps(r) for r in todo), per_run, None if per_run is None else per_run * at_once, free,
                  probe, biggest, seconds)

