"""Purged stays purged: push and pull leave a purged version's weights alone, ``push --unpurge``
is the one way back, and a ``lifecycle apply`` killed at any point of a purge is finished by the
next one (``verify`` says "purge in progress" meanwhile, never "missing")."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import Clock, S3Target, git, run_cli, snapshot
from stagekit import ok

from llmgit.storage import purge
from llmgit.weights.remote import StorageRemote

M = "mistral-7b-chat"
DAY = 86400
T0 = 1_780_000_000
LEDGER = "llmgit/lifecycle:lifecycle.yaml"
PURGE_DAY = "2027-07-02"  # T0 + 400 days, when the purge runs


def _blob(tag: str, size: int = 8192) -> bytes:
    block = hashlib.sha256(tag.encode()).digest()
    return (block * (size // 32 + 1))[:size]


def _weights(path: Path, adapter: str) -> None:
    """A base shard and config shared by every version, and a per-version adapter and head."""
    path.mkdir(parents=True, exist_ok=True)
    for p in path.iterdir():
        p.chmod(0o644)
        p.unlink()
    (path / "config.json").write_text('{"model_type": "mistral"}\n')
    (path / "model-base.safetensors").write_bytes(_blob("base", 64 * 1024))
    (path / "adapter_model.safetensors").write_bytes(_blob(f"adapter-{adapter}"))
    (path / "head.safetensors").write_bytes(_blob(f"head-{adapter}", 4096))


OWN = [hashlib.md5(_blob("adapter-a1")).hexdigest(), hashlib.md5(_blob("head-a1", 4096)).hexdigest()]
SHARED = hashlib.md5(_blob("base", 64 * 1024)).hexdigest()


def _on_local(remote: Path, oid: str) -> bool:
    return (remote / "files" / "md5" / oid[:2] / oid[2:]).is_file()


def _due(repo: Path, clock: Clock) -> None:
    """v1.0.0 served until it was replaced on day 0; 400 days on, it is due for purging."""
    clock.set(T0)
    for adapter in ("a1", "a2"):
        _weights(repo / "out" / M, adapter)
        ok(repo, "register", M, "-w", f"out/{M}")
    ok(repo, "push")
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    ok(repo, "promote", f"{M}@v1.0.1", "--to", "production", "--direct", "--skip-staging")
    clock.set(T0 + 400 * DAY)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return tmp_path / "remote"  # the registry_repo fixture's storage remote


@pytest.fixture
def purged(registry_repo: Path, clock: Clock, remote: Path) -> Path:
    """v1.0.0 purged by the lifecycle; this clone's cache still holds its weights."""
    _due(registry_repo, clock)
    assert "purge mistral-7b-chat@v1.0.0: 2 object(s)" in ok(registry_repo, "lifecycle", "apply")
    assert not any(_on_local(remote, o) for o in OWN) and _on_local(remote, SHARED)
    clock.tick()
    return registry_repo


def _plan(repo: Path) -> list[dict]:
    result = run_cli(repo, "lifecycle", "plan", "--json")
    assert result.code == 0, result.err
    return list(json.loads(result.out)["actions"])


def _verify(repo: Path) -> tuple[int, dict, str]:
    result = run_cli(repo, "verify", f"{M}@v1.0.0", "--json")
    return result.code, json.loads(result.out)[0], result.err


def _ledger(repo: Path) -> str:
    return git(repo, "show", LEDGER)


def test_push_skips_purged_weights(purged: Path, remote: Path) -> None:
    repo = purged
    cost_before = json.loads(run_cli(repo, "cost", "--json").out)
    everything = run_cli(repo, "push")
    assert everything.code == 0, everything.err
    assert everything.err.count("note:") == 1
    assert "note: skipped the weights of 1 purged version(s)" in everything.err
    assert "Pushed the weights of 1 version(s)" in everything.err
    named = run_cli(repo, "push", f"{M}@v1.0.0", f"{M}@v1.0.1")
    assert named.code == 0, named.err
    assert f"note: skipped the weights of {M}@v1.0.0: purged on {PURGE_DAY} by the lifecycle" in named.err
    assert f"'llmgit push {M}@v1.0.0 --unpurge' brings them back" in named.err
    assert not any(_on_local(remote, o) for o in OWN)  # nothing came back
    assert _verify(repo)[1]["purged"] is True
    assert _plan(repo) == []
    assert json.loads(run_cli(repo, "cost", "--json").out)["bytes_by_class"] == cost_before["bytes_by_class"]


