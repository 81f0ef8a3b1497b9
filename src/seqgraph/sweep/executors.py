"""Executors: jobs in, results out as runs finish. Only the engine writes files.

* ``sequential`` / ``batched`` — jobs one after another in this process;
* ``processes`` — jobs in spawned worker processes, one per core with its share of the threads;
* ``ray`` — jobs as Ray tasks (:mod:`seqgraph.sweep.ray_executor`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from seqgraph.errors import ConfigError, SeqgraphError
from seqgraph.sweep.jobs import (
    Experiment,
    Job,
    JobOutcome,
    RunResult,
    collect_job,
    describe,
    out_of_memory,
    run_job,
    settle,
)
from seqgraph.sweep.spec import run_id
from seqgraph.train.progress import Progress

if TYPE_CHECKING:
    from seqgraph.sweep.engine import Plan


def cpu_count() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _run_in_process(exp: Experiment[Any], jobs: Sequence[Job], plan: Plan, progress: Progress) -> Iterator[RunResult]:
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


def _pool_round(exp: Experiment[Any], jobs: Sequence[Job], batch: list[int], workers: int, plan: Plan,
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


def _run_in_processes(exp: Experiment[Any], jobs: Sequence[Job], plan: Plan, progress: Progress
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


def execute(exp: Experiment[Any], jobs: Sequence[Job], plan: Plan, progress: Progress) -> Iterator[RunResult]:
    """Results of ``jobs`` as they finish, by ``plan.executor``."""
    if plan.executor in ("sequential", "batched"):
        yield from _run_in_process(exp, jobs, plan, progress)
    elif plan.executor == "processes":
        yield from _run_in_processes(exp, jobs, plan, progress)
    elif plan.executor == "ray":
        from seqgraph.sweep.ray_executor import run_on_ray

        yield from run_on_ray(exp, jobs, plan, plan.cluster, progress)
    else:
        raise ConfigError(f"unknown executor {plan.executor!r}")
