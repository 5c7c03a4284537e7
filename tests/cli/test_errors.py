"""Bad input: one error line (maybe a hint), a documented exit code, no traceback, and
nothing changed: refs, HEAD, index, working tree (checked with raw git)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, make_weights, run_cli, snapshot


def _prepare(repo: Path) -> None:
    make_weights(repo / "w", seed=1)
    assert run_cli(repo, "register", "m", "-w", "w", "-M", "acc=0.8").code == 0
    make_weights(repo / "w2", seed=2)
    (repo / "bad.json").write_text("{oops")


CASES = [
    (["register", "Bad@Name", "-w", "w2"], 2, "invalid model name 'Bad@Name'"),
    (["register", "a/b", "-w", "w2"], 2, "invalid model name 'a/b'"),
    (["register", "-w", "w2", "--", "-lead"], 2, "invalid model name '-lead'"),
    (["register", "a..b", "-w", "w2"], 2, "invalid model name 'a..b'"),
    (["register", "m", "-w", "w2", "--version", "1.0"], 2, "'1.0' is not a semantic version"),
    (["register", "m", "-w", "w2", "--version", "1.0.0"], 2, "version 1.0.0 of 'm' already exists"),
    (["register", "m", "-w", "nope"], 2, "weights path 'nope' does not exist"),
    (["register", "m", "-w", "w2", "--metrics", "bad.json"], 2, "metrics file 'bad.json' is malformed"),
    (["register", "m", "-w", "w2", "-M", "acc=high"], 2, "metric 'acc' in -M is not a finite number"),
    (["register", "m", "-w", "README.md"], 2, "tracked by git itself"),
    (["show", "m@v9.9.9"], 2, "'m@v9.9.9' names no registered version"),
    (["show", "ghost"], 2, "model 'ghost' has no registered versions"),
    (["checkout", "m@2.0.0"], 2, "names no registered version"),
    (["versions", "Nope!"], 2, "invalid model name"),
    (["card", "render", "m#nowhere"], 2, "unknown stage 'nowhere'"),
]


@pytest.mark.parametrize(("args", "code", "message"), CASES, ids=[" ".join(c[0])[:40] for c in CASES])
def test_bad_input_changes_nothing(registry_repo: Path, args: list[str], code: int, message: str) -> None:
    _prepare(registry_repo)
    before = snapshot(registry_repo)
    result = run_cli(registry_repo, *args)
    assert result.code == code, result.err
    lines = result.err.splitlines()
    assert lines[0].startswith("error: ") and message in lines[0], result.err
    assert all(line.startswith(("error: ", "hint: ")) for line in lines)
    assert "Traceback" not in result.err and result.out == ""
    assert snapshot(registry_repo) == before


def test_outside_repo_weights(registry_repo: Path, tmp_path: Path) -> None:
    make_weights(tmp_path / "outside", seed=3)
    before = snapshot(registry_repo)
    result = run_cli(registry_repo, "register", "m", "-w", str(tmp_path / "outside"))
    assert result.code == 2
    assert result.err.splitlines() == [
        f"error: weights path '{tmp_path / 'outside'}' is outside the repository",
        "hint: move them inside the repository, or pass --copy to copy them in",
    ]
    assert snapshot(registry_repo) == before


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run_cli(plain, "models")
    assert result.code == 2
    assert result.err.startswith(f"error: '{plain}' is not inside a git repository\nhint: ")
    assert list(plain.iterdir()) == []


def test_no_llmgit_init(repo: Path) -> None:
    before = snapshot(repo)
    for args in (["models"], ["versions", "m"], ["register", "m", "-w", "README.md"]):
        result = run_cli(repo, *args)
        assert result.code == 2, args
        assert "has no llmgit registry yet" in result.err and "hint: run 'llmgit init' first" in result.err
    assert snapshot(repo) == before


def test_detached_head(registry_repo: Path) -> None:
    make_weights(registry_repo / "w", seed=1)
    git(registry_repo, "checkout", "-q", "--detach")
    before = snapshot(registry_repo)
    result = run_cli(registry_repo, "register", "m", "-w", "w")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: HEAD is detached: llmgit commits on a branch",
        "hint: switch to a branch first, for example 'git switch main'",
    ]
    assert snapshot(registry_repo) == before


def test_broken_settings_file(registry_repo: Path) -> None:
    (registry_repo / "llmgit.yaml").write_text("version: 1\nstages: [staging]\ncolour: blue\n")
    result = run_cli(registry_repo, "models")
    assert result.code == 2
    assert "error: llmgit.yaml: unknown setting 'colour'" in result.err


def test_usage_errors_exit_2(registry_repo: Path) -> None:
    result = run_cli(registry_repo, "register", "m")
    assert result.code == 2 and "--weights" in result.err


def test_a_bug_exits_3_with_the_traceback_in_a_log(registry_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in llmgit: one error line naming a log file that holds the traceback; exit 3."""
    from llmgit.api.registry import Registry

    def boom(self: Registry) -> None:
        raise ZeroDivisionError("a planted bug")

    monkeypatch.setattr(Registry, "models", boom)
    result = run_cli(registry_repo, "models")
    assert result.code == 3
    assert result.out == "" and "Traceback" not in result.err
    (line,) = result.err.splitlines()
    assert line.startswith("error: internal error in llmgit (a bug); details in ")
    log = Path(line.rsplit(" ", 1)[1])
    try:
        text = log.read_text()
        assert "Traceback" in text and "ZeroDivisionError: a planted bug" in text
    finally:
        log.unlink()


def test_ctrl_c_exits_130_and_changes_nothing(repo: Path) -> None:
    """A real SIGINT while a command waits on the network: 'error: interrupted', exit 130."""
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(60)
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        before = snapshot(repo)
        child = subprocess.Popen(
            [sys.executable, "-m", "llmgit", "ab", "status", "m", "--prometheus", url],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            conn, _ = server.accept()  # the command is now waiting for Prometheus to answer
            with conn:
                child.send_signal(signal.SIGINT)
                out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == 130, err
    assert err == "error: interrupted\n" and out == ""
    assert snapshot(repo) == before
