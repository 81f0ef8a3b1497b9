#!/usr/bin/env bash
# Re-measures the propagation benchmark (issue #23) into docs/propagation/benchmark.txt and
# docs/performance.md. Run it with nothing else running (about a minute on a 2-core CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-.venv/bin/python}
"$python" benchmarks/propagation.py --rounds 5 > docs/propagation/benchmark.txt
python3 docs/embed.py propagation-bench docs/propagation/benchmark.txt docs/performance.md