def test_pull_of_a_purged_version_fails_with_the_way_back(purged: Path) -> None:
    repo = purged
    before = snapshot(repo)
    result = run_cli(repo, "pull", f"{M}@v1.0.0")
    assert result.code == 2 and result.out == ""
    error, hint = result.err.splitlines()
    assert error == f"error: the weights of {M}@v1.0.0 were purged on {PURGE_DAY} by the lifecycle rule 'purge'"
    assert hint == f"hint: this clone's cache still holds them, 'llmgit push {M}@v1.0.0 --unpurge' uploads them again"
    assert snapshot(repo) == before
    ok(repo, "pull", f"{M}@v1.0.1")  # the others are untouched


def test_unpurge_brings_a_version_back_and_restarts_the_purge_clock(purged: Path, remote: Path, clock: Clock) -> None:
    repo = purged
    purge_commit = git(repo, "rev-parse", "llmgit/lifecycle").strip()
    out = ok(repo, "push", f"{M}@v1.0.0", "--unpurge")
    assert f"Brought back the weights of {M}@v1.0.0" in out
    assert all(_on_local(remote, o) for o in OWN)
    ledger = _ledger(repo)
    assert "unpurged:" in ledger and f"purged: '{PURGE_DAY}T" in ledger
    assert "purged: {}" in ledger and "purging: {}" in ledger
    # append-only: a new commit on top of the purge's
    assert git(repo, "rev-parse", "llmgit/lifecycle^").strip() == purge_commit
    assert "unpurge weights: mistral-7b-chat@v1.0.0" in git(repo, "log", "-1", "--format=%s", "llmgit/lifecycle")
    code, report, _ = _verify(repo)
    assert code == 0 and report["ok"] and not report["purged"]
    ok(repo, "pull", f"{M}@v1.0.0")
    # bringing weights back restarts the purge clock: a year later, not at once
    assert [a["action"] for a in _plan(repo)] == ["tier"]  # the rollback window (blocked on a directory)
    clock.set(clock.now + 366 * DAY)
    (due,) = [a for a in _plan(repo) if a["action"] == "purge"]
    assert due["version"] == "1.0.0" and due["reason"].startswith("brought back 366 days ago")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["push", "--unpurge"], "error: --unpurge brings back the versions you name, not every version"),
        (["push", f"{M}@v1.0.0", "--unpurge"], f"of the purged {M}@v1.0.0; bringing it back needs every file"),
    ],
    ids=["no-reference", "incomplete-cache"],
)
def test_unpurge_refuses_and_changes_nothing(purged: Path, remote: Path, args: list[str], message: str) -> None:
    repo = purged
    own = repo / ".dvc" / "cache" / "files" / "md5" / OWN[1][:2] / OWN[1][2:]
    own.chmod(0o644)
    own.unlink()  # this clone's cache lost one of v1.0.0's files
    before, ledger = snapshot(repo), git(repo, "rev-parse", "llmgit/lifecycle")
    result = run_cli(repo, *args)
    assert result.code == 2 and message in result.err.splitlines()[0]
    assert snapshot(repo) == before and git(repo, "rev-parse", "llmgit/lifecycle") == ledger
    assert not any(_on_local(remote, o) for o in OWN)  # not even the file the cache still has


def _killed_after(deleting: int | None) -> Callable[[StorageRemote, Sequence[str]], None]:
    """The deletion step, killed (Ctrl-C) after deleting that many objects (None: all of them)."""
    real = purge.delete_objects

    def delete(r: StorageRemote, oids: Sequence[str]) -> None:
        real(r, list(oids)[:deleting] if deleting is not None else oids)
        raise KeyboardInterrupt

    return delete


