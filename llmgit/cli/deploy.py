"""``deploy``: render a stage's KServe InferenceService and PrometheusRule; check manifests offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import emit_json, say
from llmgit.errors import UsageError

app = typer.Typer(help="KServe and Prometheus manifests: render from the registry, validate offline.",
                  no_args_is_help=True)


@app.command("render")
def render(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Model name."),
    stage: str = typer.Option("production", "--stage", help="Render what this stage serves."),
    out: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--out", "-o", help="Write inferenceservice.yaml and prometheusrule.yaml here (default: stdout)."
    ),
    serving_mode: Optional[str] = typer.Option(  # noqa: UP007
        None, "--serving-mode", help="knative or standard (default: the canary's, then llmgit.yaml's)."
    ),
) -> None:
    """Render the InferenceService and PrometheusRule for a stage's holder and canary."""
    from llmgit.store import serving as deploy

    r = registry(ctx).deploy_render(name, stage=stage, mode=serving_mode)
    spec = r.spec
    what = f"v{spec.stable_version}" + (
        f" with canary v{spec.candidate_version} at {spec.canary_percent}%" if spec.candidate_version else "")
    if out is None:
        sys.stdout.write("---\n".join(f.text if f.text.endswith("\n") else f.text + "\n"
                                      for f in r.manifests.files))
        say(f"Rendered {name} in {r.stage}: {what} ({spec.mode.value}); checked offline")
        return
    paths = deploy.write(r, out)
    say(f"Rendered {name} in {r.stage}: {what} ({spec.mode.value}); checked offline")
    for p in paths:
        say(f"  wrote {p}")


@app.command("validate")
def validate(
    path: Path = typer.Argument(..., metavar="PATH", help="A manifest file or a directory of them."),
    no_promtool: bool = typer.Option(False, "--no-promtool", help="Skip 'promtool check rules' even when on PATH."),
    as_json: bool = typer.Option(False, "--json", help="Print the problems as JSON."),
) -> None:
    """Check manifests offline: JSON schemas, semantic checks, and promtool when on PATH."""
    from llmgit.store import serving as deploy
    from llmgit.infra import manifest_checks

    problems = deploy.validate(path, use_promtool=not no_promtool)  # offline: needs no repository
    promtool = None if no_promtool else manifest_checks.promtool_path()
    if as_json:
        emit_json({"path": str(path), "promtool": promtool,
                   "problems": [{"file": p.file, "path": p.path, "message": p.message} for p in problems]})
    if problems:
        if not as_json:
            for p in problems:
                say(str(p))
        raise UsageError(f"{len(problems)} problem(s) in {path}",
                         hint="fix the manifests (or the templates in .llmgit/templates/deploy/) and re-run")
    checks = "schemas and semantic checks" + (", promtool check rules" if promtool else "")
    say(f"{path}: valid ({checks})")
