"""Progress: a bar (bytes, percentage, rate, ETA) on a terminal for hashing, uploads and
downloads; nothing with --quiet or when stderr is not a terminal. Terminal runs use a real
pseudo-terminal and a real llmgit process."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import S3Target, git, run_cli, snapshot

from llmgit.cli.progress import TerminalBar
from llmgit.infra import progress

M = "llama2-7b-alpaca"
MiB = 1 << 20
BAR = re.compile(
    r"\r(Hashing|Uploading|Downloading) [\d.]+ \w?i?B / [\d.]+ \w?i?B +\d+%  [\d.]+ \w?i?B/s  ETA \d+:\d\d"
)


def _weights(root: Path, size: int = 24 * MiB) -> None:
    out = root / "out" / M
    out.mkdir(parents=True)
    (out / "config.json").write_text('{"layers": 2}\n')
    for i in range(3):
        (out / f"model-0000{i}.safetensors").write_bytes(os.urandom(size // 3))


def tty(cwd: Path, *args: str, delay: str = "0") -> tuple[int, str]:
    """Run llmgit with stdin, stdout and stderr on a pseudo-terminal; returns (exit code, output)."""
    master, slave = pty.openpty()
    env = {**os.environ, "LLMGIT_PROGRESS_DELAY": delay, "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from llmgit.cli.main import run; run()", "-C", str(cwd), *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 1 << 16)
                except OSError:  # EIO: the last holder of the terminal closed it
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            pytest.fail(f"llmgit {' '.join(args)} did not finish on the terminal")
        return proc.wait(timeout=30), b"".join(chunks).decode(errors="replace")
    finally:
        os.close(master)


def test_register_push_pull_draw_bars_on_a_terminal(registry_repo: Path) -> None:
    repo = registry_repo
    _weights(repo)
    code, out = tty(repo, "register", M, "-w", f"out/{M}")
    assert code == 0, out
    assert BAR.search(out) and "\rHashing" in out, out
    assert re.search(r"Hashing 24\.0 MiB in [\d.]+ s \([\d.]+ \w?i?B/s\)", out), out  # the closing line
    assert f"Registered {M}@v1.0.0" in out

    code, out = tty(repo, "push", M)
    assert code == 0, out
    assert re.search(r"\rUploading [\d.]+ \w?i?B / 24\.0 MiB", out), out

    shutil.rmtree(repo / ".dvc" / "cache")
    code, out = tty(repo, "pull", M)
    assert code == 0, out
    assert re.search(r"\rDownloading [\d.]+ \w?i?B / 24\.0 MiB", out), out
    assert "Downloading 24.0 MiB in" in out
    assert run_cli(repo, "verify", M, "--deep").code == 0


def test_quiet_and_pipes_stay_clean(registry_repo: Path) -> None:
    repo = registry_repo
    _weights(repo)
    code, out = tty(repo, "register", M, "-w", f"out/{M}", "--quiet")
    assert code == 0, out
    assert "Hashing" not in out and "\r\x1b" not in out
    code, out = tty(repo, "--quiet", "push", M)  # the global flag, before the command
    assert code == 0, out
    assert "Uploading" not in out
    shutil.rmtree(repo / ".dvc" / "cache")
    code, out = tty(repo, "pull", M, "-q")
    assert code == 0 and "Downloading" not in out, out
    # not a terminal: no bar, whatever the size
    shutil.rmtree(repo / ".dvc" / "cache")
    piped = subprocess.run(
        [sys.executable, "-c", "from llmgit.cli.main import run; run()", "-C", str(repo), "pull", M],
        capture_output=True,
        text=True,
        env={**os.environ, "LLMGIT_PROGRESS_DELAY": "0"},
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == f"Fetched the weights of {M}@v1.0.0 into the local cache\n"


def test_a_short_step_draws_nothing_by_default(registry_repo: Path) -> None:
    (registry_repo / "out" / M).mkdir(parents=True)
    (registry_repo / "out" / M / "w.bin").write_bytes(os.urandom(64 * 1024))
    code, out = tty(registry_repo, "register", M, "-w", f"out/{M}", delay="0.25")
    assert code == 0, out
    assert "Hashing" not in out


def test_s3_transfers_report_bytes(s3_repo: Path, s3: S3Target) -> None:
    repo = s3_repo
    _weights(repo, size=12 * MiB)
    assert run_cli(repo, "register", M, "-w", f"out/{M}").code == 0
    code, out = tty(repo, "push", M, "--jobs", "2")
    assert code == 0, out
    assert re.search(r"\rUploading [\d.]+ \w?i?B / 12\.0 MiB", out), out
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=s3.bucket).get("Contents", [])]
    assert len([k for k in keys if k.endswith(".dir")]) == 1 and len(keys) == 5  # 4 files + manifest
    shutil.rmtree(repo / ".dvc" / "cache")
    code, out = tty(repo, "pull", M)
    assert code == 0, out
    assert "Downloading 12.0 MiB in" in out, out
    assert run_cli(repo, "verify", M, "--deep").code == 0


def test_pull_of_weights_missing_everywhere_fails_cleanly(registry_repo: Path) -> None:
    repo = registry_repo
    _weights(repo, size=3 * MiB)
    assert run_cli(repo, "register", M, "-w", f"out/{M}").code == 0
    shutil.rmtree(repo / ".dvc" / "cache")  # never pushed, and now gone from the cache
    before = snapshot(repo)
    r = run_cli(repo, "pull", M)
    assert r.code == 1
    assert r.err.startswith("error: ") and "neither in the local cache nor on the remote" in r.err
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_bar_draws_bytes_rate_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMGIT_PROGRESS_DELAY", "0")
    screen = FakeTerminal()
    now = [100.0]
    bar = TerminalBar(screen, clock=lambda: now[0])
    with progress.reporting(bar), progress.task("Hashing", 4 * MiB) as t:
        now[0] += 0.5
        t.advance(MiB)
        now[0] += 0.5  # past the redraw interval
        t.advance(MiB)
    text = screen.getvalue()
    assert BAR.search(text), text
    assert " 25%" in text and " 50%" in text
    assert text.endswith("\x1b[K\n") and "Hashing 2.0 MiB in " in text


def test_no_reporter_means_no_output_and_the_reporter_is_restored() -> None:
    seen: list[tuple[str, int]] = []

    class Recorder:
        def start(self, label: str, total: int) -> None:
            seen.append((label, total))

        def advance(self, nbytes: int) -> None:
            seen.append(("+", nbytes))

        def finish(self) -> None:
            seen.append(("done", 0))

    with progress.task("Hashing", 10) as t:  # nobody listens
        t.advance(10)
        assert not t.active
    with progress.reporting(Recorder()):
        with progress.task("Uploading", 10) as t:
            t.advance(4)
            t.advance(6)
        with progress.reporting(None), progress.task("Downloading", 5) as t:
            t.advance(5)
    with progress.task("Hashing", 3) as t:
        t.advance(3)
    assert seen == [("Uploading", 10), ("+", 4), ("+", 6), ("done", 0)]


def test_a_remote_only_dvc_handles_still_reports_bytes(registry_repo: Path, tmp_path: Path) -> None:
    """A remote setting llmgit's own copy path does not handle (here DVC's ``verify``) sends
    the transfer through DVC's object transfer, still with a byte-level bar."""
    repo = registry_repo
    from llmgit.weights import dvc as storage
    from llmgit.weights import transfer as transport

    assert transport.local_path(storage.remote_settings(repo))
    with (repo / ".dvc" / "config.local").open("a") as fh:
        fh.write("['remote \"storage\"']\n    verify = true\n")
    settings = storage.remote_settings(repo)
    assert settings is not None and settings["verify"] == "true"
    assert not transport.local_path(settings) and transport.mover(settings) is None
    _weights(repo, size=12 * MiB)
    assert run_cli(repo, "register", M, "-w", f"out/{M}").code == 0
    code, out = tty(repo, "push", M)
    assert code == 0, out
    assert re.search(r"\rUploading [\d.]+ \w?i?B / 12\.0 MiB", out), out
    assert len(list((tmp_path / "remote").rglob("*.dir"))) == 1
    shutil.rmtree(repo / ".dvc" / "cache")
    code, out = tty(repo, "pull", M, "--jobs", "1")
    assert code == 0, out
    assert run_cli(repo, "verify", M, "--deep").code == 0
