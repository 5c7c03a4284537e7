"""MkDocs hooks: generate the reference pages at build time, never by hand.

- ``reference/cli.md`` from the Typer application (every command, argument and option);
- ``reference/python.md`` from the docstrings and signatures of the Python API: the
  ``llmgit`` package exports, every public ``Registry`` method, and the types they return;
- a short placeholder for any page named in ``nav`` that does not exist yet, so the nav can
  list pages other changes are still writing while ``mkdocs build --strict`` stays strict;
- after the build, a check that no page loads anything from another host (a script, style,
  image or frame by URL, or a mermaid diagram, which the theme would fetch mermaid.js for):
  the site must work from file:// without a network, search included.

Nothing here touches the network; the pages exist only in the built site.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

CLI_PAGE = "reference/cli.md"
PYTHON_PAGE = "reference/python.md"
PENDING = "This page is being written; until it lands, see the [CLI reference]({up}reference/cli.md)."


# -- CLI -----------------------------------------------------------------------------------


def _commands(command: Any, ctx: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    import typer

    yield path, command, ctx
    for name in getattr(command, "commands", {}):
        sub = command.commands[name]
        if getattr(sub, "hidden", False):
            continue
        yield from _commands(sub, typer.Context(sub, info_name=name, parent=ctx), (*path, name))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def cli_reference() -> str:
    import typer.main

    from llmgit.cli.main import app

    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="llmgit")
    out = [
        "# CLI reference",
        "",
        (
            "Generated from the command-line application when the documentation is built; "
            "`llmgit COMMAND --help` prints the same. Each command prints its result on stdout and "
            "everything else on stderr ([output streams](../exit-codes.md#output-streams))."
        ),
        "",
    ]
    for path, command, cctx in _commands(root, ctx, ()):
        name = " ".join(("llmgit", *path))
        out += [f"## {name}", ""]
        if command.help:
            out += [inspect.cleandoc(command.help).replace("\b\n", ""), ""]
        pieces = " ".join(command.collect_usage_pieces(cctx))
        out += ["```text", f"{name} {pieces}".rstrip(), "```", ""]
        rows = []
        for param in command.params:
            record = param.get_help_record(cctx)
            if record is None:
                continue
            opts, text = record
            kind = "argument" if getattr(param, "param_type_name", "") == "argument" else "option"
            rows.append(f"| `{_cell(opts)}` | {kind} | {_cell(text)} |")
        if rows:
            out += ["| name | kind | description |", "| --- | --- | --- |", *rows, ""]
        if getattr(command, "commands", None):
            subs = ", ".join(f"[`{n}`](#{_anchor(f'{name} {n}')})" for n in command.commands)
            out += [f"Commands: {subs}", ""]
    return "\n".join(out)


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", title.lower()).strip("-")


# -- Python API ------------------------------------------------------------------------------


def _registry_modules() -> list[str]:
    """The llmgit modules the API's modules import (also under TYPE_CHECKING and in functions)."""
    import llmgit.api

    found: set[str] = set()
    for source in Path(llmgit.api.__path__[0]).glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        found |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return sorted(m for m in found if m.startswith("llmgit"))


def _namespace() -> dict[str, Any]:
    names: dict[str, Any] = {}
    for module in _registry_modules():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for key, value in vars(mod).items():
            if inspect.isclass(value) and value.__module__.startswith("llmgit"):
                names.setdefault(key, value)
    return names


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__) if obj.__doc__ else ""


