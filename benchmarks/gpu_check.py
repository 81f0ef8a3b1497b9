"""The prepared GPU check (``make gpu-check``): everything seqgraph should show on a lent GPU, in one call.

Steps, each in its own process under its own time limit, each run whatever the earlier ones gave:

1. ``install``: the carried wheels (``wheels/``, made here by ``make gpu-wheels``) into a private folder,
   without an index; then every runtime dependency of ``pyproject.toml`` must import.
2. ``cuda-tests``: ``pytest -m cuda tests/cuda`` (``cuda_tests.txt``, ``cuda_tests.csv``).
3. ``sweep-throughput``: ``benchmarks/sweep_throughput.py --device cuda`` (K runs as one model against one
   cuDNN run; ``sweep_throughput.csv``).
4. ``recurrent-steps``: ``benchmarks/recurrent_steps.py --device cuda`` (``recurrent_steps.csv``).
5. ``reproduce``: ``seqgraph reproduce --budget quick --device cuda``, timed (the report folder goes into the
   bundle; a run stopped at its limit is resumed by running the same command again).

Everything goes into one folder: ``$OUT`` when set (the device tool's), else ``results/gpu-check``; with
``--bundle`` (the default under ``$OUT``) the folder keeps at most 8 files — the summary (``summary.txt``,
``summary.csv``: status, seconds and limit per step), the step files named above and ``gpu-check.tar.gz``
holding everything, the report and each step's full output included.

``--dry`` runs the same steps on the CPU with tiny settings in well under a minute (the cuda tests then
skip), so a test keeps this script from rotting (``tests/test_gpu_check.py``).

    python benchmarks/gpu_check.py [--device cuda|cpu] [--dry] [--out DIR] [--budget SECONDS] [--steps a,b]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / "wheels"
BUNDLE = "gpu-check.tar.gz"
MAX_FILES = 8  # what the device tool brings back from $OUT
# the tiny reproduction of --dry (the core's Budget: the command offers named budgets only)
DRY_REPRODUCE = ("from seqgraph.experiments.reproduce import Budget, reproduce; import sys; "
                 "print(reproduce(Budget(lengths='3', models='rnn', seeds='1', steps=6, binary_steps=2, "
                 "grads_seeds='1', grads_train_steps=0, text_steps=4, sample_chars=20, copy_lengths='2', "
                 "adding_lengths='4', lit_steps=2, lit_seeds='1'), sys.argv[1], "
                 "device='cpu'))")


@dataclass
class Step:
    name: str
    limit: float  # seconds at most: the step's own limit, less where the budget runs short (then what it had)
    command: list[str]
    output: str  # the file its stdout and stderr go to
    keep: tuple[str, ...] = ()  # the files it leaves that stay beside the bundle
    reserve: float = 0.0  # seconds of the budget earlier steps leave to it
    status: str = "not run"
    seconds: float = 0.0
    returncode: int | None = None
    notes: list[str] = field(default_factory=list)


def steps_for(args: argparse.Namespace, out: Path, site: Path) -> list[Step]:
    py = sys.executable
    dev = args.device
    if args.dry:
        sweep = ["--ks", "1,2", "--lengths", "5", "--models", "rnn", "--rounds", "1", "--seconds", "0.05"]
        recurrent = ["--lengths", "5", "--models", "rnn", "--rounds", "1", "--seconds", "0.05"]
        reproduce = [py, "-c", DRY_REPRODUCE, str(out / "reproduce")]
    else:
        sweep = ["--rounds", "2", "--seconds", "0.4"]
        recurrent = ["--rounds", "2", "--seconds", "0.3"]
        reproduce = [py, "-m", "seqgraph", "reproduce", "--budget", "quick", "--device", dev,
                     "--out", str(out / "reproduce")]
    return [
        Step("install", 60, [py, str(Path(__file__).resolve()), "--install-into", str(site)], "install.txt"),
        Step("cuda-tests", 150, [py, "-m", "pytest", "-m", "cuda", "tests/cuda", "-v", "-rA", "-p", "no:cacheprovider",
                                 f"--junitxml={out / 'cuda_tests.xml'}"], "cuda_tests.txt",
             keep=("cuda_tests.txt", "cuda_tests.csv")),
        Step("sweep-throughput", 100, [py, "benchmarks/sweep_throughput.py", "--device", dev, *sweep,
                                       "--csv", str(out / "sweep_throughput.csv")], "sweep_throughput.txt",
             keep=("sweep_throughput.csv",), reserve=40),
        Step("recurrent-steps", 80, [py, "benchmarks/recurrent_steps.py", "--device", dev, *recurrent,
                                     "--csv", str(out / "recurrent_steps.csv")], "recurrent_steps.txt",
             keep=("recurrent_steps.csv",), reserve=30),
        Step("reproduce", 300, reproduce, "reproduce.txt", keep=("reproduce.txt",), reserve=150),
    ]


def run_step(step: Step, out: Path, env: dict[str, str], limit: float) -> None:
    """Run ``step`` under ``limit`` seconds, its output into its file; on the limit, its process group is
    stopped (SIGTERM, then SIGKILL) and what it wrote stays."""
    if limit < 5:
        step.status = "skipped: the time budget is spent"
        return
    t0 = time.perf_counter()
    with open(out / step.output, "w", encoding="utf-8") as log:
        log.write(f"$ {' '.join(step.command)}\n")
        log.flush()
        proc = subprocess.Popen(step.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            step.returncode = proc.wait(timeout=limit)
            step.status = "ok" if step.returncode == 0 else f"failed (exit {step.returncode})"
        except subprocess.TimeoutExpired:
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=grace)
                    break
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    continue
            step.status = f"timeout after {limit:.0f} s"
    step.seconds = time.perf_counter() - t0


def install_into(site: Path) -> int:
    """The ``install`` step, run as its own process: carried wheels into ``site``, then every runtime
    dependency must import (with ``site`` and ``src`` on the path, as the later steps have them)."""
    wheels = sorted(WHEELS.glob("*.whl"))
    if wheels:
        print(f"installing {len(wheels)} carried wheel(s) into {site}: {', '.join(w.name for w in wheels)}", flush=True)
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                               "--no-cache-dir", "--upgrade", "--target", str(site), *map(str, wheels)])
        if done.returncode:
            print(f"pip install failed (exit {done.returncode})")
            return done.returncode
    else:
        print(f"no wheels in {WHEELS} (make gpu-wheels makes them): using what this Python has")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    missing = []
    import importlib
    import importlib.metadata as md
    import re

    for dep in deps:
        dist = re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0]
        module = dist.replace("-", "_").lower()
        try:
            importlib.import_module(module)
            try:
                version = md.version(dist)
            except md.PackageNotFoundError:
                version = "?"
            print(f"  {dist:<18} {version:<14} (wanted {dep})")
        except ImportError as e:
            missing.append(dist)
            print(f"  {dist:<18} MISSING: {e}")
    if missing:
        print(f"missing: {', '.join(missing)}: carry their wheels (make gpu-wheels GPU_WHEELS='…')")
        return 1
    return 0


def environment(env: dict[str, str]) -> list[str]:
    """The machine in a few lines: Python, torch, the GPU, the commit."""
    probe = ("import json, sys, torch; c = torch.cuda.is_available(); "
             "print(json.dumps({'python': sys.version.split()[0], 'torch': torch.__version__, "
             "'cuda': torch.version.cuda, 'cudnn': torch.backends.cudnn.version(), "
             "'gpu': torch.cuda.get_device_name() if c else None, "
             "'gpu_memory_GiB': round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if c else None, "
             "'threads': torch.get_num_threads()}))")
    lines = [f"date: {datetime.now(UTC).isoformat(timespec='seconds')}", f"cpus: {os.cpu_count()}"]
    try:
        info = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        lines += [f"{k}: {v}" for k, v in json.loads(info.stdout.strip().splitlines()[-1]).items()]
    except (subprocess.TimeoutExpired, ValueError, IndexError) as e:
        lines.append(f"torch: could not be asked ({type(e).__name__})")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    lines.append(f"commit: {commit or 'unknown (no git here)'}")
    return lines


def junit_to_csv(xml: Path, target: Path) -> None:
    """pytest's JUnit XML as a CSV: test, outcome (passed, failed, error, skipped), seconds, message."""
    if not xml.exists():
        return
    rows = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message = " ".join((found.get("message") or "").split())[:300]
        rows.append({"test": f"{case.get('classname')}::{case.get('name')}", "outcome": outcome,
                     "seconds": case.get("time"), "message": message})
    with open(target, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["test", "outcome", "seconds", "message"])
        w.writeheader()
        w.writerows(rows)


