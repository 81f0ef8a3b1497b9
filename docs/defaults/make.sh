#!/usr/bin/env bash
# The character model's default --forget-bias, chosen by measurement (issue #24, item 5): seqgraph's
# LSTM with forget-gate bias 0 and 1, and torch's nn.LSTM (--cell torch) as the independent
# reference, three seeds each, at every other default (2 × 128, Adam 2e-3, clip 5, batch 64,
# sequence 30, the built-in corpus, 5,000 steps); held-out loss by `seqgraph evaluate` on each run's
# last checkpoint (its whole validation split). Resumable.  bash docs/defaults/make.sh  (about 25 min)
set -euo pipefail
cd "$(dirname "$0")/../.."
seqgraph=${SEQGRAPH:-.venv/bin/seqgraph}
python=${PYTHON:-.venv/bin/python}
here=docs/defaults
"$seqgraph" train --cell lstm --forget-bias 0,1 --seed 1,2,3 --executor processes --sample-every 0 \
    --out "$here/lstm" --resume
"$seqgraph" train --cell torch --seed 1,2,3 --executor processes --sample-every 0 --out "$here/torch" --resume
for run in "$here"/lstm/*/ "$here"/torch/*/; do
    "$seqgraph" evaluate "$run/last.pt" --device cpu --json > "$run/evaluate.json"
done
"$python" "$here/compare.py" > "$here/table.txt"
cat "$here/table.txt"
python3 docs/embed.py forget-bias "$here/table.txt" docs/experiments/charlm.md
