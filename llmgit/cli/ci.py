"""``llmgit ci init github``."""

from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.options import HELP
from llmgit.cli.output import result, say
from llmgit.errors import UsageError

app = typer.Typer(
    help="Continuous-integration workflows for stage branches.", no_args_is_help=True, context_settings=HELP
)


@app.command("init")
def init(
    ctx: typer.Context,
    provider: Annotated[str, typer.Argument(metavar="PROVIDER", help="CI provider (github).")] = "github",
    install: Annotated[
        str | None,
        typer.Option(
            "--install-spec",
            metavar="PIP_ARGS",
            help="What the workflows pass to pip install (shell words), e.g. git+https://HOST/OWNER/llmgit@COMMIT "
            "(default: where this llmgit was installed from, pinned to its commit or its archive's sha256).",
        ),
    ] = None,
    deploy_command: Annotated[
        str | None, typer.Option("--deploy-command", help="Command the deploy hook runs after a stage changed.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing workflow files.")] = False,
) -> None:
    """Write the review (pull request) and sync (merge) workflows."""
    if provider != "github":
        raise UsageError(f"unknown CI provider '{provider}'", hint="supported: github")
    files = registry(ctx).ci_init(install=install, deploy_command=deploy_command, force=force)
    for path in files.written:
        say(f"Wrote {path}")
    result(*files.written)
    say(f"They install: {files.install}")
    say("Commit them; the sync workflow needs permission to push stage tags (contents: write).")
