#!/usr/bin/env bash
# The propagation transcripts of docs/experiments/propagation.md, regenerated: over-smoothing on karate, over-squashing on
# the course graphs, resistances, and a 1M-edge random graph (200k nodes, generated here).
#   bash docs/propagation/make.sh          (about a minute)
set -euo pipefail
cd "$(dirname "$0")/../.."
SG=${SG:-.venv/bin/seqgraph}
PY=${PY:-.venv/bin/python}
here=docs/propagation
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export COLUMNS=110

show() {  # show FILE COMMAND…: append "$ seqgraph …" and its output to FILE
  local file=$1; shift
  echo "\$ seqgraph $*" >> "$file"
  "$SG" "$@" >> "$file"
}

: > "$tmp/course.txt"
show "$tmp/course.txt" gcn squash course-2020 --source C --target E --layers 1:6
show "$tmp/course.txt" gcn resistance course-2019 --pairs C-E,A-D
show "$tmp/course.txt" gcn resistance course-2020 --pairs C-E,A-D
cp "$tmp/course.txt" "$here/course.txt"

: > "$tmp/smoothing.txt"
show "$tmp/smoothing.txt" gcn smoothing karate --layers 1,2,4,8,16,32 --model gcn,gat --out "$here/karate" --overwrite
show "$tmp/smoothing.txt" gcn smoothing karate --layers 1,2,4,8 --model gcn --trained
sed -i "s#$here/karate#karate-smoothing#g" "$tmp/smoothing.txt"
cp "$tmp/smoothing.txt" "$here/smoothing.txt"

"$PY" - "$tmp/big.txt" <<'PYEOF'
import sys
import numpy as np
rng = np.random.default_rng(0)
n, m = 200_000, 1_000_000
np.savetxt(sys.argv[1], np.stack([rng.integers(0, n, m), rng.integers(0, n, m)], 1), fmt="%d")
PYEOF
: > "$tmp/large.txt"
{ /usr/bin/time -f "(%e s wall)" "$SG" gcn smoothing "$tmp/big.txt" --layers 1,2,4,8 --model gcn --num-features 16 \
    > "$tmp/out1.txt"; } 2> "$tmp/time1.txt"
{ echo '$ seqgraph gcn smoothing big.txt --layers 1,2,4,8 --model gcn'; cat "$tmp/out1.txt"; tail -1 "$tmp/time1.txt"; } >> "$tmp/large.txt"
{ /usr/bin/time -f "(%e s wall)" "$SG" gcn resistance "$tmp/big.txt" --pairs 0-1,2-3,17-99999,123-4567 \
    > "$tmp/out2.txt"; } 2> "$tmp/time2.txt"
{ echo '$ seqgraph gcn resistance big.txt --pairs 0-1,2-3,17-99999,123-4567'; cat "$tmp/out2.txt"; tail -1 "$tmp/time2.txt"; } >> "$tmp/large.txt"
cp "$tmp/large.txt" "$here/large.txt"

for name in course smoothing large; do
  python3 docs/embed.py "propagation-$name" "$here/$name.txt" docs/experiments/propagation.md
done
