#!/usr/bin/env bash
# Regenerates docs/course.md's tables in the course templates' own settings (issue #24, item 4):
# the 2019 preset (RNN vs LSTM: scalar input, RMSprop 1e-3, batch and hidden 128, 10,000 steps, no
# early stop) at the template's L = 11 and at L = 21, and the 2020-binary preset (LSTM vs peephole:
# Adam 1e-3, batch and hidden 256, 3,000 steps, no early stop) at the template's L = 6; three seeds.
# Resumable (--resume).  bash docs/presets/make.sh   (about 30 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
seqgraph=${SEQGRAPH:-.venv/bin/seqgraph}
here=docs/presets
"$seqgraph" palindrome --preset 2019 --model rnn,lstm --lengths 11,21 --seeds 1:3 --executor processes \
    --out "$here/2019" --resume
"$seqgraph" palindrome --preset 2020-binary --model lstm,peep --seeds 1:3 --executor processes \
    --out "$here/2020-binary" --resume
for name in 2019 2020-binary; do
    COLUMNS=110 "$seqgraph" table "$here/$name/summary.csv" --by length,model > "$here/table-$name.txt"
    python3 docs/embed.py "preset-$name" "$here/table-$name.txt" docs/course.md
done
"$seqgraph" plot "$here/2019/curves.csv" --out "$here/2019-curves.png" --overwrite
"$seqgraph" plot "$here/2020-binary/curves.csv" --out "$here/2020-binary-curves.png" --overwrite
