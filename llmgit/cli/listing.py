"""Read-only listings: ``models``, ``versions``, ``show``. They never import DVC."""

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import Desc, Json, Limit, Name, OrderBy, Strict
from llmgit.cli.output import emit_json, human_size, number, table
from llmgit.core.bounded import escape_control
from llmgit.inspect.query import Query

if TYPE_CHECKING:
    from llmgit.core.model import ModelVersion

KEY_METRICS = 3


def models(ctx: typer.Context, as_json: Json = False, strict: Strict = False) -> None:
    """Every model: latest version and how many versions."""
    found = registry(ctx, strict=strict).models()
    if as_json:
        emit_json([m.to_json() for m in found])
        return
    if not found:
        sys.stderr.write("No models registered yet; see 'llmgit register --help'.\n")
        return
    table(["MODEL", "LATEST", "VERSIONS"], [[m.name, f"v{m.latest}", m.versions] for m in found])


def _key_metrics(found: list["ModelVersion"]) -> list[str]:
    """The first metric names seen (a version may hold thousands: stop at the few shown)."""
    names: dict[str, None] = {}
    for v in found:
        for k in v.metrics:
            names.setdefault(k)
            if len(names) == KEY_METRICS:
                return list(names)
    return list(names)


def versions(
    ctx: typer.Context,
    name: Name,
    filter_: Annotated[
        str | None,
        typer.Option("--filter", help="Only versions matching this expression (see docs/filter-grammar.md)."),
    ] = None,
    order_by: OrderBy = None,
    desc: Desc = False,
    limit: Limit = None,
    as_json: Json = False,
    strict: Strict = False,
) -> None:
    """Versions of a model, newest first, with key metrics and size."""
    reg = registry(ctx, strict=strict)
    if filter_ is None and order_by is None and limit is None:
        found = reg.versions(name)
    else:
        query = Query(filter=filter_, name=name, order_by=order_by, descending=desc, limit=limit)
        found = [h.version for h in reg.search(query)]
    if as_json:
        emit_json([v.to_json() for v in found])
        return
    if not found:
        what = "matching the filter" if filter_ else "yet"
        sys.stderr.write(f"No versions of '{name}' {what}.\n")
        return
    keys = _key_metrics(found)
    rows = [
        [
            f"v{v.version}",
            cell(v.created[:19].replace("T", " ")),
            cell(v.author.split(" <")[0]),
            *[number(v.metrics.get(k, "")) for k in keys],
            human_size(v.weights.size if v.weights else None),
            first_line(v.message),
        ]
        for v in found
    ]
    table(["VERSION", "CREATED", "AUTHOR", *keys, "SIZE", "MESSAGE"], rows)


def cell(text: str) -> str:
    """Outside text as one table cell: every control character (a newline too) shown escaped."""
    return escape_control(text)


def first_line(message: str) -> str:
    """A message's first line, as one table cell."""
    return cell(message.splitlines()[0]) if message.splitlines() else ""


def show(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REF", help="NAME, NAME@vX.Y.Z, NAME@latest or NAME#STAGE.")],
    as_json: Json = False,
    strict: Strict = False,
) -> None:
    """A version's model card, tag, weights and provenance."""
    reg = registry(ctx, strict=strict)
    v = reg.get(reference)
    card = reg.card(v.tag)
    if as_json:
        emit_json({**v.to_json(), "card": card})
        return
    from llmgit.core import yamlio  # noqa: PLC0415 (start-up: YAML's dumper only for this command)

    w = v.weights
    out = [f"{v.tag}  (commit {v.commit[:10]})", f"created   {cell(v.created)} by {cell(v.author)}"]
    if w:
        out.append(f"weights   {w.path}  md5 {w.md5}  {human_size(w.size)} in {w.files} file(s)")
    if v.message:
        out.append(f"message   {v.message}")
    out += ["", "model card:", yamlio.dump(card, sort_keys=False, allow_unicode=True).rstrip()]
    sys.stdout.write("\n".join(out) + "\n")


def install(app: typer.Typer) -> None:
    for command in (models, versions, show):
        app.command(command.__name__)(command)
