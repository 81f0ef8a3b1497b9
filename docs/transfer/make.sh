#!/usr/bin/env bash
# The graph-transfer benchmark as docs/experiments/propagation.md shows it: rings, crossed rings and clique-paths at
# distances 2–8, 10 and 12 (clique-path from 3), GCN and GAT, three seeds, the repository's 5,000 training
# and 500 test graphs (lrnzgiusti/on-oversquashing exp/parser.py), at most 30 epochs (the
# repository: 100). Writes docs/transfer/{summary.csv,transfer.png,table.txt} and the table on that page.
#   bash docs/transfer/make.sh            (about 20–40 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
SG=${SG:-.venv/bin/seqgraph}
out=${OUT:-results/docs-transfer}
common=(--model gcn,gat --seeds 1:3 --samples 5500 --test-fraction 0.0909 --epochs 30)
"$SG" gcn transfer --graph ring,crossed-ring --distance 2,3,4,5,6,7,8,10,12 "${common[@]}" --out "$out" --resume
"$SG" gcn transfer --graph clique-path --distance 3,4,5,6,7,8,10,12 "${common[@]}" --out "$out" --resume > /dev/null
COLUMNS=140 "$SG" table "$out/summary.csv" --by graph,distance,model > docs/transfer/table.txt
cp "$out/summary.csv" docs/transfer/summary.csv
"$SG" plot "$out/summary.csv" --out docs/transfer/transfer.png --overwrite
python3 docs/embed.py transfer-table docs/transfer/table.txt docs/experiments/propagation.md
