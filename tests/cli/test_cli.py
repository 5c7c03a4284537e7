"""Wiring: every command and option has help text; the console script runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main

from llmgit.cli.main import app


def _walk(command, path=()):  # type: ignore[no-untyped-def]
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def test_every_command_and_option_has_help() -> None:
    root = typer.main.get_command(app)
    missing = []
    for path, command in _walk(root):
        if not (command.help or "").strip():
            missing.append(" ".join(path) or "llmgit")
        for param in command.params:
            if not (getattr(param, "help", None) or "").strip():
                missing.append(f"{' '.join(path)} {param.name}")
    assert missing == []


def test_console_script_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "llmgit", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("llmgit ")


@pytest.mark.parametrize(
    "args",
    [[], ["register"], ["ab"], ["ab", "start"], ["lifecycle", "plan"]],
    ids=["llmgit", "register", "ab", "ab-start", "lifecycle-plan"],
)
def test_dash_h_is_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from llmgit.cli.main import main

    assert main([*args, "--help"]) == 0
    long = capsys.readouterr().out
    assert main([*args, "-h"]) == 0
    assert capsys.readouterr().out == long and "Usage: llmgit" in long
