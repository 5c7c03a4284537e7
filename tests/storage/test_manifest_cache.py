"""The files of each ``.dir`` manifest are remembered by its id (they never change): a later
``cost`` or ``lifecycle plan`` reads them back instead of the manifest, and a remembered
entry that breaks a rule is never used."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_weights, run_cli

from llmgit.infra import git
from llmgit.storage.manifests import objects_by_version
from llmgit.store.store import Store
from llmgit.weights import cache
from llmgit.weights.remote import storage_remote


def objects(repo: Path) -> dict[tuple[str, str], list[tuple[str, str]]]:
    store = Store(repo)
    found = objects_by_version(repo, store.versions_all(), storage_remote(repo))
    return {k: [(o.relpath, o.md5) for o in v] for k, v in found.items()}


def test_remembered_manifests_are_used_and_checked(registry_repo: Path) -> None:
    make_weights(registry_repo / "out" / "chat", seed=1, shards=3)
    assert run_cli(registry_repo, "register", "chat", "-w", "out/chat").code == 0
    first = objects(registry_repo)
    remembered = git.common_dir(registry_repo) / "llmgit" / "cache" / "manifests.json"
    doc = json.loads(remembered.read_text())
    [(oid, files)] = doc["manifests"].items()
    assert sorted(tuple(f) for f in files) == sorted(first[("chat", "1.0.0")][1:])
    manifest = cache.object_path(cache.local_dir(registry_repo), oid)
    data = manifest.read_bytes()
    manifest.chmod(0o644)
    manifest.unlink()  # neither in the cache nor on the remote (never pushed): only remembered
    assert objects(registry_repo) == first
    doc["manifests"][oid] = [["../outside", files[0][1]], *files[1:]]
    remembered.write_text(json.dumps(doc))
    manifest.write_bytes(data)  # back in the cache
    assert objects(registry_repo) == first  # the bad entry is ignored: the manifest is read again
    assert "../outside" not in remembered.read_text()
