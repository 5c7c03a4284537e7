"""The one-read copy that hashes what it reads, the stat signatures that spare a rehash, and
the cache's checked admissions and quarantine."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path

import pytest

from llmgit.errors import OperationFailed
from llmgit.weights import hashing
from llmgit.weights.hashing import copy_hashed, md5_file
from llmgit.weights.integrity import QUARANTINE, CacheCheck
from llmgit.weights.signatures import QUIET_NS, Signatures, settle

STEP = hashing._STEP


@pytest.mark.parametrize("size", [0, 1, STEP - 1, STEP, STEP + 1, 3 * STEP + 5])
def test_copy_holds_the_bytes_and_their_md5(tmp_path: Path, size: int) -> None:
    src = tmp_path / "src"
    data = os.urandom(size)
    src.write_bytes(data)
    dst = tmp_path / "dst"
    reported: list[int] = []
    md5 = copy_hashed(src, dst, 0o444, reported.append)
    assert md5 == hashlib.md5(data).hexdigest() == md5_file(src)
    assert dst.read_bytes() == data and sum(reported) == size
    assert stat.S_IMODE(dst.stat().st_mode) == 0o444
    assert dst.stat().st_ino != src.stat().st_ino


def test_without_a_kernel_copy_the_thread_reads_and_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between file systems the kernel cannot copy across (EXDEV), the same bytes arrive."""

    def refuse(*args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(hashing.os, "copy_file_range", refuse)
    src = tmp_path / "src"
    data = os.urandom(2 * STEP + 77)
    src.write_bytes(data)
    assert copy_hashed(src, tmp_path / "dst", 0o644) == hashlib.md5(data).hexdigest()
    assert (tmp_path / "dst").read_bytes() == data


def test_a_failing_copy_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.copy_file_range

    def full(*args: int) -> int:
        calls.append(args)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args)

    monkeypatch.setattr(hashing.os, "copy_file_range", full)
    src = tmp_path / "src"
    src.write_bytes(os.urandom(4 * STEP))
    with pytest.raises(OSError, match="No space left"):
        copy_hashed(src, tmp_path / "dst", 0o644)


def test_the_target_must_be_new(tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"x")
    (tmp_path / "dst").write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        copy_hashed(tmp_path / "src", tmp_path / "dst", 0o644)
    assert (tmp_path / "dst").read_bytes() == b"precious"


def test_the_mode_is_not_narrowed_by_the_umask(tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"x")
    old = os.umask(0o077)
    try:
        copy_hashed(tmp_path / "src", tmp_path / "dst", 0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "dst").stat().st_mode) == 0o644


def test_a_signature_counts_only_for_a_file_quiet_when_hashed(tmp_path: Path) -> None:
    sigs = Signatures(tmp_path / "db" / "signatures.db")
    path = tmp_path / "w.bin"
    path.write_bytes(b"weights")
    sigs.remember_file(path, "a" * 32)
    assert sigs.file_md5(path) is None  # written just now: a write in the same tick could hide
    past = time.time_ns() - 2 * QUIET_NS
    os.utime(path, ns=(past, past))
    sigs.remember_file(path, "a" * 32)
    assert sigs.file_md5(path) == "a" * 32
    path.write_bytes(b"WEIGHTS")  # same size, new mtime
    assert sigs.file_md5(path) is None


def test_settled_objects_count_at_once_and_any_write_voids_them(tmp_path: Path) -> None:
    sigs = Signatures(tmp_path / "signatures.db")
    obj = tmp_path / "obj"
    obj.write_bytes(b"bytes")
    settle(obj)
    sigs.remember_object(obj, "b" * 32)
    assert sigs.object_verified(obj, "b" * 32) and not sigs.object_verified(obj, "c" * 32)
    with open(obj, "r+b") as fh:
        fh.write(b"B")
    assert not sigs.object_verified(obj, "b" * 32)


def test_an_unwritable_database_only_costs_rehashes(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    sigs = Signatures(blocker / "signatures.db")  # its directory cannot be made
    sigs.remember_file(blocker, "a" * 32)
    assert sigs.file_md5(blocker) is None


def test_admit_replaces_a_corrupt_object_and_quarantine_keeps_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    check = CacheCheck(tmp_path, cache, Signatures(tmp_path / "signatures.db"))
    good = b"the registered bytes"
    oid = hashlib.md5(good).hexdigest()
    final = check.path(oid)
    final.parent.mkdir(parents=True)
    final.write_bytes(b"damaged")
    assert not check.verified(oid)
    src = tmp_path / "src"
    src.write_bytes(good)
    assert check.copy_in(src) == oid
    assert final.read_bytes() == good and check.verified(oid)
    assert not [p for p in final.parent.iterdir() if "tmp" in p.name]
    with open(final, "r+b") as fh:  # damaged again, in place
        os.chmod(final, 0o644)
        fh.write(b"X")
    assert not check.verified(oid)
    moved = check.quarantine(oid)
    assert moved is not None and moved.parent == cache / QUARANTINE and moved.read_bytes().startswith(b"X")
    assert not final.exists()


def test_a_source_rewritten_while_it_is_copied_is_refused(tmp_path: Path) -> None:
    """Written between its hashing and its copy, the copy would not be what was hashed."""
    src = tmp_path / "src"
    src.write_bytes(os.urandom(3 * STEP))
    seen = []

    def rewrite(n: int) -> None:
        seen.append(n)
        if len(seen) == 1:
            with open(src, "r+b") as fh:  # a training job still writing its output
                fh.write(b"\0" * 16)

    with pytest.raises(OperationFailed, match="changed while llmgit read it"):
        copy_hashed(src, tmp_path / "dst", 0o644, rewrite)


def test_a_source_replaced_while_it_is_copied_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(os.urandom(2 * STEP))

    def replace(n: int) -> None:
        other = tmp_path / "other"
        if not other.exists():
            other.write_bytes(os.urandom(2 * STEP))
            os.replace(other, src)  # save_file's write-then-rename

    with pytest.raises(OperationFailed, match="changed while llmgit read it"):
        copy_hashed(src, tmp_path / "dst", 0o644, replace)
