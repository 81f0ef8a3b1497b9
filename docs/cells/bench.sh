#!/usr/bin/env bash
# Re-measures the modern cells' scan benchmark (issue #22) into docs/cells/benchmark.txt and
# docs/performance.md. Run it with nothing else running (about 5 minutes on a 2-core CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-.venv/bin/python}
"$python" benchmarks/scan_cells.py --rounds 3 --chars 2000 > docs/cells/benchmark.txt
python3 docs/embed.py scan-cells docs/cells/benchmark.txt docs/performance.md
