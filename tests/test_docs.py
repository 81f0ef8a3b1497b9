"""The command blocks of the README and the docs pages: each one runs here, is written by a script,
or says why it is not run; every ``seqgraph …`` line in any of them parses against the real
command line, so a renamed flag or command fails here.

A block's markers are the HTML comments on the lines right above its opening fence:

- ``<!-- NAME: written by SCRIPT -->`` (``docs/embed.py`` puts a script's output there);
- ``<!-- not run: REASON -->``;
- ``<!-- run -->``: each ``$ seqgraph …`` line runs here (in a scratch folder) and must succeed;
  ``<!-- run: output -->`` also compares what it prints with the block, line by line.

Blocks in a language other than sh/bash/console (or none) — TOML, Python, text — are not
commands and are left alone.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHELL = {"", "sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
COMMENT = re.compile(r"^\s*<!--(.*)-->\s*$")
COLUMNS = "110"  # the width the docs scripts print at


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    markers: list[str]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def is_command(self) -> bool:
        return self.lang != "" or any(line.startswith("$ ") for line in self.text.splitlines())

    def marker(self, prefix: str) -> str | None:
        return next((m for m in self.markers if m == prefix or m.startswith(prefix + ":")), None)


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m[2]
        j = i + 1
        while j < len(lines) and not re.match(rf"^{re.escape(m[1])}```\s*$", lines[j]):
            j += 1
        markers, k = [], start - 1
        while k >= 0 and (COMMENT.match(lines[k]) or not lines[k].strip()):
            if c := COMMENT.match(lines[k]):
                markers.append(c[1].strip())
            k -= 1
        body = "\n".join(line[len(m[1]):] for line in lines[start + 1:j])
        out.append(Block(page, start + 1, lang, body, markers))
        i = j + 1
    return out


ALL = [b for page in PAGES for b in blocks(page) if b.lang in SHELL]


def command_lines(block: Block) -> list[list[str]]:
    """Every ``seqgraph …`` command of a block (after ``$ `` or at a line's start; continuation
    lines joined; shell comments dropped), as argv after ``seqgraph``."""
    text = re.sub(r"\\\n\s*", " ", block.text)
    found = []
    for line in text.splitlines():
        line = line.strip().removeprefix("$ ")
        words = shlex.split(line, comments=True) if line.startswith("seqgraph ") or line == "seqgraph" else []
        if words:
            found.append(words[1:])
    return found


def parse(argv: list[str]) -> dict:
    """Parse argv as the seqgraph command line does, without running it or converting values:
    an unknown command or option, an option without its value, a missing or extra argument
    raises."""
    import typer.main

    from seqgraph.cli import app

    cmd = typer.main.get_command(app)
    ctx = cmd.context_class(cmd, info_name="seqgraph")
    while True:
        opts, args, _ = cmd.make_parser(ctx).parse_args(list(argv))
        if not hasattr(cmd, "list_commands"):  # a command (Typer vendors click: duck-typed)
            break
        if not args:
            return opts
        sub = cmd.get_command(ctx, args[0])
        if sub is None:
            raise ValueError(f"no command {args[0]!r} in {ctx.command_path}")
        cmd, ctx, argv = sub, sub.context_class(sub, info_name=args[0], parent=ctx), args[1:]
    if args:
        raise ValueError(f"unexpected arguments {args} for {ctx.command_path}")
    if "help" not in opts:
        missing = [p.name for p in cmd.params if p.param_type_name == "argument" and p.required and p.name not in opts]
        if missing:
            raise ValueError(f"{ctx.command_path} lacks its argument(s) {missing}")
    return opts


def test_every_command_block_runs_is_written_by_a_script_or_says_why_not():
    problems = []
    for b in ALL:
        written = next((m for m in b.markers if ": written by " in m), None)
        if written:
            script = ROOT / written.split(": written by ")[1].split()[0]
            if not script.is_file():
                problems.append(f"{b.where}: written by {script.relative_to(ROOT)}, which does not exist")
        elif b.marker("not run"):
            if not b.marker("not run").removeprefix("not run").strip(": "):
                problems.append(f"{b.where}: 'not run' without a reason")
        elif not b.marker("run"):
            kind = "command" if b.is_command else "output"
            problems.append(f"{b.where}: an unmarked {kind} block (mark it run or not run: REASON, or embed it)")
    assert not problems, "\n".join(problems)


def test_the_docs_show_their_commands():
    assert sum(len(command_lines(b)) for b in ALL) > 50  # the extraction finds them


@pytest.mark.parametrize("block", [b for b in ALL if command_lines(b)], ids=lambda b: b.where)
def test_every_seqgraph_line_parses(block):
    for argv in command_lines(block):
        try:
            parse(argv)
        except Exception as e:  # click's UsageError and ours: say which line
            raise AssertionError(f"{block.where}: seqgraph {shlex.join(argv)}: {e}") from e


def transcript(block: Block) -> list[tuple[list[str], list[str]]]:
    """(argv, printed lines) for each ``$ seqgraph …`` line of a block."""
    out: list[tuple[list[str], list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ seqgraph "):
            out.append((shlex.split(line[2:], comments=True)[1:], []))
        elif out:
            out[-1][1].append(line.rstrip())
    return out


RUN = [b for b in ALL if b.marker("run")]


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.where)
def test_the_blocks_marked_run_run(block, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from seqgraph.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", COLUMNS)
    steps = transcript(block)
    assert steps, f"{block.where}: marked run, but has no '$ seqgraph' line"
    for argv, printed in steps:
        r = CliRunner().invoke(app, argv)
        assert r.exit_code == 0, f"{block.where}: seqgraph {shlex.join(argv)}\n{r.output}"
        if block.marker("run") == "run: output":
            got = [line.rstrip() for line in r.stdout.rstrip("\n").splitlines()]
            assert got == printed, f"{block.where}: seqgraph {shlex.join(argv)} prints otherwise now " \
                                   "(bash docs/course/make.sh rewrites it)"


def test_the_slurm_recipe_merges_shards_with_table(tmp_path):
    """docs/sweeps.md: shards with their own --out, merged by `seqgraph table`, a run_id counted once."""
    import json

    from typer.testing import CliRunner

    from seqgraph.cli import app

    for seed in (1, 2):
        r = CliRunner().invoke(app, ["palindrome", "--model", "rnn", "--lengths", "5", "--seeds", str(seed),
                                     "--steps", "4", "--eval-every", "2", "--eval-batch-size", "16",
                                     "--executor", "sequential", "--out", str(tmp_path / f"seed-{seed}"), "--resume"])
        assert r.exit_code == 0, r.output
    shards = [str(tmp_path / "seed-1" / "summary.csv"), str(tmp_path / "seed-2" / "summary.csv")]
    r = CliRunner().invoke(app, ["table", *shards, shards[0], "--by", "model,length", "--json"])
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)
    assert row["runs"] == 2  # two seeds, the shard given twice counted once