def tail(path: Path, lines: int) -> str:
    if not path.exists():
        return "(no output)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text if len(text) <= lines else ["…", *text[-lines:]])


def write_summary(out: Path, steps: list[Step], env_lines: list[str], args: argparse.Namespace, wall: float) -> str:
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["step", "status", "seconds", "limit_s", "returncode", "output"])
        w.writeheader()
        for s in steps:
            w.writerow({"step": s.name, "status": s.status, "seconds": round(s.seconds, 1), "limit_s": round(s.limit),
                        "returncode": s.returncode, "output": s.output})
    table = [f"{'step':<18} {'status':<28} {'seconds':>8} {'limit':>6}"]
    table += [f"{s.name:<18} {s.status:<28} {s.seconds:>8.1f} {s.limit:>6.0f}" for s in steps]
    passed = sum(s.status == "ok" for s in steps)
    table.append(f"{passed} of {len(steps)} steps ok in {wall:.0f} s ({'dry run, ' if args.dry else ''}"
                 f"device {args.device})")
    parts = ["# seqgraph GPU check", "", *env_lines, "", *table]
    for s in steps:
        short = s.name in ("sweep-throughput", "recurrent-steps", "install")  # whole: a short table
        parts += ["", f"## {s.name}: {s.status}", tail(out / s.output, 200 if short else 40)]
    (out / "summary.txt").write_text("\n".join(parts) + "\n", encoding="utf-8")
    return "\n".join(table)


