"""Every byte checked where it moves to or from an S3 remote: round trips of single-part and
multipart objects, objects damaged on the remote (refused before they enter the cache) or in
the local cache (refused before they are stored, multipart uploads aborted), Content-MD5 on
every upload request, and ``overwrite``.

moto (5.2) stores a body whatever its Content-MD5 says; S3 refuses it (``BadDigest``). So on
moto these tests talk to moto through a front that does what S3 does there, and records
each upload request; against real AWS S3 (LLMGIT_TEST_S3_BUCKET) they talk to S3 itself.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import S3Target, free_port

from llmgit.errors import CorruptObject, OperationFailed
from llmgit.weights import s3 as s3_calls
from llmgit.weights import s3parts
from llmgit.weights.cache import object_path, relative_path
from llmgit.weights.integrity import CacheCheck
from llmgit.weights.objects import MiB, Obj
from llmgit.weights.s3transfer import S3Mover
from llmgit.weights.signatures import Signatures

PART = 5 * MiB  # S3's (and moto's) smallest part but the last
BAD_DIGEST = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code>'
    b"<Message>The Content-MD5 you specified did not match what we received.</Message></Error>"
)

INTERNAL_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error. Please try again.</Message></Error>"
)


class Md5CheckingFront:
    """moto behind a WSGI front that refuses an upload whose body does not match its
    Content-MD5 (HTTP 400 BadDigest, as S3 does) and records every upload request of an
    object (path, query, whether a Content-MD5 came with it); ``fail_part``: that part
    number gets HTTP 500, as an outage in the middle of an upload would give."""

    def __init__(self, port: int) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.server.start()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.puts: list[tuple[str, str, bool]] = []
        self.fail_part: int | None = None
        self.lock = threading.Lock()
        inner = self.server._server.app  # noqa: SLF001  (moto's WSGI app, wrapped)

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            if environ["REQUEST_METHOD"] == "PUT" and "/files/md5/" in environ.get("PATH_INFO", ""):
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                environ["wsgi.input"] = io.BytesIO(body)
                sent = environ.get("HTTP_CONTENT_MD5")
                with self.lock:
                    self.puts.append((environ["PATH_INFO"], environ.get("QUERY_STRING", ""), sent is not None))
                if sent is not None and sent != base64.b64encode(hashlib.md5(body).digest()).decode():
                    start_response("400 Bad Request", [("Content-Type", "application/xml")])
                    return [BAD_DIGEST]
                if (
                    self.fail_part is not None
                    and f"partNumber={self.fail_part}&" in environ.get("QUERY_STRING", "") + "&"
                ):
                    start_response("500 Internal Server Error", [("Content-Type", "application/xml")])
                    return [INTERNAL_ERROR]
            return inner(environ, start_response)

        self.server._server.app = app  # noqa: SLF001

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="module")
def front(s3_server: str | None) -> Iterator[Md5CheckingFront | None]:
    """The checking front before the session's moto (they share moto's state); None on AWS."""
    if s3_server is None:
        yield None
        return
    server = Md5CheckingFront(free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(s3: S3Target, front: Md5CheckingFront | None) -> dict[str, Any]:
    if front is not None:
        front.puts.clear()
        front.fail_part = None
        return {"url": s3.url, "endpointurl": front.endpoint}
    return {"url": s3.url}


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3parts, "PART_SIZE", PART)


def _check(tmp_path: Path, name: str) -> CacheCheck:
    return CacheCheck(tmp_path, tmp_path / name, Signatures(tmp_path / f"{name}.db"))


def _blob(seed: int, size: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def _cached(check: CacheCheck, data: bytes, *, manifest: bool = False) -> Obj:
    """An object written into the cache as DVC leaves it (read-only)."""
    oid = hashlib.md5(data).hexdigest() + (".dir" if manifest else "")
    path = object_path(check.cache, oid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o444)
    return Obj(oid, path, len(data))


def _alter(o: Obj) -> None:
    """Flip the object's last byte in place (the file keeps its name)."""
    o.path.chmod(0o644)
    with open(o.path, "r+b") as fh:
        fh.seek(-1, io.SEEK_END)
        last = fh.read(1)
        fh.seek(-1, io.SEEK_END)
        fh.write(bytes([last[0] ^ 0xFF]))
    o.path.chmod(0o444)


def _key(s3: S3Target, oid: str) -> str:
    return f"{s3.prefix}/{relative_path(oid)}"


def _remote_md5(s3: S3Target, oid: str) -> str | None:
    c = s3.client()
    try:
        return hashlib.md5(c.get_object(Bucket=s3.bucket, Key=_key(s3, oid))["Body"].read()).hexdigest()
    except c.exceptions.NoSuchKey:
        return None


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _multipart_uploads(s3: S3Target) -> list[dict[str, Any]]:
    return list(s3.client().list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []))


