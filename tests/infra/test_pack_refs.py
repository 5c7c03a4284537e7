"""A write, or a listing, packs the tags when many are loose files, and the listings read the same after."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

from conftest import git, make_weights, run_cli

from llmgit.infra import gitrefs, packrefs
from llmgit.infra.git import LOOSE_TAGS_LIMIT


def _summary(name: str, version: str, accuracy: float) -> str:
    body = {
        "llmgit": 1,
        "name": name,
        "version": version,
        "metrics": {"accuracy": accuracy},
        "author": "Ada Lovelace <ada@example.com>",
        "created": "2026-09-21T00:00:00+00:00",
        "message": "bulk",
    }
    return f"{name} v{version}: bulk\n\n{json.dumps(body, indent=2)}\n"


def _loose_tags(repo: Path, count: int) -> None:
    """``count`` annotated version tags, written by fast-import (which leaves them loose)."""
    head = git(repo, "rev-parse", "HEAD").strip()
    stream = []
    for i in range(count):
        name, version = f"bulk-{i // 10:04d}", f"1.0.{i % 10}"
        msg = _summary(name, version, round(0.5 + (i % 50) / 100, 2)).encode()
        stream.append(
            f"tag {name}@v{version}\nfrom {head}\ntagger Ada Lovelace <ada@example.com> 1790000000 +0000\n"
            f"data {len(msg)}\n".encode()
            + msg
            + b"\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True)


def _loose(repo: Path) -> int:
    return sum(1 for _ in (repo / ".git" / "refs" / "tags").iterdir())


def _listings(repo: Path) -> tuple[str, str, str]:
    models = run_cli(repo, "models", "--json")
    versions = run_cli(repo, "versions", "bulk-0042", "--json")
    found = run_cli(repo, "search", "metrics.accuracy>=0.9", "--json")
    assert models.code == versions.code == found.code == 0
    return models.out, versions.out, found.out


def test_a_write_packs_many_loose_tags_and_listings_read_the_same(registry_repo: Path) -> None:
    repo = registry_repo
    _loose_tags(repo, LOOSE_TAGS_LIMIT + 200)
    assert _loose(repo) > LOOSE_TAGS_LIMIT
    make_weights(repo / "w" / "fresh", seed=1)
    assert run_cli(repo, "register", "fresh", "-w", "w/fresh", "-m", "one more").code == 0
    assert _loose(repo) <= 1  # packed by its listing; at most the new tag is loose
    packed = (repo / ".git" / "packed-refs").read_text()
    assert "refs/tags/bulk-0042@v1.0.3" in packed
    before = _listings(repo)
    assert len(json.loads(before[0])) == 1 + (LOOSE_TAGS_LIMIT + 200) // 10


def test_a_listing_packs_many_loose_tags_and_reads_the_same(registry_repo: Path) -> None:
    """Tags left loose by another tool: the first listing packs them (no write needed)."""
    repo = registry_repo
    _loose_tags(repo, LOOSE_TAGS_LIMIT + 200)
    first = _listings(repo)
    assert _loose(repo) == 0
    assert _listings(repo) == first
    assert [v["version"] for v in json.loads(first[1])] == [f"1.0.{i}" for i in range(9, -1, -1)]
    found = json.loads(first[2])
    assert found and all(v["metrics"]["accuracy"] >= 0.9 for v in found)


def test_a_few_loose_tags_stay_loose(registry_repo: Path) -> None:
    repo = registry_repo
    _loose_tags(repo, 20)
    make_weights(repo / "w" / "fresh", seed=1)
    assert run_cli(repo, "register", "fresh", "-w", "w/fresh", "-m", "one more").code == 0
    assert _loose(repo) == 21


def test_packing_keeps_a_loose_tag_that_moved_or_is_locked(registry_repo: Path) -> None:
    """The loose files are removed only where ``packed-refs`` holds the same value, under
    git's per-ref lock: a tag moved after packing, or held by a git command, stays loose."""
    repo = registry_repo
    _loose_tags(repo, LOOSE_TAGS_LIMIT + 20)
    tags = repo / ".git" / "refs" / "tags"
    assert git(repo, "pack-refs", "--all", "--no-prune") == ""
    moved, locked = tags / "bulk-0003@v1.0.1", tags / "bulk-0004@v1.0.1"
    other = git(repo, "rev-parse", "refs/tags/bulk-0005@v1.0.1").strip()
    moved.write_text(other + "\n")  # as a git command moving the tag after the pack would leave it
    (tags / "bulk-0004@v1.0.1.lock").write_text("")  # a git command is writing this tag
    before = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags")
    assert packrefs.prune_loose_tags(repo / ".git") == LOOSE_TAGS_LIMIT + 20 - 2
    assert sorted(p.name for p in tags.iterdir()) == sorted([locked.name, locked.name + ".lock", moved.name])
    assert git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags") == before
    assert git(repo, "rev-parse", "refs/tags/bulk-0003@v1.0.1").strip() == other


def test_batch_records_reads_objects_across_block_boundaries() -> None:
    """``cat-file --batch`` output cut into blocks anywhere reads back the same objects."""
    objects = [(b"tag", b"x" * n) for n in (0, 1, 5, 1 << 20, 3)] + [None, (b"commit", b"tree 1\n\nmsg")]
    raw = b"".join(
        b"0" * 40 + b" missing\n" if o is None else b"%s %s %d\n%s\n" % (b"1" * 40, o[0], len(o[1]), o[1])
        for o in objects
    )
    for block in (1, 7, 4096, 1 << 21):
        stream = io.BufferedReader(io.BytesIO(raw), buffer_size=block)  # type: ignore[arg-type]
        original, gitrefs._BLOCK = gitrefs._BLOCK, block
        try:
            assert list(gitrefs._batch_records(stream)) == objects
        finally:
            gitrefs._BLOCK = original
    assert list(gitrefs._batch_records(io.BufferedReader(io.BytesIO(raw[:-3])))) == objects[:-1]  # type: ignore[arg-type]
