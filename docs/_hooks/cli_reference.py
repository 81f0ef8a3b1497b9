"""MkDocs hook: the command-line reference page, generated from the Typer app at build time.

``docs/cli.md`` holds the marker ``<!-- cli-reference -->``; on every build it is replaced by
every command of ``seqgraph.cli.app`` (this checkout's ``src/``, not an installed copy): its
usage, help text, arguments and options with their defaults, grouped by help panel. Nothing is
written by hand, so a renamed flag or a changed default cannot go stale.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MARKER = "<!-- cli-reference -->"
PAGE = "cli.md"


def _app_command() -> Any:
    src = Path(__file__).resolve().parents[2] / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    import typer

    from seqgraph.cli import app

    return typer.main.get_command(app)


def _is_group(cmd: Any) -> bool:
    return hasattr(cmd, "list_commands")  # duck-typed: Typer vendors its own click


def _walk(cmd: Any, ctx: Any) -> Iterator[tuple[Any, Any]]:
    yield cmd, ctx
    if _is_group(cmd):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from _walk(sub, sub.context_class(sub, info_name=name, parent=ctx))


def _cell(text: object) -> str:
    """Text for a Markdown table cell: one line, no pipes, no stray emphasis or HTML."""
    s = " ".join(str(text).split()).replace("\\[", "[")  # Rich's escaped bracket
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("<", "&lt;").replace(">", "&gt;")


def _default(param: Any) -> str:
    if param.required:
        return "required"
    default = param.default
    plain_flag = param.param_type_name == "option" and param.is_flag and default is False and not param.secondary_opts
    if callable(default) or default is None or default == () or plain_flag:
        return ""
    if isinstance(default, bool) and param.secondary_opts:
        return f"`{(param.opts if default else param.secondary_opts)[0]}`"
    if isinstance(default, (list, tuple)):
        default = ",".join(map(str, default))
    return f"`{_cell(default)}`" if str(default) != "" else '`""`'


def _command_markdown(cmd: Any, ctx: Any) -> str:
    path = ctx.command_path
    level = "#" * (2 + max(0, path.count(" ") - 1))  # seqgraph and its commands ##, gcn's ###
    out = [f"{level} `{path}`", ""]
    if cmd.help:
        out += [cmd.help.strip().replace("\b\n", "").replace("\b", ""), ""]
    usage = " ".join(cmd.collect_usage_pieces(ctx))
    out += ["```text", f"{path} {usage}".rstrip(), "```", ""]
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    if args:
        out += ["| argument | | help |", "|---|---|---|"]
        for p in args:
            name = p.metavar or p.name.upper()
            out.append(f"| `{name}` | {_default(p)} | {_cell(getattr(p, 'help', '') or '')} |")
        out.append("")
    panels: dict[str, list[Any]] = {}
    for p in cmd.params:
        if p.param_type_name == "option" and not p.hidden:
            panels.setdefault(getattr(p, "rich_help_panel", None) or "Options", []).append(p)
    for panel, params in panels.items():
        out += [f"**{panel}**", "", "| option | default | help |", "|---|---|---|"]
        for p in params:
            names = ", ".join(f"`{n}`" for n in (*p.opts, *p.secondary_opts))
            out.append(f"| {names} | {_default(p)} | {_cell(p.help or '')} |")
        out.append("")
    if _is_group(cmd):
        subs = [(n, cmd.get_command(ctx, n)) for n in cmd.list_commands(ctx)]
        out += ["| command | what it does |", "|---|---|"]
        out += [f"| `{path} {n}` | {_cell(c.get_short_help_str(200))} |"
                for n, c in subs if c is not None and not c.hidden]
        out.append("")
    return "\n".join(out)


def cli_reference() -> str:
    """The whole reference as Markdown."""
    root = _app_command()
    ctx = root.context_class(root, info_name="seqgraph")
    return "\n".join(_command_markdown(cmd, c) for cmd, c in _walk(root, ctx))


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"{PAGE} lacks the marker {MARKER}")
    return markdown.replace(MARKER, cli_reference())
