"""I6: writing commands run one at a time per repository. Two ``register`` runs of one model
at once: the second waits for the lock; past its bounded wait it fails with the holder's pid
and changes nothing; with time to wait it registers the next version on top of the first."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, make_weights
from faultkit import LAUNCH, Shim, head_blobs, index_of

from llmgit.errors import OperationFailed
from llmgit.infra import lock

REGISTER = ["register", "m", "-w", "out/m", "-M", "acc=0.9"]


def _its_ref_update(shim: Shim, repo: Path, tmp_path: Path) -> int:
    """The number of the git call with which the first register moves its refs (its write,
    inside the lock), seen on a copy."""
    import shutil

    probe = tmp_path / "probe"
    shutil.copytree(repo, probe, symlinks=True)
    calls = shim.calls_of(probe, REGISTER)
    return next(n for n, c in enumerate(calls, 1) if c.startswith("update-ref"))


@pytest.mark.parametrize("wait", ["timeout", "waits-then-runs"])
def test_two_registers_at_once(wait: str, registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    make_weights(repo / "out" / "m", seed=1)
    shim = Shim(tmp_path / "kit")
    first = shim.start_paused(repo, REGISTER, at=_its_ref_update(shim, repo, tmp_path))  # holding the lock
    try:
        if wait == "timeout":
            second = shim.run(repo, REGISTER, env={"LLMGIT_LOCK_TIMEOUT": "0.3"})
            assert second.code == 1
            assert f"error: another llmgit command is running (pid {first.pid})" in second.err
            assert "hint: wait for it to finish" in second.err
        else:  # it waits for the lock while the first one is inside its write
            waiting = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, "-C", str(repo), *REGISTER],
                env=shim.env(0, "before", {"LLMGIT_LOCK_TIMEOUT": "120"}),
                stderr=subprocess.PIPE,
                text=True,
            )
        shim.resume()
        assert first.wait(timeout=120) == 0, first.communicate()[1]
        if wait == "waits-then-runs":
            _, err = waiting.communicate(timeout=120)
            assert waiting.returncode == 0, err
            assert "Registered m@v1.0.1" in err
    finally:
        shim.resume()
        if first.poll() is None:
            first.kill()
    card = (repo / "models" / "m" / "model_card.yaml").read_text()
    ignore = (repo / "out" / ".gitignore").read_text()
    tags = git(repo, "tag", "-l").split()
    assert "m@v1.0.0" in tags
    # the winner's files are what the branch, the index and the working tree hold
    head, index = head_blobs(repo), index_of(repo)
    for path in ("models/m/model_card.yaml", "out/m.dvc", "out/.gitignore"):
        assert index[path] == head[path], path
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert "/m" in ignore.splitlines()
    if wait == "timeout":
        assert (repo / "models" / "m" / "model_card.yaml").read_text() == card
        assert git(repo, "show", "m@v1.0.0:models/m/model_card.yaml") == card
        assert tags == ["m@v1.0.0"]
    else:
        assert tags == ["m@v1.0.0", "m@v1.0.1"]
        assert git(repo, "rev-parse", "m@v1.0.1^{commit}^") == git(repo, "rev-parse", "m@v1.0.0^{commit}")
        assert re.search(r"version: 1\.0\.1", (repo / "models" / "m" / "model_card.yaml").read_text())


def test_the_lock_names_its_holder_and_is_reentrant(tmp_path: Path) -> None:
    path = tmp_path / "git" / "llmgit" / "lock"
    with lock.held(path), lock.held(path):  # one thread: taken once
        assert path.read_text().strip().isdigit()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import fcntl,os,sys,time\nf=open({str(path)!r},'w');fcntl.flock(f,fcntl.LOCK_EX);"
         "f.write(str(os.getpid()));f.flush();print('held',flush=True);sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(OperationFailed, match=rf"another llmgit command is running \(pid {holder.pid}\)"):
            with lock.held(path, wait=0.1):
                pass
    finally:
        holder.communicate("")
    with lock.held(path, wait=0):  # released when its holder ends
        pass
