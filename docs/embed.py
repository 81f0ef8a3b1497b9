"""Put a generated text file into a Markdown page, between its markers, as a code block.

    python3 docs/embed.py NAME FILE PAGE

replaces everything between ``<!-- NAME: written by … -->`` and ``<!-- end NAME -->`` in PAGE
with FILE's text (the markers stay). Used by the docs' make scripts, so no printed output is
typed by hand.
"""

import re
import sys
from pathlib import Path


def main() -> None:
    name, source, page = sys.argv[1:]
    text = Path(page).read_text(encoding="utf-8")
    body = Path(source).read_text(encoding="utf-8").rstrip()
    pattern = rf"(<!-- {re.escape(name)}: written by [^>]*-->).*?(<!-- end {re.escape(name)} -->)"
    new, n = re.subn(pattern, lambda m: f"{m[1]}\n```\n{body}\n```\n{m[2]}", text, flags=re.S)
    if n != 1:
        sys.exit(f"error: {page} has no '{name}' markers")
    Path(page).write_text(new, encoding="utf-8")
    print(f"updated {page}")


if __name__ == "__main__":
    main()
