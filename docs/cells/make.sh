#!/usr/bin/env bash
# Regenerates the modern-cells comparison of docs/experiments/modern-cells.md (issue #22): three sweeps (decimal palindromes,
# copy, selective copy; lstm, mingru, minlstm, lru; seeds 1–3), then the tables and the figure.
# Resumable: finished runs are kept (--resume).
#   bash docs/cells/make.sh        (about an hour on a 2-core CPU)
set -euo pipefail
cd "$(dirname "$0")/../.."
seqgraph=${SEQGRAPH:-.venv/bin/seqgraph}
"$seqgraph" palindrome --config docs/cells/palindrome.toml --executor processes --out docs/cells/palindrome --resume
for task in copy selective-copy; do
    "$seqgraph" memory --config "docs/cells/$task.toml" --executor processes --out "docs/cells/$task" --resume
done
{
    COLUMNS=150 "$seqgraph" table docs/cells/palindrome/summary.csv --by length,model
    COLUMNS=150 "$seqgraph" table docs/cells/copy/summary.csv docs/cells/selective-copy/summary.csv --by task,length,model
} > docs/cells/table.txt
"$seqgraph" plot docs/cells/palindrome/summary.csv --out docs/cells/palindrome.png --overwrite
"$seqgraph" plot docs/cells/copy/summary.csv docs/cells/selective-copy/summary.csv --out docs/cells/memory.png --overwrite
echo "wrote docs/cells/table.txt, docs/cells/palindrome.png and docs/cells/memory.png"
python3 docs/embed.py cells-table docs/cells/table.txt docs/experiments/modern-cells.md  # the table into its page, between its markers
