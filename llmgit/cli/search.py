"""``llmgit search``: versions of every model matching a filter expression."""

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.listing import cell, first_line
from llmgit.cli.options import Desc, Json, Limit, OrderBy, Strict
from llmgit.cli.output import emit_json, human_size, number, table
from llmgit.inspect.query import Query

if TYPE_CHECKING:
    from llmgit.inspect.search import Hit

KEY_METRICS = 3


def _metric_names(hits: list["Hit"], order_by: str | None) -> list[str]:
    """The ordering's metric, then the first names seen (stops at the few shown)."""
    names: dict[str, None] = {}
    if order_by and order_by.lower().startswith("metrics."):
        names.setdefault(order_by[len("metrics.") :])
    for h in hits:
        for k in h.version.metrics:
            if len(names) >= KEY_METRICS:
                return list(names)[:KEY_METRICS]
            names.setdefault(k)
    return list(names)[:KEY_METRICS]


def render(hits: list["Hit"], order_by: str | None) -> None:
    keys = _metric_names(hits, order_by)
    rows = [
        [
            h.version.name,
            f"v{h.version.version}",
            ",".join(h.stages) or "-",
            cell(h.version.created[:19].replace("T", " ")),
            cell(h.version.author.split(" <")[0]),
            *[number(h.version.metrics.get(k, "")) for k in keys],
            human_size(h.version.weights.size if h.version.weights else None),
            first_line(h.version.message),
        ]
        for h in hits
    ]
    table(["MODEL", "VERSION", "STAGE", "CREATED", "AUTHOR", *keys, "SIZE", "MESSAGE"], rows)


def search(
    ctx: typer.Context,
    expression: Annotated[
        str, typer.Argument(metavar="EXPR", help="Filter, e.g. \"metrics.accuracy > 0.8 and stage = 'production'\".")
    ],
    order_by: OrderBy = None,
    desc: Desc = False,
    limit: Limit = None,
    as_json: Json = False,
    strict: Strict = False,
) -> None:
    """Versions of every model matching a filter (see docs/filter-grammar.md)."""
    hits = registry(ctx, strict=strict).search(
        Query(filter=expression, order_by=order_by, descending=desc, limit=limit, with_stages=True)
    )
    if as_json:
        emit_json([h.to_json() for h in hits])
        return
    if not hits:
        sys.stderr.write("No version matches.\n")
        return
    render(hits, order_by)


def install(app: typer.Typer) -> None:
    app.command("search")(search)
