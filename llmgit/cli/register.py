"""``llmgit register``."""

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import Quiet
from llmgit.cli.output import emit_json, human_size, result, say
from llmgit.core import versions
from llmgit.errors import UsageError
from llmgit.register.request import RegisterRequest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from llmgit.register.plan import RegisterPlan


class RelationChoice(str, Enum):
    finetune = "finetune"
    adapter = "adapter"
    quantized = "quantized"
    merge = "merge"


class BumpChoice(str, Enum):
    major = "major"
    minor = "minor"
    patch = "patch"
    auto = "auto"


def register(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Model name, e.g. llama2-7b-alpaca.")],
    weights: Annotated[Path, typer.Option("--weights", "-w", help="File or directory of weights.")],
    metrics: Annotated[
        Path | None, typer.Option("--metrics", help="Metrics file (JSON or YAML, flat or nested).")
    ] = None,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-M", help="A metric as name=value (repeatable).")
    ] = None,
    params: Annotated[Path | None, typer.Option("--params", help="Params file (JSON or YAML).")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A parameter as name=value (repeatable).")
    ] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Training dataset name or path.")] = None,
    dataset_version: Annotated[
        str | None, typer.Option("--dataset-version", help="Dataset revision (default: md5 of a DVC-tracked dataset).")
    ] = None,
    base_model: Annotated[str | None, typer.Option("--base-model", help="Base model id.")] = None,
    base_model_relation: Annotated[
        RelationChoice | None,
        typer.Option(
            "--base-model-relation",
            help="How the weights relate to the base model (default: adapter with an adapter_config.json, "
            "quantized with .gguf files, else finetune).",
        ),
    ] = None,
    description: Annotated[str | None, typer.Option("--description", help="Model description for the card.")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Explicit version X.Y.Z (SemVer 2.0).")] = None,
    bump: Annotated[
        BumpChoice,
        typer.Option(
            "--bump",
            help="Bump from the highest version when --version is not given; auto proposes it from what changed.",
        ),
    ] = BumpChoice.patch,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say which version it would register (and with --bump auto, why).")
    ] = False,
    message: Annotated[
        str,
        typer.Option(
            "--message", "-m", help="What changed in this version (the card's description without --description)."
        ),
    ] = "",
    resource: Annotated[
        list[str] | None,
        typer.Option("--resource", help="A card resource as name=value, e.g. gpu='1x A100' (repeatable)."),
    ] = None,
    python: Annotated[
        Path | None,
        typer.Option("--python", help="The training interpreter: the card records its Python and packages."),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            help="The training environment's requirements.txt, uv.lock, poetry.lock or conda environment.yml.",
        ),
    ] = None,
    require_clean: Annotated[
        bool, typer.Option("--require-clean", help="Refuse to register with uncommitted changes to tracked files.")
    ] = False,
    copy: Annotated[bool, typer.Option("--copy", help="Copy weights from outside the repository.")] = False,
    push: Annotated[bool, typer.Option("--push", help="Then upload the weights (verified) and push the tag.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new version as JSON.")] = False,
    quiet: Quiet = False,  # noqa: ARG001 (acts in its callback)
) -> None:
    """Register a new version: track the weights with DVC, write the card, commit and tag."""
    request = RegisterRequest(
        name=name,
        weights=weights,
        version=version,
        bump="auto" if bump is BumpChoice.auto else versions.Bump(bump.value),
        metrics_file=metrics,
        metric_pairs=tuple(metric or ()),
        params_file=params,
        param_pairs=tuple(param or ()),
        dataset=dataset,
        dataset_version=dataset_version,
        base_model=base_model,
        base_model_relation=base_model_relation.value if base_model_relation else None,
        description=description,
        message=message,
        resources=_resources(resource or ()),
        copy=copy,
        push=push,
        python=python,
        env_file=env_file,
        training_process=False,  # this process is llmgit's, not the training's
        require_clean=require_clean,
    )
    reg = registry(ctx)
    plan = reg.plan_register(request) if dry_run or request.bump == "auto" else None
    if dry_run and plan is not None:
        if as_json:
            emit_json(
                {
                    "name": plan.name,
                    "version": plan.version,
                    "tag": plan.tag,
                    "weights": plan.weights,
                    "advice": plan.advice.to_json() if plan.advice else None,
                }
            )
        else:
            _explain(plan)
            say(f"Dry run: would register {plan.tag}; nothing was changed")
            result(plan.tag)
        return
    if plan is not None and not as_json:
        _explain(plan)
    v = reg.register(request, plan)
    same = reg.same_weights(v.tag)
    if as_json:
        emit_json({**v.to_json(), "same_weights_as": same[0].tag if same else None})
        return
    w = v.weights
    size = f" ({human_size(w.size)} in {w.files} file(s))" if w else ""
    say(f"Registered {v.tag} at {v.commit[:10]}{size}" + (", weights and tag pushed" if push else ""))
    if same:
        say(f"hint: its weights are byte for byte those of {same[0].tag}")
    result(v.tag)


def _resources(pairs: "Sequence[str]") -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--resource '{pair}' is not name=value", hint="e.g. --resource gpu='1x A100'")
        found[key.strip()] = value
    return found


def _explain(plan: "RegisterPlan") -> None:
    a = plan.advice
    if a is None:
        return
    against = f"against v{a.previous}" if a.previous else "(no earlier version)"
    say(f"Proposed bump: {a.level.value} -> v{a.version} {against}")
    for reason in a.reasons:
        say(f"  because {reason}")
    for f in a.findings:
        if f.level != a.level.value:
            say(f"  also ({f.level}): {f.reason}")
    for note in a.notes:
        say(f"  note: {note}")


def install(app: typer.Typer) -> None:
    app.command("register")(register)