def _signature(obj: Any, *, method: bool = False) -> str:
    """``(name: type = default, ...) -> type`` with annotations as written in the code (for a
    method, without the registry itself)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    if method and sig.parameters and next(iter(sig.parameters)) in ("self", "reg"):
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])

    def text(annotation: Any) -> str:
        return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)

    parts, star = [], False
    for p in sig.parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        piece = p.name if p.kind is not p.VAR_POSITIONAL else f"*{p.name}"
        if p.kind is p.VAR_KEYWORD:
            piece = f"**{p.name}"
        if p.annotation is not p.empty:
            piece += f": {text(p.annotation)}"
        if p.default is not p.empty:
            piece += f" = {p.default!r}"
        parts.append(piece)
    returns = "" if sig.return_annotation is sig.empty else f" -> {text(sig.return_annotation)}"
    return f"({', '.join(parts)}){returns}"


def _class_section(cls: Any, level: str = "###") -> list[str]:
    out = [f"{level} `{cls.__module__}.{cls.__name__}`", ""]
    if _doc(cls) and not _doc(cls).startswith(f"{cls.__name__}("):
        out += [_doc(cls), ""]
    if dataclasses.is_dataclass(cls):
        out += ["| field | type | default |", "| --- | --- | --- |"]
        for f in dataclasses.fields(cls):
            default = "" if f.default is dataclasses.MISSING else f"`{f.default!r}`"
            if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                default = "(empty)"
            out.append(f"| `{f.name}` | `{_cell(str(f.type))}` | {_cell(default)} |")
        out.append("")
    return out


def python_reference() -> str:
    import llmgit
    from llmgit.api.registry import Registry

    out = [
        "# Python API reference",
        "",
        (
            "Generated from the code's signatures and docstrings when the documentation is built. "
            "`import llmgit` gives the names below; every operation of the command line is a "
            "`Registry` method returning frozen dataclasses."
        ),
        "",
        "## `llmgit`",
        "",
    ]
    out += [*(f"- `llmgit.{n}`" for n in llmgit.__all__), ""]
    out += [f"## `llmgit.Registry{_signature(Registry)}`", "", _doc(Registry), ""]
    referenced: list[str] = []
    for name, member in inspect.getmembers(Registry):
        if name.startswith("_"):
            continue
        if isinstance(member, property) or type(member).__name__ == "cached_property":
            out += [f"### `Registry.{name}` (property)", "", _doc(member), ""]
            continue
        if not callable(member):
            continue
        sig = _signature(member, method=True)
        out += [f"### `Registry.{name}{sig}`", "", _doc(member) or "", ""]
        referenced += re.findall(r"\b([A-Z][A-Za-z]+)\b", sig)
    names = _namespace()
    seen: set[str] = set()
    queue = [*referenced, *(n for n in llmgit.__all__ if n[0].isupper())]
    classes = []
    while queue:
        n = queue.pop(0)
        cls = names.get(n) or getattr(llmgit, n, None)
        if n in seen or cls is None or not inspect.isclass(cls) or cls is Registry:
            continue
        seen.add(n)
        classes.append(cls)
        if dataclasses.is_dataclass(cls):
            for f in dataclasses.fields(cls):
                queue += re.findall(r"\b([A-Z][A-Za-z]+)\b", str(f.type))
    out += ["## Types", ""]
    for cls in sorted(classes, key=lambda c: c.__name__):
        out += _class_section(cls)
    return "\n".join(out)


# -- Offline -------------------------------------------------------------------------------

_LOADING_ATTRS = ("src", "data", "poster", "srcset")
_NOT_LOADED_RELS = {"alternate", "author", "canonical", "help", "license", "me", "next", "prev", "search"}


def _remote(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith("//") or url.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        urls = [values[k] for k in _LOADING_ATTRS if k in values]
        if "srcset" in values:
            urls += [c.split()[0] for c in values["srcset"].split(",") if c.strip()]
        if tag == "link" and not set(values.get("rel", "").lower().split()) <= _NOT_LOADED_RELS:
            urls.append(values.get("href", ""))
        self.found += [u.strip() for u in urls if _remote(u)]
        if "mermaid" in values.get("class", "").split():
            self.found.append("mermaid")


def remote_loads(html: str) -> list[str]:
    """What a page would fetch from another host when opened: the URLs of elements that load
    by themselves (not links a reader follows), and ``mermaid`` for a diagram the theme would
    render with mermaid.js from a CDN."""
    parser = _Loads()
    parser.feed(html)
    parser.close()
    return parser.found


# -- MkDocs events ---------------------------------------------------------------------------


def _nav_paths(nav: Any) -> Iterator[tuple[str, str]]:
    if isinstance(nav, list):
        for item in nav:
            yield from _nav_paths(item)
    elif isinstance(nav, dict):
        for title, value in nav.items():
            if isinstance(value, str):
                yield title, value
            else:
                yield from _nav_paths(value)


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    files.append(File.generated(config, CLI_PAGE, content=cli_reference()))
    files.append(File.generated(config, PYTHON_PAGE, content=python_reference()))
    for title, path in _nav_paths(config["nav"] or []):
        if path.endswith(".md") and files.get_file_from_path(path) is None:
            files.append(
                File.generated(config, path, content=f"# {title}\n\n{PENDING.format(up='../' * path.count('/'))}\n")
            )
    return files


def on_post_build(config: Any) -> None:
    from mkdocs.exceptions import PluginError

    site = Path(config["site_dir"])
    bad = {
        page.relative_to(site).as_posix(): urls
        for page in sorted(site.rglob("*.html"))
        if (urls := remote_loads(page.read_text(encoding="utf-8")))
    }
    if bad:
        lines = [f"  {page}: {', '.join(sorted(set(urls)))}" for page, urls in bad.items()]
        raise PluginError(
            "these pages load from the network, so the site would not work offline "
            "(vendor the asset under docs/ instead):\n" + "\n".join(lines)
        )
