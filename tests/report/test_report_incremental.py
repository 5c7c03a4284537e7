"""``llmgit report`` into an earlier report writes only the pages whose inputs changed.

Each page is keyed by what it was built from (tag summaries, card blob ids, stage holders,
history, templates, settings); the keys live in the site's key file. A rebuild with nothing
changed writes nothing; after one more ``register`` it writes the model's page, the index and
the new version's page; either way the site is byte for byte the one a full build writes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import make_weights
from sitekit import MODEL, OTHER, build_registry, isolated, llmgit

from llmgit import Registry
from llmgit.report.options import ReportOptions
from llmgit.report.site import KEYS

STAMP = dt.datetime(2026, 9, 23, 12, 0, tzinfo=dt.timezone.utc)  # one stamp: builds compare byte for byte


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("incremental")
    with isolated(base / "home") as mp:
        build_registry(base / "repo", base / "remote", mp, hostile=False)
    return base / "repo"


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def build(repo: Path, out: Path, **kw: object) -> int:
    return Registry(repo).report(out, ReportOptions(generated=STAMP, **kw)).pages  # type: ignore[arg-type]


def test_rebuilds_write_only_what_changed_and_match_a_full_build(repo: Path, tmp_path: Path) -> None:
    with isolated(tmp_path / "home"):
        site = tmp_path / "site"
        assert build(repo, site) == 8  # the index, 2 model pages, 5 version pages
        first = files(site)
        assert build(repo, site) == 0
        assert files(site) == first

        make_weights(repo / "out" / OTHER, seed=123)
        llmgit(repo, "register", OTHER, "-w", f"out/{OTHER}", "-M", "accuracy=0.71", "-m", "second chat model")
        assert build(repo, site) == 3
        after = files(site)
        changed = sorted(p for p in after if first.get(p) != after[p])
        (new,) = set(after) - set(first)
        assert new.startswith(f"models/{OTHER}/v") and new.endswith(".html")
        assert changed == sorted([KEYS, "index.html", f"models/{OTHER}/index.html", new])
        assert all(after[p] == first[p] for p in first if p not in changed)

        full = tmp_path / "full"
        assert build(repo, full) == len([p for p in after if p.endswith(".html")])
        assert files(full) == after


def test_a_changed_template_rewrites_every_page(repo: Path, tmp_path: Path) -> None:
    with isolated(tmp_path / "home"):
        site = tmp_path / "site"
        total = build(repo, site, manifests=False)
        override = repo / ".llmgit" / "templates" / "report" / "report.css"
        override.parent.mkdir(parents=True, exist_ok=True)
        override.write_text("body { color: black; }\n")
        try:
            assert build(repo, site, manifests=False) == total
        finally:
            override.unlink()
        assert build(repo, site, manifests=False) == total  # back to the shipped style


def test_a_page_removed_or_edited_by_hand_is_written_again(repo: Path, tmp_path: Path) -> None:
    with isolated(tmp_path / "home"):
        site = tmp_path / "site"
        build(repo, site, manifests=False)
        (site / "models" / MODEL / "v1.0.0.html").unlink()
        (site / "models" / MODEL / "index.html").write_text("mine")
        (site / "models" / "stray.html").write_text("old")
        assert build(repo, site, manifests=False) == 2
        assert not (site / "models" / "stray.html").exists()
        assert "mine" not in (site / "models" / MODEL / "index.html").read_text()


def test_a_damaged_key_file_means_a_full_build(repo: Path, tmp_path: Path) -> None:
    with isolated(tmp_path / "home"):
        site = tmp_path / "site"
        total = build(repo, site, manifests=False)
        keys = json.loads((site / KEYS).read_text())
        assert keys["format"] == 1 and len(keys["pages"]) == total
        (site / KEYS).write_text("{not json")
        assert build(repo, site, manifests=False) == total


def test_a_manifest_leaving_the_cache_rewrites_the_pages_that_show_its_files(repo: Path, tmp_path: Path) -> None:
    """The model page's compare view carries the newest versions' file lists: it is keyed by
    whether their manifests are cached, as the version pages are. (Storage figures left out:
    the cost report reads the cache too.)"""
    from llmgit.report.build import publish
    from llmgit.store.store import Store
    from llmgit.weights import cache

    def rebuild(site: Path) -> int:
        return publish(Store(repo), site, ReportOptions(generated=STAMP), {}).pages

    def keys(site: Path) -> dict[str, list[object]]:
        return json.loads((site / KEYS).read_text())["pages"]

    with isolated(tmp_path / "home"):
        site = tmp_path / "site"
        rebuild(site)
        (oldest,) = [v for v in Store(repo).versions_all() if v.tag == f"{MODEL}@v1.0.0"]
        assert oldest.weights is not None
        obj = cache.object_path(cache.local_dir(repo), oldest.weights.md5 + ".dir")
        saved = obj.read_bytes()
        before = keys(site)
        obj.unlink()
        try:
            assert rebuild(site) == 4
            after = keys(site)
            assert rebuild(site) == 0
        finally:
            obj.write_bytes(saved)
        # the model page, v1.0.0, v1.1.0 (its diff lists v1.0.0's files) and the index (it lists the models' keys)
        changed = sorted(p for p in after if after[p][0] != before[p][0])
        assert changed == [
            "index.html",
            f"models/{MODEL}/index.html",
            f"models/{MODEL}/v1.0.0.html",
            f"models/{MODEL}/v1.1.0.html",
        ]
        assert rebuild(site) == 4
