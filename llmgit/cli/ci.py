"""``llmgit ci init github``."""

from __future__ import annotations

from typing import Optional

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import say

app = typer.Typer(help="Continuous-integration workflows for stage branches.", no_args_is_help=True)


@app.command("init")
def init(
    ctx: typer.Context,
    provider: str = typer.Argument("github", metavar="PROVIDER", help="CI provider (github)."),
    install: Optional[str] = typer.Option(  # noqa: UP007
        None, "--install", help="What the workflows pip-install (default: this llmgit version)."
    ),
    deploy_command: Optional[str] = typer.Option(  # noqa: UP007
        None, "--deploy-command", help="Command the deploy hook runs after a stage changed."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing workflow files."),
) -> None:
    """Write the review (pull request) and sync (merge) workflows."""
    from llmgit.errors import UsageError

    if provider != "github":
        raise UsageError(f"unknown CI provider '{provider}'", hint="supported: github")
    files = registry(ctx).ci_init(install=install, deploy_command=deploy_command, force=force)
    for path in files.written:
        say(f"Wrote {path}")
    say("Commit them; the sync workflow needs permission to push stage tags (contents: write).")
