"""Read-only listings: ``models``, ``versions``, ``show``. They never import DVC."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import emit_json, human_size, number, table

if TYPE_CHECKING:
    from llmgit.core.model import ModelVersion

KEY_METRICS = 3


# the ordering options `versions` and `search` share
ORDER_BY = typer.Option(
    None, "--order-by", help="Sort by a field: version, created, metrics.X, params.X, card.X.Y, ..."
)
DESC = typer.Option(False, "--desc", help="Sort descending (missing values still last).")
LIMIT = typer.Option(None, "--limit", "-n", help="Show at most N versions.")


def models(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Every model: latest version and how many versions."""
    found = registry(ctx).models()
    if as_json:
        emit_json([m.to_json() for m in found])
        return
    if not found:
        sys.stderr.write("No models registered yet; see 'llmgit register --help'.\n")
        return
    table(["MODEL", "LATEST", "VERSIONS"], [[m.name, f"v{m.latest}", m.versions] for m in found])


def _key_metrics(found: list[ModelVersion]) -> list[str]:
    names: list[str] = []
    for v in found:
        for k in v.metrics:
            if k not in names:
                names.append(k)
    return names[:KEY_METRICS]


def versions(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Model name."),
    filter_: Optional[str] = typer.Option(  # noqa: UP007
        None, "--filter", help="Only versions matching this expression (see docs/filter-grammar.md)."
    ),
    order_by: Optional[str] = ORDER_BY,  # noqa: UP007
    desc: bool = DESC,
    limit: Optional[int] = LIMIT,  # noqa: UP007
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Versions of a model, newest first, with key metrics and size."""
    reg = registry(ctx)
    if filter_ is None and order_by is None and limit is None:
        found = reg.versions(name)
    else:
        from llmgit.inspect.search import Query

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
        [f"v{v.version}", v.created[:19].replace("T", " "), v.author.split(" <")[0],
         *[number(v.metrics.get(k, "")) for k in keys],
         human_size(v.weights.size if v.weights else None), v.message.splitlines()[0] if v.message else ""]
        for v in found
    ]
    table(["VERSION", "CREATED", "AUTHOR", *keys, "SIZE", "MESSAGE"], rows)


def show(
    ctx: typer.Context,
    reference: str = typer.Argument(..., metavar="REF", help="NAME, NAME@vX.Y.Z, NAME@latest or NAME#STAGE."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """A version's model card, tag, weights and provenance."""
    reg = registry(ctx)
    v = reg.get(reference)
    card = reg.card(v.tag)
    if as_json:
        emit_json({**v.to_json(), "card": card})
        return
    import yaml

    w = v.weights
    out = [
        f"{v.tag}  (commit {v.commit[:10]})",
        f"created   {v.created} by {v.author}",
    ]
    if w:
        out.append(f"weights   {w.path}  md5 {w.md5}  {human_size(w.size)} in {w.files} file(s)")
    if v.message:
        out.append(f"message   {v.message}")
    out += ["", "model card:", yaml.safe_dump(card, sort_keys=False, allow_unicode=True).rstrip()]
    sys.stdout.write("\n".join(out) + "\n")


def install(app: typer.Typer) -> None:
    app.command("models")(models)
    app.command("versions")(versions)
    app.command("show")(show)
