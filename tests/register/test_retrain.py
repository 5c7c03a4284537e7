"""A registered version's bytes never change: a training job that rewrites the working tree's
weights in place (``open(path, "wb")``, as ``torch.save`` does) or through a temporary file and
a rename (safetensors' ``save_file``), as root and as an unprivileged user, then registers
again. Every version keeps the bytes it was registered with: checked out in place, exported,
pushed, and pulled into a fresh clone.

Every step runs the real ``llmgit`` command in a subprocess; the unprivileged user's steps
run through ``setpriv`` (the suite creates the user with ``useradd`` when it runs as root).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "llmgit-test"
SHARDS = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "config.json")


def _md5s(path: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(path.iterdir()) if p.is_file()}


@pytest.fixture(scope="session")
def unprivileged() -> str | None:
    """The name of an unprivileged user to run as (None: this process is one already)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(USER)
    except KeyError:
        made = subprocess.run(["useradd", "--system", "--no-create-home", USER], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"cannot create an unprivileged user: {made.stderr.decode().strip()}")
    if not shutil.which("setpriv"):
        pytest.skip("setpriv is not installed")
    return USER


class Actor:
    """Runs llmgit, git and a writer as one user, in a directory that user owns."""

    def __init__(self, base: Path, user: str | None) -> None:
        self.base = base
        self.user = user
        home = base / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n[init]\n\tdefaultBranch = main\n"
        )
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "DVC_NO_ANALYTICS": "1",
            "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
            "LLMGIT_PROGRESS_DELAY": "1000",
        }
        if user is not None:
            subprocess.run(["chown", "-R", f"{user}:{user}", str(base)], check=True)

    def run(self, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
        prefix = []
        if self.user is not None:  # the environment as given (runuser would reset HOME)
            who = pwd.getpwnam(self.user)
            prefix = ["setpriv", f"--reuid={who.pw_uid}", f"--regid={who.pw_gid}", "--clear-groups", "--"]
        return subprocess.run(
            [*prefix, *argv], cwd=cwd, env=self.env, capture_output=True, text=True, check=False, timeout=300
        )

    def ok(self, cwd: Path, *argv: str) -> str:
        proc = self.run(cwd, *argv)
        assert proc.returncode == 0, f"{argv}: {proc.stderr}"
        return proc.stdout

    def llmgit(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(cwd, sys.executable, "-m", "llmgit", *args)

    def train(self, weights: Path, seed: int, *, rename: bool) -> dict[str, str]:
        """What a training job does: write every file of the model again, in place or by rename."""
        code = (
            "import hashlib, os, sys\n"
            "out, seed, rename = sys.argv[1], sys.argv[2], sys.argv[3] == '1'\n"
            f"for i, name in enumerate({SHARDS!r}):\n"
            "    data = hashlib.sha256(f'{seed}-{i}'.encode()).digest() * (4096 * (i + 1))\n"
            "    path = os.path.join(out, name)\n"
            "    if rename:\n"
            "        with open(path + '.tmp', 'wb') as fh: fh.write(data)\n"
            "        os.replace(path + '.tmp', path)\n"
            "    else:\n"
            "        with open(path, 'wb') as fh: fh.write(data)\n"
        )
        self.ok(self.base, "mkdir", "-p", str(weights))
        self.ok(weights.parent, sys.executable, "-c", code, str(weights), str(seed), "1" if rename else "0")
        return _md5s(weights)


@pytest.fixture
def base() -> Iterator[Path]:
    """A directory outside pytest's (private) temporary tree, so another user can work in it."""
    path = Path(tempfile.mkdtemp(prefix="llmgit-retrain-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("rename", [False, True], ids=["open-wb", "write-then-rename"])
@pytest.mark.parametrize("who", ["root", "unprivileged"])
def test_retraining_in_place_never_changes_a_registered_version(
    base: Path, unprivileged: str | None, who: str, rename: bool
) -> None:
    if who == "root" and os.geteuid() != 0:
        pytest.skip("the suite does not run as root")
    actor = Actor(base, unprivileged if who == "unprivileged" else None)
    if actor.user is not None:
        probe = actor.run(base, sys.executable, "-c", "import dvc, llmgit")
        if probe.returncode != 0:  # a checkout inside a private directory (mktemp -d is 0700)
            pytest.skip(f"user {actor.user} cannot run this checkout's interpreter: {probe.stderr.strip()[-200:]}")
    repo, remote = base / "repo", base / "remote"
    actor.ok(base, "mkdir", "repo")
    actor.ok(repo, "git", "init", "-q")
    actor.ok(repo, "git", "commit", "-q", "--allow-empty", "-m", "start")
    init = actor.llmgit(repo, "init", "--remote", str(remote))
    assert init.returncode == 0, init.stderr
    weights = repo / "out" / "chat"

    v1 = actor.train(weights, 1, rename=rename)
    assert actor.llmgit(repo, "register", "chat", "-w", "out/chat").returncode == 0
    v2 = actor.train(weights, 2, rename=rename)  # the retrain: no PermissionError, no shared bytes
    assert v2 != v1 and _md5s(weights) == v2
    second = actor.llmgit(repo, "register", "chat", "-w", "out/chat", "--bump", "minor")
    assert second.returncode == 0, second.stderr

    exported = base / "v1"
    assert actor.llmgit(repo, "checkout", "chat@v1.0.0", "--to", str(exported)).returncode == 0
    assert _md5s(exported) == v1
    assert actor.llmgit(repo, "checkout", "chat@v1.0.0").returncode == 0
    assert _md5s(weights) == v1
    assert actor.llmgit(repo, "checkout", "chat@v1.1.0").returncode == 0
    assert _md5s(weights) == v2
    pushed = actor.llmgit(repo, "push")
    assert pushed.returncode == 0, pushed.stderr

    clone = base / "clone"
    actor.ok(base, "git", "clone", "-q", str(repo), str(clone))
    for tag, sums in (("chat@v1.0.0", v1), ("chat@v1.1.0", v2)):
        pulled = actor.llmgit(clone, "pull", tag)
        assert pulled.returncode == 0, pulled.stderr
        out = base / f"clone-{tag}"
        assert actor.llmgit(clone, "checkout", tag, "--to", str(out)).returncode == 0
        assert _md5s(out) == sums
    fsck = actor.llmgit(repo, "fsck", "--deep")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert "chat@v1.0.0: ok" in fsck.stdout and "chat@v1.1.0: ok" in fsck.stdout


def test_a_link_cache_type_is_warned_and_its_damage_caught(base: Path) -> None:
    """With ``--cache-type hardlink`` (the user's explicit choice) an in-place retrain does
    rewrite the cached object; llmgit notices before it trusts it: checkout repairs from the
    remote, push refuses the damaged bytes, fsck reports and repairs."""
    actor = Actor(base, None)
    repo, remote = base / "repo", base / "remote"
    actor.ok(base, "mkdir", "repo")
    actor.ok(repo, "git", "init", "-q")
    actor.ok(repo, "git", "commit", "-q", "--allow-empty", "-m", "start")
    init = actor.llmgit(repo, "init", "--remote", str(remote), "--cache-type", "hardlink")
    assert init.returncode == 0 and "warning: the DVC cache type is 'hardlink'" in init.stderr, init.stderr
    weights = repo / "out" / "chat"
    v1 = actor.train(weights, 1, rename=False)
    reg = actor.llmgit(repo, "register", "chat", "-w", "out/chat")
    assert reg.returncode == 0 and reg.stderr.count("warning: the DVC cache type") == 1, reg.stderr
    assert actor.llmgit(repo, "push", "chat@v1.0.0").returncode == 0
    for p in weights.iterdir():
        p.chmod(0o644)  # what a root job does not even need
    actor.train(weights, 2, rename=False)  # rewrites the cache's objects through the links

    found = actor.llmgit(repo, "fsck")
    assert found.returncode == 1 and "chat@v1.0.0: damaged" in found.stdout, found.stdout + found.stderr
    assert "hint: repair them from the storage remote: llmgit fsck --repair" in found.stderr
    refused = actor.llmgit(repo, "push", "chat@v1.0.0", "--overwrite")
    assert refused.returncode == 1 and "its bytes are not the registered ones" in refused.stderr, refused.stderr

    out = base / "v1"
    restored = actor.llmgit(repo, "checkout", "chat@v1.0.0", "--to", str(out))
    assert restored.returncode == 0, restored.stderr
    assert "did not hash to its name: moved aside" in restored.stderr
    assert _md5s(out) == v1
    assert actor.llmgit(repo, "fsck", "--deep").returncode == 0

    switched = actor.llmgit(repo, "init", "--cache-type", "reflink,copy")
    assert switched.returncode == 0 and "warning:" not in switched.stderr, switched.stderr
    assert "Cache type: reflink,copy" in switched.stderr
