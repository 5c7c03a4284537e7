"""``llmgit register``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from llmgit import versions
from llmgit.cli.context import registry
from llmgit.cli.output import emit_json, human_size, say
from llmgit.registration import RegisterRequest


def register(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Model name, e.g. llama2-7b-alpaca."),
    weights: Path = typer.Option(..., "--weights", "-w", help="File or directory of weights."),
    metrics: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--metrics", help="Metrics file (JSON or YAML, flat or nested)."
    ),
    metric: List[str] = typer.Option(  # noqa: UP006
        [], "--metric", "-M", help="A metric as name=value (repeatable)."
    ),
    params: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--params", help="Params file (JSON or YAML)."
    ),
    param: List[str] = typer.Option(  # noqa: UP006
        [], "--param", "-p", help="A parameter as name=value (repeatable)."
    ),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Training dataset name or path."),  # noqa: UP007
    dataset_version: Optional[str] = typer.Option(  # noqa: UP007
        None, "--dataset-version", help="Dataset revision (default: md5 of a DVC-tracked dataset)."
    ),
    base_model: Optional[str] = typer.Option(None, "--base-model", help="Base model id."),  # noqa: UP007
    description: Optional[str] = typer.Option(  # noqa: UP007
        None, "--description", help="Model description for the card."
    ),
    version: Optional[str] = typer.Option(  # noqa: UP007
        None, "--version", help="Explicit version X.Y.Z (SemVer 2.0)."
    ),
    bump: versions.Bump = typer.Option(
        versions.Bump.patch, "--bump", help="Bump from the highest version when --version is not given."
    ),
    message: str = typer.Option("", "--message", "-m", help="What changed in this version."),
    copy: bool = typer.Option(False, "--copy", help="Copy weights from outside the repository."),
    as_json: bool = typer.Option(False, "--json", help="Print the new version as JSON."),
) -> None:
    """Register a new version: track the weights with DVC, write the card, commit and tag."""
    request = RegisterRequest(
        name=name,
        weights=weights,
        version=version,
        bump=bump,
        metrics_file=metrics,
        metric_pairs=tuple(metric),
        params_file=params,
        param_pairs=tuple(param),
        dataset=dataset,
        dataset_version=dataset_version,
        base_model=base_model,
        description=description,
        message=message,
        copy=copy,
    )
    v = registry(ctx).register(request)
    if as_json:
        emit_json(v.to_json())
        return
    w = v.weights
    size = f" ({human_size(w.size)} in {w.files} file(s))" if w else ""
    say(f"Registered {v.tag} at {v.commit[:10]}{size}")


def install(app: typer.Typer) -> None:
    app.command("register")(register)
