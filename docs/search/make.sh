#!/usr/bin/env bash
# Regenerates docs/search.md's measured example (issue #25): the learning rate that solves the
# decimal palindrome fastest for the LSTM at each length, found by a grid (7 rates) and by
# `seqgraph search` (10 trials, median pruning); then both rates on three other seeds.
# Resumable: finished runs are kept (--resume).  bash docs/search/make.sh  (about 40 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
seqgraph=${SEQGRAPH:-.venv/bin/seqgraph}
python=${PYTHON:-.venv/bin/python}
here=docs/search
lengths=(10 20 30)
common=(--model lstm --hidden 64 --seeds 1 --executor processes)
"$seqgraph" palindrome "${common[@]}" --lengths "$(IFS=,; echo "${lengths[*]}")" \
    --lr 1e-4,3e-4,1e-3,3e-3,1e-2,3e-2,1e-1 --out "$here/grid" --resume
for L in "${lengths[@]}"; do
    "$seqgraph" search palindrome "${common[@]}" --lengths "$L" --lr 1e-4..1e-1:log --objective solved-step \
        --trials 10 --startup-trials 3 --out "$here/search-L$L" --resume
done
# both best rates of each length on seeds 2-4 (a search sees one seed: is its choice the grid's on others?)
"$python" "$here/compare.py" --rates | while read -r L rates; do
    "$seqgraph" palindrome --model lstm --hidden 64 --lengths "$L" --lr "$rates" --seeds 2:4 --executor processes \
        --out "$here/check-L$L" --resume > /dev/null
done
COLUMNS=150 "$python" "$here/compare.py" > "$here/table.txt"
cat "$here/table.txt"
"$python" docs/embed.py search-example "$here/table.txt" docs/search.md
