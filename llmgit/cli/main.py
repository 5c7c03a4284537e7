"""The ``llmgit`` application and its error funnel."""

import os
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from typing import Annotated, TextIO

import typer

from llmgit.cli import ab, card, checkout, ci, deploy, fsck, importer, listing, register, review, setup, stages, storage
from llmgit.cli import diff as diff_command
from llmgit.cli import progress as progress_cli
from llmgit.cli import report as report_command
from llmgit.cli import search as search_command
from llmgit.cli.options import HELP
from llmgit.core.bounded import escape_control
from llmgit.core.release import VERSION
from llmgit.errors import InternalError, Interrupted, LlmgitError, LlmgitWarning, UsageError

app = typer.Typer(
    name="llmgit",
    help="Git-native version manager for LLM weights: git is the database, DVC moves the bytes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
    context_settings=HELP,
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"llmgit {VERSION}\n")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    repo: Annotated[Path, typer.Option("-C", "--repo", help="Run as if started in this directory.")] = Path("."),
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the llmgit version and exit."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=progress_cli.QUIET_HELP)] = False,
) -> None:
    """Git-native version manager for LLM weights."""
    ctx.obj = repo
    progress_cli.install(ctx, quiet)


for module in (setup, register, listing, checkout, stages, review, storage, fsck):
    module.install(app)
app.add_typer(card.app, name="card")
app.add_typer(ci.app, name="ci")
app.add_typer(ab.app, name="ab")
app.add_typer(deploy.app, name="deploy")
report_command.install(app)
for module in (diff_command, search_command, importer):
    module.install(app)


def _report(err: LlmgitError) -> None:
    sys.stderr.write(f"error: {err.message}\n")
    if err.hint:  # continuation lines line up under the first (a caret under a column, say)
        sys.stderr.write("hint: " + err.hint.replace("\n", "\n      ") + "\n")


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    """llmgit's warnings as ``warning:`` (and ``hint:``) lines on stderr; others as Python shows them."""
    if isinstance(message, LlmgitWarning):
        sys.stderr.write(f"warning: {message.message}\n")
        if message.hint:
            sys.stderr.write(f"hint: {message.hint}\n")
        return
    _python_show_warning(message, category, *args, **kwargs)  # type: ignore[arg-type]


_python_show_warning = warnings.showwarning


class SafeStream:
    """A text stream that shows every control character escaped (``\\x1b``), except newlines
    and tabs: values from outside (tag authors, messages, names) reach the terminal inert.
    llmgit's own terminal drawing (progress bars) writes to :attr:`raw`."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        return self.raw.write(escape_control(text, keep_lines=True))

    def __getattr__(self, name: str) -> object:
        return getattr(self.raw, name)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            warnings.simplefilter("default", LlmgitWarning)
            return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None) -> int:
    try:
        result = app(args=argv, prog_name="llmgit", standalone_mode=False)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except LlmgitError as err:
        _report(err)
        return err.exit_code
    except Exception as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # bare 'llmgit' or a bare group
            sys.stdout.write(e.format_message() + "\n")  # type: ignore[attr-defined]
            return 0
        if _is_usage_error(e):  # the command line itself is wrong: one line and a hint
            command = getattr(getattr(e, "ctx", None), "command_path", "llmgit")
            usage = UsageError(e.format_message(), hint=f"see '{command} --help'")  # type: ignore[attr-defined]
            _report(usage)
            return usage.exit_code
        if type(e).__name__ == "Abort":
            _report(Interrupted("aborted"))
            return Interrupted.exit_code
        return _crash()
    except KeyboardInterrupt:
        _report(Interrupted("interrupted"))
        return Interrupted.exit_code
    if result == Interrupted.exit_code:  # Typer turns Ctrl-C inside a command into this code itself
        _report(Interrupted("interrupted"))
    return result if isinstance(result, int) else 0


def _is_usage_error(e: BaseException) -> bool:
    """Typer's command-line errors (raised by its bundled parser) without importing it."""
    return hasattr(e, "format_message") and getattr(e, "exit_code", None) == 2


def _crash() -> int:
    """A bug: the traceback goes to a log file, not the screen (exit :attr:`InternalError.exit_code`)."""
    fd, log = tempfile.mkstemp(prefix="llmgit-crash-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        traceback.print_exc(file=fh)
    sys.stderr.write(f"error: internal error in llmgit (a bug); details in {log}\n")
    return InternalError.exit_code


def run() -> None:
    sys.exit(main())
