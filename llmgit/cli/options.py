"""Options several commands share, defined once (Typer's ``Annotated`` form)."""

from typing import Annotated

import typer

from llmgit.cli import progress as progress_cli

HELP = {"help_option_names": ["-h", "--help"]}  # -h is --help everywhere

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=progress_cli.QUIET_HELP, callback=progress_cli.quiet)]
Name = Annotated[str, typer.Argument(metavar="NAME", help="Model name.")]
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why: recorded in the stage history.")]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", min=1, help="Transfers in flight (default: the remote's jobs setting, else 10 on S3)."
    ),
]
OrderBy = Annotated[
    str | None, typer.Option("--order-by", help="Sort by a field: version, created, metrics.X, params.X, card.X.Y, ...")
]
Desc = Annotated[bool, typer.Option("--desc", help="Sort descending (missing values still last).")]
Limit = Annotated[int | None, typer.Option("--limit", "-n", help="Show at most N versions.")]
Strict = Annotated[
    bool,
    typer.Option("--strict", help="Fail (exit 2) on a malformed version tag instead of skipping it with a warning."),
]
