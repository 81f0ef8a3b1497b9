#!/usr/bin/env bash
# Regenerates the memory-benchmark tables and figure of docs/experiments/memory.md (issue #21): two sweeps, then the
# table and figure from their summaries. Resumable: finished runs are kept (--resume).
#   bash docs/memory/make.sh        (about an hour on a 2-core CPU)
set -euo pipefail
cd "$(dirname "$0")/../.."
seqgraph=${SEQGRAPH:-.venv/bin/seqgraph}
for task in copy adding; do
    "$seqgraph" memory --config "docs/memory/$task.toml" --executor processes --out "docs/memory/$task" --resume
done
for task in copy adding; do  # a table per task: its rows by length, then model
    COLUMNS=150 "$seqgraph" table "docs/memory/$task/summary.csv" --by task,length,model
done > docs/memory/table.txt
"$seqgraph" plot docs/memory/copy/summary.csv docs/memory/adding/summary.csv --out docs/memory/memory.png --overwrite
echo "wrote docs/memory/table.txt and docs/memory/memory.png"
python3 docs/embed.py memory-table docs/memory/table.txt docs/experiments/memory.md  # the table into its page, between its markers