@pytest.mark.parametrize("deleting", [0, 1, None], ids=["before-deleting", "halfway", "after-deleting"])
def test_an_apply_killed_mid_purge_is_finished_by_the_next(
    registry_repo: Path, clock: Clock, remote: Path, monkeypatch: pytest.MonkeyPatch, deleting: int | None
) -> None:
    repo = registry_repo
    _due(repo, clock)
    real = purge.delete_objects
    monkeypatch.setattr(purge, "delete_objects", _killed_after(deleting))
    killed = run_cli(repo, "lifecycle", "apply")
    assert killed.code == 130 and "error: interrupted" in killed.err
    monkeypatch.setattr(purge, "delete_objects", real)
    ledger = _ledger(repo)
    assert "purging:" in ledger and "purged: {}" in ledger and OWN[0] in ledger  # the intent names the objects
    # meanwhile: a purge in progress, not missing weights to push again
    code, report, err = _verify(repo)
    assert code == 1 and report["purge_in_progress"] and not report["missing"]
    assert f"error: the purge of {M}@v1.0.0 started and did not finish" in err
    assert "hint: finish it: llmgit lifecycle apply" in err and "llmgit push" not in err
    text = run_cli(repo, "verify", f"{M}@v1.0.0")
    assert f"{M}@v1.0.0: purge in progress" in text.out and "missing" not in text.out + text.err
    (action,) = _plan(repo)
    assert (action["action"], action["version"]) == ("finish-purge", "1.0.0")
    assert action["objects"] == {0: 2, 1: 1, None: 0}[deleting]  # only what is left
    assert action["reason"] == f"the purge started on {PURGE_DAY} did not finish"
    skipped = run_cli(repo, "push")  # a purge under way: its weights are not pushed back either
    assert skipped.code == 0 and "note: skipped the weights of 1 version(s) being purged" in skipped.err
    assert sum(_on_local(remote, o) for o in OWN) == {0: 2, 1: 1, None: 0}[deleting]
    refused = run_cli(repo, "pull", f"{M}@v1.0.0")
    assert refused.code == 2 and "are being purged" in refused.err
    # the rerun finishes it
    out = ok(repo, "lifecycle", "apply")
    assert f"finish-purge {M}@v1.0.0" in out
    assert not any(_on_local(remote, o) for o in OWN) and _on_local(remote, SHARED)
    ledger = _ledger(repo)
    assert "purging: {}" in ledger and f"started: '{PURGE_DAY}T" in ledger
    code, report, _ = _verify(repo)
    assert code == 0 and report["purged"] and not report["purge_in_progress"]
    assert _plan(repo) == [] and "Nothing to do" in ok(repo, "lifecycle", "apply")
    log = git(repo, "log", "--format=%s", "llmgit/lifecycle").splitlines()
    assert log[:2] == [f"purge weights: {M}@v1.0.0", f"purging weights: {M}@v1.0.0"]


def test_weights_stored_again_are_purged_again(purged: Path, remote: Path) -> None:
    """A clone that did not know of the purge uploaded the weights again (as before this check
    existed): the plan deletes them again and cost counts them until then."""
    repo = purged
    cache = repo / ".dvc" / "cache" / "files" / "md5"
    for oid in OWN:
        target = remote / "files" / "md5" / oid[:2] / oid[2:]
        target.write_bytes((cache / oid[:2] / oid[2:]).read_bytes())
    (action,) = _plan(repo)
    assert (action["action"], action["version"], action["objects"]) == ("re-purge", "1.0.0", 2)
    assert "2 of its object(s) are stored again" in action["reason"]
    cost = json.loads(run_cli(repo, "cost", "--json").out)
    assert cost["after_plan"]["bytes_by_class"]["LOCAL"] == cost["bytes_by_class"]["LOCAL"] - 8192 - 4096
    assert f"re-purge {M}@v1.0.0: 2 object(s)" in ok(repo, "lifecycle", "apply")
    assert not any(_on_local(remote, o) for o in OWN) and _on_local(remote, SHARED)
    assert _plan(repo) == [] and _verify(repo)[1]["purged"] is True


