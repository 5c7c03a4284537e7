"""``deploy``: render a stage's KServe InferenceService and PrometheusRule; check manifests offline."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from llmgit.cli.context import api, registry
from llmgit.cli.options import HELP, Json, Name
from llmgit.cli.output import emit_json, result, say
from llmgit.errors import UsageError

app = typer.Typer(
    help="KServe and Prometheus manifests: render from the registry, validate offline.",
    no_args_is_help=True,
    context_settings=HELP,
)


@app.command("render")
def render(
    ctx: typer.Context,
    name: Name,
    stage: Annotated[str, typer.Option("--stage", help="Render what this stage serves.")] = "production",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write inferenceservice.yaml and prometheusrule.yaml here (default: stdout)."),
    ] = None,
    serving_mode: Annotated[
        str | None,
        typer.Option("--serving-mode", help="knative or standard (default: the canary's, then llmgit.yaml's)."),
    ] = None,
) -> None:
    """Render the InferenceService and PrometheusRule for a stage's holder and canary."""
    reg = registry(ctx)
    r = reg.deploy_render(name, stage=stage, mode=serving_mode)
    spec = r.spec
    what = f"v{spec.stable_version}" + (
        f" with canary v{spec.candidate_version} at {spec.canary_percent}%" if spec.candidate_version else ""
    )
    if out is None:
        sys.stdout.write("---\n".join(f.text if f.text.endswith("\n") else f.text + "\n" for f in r.manifests.files))
        say(f"Rendered {name} in {r.stage}: {what} ({spec.mode.value}); checked offline")
        return
    paths = reg.deploy_write(r, out)
    say(f"Rendered {name} in {r.stage}: {what} ({spec.mode.value}); checked offline")
    for p in paths:
        say(f"  wrote {p}")
    result(*paths)


@app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A manifest file or a directory of them.")],
    no_promtool: Annotated[
        bool, typer.Option("--no-promtool", help="Skip 'promtool check rules' even when on PATH.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Check manifests offline: JSON schemas, semantic checks, and promtool when on PATH."""
    report = api().deploy_validate(path, use_promtool=not no_promtool)  # offline: needs no repository
    if as_json:
        emit_json(
            {
                "path": str(path),
                "promtool": report.promtool,
                "problems": [{"file": p.file, "path": p.path, "message": p.message} for p in report.problems],
            }
        )
    if report.problems:
        if not as_json:
            for p in report.problems:
                say(str(p))
        raise UsageError(
            f"{len(report.problems)} problem(s) in {path}",
            hint="fix the manifests (or the templates in .llmgit/templates/deploy/) and re-run",
        )
    checks = "schemas and semantic checks" + (", promtool check rules" if report.promtool else "")
    say(f"{path}: valid ({checks})")
