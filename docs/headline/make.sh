#!/usr/bin/env bash
# Regenerates the headline result (issue #24, item 7): the RNN and the LSTM on decimal palindromes
# of length 5-30, five seeds each, at seqgraph's defaults; the table in docs/course.md and the
# figure docs/figures/accuracy.png (every run a dot beside the mean). Resumable (--resume).
#   bash docs/headline/make.sh   (about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
seqgraph=${SEQGRAPH:-.venv/bin/seqgraph}
here=docs/headline
"$seqgraph" palindrome --model rnn,lstm --lengths 5:30:5 --seeds 1:5 --executor processes --out "$here/sweep" --resume
COLUMNS=110 "$seqgraph" table "$here/sweep/summary.csv" --by length,model > "$here/table.txt"
python3 docs/embed.py headline-table "$here/table.txt" docs/course.md
"$seqgraph" plot "$here/sweep/summary.csv" --out docs/figures/accuracy.png --overwrite
