"""``publish``: a readable copy of a version's files at ``PREFIX/NAME/vX.Y.Z/`` plus a
``manifest.json`` (file, size, md5), made server-side on S3 (no download), idempotent, and
recorded in the lifecycle ledger so deploy manifests can use the URI."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmgit.core.ident import iso_time
from llmgit.errors import OperationFailed, UsageError
from llmgit.infra import git
from llmgit.infra.files import write_atomic
from llmgit.store import ledger, writer
from llmgit.store.store import Store
from llmgit.weights import linking, listing, s3, workspace
from llmgit.weights.fetch import require_readable
from llmgit.weights.remote import StorageRemote, storage_remote

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PublishResult:
    version: str
    uri: str
    files: int
    copied: int
    unchanged: int


def _target(to: str, name: str, version: str) -> str:
    return f"{to.rstrip('/')}/{name}/v{version}"


def publish(reg: Store, reference: str, to: str, *, push: bool = False) -> PublishResult:
    settings = reg.require_initialized()
    if not to or to.startswith("-"):
        raise UsageError("--to needs a destination: s3://bucket/prefix or a directory")
    v = reg.get(reference)
    r = storage_remote(reg.root)
    if to.startswith("s3://") != r.is_s3:
        raise UsageError(
            f"publishing from '{r.url}' to '{to}' is not supported",
            hint="publish from an S3 remote to s3://..., or from a local remote to a directory",
        )
    require_readable(reg.root, v, only_uncached=False)
    c = r.client() if r.is_s3 else None
    files = [o for o in listing.objects_of(reg.root, v, r) if not o.manifest]
    uri = _target(to, v.name, v.version)
    if not r.is_s3:  # every file's place in the directory is checked before anything is copied
        base = Path(to.rstrip("/") or "/")
        within = f"{v.name}/v{v.version}"
        for rel in [*(o.relpath for o in files), MANIFEST]:
            workspace.target_in(base, f"{within}/{rel}", v.tag)
    states = {o.oid: r.state(o.oid) for o in files}  # all there before anything is copied
    missing = [o for o in files if not states[o.oid].exists]
    if missing:
        raise UsageError(
            f"{v.tag} is not on the storage remote '{r.url}': {len(missing)} of its {len(files)} file(s) "
            f"are missing there (first: {missing[0].relpath}); nothing was published",
            hint=f"push its weights first: llmgit push {v.tag}",
        )
    entries, copied = [], 0
    for o in files:
        entries.append({"file": o.relpath, "size": states[o.oid].size, "md5": o.md5})
        copied += _copy(r, c, o.oid, o.md5, uri, o.relpath)
    manifest = {"name": v.name, "version": v.version, "tag": v.tag, "files": entries}
    _write_manifest(c, uri, json.dumps(manifest, indent=2) + "\n")
    led = reg.ledger()
    known = led.get("published", v.name, v.version)
    if known is None or known.get("uri") != uri:
        who = git.ident(reg.root)
        record = {"uri": uri, "manifest": f"{uri}/{MANIFEST}", "by": who.who, "when": iso_time(who)}
        plan = ledger.commit(
            reg.root, led.with_record("published", v.name, v.version, record), f"publish {v.tag} to {uri}\n"
        )
        writer.apply(reg.root, settings.git_remote, plan, push=push)
    return PublishResult(v.tag, uri, len(files), copied, len(files) - copied)


def _copy(r: StorageRemote, c: Any, oid: str, md5: str, uri: str, relpath: str) -> int:
    """Copy one object unless the destination already holds it; returns 1 when copied."""
    if r.is_s3:
        dest = s3.parse_url(f"{uri}/{relpath}")
        key = dest.prefix
        meta = s3.metadata(c, dest.bucket, key)
        if meta is not None and meta.get("md5") == md5:
            return 0
        s3.copy(c, r.location.bucket, r.key(oid), dest.bucket, key, {"md5": md5})
        return 1
    target = Path(uri) / relpath
    source = r.path(oid)
    if not source.is_file():  # missing, or a FIFO or device on the remote: never opened
        raise OperationFailed(f"object {oid} ({relpath}) is not a file on the remote '{r.url}'")
    if (
        not target.is_symlink()
        and target.is_file()
        and target.stat().st_size == source.stat().st_size
        and _md5(target) == md5
    ):
        return 0
    linking.copy_files([(source, target)], threads=1)
    return 1


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(c: Any, uri: str, text: str) -> None:
    if uri.startswith("s3://"):
        loc = s3.parse_url(f"{uri}/{MANIFEST}")
        s3.put(c, loc.bucket, loc.prefix, text.encode())
    else:
        Path(uri).mkdir(parents=True, exist_ok=True)
        tmp = Path(uri) / f".{MANIFEST}.llmgit-tmp"
        if os.path.lexists(tmp):  # a leftover, or a link someone placed there: never written through
            tmp.unlink()
        write_atomic(Path(uri) / MANIFEST, text.encode())
