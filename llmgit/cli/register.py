"""``llmgit register``."""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from llmgit.core import versions
from llmgit.cli import progress as progress_cli
from llmgit.cli.context import registry
from llmgit.cli.output import emit_json, human_size, say

if TYPE_CHECKING:
    from llmgit.register.register import RegisterPlan


class BumpChoice(str, Enum):
    major = "major"
    minor = "minor"
    patch = "patch"
    auto = "auto"


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
    bump: BumpChoice = typer.Option(
        BumpChoice.patch, "--bump",
        help="Bump from the highest version when --version is not given; auto proposes it from what changed.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only say which version it would register (and with --bump auto, why)."
    ),
    message: str = typer.Option("", "--message", "-m", help="What changed in this version."),
    copy: bool = typer.Option(False, "--copy", help="Copy weights from outside the repository."),
    push: bool = typer.Option(False, "--push", help="Then upload the weights (verified) and push the tag."),
    as_json: bool = typer.Option(False, "--json", help="Print the new version as JSON."),
    quiet: bool = progress_cli.quiet_option(),  # noqa: ARG001 (acts in its callback)
) -> None:
    """Register a new version: track the weights with DVC, write the card, commit and tag."""
    from llmgit.register.register import (
        RegisterRequest,  # when the command runs, not for --help
    )

    request = RegisterRequest(
        name=name,
        weights=weights,
        version=version,
        bump="auto" if bump is BumpChoice.auto else versions.Bump(bump.value),
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
        push=push,
    )
    reg = registry(ctx)
    if dry_run or request.bump == "auto":
        plan = reg.plan_register(request)
        if dry_run:
            if as_json:
                emit_json({"name": plan.name, "version": plan.version, "tag": plan.tag,
                           "weights": plan.weights, "advice": plan.advice.to_json() if plan.advice else None})
            else:
                _explain(plan)
                say(f"Dry run: would register {plan.tag}; nothing was changed")
            return
        if not as_json:
            _explain(plan)
        request = dataclasses.replace(request, version=plan.version)
    v = reg.register(request)
    if as_json:
        emit_json(v.to_json())
        return
    w = v.weights
    size = f" ({human_size(w.size)} in {w.files} file(s))" if w else ""
    say(f"Registered {v.tag} at {v.commit[:10]}{size}" + (", weights and tag pushed" if push else ""))


def _explain(plan: RegisterPlan) -> None:
    a = plan.advice
    if a is None:
        return
    against = f"against v{a.previous}" if a.previous else "(no earlier version)"
    say(f"Proposed bump: {a.level.value} -> v{a.version} {against}")
    for reason in a.reasons:
        say(f"  because {reason}")
    lower = [f for f in a.findings if f.level != a.level.value]
    for f in lower:
        say(f"  also ({f.level}): {f.reason}")
    for note in a.notes:
        say(f"  note: {note}")


def install(app: typer.Typer) -> None:
    app.command("register")(register)
