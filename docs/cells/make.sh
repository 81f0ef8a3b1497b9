#!/usr/bin/env bash
# Regenerates the README's modern-cells comparison (issue #22): three sweeps (decimal palindromes,
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
"$seqgraph" plot docs/cells/palindrome/summary.csv --out docs/cells/palindrome.png
"$seqgraph" plot docs/cells/copy/summary.csv docs/cells/selective-copy/summary.csv --out docs/cells/memory.png
echo "wrote docs/cells/table.txt, docs/cells/palindrome.png and docs/cells/memory.png"
# the table into the README, between its markers
python3 - <<'PY'
import re
from pathlib import Path
readme = Path("README.md")
table = Path("docs/cells/table.txt").read_text(encoding="utf-8").rstrip()
text = readme.read_text(encoding="utf-8")
start, end = "<!-- cells-table: written by docs/cells/make.sh -->", "<!-- end cells-table -->"
new = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: f"{start}\n```\n{table}\n```\n{end}", text, flags=re.S)
readme.write_text(new, encoding="utf-8")
PY
echo "updated README.md"
