"""Sweeps on Ray: jobs as Ray tasks on a local instance or a cluster.

What is sent to a worker is a job — the runs the batched executor trains at once as one model,
plus the device to use — never files: a GPU node trains a whole batch of runs per task
(``num_gpus=1``), a CPU node one task per core with one thread each (the fastest layout
measured on CPUs; ``--workers W`` gives each task a larger share). Workers return their runs'
results; the driver alone appends rows to the CSVs, as tasks finish, so ``--resume``, the
progress display and Ctrl-C behave as with the other executors. Ray retries a task whose
worker died once (``max_retries=1``); after that its runs are reported failed in the summary.

Ray is an optional extra: ``pip install 'seqgraph[ray]'``. Every node needs seqgraph (and the
same torch) installed; a text file named in a text-model grid must exist on every node.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from seqgraph.errors import ConfigError, SeqgraphError
from seqgraph.sweep.jobs import Experiment, Job, JobOutcome, RunResult, collect_job, describe, settle
from seqgraph.train.progress import Progress

EXTRA = "pip install 'seqgraph[ray]'"


def require_ray() -> Any:
    """The ray module; its absence is a one-line ConfigError naming the extra."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--executor ray needs Ray, which is not installed: {EXTRA}") from None
    return ray


@dataclass(frozen=True)
class Cluster:
    cpus: int
    gpus: int
    started_here: bool  # this process started a local instance (and stops it at the end)


def connect(address: str) -> Cluster:
    """Join the Ray cluster at ``address`` ("auto", "ray://host:port") or, with "", use the
    instance this process already has, else start a local one — "local", never a cluster that
    ``ray start`` left running on this machine (Ray's own default would join that one)."""
    ray = require_ray()
    started = False
    if not ray.is_initialized():
        try:
            with warnings.catch_warnings():  # Ray Client warns on stderr; the error says it all
                warnings.simplefilter("ignore")
                ray.init(address=address or "local", include_dashboard=False, log_to_driver=False,
                         logging_level="ERROR")
        except (ConnectionError, ValueError, RuntimeError, TimeoutError) as e:  # unreachable or malformed
            first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
            raise ConfigError(f"--ray-address {address or '(local)'}: cannot start or reach Ray ({first})") from None
        started = not address
    res = ray.cluster_resources()
    return Cluster(int(res.get("CPU", 1)), int(res.get("GPU", 0)), started)


def device_for(cluster: Cluster, requested: str) -> str:
    """The device the tasks use: a GPU when the cluster has one (unless --device cpu)."""
    if requested == "cpu":
        return "cpu"
    if cluster.gpus:
        return "cuda"
    if requested.startswith("cuda"):
        raise ConfigError(f"--device {requested}: the Ray cluster has no GPU")
    return "cpu"


class _Sink:
    """Sends events to the driver's Ray queue without waiting for each to arrive: a blocking
    put is a round trip to the queue actor, which on a busy machine halved training speed.
    Calls from one task reach the actor in the order they were made."""

    def __init__(self, events: Any) -> None:
        self.actor = events.actor

    def put(self, event: Any) -> None:
        self.actor.put_nowait.remote(event)


def _ray_job(job: Job, device: str, threads: int, events: Any) -> tuple[JobOutcome, str]:
    """A Ray task: train ``job`` on this node; its outcome and where it was made."""
    import ray
    import torch

    from seqgraph.perf import keep_freed_memory

    torch.set_num_threads(threads)
    keep_freed_memory()
    outcome = collect_job(job, device, _Sink(events) if events is not None else None)
    return outcome, f"node {ray.get_runtime_context().get_node_id()[:8]} (pid {os.getpid()})"


def _drain(events: Any, progress: Progress) -> None:
    n = events.size()
    if n:
        for event in events.get_nowait_batch(n):
            progress(event)


def run_on_ray(exp: Experiment, jobs: Sequence[Job], plan: Any, cluster: Cluster, progress: Progress
               ) -> Iterator[RunResult]:
    """Results of ``jobs`` trained as Ray tasks, as the tasks finish."""
    ray = require_ray()
    from ray.exceptions import RayTaskError
    from ray.util.queue import Queue

    gpu = plan.device == "cuda"
    cpus = 1 if gpu else max(1, cluster.cpus // plan.workers) if plan.workers else 1
    events = Queue(actor_options={"num_cpus": 0})
    task = ray.remote(_ray_job).options(num_cpus=cpus, num_gpus=1 if gpu else 0, max_retries=1,
                                        retry_exceptions=False)
    refs = {task.remote(job, plan.device, cpus, events): job for job in jobs}
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=0.2)
            _drain(events, progress)
            for ref in ready:
                job = refs.pop(ref)
                try:
                    outcome, where = ray.get(ref)
                except RayTaskError as e:  # a user error (or Ctrl-C) inside the job
                    cause = e.cause
                    if isinstance(cause, SeqgraphError):
                        raise cause from None
                    if isinstance(cause, KeyboardInterrupt):
                        raise KeyboardInterrupt from None
                    yield from (exp.failed(s, describe(cause)) for s in job.runs)
                    continue
                except ray.exceptions.RayError as e:  # its worker (or node) died, also on the retry
                    why = f"its Ray worker died twice ({type(e).__name__})"
                    yield from (exp.failed(s, why) for s in job.runs)
                    continue
                for r in outcome.results:
                    r.where = where
                yield from settle(exp, job, outcome)
        _drain(events, progress)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        ray.kill(events.actor)
        if cluster.started_here:
            ray.shutdown()