def bundle(out: Path, steps: list[Step]) -> None:
    """Everything into ``gpu-check.tar.gz``; the folder then keeps the summary, each step's kept files and the
    bundle: at most MAX_FILES files and no folder (what the device tool brings back)."""
    keep = {"summary.txt", "summary.csv", BUNDLE} | {k for s in steps for k in s.keep}
    assert len(keep) <= MAX_FILES, sorted(keep)
    def results_only(info: tarfile.TarInfo) -> tarfile.TarInfo | None:  # no checkpoints (MBs) or lock files
        return None if info.name.endswith((".pt", ".seqgraph.lock")) else info

    with tarfile.open(out / BUNDLE, "w:gz") as tar:
        for p in sorted(out.iterdir()):
            if p.name != BUNDLE:
                tar.add(p, arcname=f"gpu-check/{p.name}", filter=results_only)
    for p in out.iterdir():
        if p.name not in keep:
            shutil.rmtree(p) if p.is_dir() else p.unlink()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=None, help="cuda (default) or cpu (default with --dry)")
    ap.add_argument("--dry", action="store_true", help="tiny settings: the whole script in well under a minute")
    ap.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "results" / "gpu-check"))
    ap.add_argument("--budget", type=float, default=345.0, help="seconds for all steps together (each has its own "
                                                                "limit too)")
    ap.add_argument("--steps", default="", help="only these steps, e.g. cuda-tests,reproduce (install always runs)")
    ap.add_argument("--bundle", action=argparse.BooleanOptionalAction, default=None,
                    help="pack everything into gpu-check.tar.gz, keeping at most 8 files (default: when $OUT is set)")
    ap.add_argument("--install-into", help=argparse.SUPPRESS)  # the install step itself, in its own process
    args = ap.parse_args()
    if args.install_into:
        return install_into(Path(args.install_into))
    args.device = args.device or ("cpu" if args.dry else "cuda")
    args.bundle = bool(os.environ.get("OUT")) if args.bundle is None else args.bundle
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    site = Path(tempfile.mkdtemp(prefix="seqgraph-gpu-check-"))
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg", COLUMNS="120",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "src"), str(site), os.environ.get("PYTHONPATH"))
                                          if p))
    steps = steps_for(args, out, site)
    ours = {"summary.txt", "summary.csv", BUNDLE, "cuda_tests.xml", "reproduce"}
    for name in ours | {n for s in steps for n in (s.output, *s.keep)}:  # an earlier check's files would mislead
        old = out / name
        shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
    wanted = {s for s in args.steps.split(",") if s}
    unknown = wanted - {s.name for s in steps}
    if unknown:
        ap.error(f"unknown step(s) {', '.join(sorted(unknown))} (choose from {', '.join(s.name for s in steps)})")
    t0 = time.perf_counter()
    env_lines: list[str] = []
    todo = [s.name for s in steps if not wanted or s.name == "install" or s.name in wanted]
    for i, step in enumerate(steps):
        if step.name not in todo:
            step.status = "not asked for"
            continue
        later = sum(s.reserve for s in steps[i + 1 :] if s.name in todo)  # what the steps after this one keep
        step.limit = min(step.limit, args.budget - (time.perf_counter() - t0) - later)
        print(f"[{time.perf_counter() - t0:6.1f} s] {step.name} (at most {step.limit:.0f} s) …", flush=True)
        run_step(step, out, env, step.limit)
        print(f"[{time.perf_counter() - t0:6.1f} s] {step.name}: {step.status} in {step.seconds:.1f} s", flush=True)
        if step.name == "install":
            env_lines = environment(env)
        if step.name == "cuda-tests":
            junit_to_csv(out / "cuda_tests.xml", out / "cuda_tests.csv")
    table = write_summary(out, steps, env_lines, args, time.perf_counter() - t0)
    for s in steps:  # the end of what went wrong, where the device tool's reply shows it
        if s.status not in ("ok", "not asked for"):
            print(f"\n--- {s.name}: {s.status}; its output ends:\n{tail(out / s.output, 25)}")
    if args.bundle:
        bundle(out, steps)
    shutil.rmtree(site, ignore_errors=True)
    print("\n" + "\n".join(env_lines))
    print(table)
    print(f"outputs in {out}{' (everything in ' + BUNDLE + ')' if args.bundle else ''}")
    return 0 if all(s.status in ("ok", "not asked for") for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
