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

.PHONY: setup run test lint bench clean

setup: $(VENV)/.installed

# dev = the test and ray extras, ruff and mypy (the Ray tests need the ray extra)
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
