"""``llmgit init``."""

from typing import Annotated

import typer

from llmgit.cli.context import registry
from llmgit.cli.output import result as emit_result
from llmgit.cli.output import say


def init(
    ctx: typer.Context,
    remote: Annotated[
        str | None, typer.Option("--remote", help="Storage remote: a directory path or s3://bucket/prefix.")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="S3 endpoint for non-AWS S3 (MinIO, a test server).")
    ] = None,
    cache_type: Annotated[
        str | None,
        typer.Option(
            "--cache-type",
            help="DVC cache types, tried in order (default reflink,copy: working-tree files of their own). "
            "hardlink or symlink make working-tree files the cache's objects: rewriting one in place rewrites a "
            "registered version. Switching back to reflink,copy turns those links into copies.",
        ),
    ] = None,
    create_bucket: Annotated[
        bool,
        typer.Option(
            "--create-bucket",
            help="Create the s3:// remote's bucket when it does not exist (llmgit never does unasked).",
        ),
    ] = False,
) -> None:
    """Set up the registry in this git repository (once per repository)."""
    result = registry(ctx).init(
        remote=remote, endpoint_url=endpoint_url, cache_type=cache_type, create_bucket=create_bucket
    )
    if result.bucket_created:
        say(f"Created the bucket '{result.bucket_created}'")
    say(("Initialized" if result.created else "Updated") + f" the llmgit registry in {result.root}")
    where = "machine-local default" if result.remote_is_default else "configured"
    say(f"Weights remote ({where}): {result.remote}")
    say(f"Cache type: {result.cache_type}")
    if result.unlinked:
        say(f"Turned {result.unlinked} working-tree file(s) linked to the cache into copies")
    if result.commit:
        say(f"Committed the registry set-up as {result.commit[:10]}")
    emit_result(result.root)


def install(app: typer.Typer) -> None:
    app.command("init")(init)