SIZES = {"single part": [10, 4096, PART], "multipart": [2 * PART + 1000, PART + 1]}


@pytest.mark.parametrize("sizes", SIZES.values(), ids=SIZES.keys())
def test_push_then_fetch_round_trip(
    sizes: list[int], settings: dict[str, Any], s3: S3Target, front: Md5CheckingFront | None, tmp_path: Path
) -> None:
    local = _check(tmp_path, "cache")
    files = [_cached(local, _blob(i, size)) for i, size in enumerate(sizes)]
    entries = [{"md5": f.oid, "relpath": f"shard-{i}"} for i, f in enumerate(files)]
    manifest = _cached(local, json.dumps(entries).encode(), manifest=True)

    S3Mover(settings, jobs=4).push(files, manifest)

    for o in [*files, manifest]:
        assert _remote_md5(s3, o.oid) == o.oid.removesuffix(".dir")
    c = s3.client()
    etags = [c.head_object(Bucket=s3.bucket, Key=_key(s3, f.oid))["ETag"].strip('"') for f in files]
    parts = [-(-size // PART) if size > PART else None for size in sizes]
    assert [e.partition("-")[2] or None for e in etags] == [str(n) if n else None for n in parts]
    if front is not None:
        assert front.puts and all(has_md5 for _, _, has_md5 in front.puts)  # every request, every part
        assert front.puts[-1][0].endswith(relative_path(manifest.oid))  # the manifest last

    fresh = _check(tmp_path, "fetched")
    wanted = [Obj(f.oid, fresh.path(f.oid), None) for f in files]
    S3Mover(settings, jobs=4).fetch(wanted, Obj(manifest.oid, fresh.path(manifest.oid), None), fresh)
    for o, w in zip([*files, manifest], [*wanted, Obj(manifest.oid, fresh.path(manifest.oid), None)], strict=True):
        assert w.path.read_bytes() == o.path.read_bytes()
        assert w.path.stat().st_mode & 0o777 == 0o444
        assert fresh.sigs.object_verified(w.path, w.oid)  # entered through the cache check
    assert _files(fresh.cache) == {w.path for w in wanted} | {fresh.path(manifest.oid)}


@pytest.mark.parametrize("size", [4096, 2 * PART + 1000], ids=["single part", "multipart"])
def test_fetch_refuses_an_object_overwritten_on_the_remote(
    size: int, settings: dict[str, Any], s3: S3Target, tmp_path: Path
) -> None:
    local = _check(tmp_path, "cache")
    bad, good = _cached(local, _blob(1, size)), _cached(local, _blob(2, 100))
    S3Mover(settings, jobs=4).push([bad, good], None)
    s3.client().put_object(Bucket=s3.bucket, Key=_key(s3, bad.oid), Body=_blob(3, size))

    fresh = _check(tmp_path, "fetched")
    wanted = [Obj(o.oid, fresh.path(o.oid), None) for o in (bad, good)]
    with pytest.raises(CorruptObject) as caught:
        S3Mover(settings, jobs=4).fetch(wanted, None, fresh)

    e = caught.value
    assert (e.oid, e.actual, e.where) == (bad.oid, hashlib.md5(_blob(3, size)).hexdigest(), s3.url)
    assert bad.oid in str(e) and s3.url in str(e)
    assert _files(fresh.cache) == {wanted[1].path}  # the good one stays; nothing else, no temp file


def test_fetch_refuses_a_damaged_manifest(settings: dict[str, Any], s3: S3Target, tmp_path: Path) -> None:
    local = _check(tmp_path, "cache")
    manifest = _cached(local, b'[{"md5": "0123456789abcdef0123456789abcdef", "relpath": "a"}]', manifest=True)
    S3Mover(settings, jobs=4).push([], manifest)
    s3.client().put_object(Bucket=s3.bucket, Key=_key(s3, manifest.oid), Body=b"[]")

    fresh = _check(tmp_path, "fetched")
    with pytest.raises(CorruptObject, match=manifest.oid):
        S3Mover(settings, jobs=4).fetch([], Obj(manifest.oid, fresh.path(manifest.oid), None), fresh)
    assert _files(fresh.cache) == set()


@pytest.mark.parametrize("size", [4096, 2 * PART + 1000], ids=["single part", "multipart"])
def test_push_refuses_an_altered_cache_object(
    size: int, settings: dict[str, Any], s3: S3Target, front: Md5CheckingFront | None, tmp_path: Path
) -> None:
    local = _check(tmp_path, "cache")
    altered = _cached(local, _blob(1, size))
    manifest = _cached(local, json.dumps([{"md5": altered.oid, "relpath": "a"}]).encode(), manifest=True)
    _alter(altered)

    with pytest.raises(CorruptObject) as caught:
        S3Mover(settings, jobs=4).push([altered], manifest)

    e = caught.value
    assert (e.oid, e.where) == (altered.oid, f"the local cache ({altered.path})")
    assert e.actual == hashlib.md5(altered.path.read_bytes()).hexdigest()
    assert s3.keys() == {}  # neither the object nor the manifest
    assert _multipart_uploads(s3) == []
    if front is not None and size > PART:
        assert any("partNumber=" in query for _, query, _ in front.puts)  # parts went out, then the abort


def test_a_part_that_fails_aborts_the_multipart_upload(
    settings: dict[str, Any],
    s3: S3Target,
    front: Md5CheckingFront | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if front is None:
        pytest.skip("needs the local server: it fails one part")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    front.fail_part = 2
    local = _check(tmp_path, "cache")
    big = _cached(local, _blob(1, 3 * PART + 10))
    manifest = _cached(local, json.dumps([{"md5": big.oid, "relpath": "a"}]).encode(), manifest=True)

    with pytest.raises(OperationFailed, match=f"S3 upload \\(part 2\\) of '{_key(s3, big.oid)}' failed"):
        S3Mover(settings, jobs=4).push([big], manifest)

    assert s3.keys() == {}
    assert _multipart_uploads(s3) == []


def test_server_refuses_a_body_that_does_not_match_its_content_md5(
    settings: dict[str, Any], s3: S3Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What S3 does with a wrong Content-MD5, through the calls the uploads use. (botocore
    sends a refused body again a few times, as bytes damaged on the way may arrive whole the
    next time; one attempt here, as the digest itself is wrong.)"""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    c = s3_calls.client(settings)
    key = _key(s3, hashlib.md5(b"the bytes").hexdigest())
    wrong = hashlib.md5(b"other bytes").hexdigest()

    with pytest.raises(OperationFailed, match="BadDigest") as whole:
        s3_calls.put_checked(c, s3.bucket, key, b"the bytes", wrong)
    assert whole.value.hint is not None and "damaged on the way" in whole.value.hint
    upload_id = s3_calls.start_multipart(c, s3.bucket, key)
    with pytest.raises(OperationFailed, match="BadDigest"):
        s3_calls.upload_part(c, s3.bucket, key, upload_id, 1, b"the bytes", wrong)
    s3_calls.abort_multipart(c, s3.bucket, key, upload_id)

    assert s3.keys() == {}
    assert _multipart_uploads(s3) == []


def test_moto_itself_takes_a_wrong_content_md5(s3: S3Target) -> None:
    """Why the tests go through the front: when moto checks Content-MD5 itself, drop the front."""
    if s3.endpoint is None:
        pytest.skip("about moto only")
    c = s3_calls.client({"url": s3.url, "endpointurl": s3.endpoint})
    s3_calls.put_checked(c, s3.bucket, "k", b"the bytes", hashlib.md5(b"other bytes").hexdigest())
    assert s3.client().get_object(Bucket=s3.bucket, Key="k")["Body"].read() == b"the bytes"


def test_overwrite_uploads_objects_the_remote_already_has(
    settings: dict[str, Any], s3: S3Target, tmp_path: Path
) -> None:
    local = _check(tmp_path, "cache")
    files = [_cached(local, _blob(1, 4096)), _cached(local, _blob(2, PART + 1))]
    manifest = _cached(
        local, json.dumps([{"md5": f.oid, "relpath": str(i)} for i, f in enumerate(files)]).encode(), manifest=True
    )
    mover = S3Mover(settings, jobs=4)
    mover.push(files, manifest)
    c = s3.client()
    for o in [*files, manifest]:
        c.put_object(Bucket=s3.bucket, Key=_key(s3, o.oid), Body=b"damaged on the remote")

    mover.push(files, manifest)  # present: skipped
    assert {_remote_md5(s3, o.oid) for o in [*files, manifest]} == {hashlib.md5(b"damaged on the remote").hexdigest()}

    mover.push(files, manifest, overwrite=True)
    assert [_remote_md5(s3, o.oid) for o in [*files, manifest]] == [
        o.oid.removesuffix(".dir") for o in [*files, manifest]
    ]


def test_part_size_keeps_within_the_part_limit() -> None:
    assert s3parts.part_size(PART) == PART
    assert s3parts.part_size(PART * s3parts.MAX_PARTS) == PART
    bigger = s3parts.part_size(PART * s3parts.MAX_PARTS + 1)
    assert bigger % MiB == 0 and bigger > PART and -(-(PART * s3parts.MAX_PARTS + 1) // bigger) <= 10_000
