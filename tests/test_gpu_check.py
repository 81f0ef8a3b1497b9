"""The prepared GPU check (``benchmarks/gpu_check.py``, ``make gpu-check``) runs here too: its dry mode, every
step on the CPU with tiny settings, so the script cannot rot between the rare calls on a lent GPU."""

import csv
import importlib.util
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
STEPS = ["install", "cuda-tests", "sweep-throughput", "recurrent-steps", "reproduce"]


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_the_dry_run_passes_every_step_and_leaves_what_the_device_tool_brings_back(tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "OUT"}
    done = subprocess.run([sys.executable, str(SCRIPT), "--dry", "--bundle", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = rows(out / "summary.csv")
    assert [r["step"] for r in summary] == STEPS
    assert all(r["status"] == "ok" for r in summary), summary
    assert "5 of 5 steps ok" in done.stdout and "5 of 5 steps ok" in (out / "summary.txt").read_text()
    # what the device tool brings back from $OUT: at most 8 files, no folder
    assert all(p.is_file() for p in out.iterdir()) and len(list(out.iterdir())) <= 8
    with tarfile.open(out / "gpu-check.tar.gz") as tar:
        names = set(tar.getnames())
    assert {"gpu-check/reproduce/report.md", "gpu-check/sweep_throughput.txt", "gpu-check/install.txt"} <= names
    assert not any(n.endswith(".pt") for n in names)
    sweep = rows(out / "sweep_throughput.csv")
    assert [(r["model"], r["K"]) for r in sweep] == [("rnn", "1"), ("rnn", "2")]
    assert all(float(r["run_steps_per_s"]) > 0 and float(r["torch_run_steps_per_s"]) > 0 for r in sweep)
    assert [r["auto"] for r in rows(out / "recurrent_steps.csv")] == ["seqgraph"]  # the loop: the RNN on a CPU
    tests = rows(out / "cuda_tests.csv")
    assert len(tests) > 100  # every cuda test collected
    if not torch.cuda.is_available():
        assert {(r["outcome"], r["message"]) for r in tests} == {("skipped", "needs a CUDA GPU")}


def load_script():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_step_past_its_limit_is_stopped_with_its_output_kept(tmp_path):
    gpu_check = load_script()
    step = gpu_check.Step("sleeper", 5, [sys.executable, "-c", "import time; print('started', flush=True); "
                                         "time.sleep(120)"], "sleeper.txt")
    t0 = time.perf_counter()
    gpu_check.run_step(step, tmp_path, dict(os.environ), 5)
    assert step.status == "timeout after 5 s" and time.perf_counter() - t0 < 30
    assert "started" in (tmp_path / "sleeper.txt").read_text()
    failing = gpu_check.Step("fails", 30, [sys.executable, "-c", "raise SystemExit(3)"], "fails.txt")
    gpu_check.run_step(failing, tmp_path, dict(os.environ), 30)
    assert failing.status == "failed (exit 3)" and failing.returncode == 3
    late = gpu_check.Step("late", 30, [sys.executable, "-c", "pass"], "late.txt")
    gpu_check.run_step(late, tmp_path, dict(os.environ), 2)  # the whole budget spent: not started
    assert late.status.startswith("skipped") and not (tmp_path / "late.txt").exists()
