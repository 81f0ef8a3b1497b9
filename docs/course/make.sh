#!/usr/bin/env bash
# The printed outputs of docs/course.md and docs/experiments/graphs.md, regenerated: parameter
# counts, the course graphs' hops and matrices, a GAT layer, karate node classification, gradient
# flow (untrained) and the time gate, each command run as shown (in a scratch folder, so the paths
# it prints are the ones a user sees), then put between the pages' markers by docs/embed.py. Also
# redraws docs/figures/grads.png and docs/figures/timegate.png from those runs.
#   bash docs/course/make.sh          (about 20 seconds)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
SG=$(realpath "${SG:-.venv/bin/seqgraph}")
here=docs/course
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export COLUMNS=110

show() {  # show NAME COMMAND…: append "$ seqgraph …" and its output (run in the scratch folder) to NAME.txt
  local file=$tmp/$1.txt; shift
  echo "\$ seqgraph $*" >> "$file"
  (cd "$tmp/work" && "$SG" "$@") >> "$file"
}

mkdir "$tmp/work"
show params params --d 10 --n 128
show hops gcn hops course-2019 --source C --target E
show hops gcn hops course-2020 --source C --target E
show adjacency gcn adjacency course-2020 --out mats/
show gcn-hops gcn hops course-2020 --source C --target E --json
show gcn-hops gcn hops course-2020
show gcn-layer gcn layer course-2020 --gat --out-dim 2
show gcn-train gcn train
show grads grads --model rnn,lstm,peep,gru
show timegate timegate --tau 6 --shift 3 --r-on 0.2 --steps 30
cp "$tmp/work/results/grads/grads.png" docs/figures/grads.png
cp "$tmp/work/results/timegate/timegate.png" docs/figures/timegate.png

for name in params hops adjacency grads timegate; do
  cp "$tmp/$name.txt" "$here/$name.txt"
  python3 docs/embed.py "course-$name" "$here/$name.txt" docs/course.md
done
for name in gcn-hops gcn-layer gcn-train; do
  cp "$tmp/$name.txt" "$here/$name.txt"
  python3 docs/embed.py "$name" "$here/$name.txt" docs/experiments/graphs.md
done
cd "$root"