def test_s3_killed_purge_then_unpurge(
    s3_repo: Path, clock: Clock, s3: S3Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = s3_repo

    def stored(oid: str) -> bool:
        return f"{s3.prefix}/files/md5/{oid[:2]}/{oid[2:]}" in s3.keys("files/md5")

    _due(repo, clock)
    real = purge.delete_objects
    monkeypatch.setattr(purge, "delete_objects", _killed_after(None))
    assert run_cli(repo, "lifecycle", "apply").code == 130
    monkeypatch.setattr(purge, "delete_objects", real)
    assert not any(stored(o) for o in OWN)
    code, report, _ = _verify(repo)
    assert code == 1 and report["purge_in_progress"]
    ok(repo, "push")
    assert not any(stored(o) for o in OWN)
    assert f"finish-purge {M}@v1.0.0: 0 object(s)" in ok(repo, "lifecycle", "apply")
    assert _verify(repo)[1]["purged"] is True and stored(SHARED)
    ok(repo, "push", f"{M}@v1.0.0", "--unpurge")
    assert all(stored(o) for o in OWN)
    assert _verify(repo)[0] == 0


def test_a_clone_that_still_has_the_weights_does_not_bring_them_back(
    registry_repo: Path, clock: Clock, remote: Path, tmp_path: Path
) -> None:
    """The purge reaches the git remote with the ledger; another clone whose cache still holds
    the weights pushes everything and the purged weights stay gone, until it brings them back
    on purpose, which the first clone sees after a fetch."""
    first = registry_repo
    _due(first, clock)
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(first, "remote", "add", "origin", str(origin))
    git(first, "push", "-q", "origin", "main")
    ok(first, "push")
    ok(first, "lifecycle", "apply", "--push")
    assert "purged:" in git(origin, "show", LEDGER)
    second = tmp_path / "second"
    git(tmp_path, "clone", "-q", str(origin), str(second))
    shutil.copytree(first / ".dvc" / "cache", second / ".dvc" / "cache", dirs_exist_ok=True)
    ok(second, "fetch")
    out = ok(second, "push")
    assert "note: skipped the weights of 1 purged version(s)" in out
    assert not any(_on_local(remote, o) for o in OWN)
    out = ok(second, "push", f"{M}@v1.0.0", "--unpurge")
    assert f"Brought back the weights of {M}@v1.0.0" in out
    assert all(_on_local(remote, o) for o in OWN)
    assert "unpurged:" in git(origin, "show", LEDGER)  # pushed with the tag, in one atomic push
    assert _verify(first)[1]["purged"] is True  # the first clone has not fetched yet
    git(first, "fetch", "-q", "origin")
    code, report, _ = _verify(first)
    assert code == 0 and report["ok"] and not report["purged"]


def test_a_purging_record_without_its_objects_is_refused(registry_repo: Path) -> None:
    """The ledger comes from outside (a commit anyone can push): a purging record that does not
    list valid object ids deletes nothing and says how to repair it."""
    repo = registry_repo
    text = "llmgit: 1\npurging:\n  m:\n    1.0.0: {when: '2027-07-02T00:00:00+00:00', oids: ['../../etc']}\n"
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=text, capture_output=True, text=True, check=True
    ).stdout.strip()
    tree = subprocess.run(
        ["git", "mktree"], cwd=repo, input=f"100644 blob {blob}\tlifecycle.yaml\n", capture_output=True, text=True
    ).stdout.strip()
    git(repo, "update-ref", "refs/heads/llmgit/lifecycle", git(repo, "commit-tree", tree, "-m", "hand-made").strip())
    before = snapshot(repo)
    for args in (["lifecycle", "plan"], ["lifecycle", "apply"]):
        result = run_cli(repo, *args)
        assert result.code == 2 and result.err.splitlines() == [
            "error: llmgit/lifecycle:lifecycle.yaml: the purging record of m@v1.0.0 does not list its objects",
            "hint: repair it with a commit on that branch (for example 'git revert')",
        ]
    assert snapshot(repo) == before


def test_checkout_of_a_purged_version_without_its_weights_fails_with_the_way_back(purged: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(purged), str(clone))
    git(clone, "fetch", "-q", "origin", "llmgit/lifecycle:llmgit/lifecycle")
    before = snapshot(clone)
    result = run_cli(clone, "checkout", f"{M}@v1.0.0", "--to", str(tmp_path / "out"))
    assert result.code == 2, result.err
    error, hint = result.err.splitlines()
    assert error == f"error: the weights of {M}@v1.0.0 were purged on {PURGE_DAY} by the lifecycle rule 'purge'"
    assert hint == f"hint: from a clone that still has them, 'llmgit push {M}@v1.0.0 --unpurge' uploads them again"
    assert not (tmp_path / "out").exists() and snapshot(clone) == before
    # the original clone still holds the bytes: reading them from its cache is fine
    assert run_cli(purged, "checkout", f"{M}@v1.0.0", "--to", str(tmp_path / "local")).code == 0


def test_a_stage_push_does_not_upload_purged_weights(purged: Path, remote: Path, tmp_path: Path) -> None:
    repo = purged
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    ok(repo, "push")
    result = run_cli(repo, "rollback", M, "--stage", "production", "--to", "1.0.0", "--push", "-r", "test")
    assert result.code == 0, result.err
    assert not any(_on_local(remote, o) for o in OWN)  # the purge holds
    assert f"{M}@v1.0.0" in git(origin, "tag", "--list")
