"""Shell completion and ``-h``: the documented ways of asking llmgit for help (docs/getting-started.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LLMGIT = [sys.executable, "-m", "llmgit"]


def _complete(tmp_path: Path, words: str) -> list[str]:
    """What bash completion offers for the last of ``words`` (as the installed script asks)."""
    env = {
        **os.environ,
        "_LLMGIT_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(LLMGIT, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_bash_script_names_llmgit(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*LLMGIT, "--show-completion", "bash"],
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "complete -o default -F _llmgit_completion llmgit" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.parametrize(
    ("words", "expected"),
    [("llmgit reg", ["register"]), ("llmgit register --wei", ["--weights"]), ("llmgit promote --t", ["--to"])],
    ids=["command", "option", "promote-option"],
)
def test_completes_commands_and_options(tmp_path: Path, words: str, expected: list[str]) -> None:
    assert _complete(tmp_path, words) == expected


@pytest.mark.parametrize("argv", [["-h"], ["register", "-h"], ["ab", "start", "-h"]], ids=["root", "command", "sub"])
def test_dash_h_is_help(tmp_path: Path, argv: list[str]) -> None:
    proc = subprocess.run([*LLMGIT, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("Usage: llmgit")
