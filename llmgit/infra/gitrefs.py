"""Listing refs: names, targets and annotated tags, each listing one ``git for-each-ref``.

The registry is its refs (version tags, stage tags, stage branches), so listings read them in
bulk: one process for every ref under a prefix, NUL-separated, rather than one per ref. This is
what keeps listings fast on registries of ten thousand versions. Single refs are resolved by
:func:`llmgit.infra.git.rev_parse`; refs are moved by :func:`llmgit.infra.git.update_refs`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, NamedTuple

from llmgit.errors import OperationFailed
from llmgit.infra.git import out


class TagRecord(NamedTuple):
    """One annotated tag as read by ``for-each-ref`` (a tuple: listings make one per tag)."""

    ref: str  # refs/tags/...
    tag_object: str  # the tag object's id ('' for a lightweight tag)
    commit: str  # the commit it points to
    date: str  # tagger date, ISO 8601 strict
    contents: str  # the tag message
    tagger: str = ""  # "Name <email>"


_TAG_FORMAT = (
    "%(refname)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(taggerdate:iso-strict)%00"
    "%(taggername) %(taggeremail)%00%(contents)%00"
)


def list_tags(root: Path, patterns: Iterable[str]) -> list[TagRecord]:
    """All tags matching ``patterns`` in one ``for-each-ref`` call, with their messages."""
    return list(iter_tags(root, patterns))


def iter_tags(root: Path, patterns: Iterable[str]) -> Iterator[TagRecord]:
    """:func:`list_tags` one tag at a time, read while git reads them: a listing of 100,000
    tags never holds their messages at once (``for-each-ref`` with messages holds them all
    before it writes one: 300 MB there). The names come from a cheap ``for-each-ref``, the
    tag objects from one streaming ``cat-file --batch``; the records are those of
    ``for-each-ref`` with :data:`_TAG_FORMAT`, in the same order. A tag whose header is
    unusual (no tagger, an odd identity or zone) is read by that ``for-each-ref``, so every
    record is git's own reading of it.

    The names come with the object ids the refs hold (``%(refname) %(objectname)``, which opens
    no object: asking git for the type or the peeled commit would read every tag object once
    more); the type and the target come from the object itself."""
    return read_tags(root, list_ref_objects(root, patterns))


def read_tags(root: Path, targets: Iterable[tuple[str, str]]) -> Iterator[TagRecord]:
    """The records of the tags ``(ref, object id)`` as :func:`iter_tags` reads them, for refs
    already listed by name (``for-each-ref`` of ``%(refname) %(objectname)``, which opens no
    object): one streaming ``cat-file --batch``; a ref to a commit is a lightweight tag."""
    wanted = list(targets)
    objects = _objects(root, [oid for _, oid in wanted])
    for ref, oid in wanted:
        got = next(objects, None)
        if got is not None and got[0] == b"commit":
            yield TagRecord(ref, "", oid, "", "")
            continue
        found = None
        if got is not None and got[0] == b"tag":
            first = got[1].split(b"\n", 2)
            target = _OBJECT.fullmatch(first[0]) if len(first) == 3 and first[1] == b"type commit" else None
            if target is not None:
                found = _tag_record(ref, oid, target.group(1).decode(), got[1])
        yield found if found is not None else _one_tag(root, ref)


_OBJECT = re.compile(rb"object ([0-9a-f]{40}(?:[0-9a-f]{24})?)")  # a tag's target: an object id, SHA-1 or SHA-256
_NAME = rb"[^<>\x00-\x20\x7f](?:[^<>\x00-\x1f\x7f]*[^<>\x00-\x20\x7f])?"  # no control character, no edge space
_TAGGER = re.compile(rb"tagger (" + _NAME + rb") (<[^<>\x00-\x1f\x7f]*>) (\d{1,11}) ([+-])([01]\d|2[0-3])([0-5]\d)")


def _tag_record(ref: str, oid: str, peeled: str, raw: bytes) -> TagRecord | None:
    """A tag object's record as ``for-each-ref`` formats it; None when its header is not the
    usual object / type / tag / tagger (then git formats it)."""
    header, sep, message = raw.partition(b"\n\n")
    if not sep:
        header, message = raw.removesuffix(b"\n"), b""
    lines = header.split(b"\n")
    if len(lines) != 4 or lines[0] != b"object " + peeled.encode() or not lines[2].startswith(b"tag "):
        return None
    who = _TAGGER.fullmatch(lines[3])
    if who is None:
        return None
    name, email, seconds, sign, hours, minutes = who.groups()
    try:
        date = dt.datetime.fromtimestamp(int(seconds), _zone(sign, hours, minutes)).isoformat()
    except (OverflowError, ValueError, OSError):
        return None
    tagger = (name + b" " + email).decode(errors="replace")
    return TagRecord(ref, oid, peeled, date, message.decode(errors="replace"), tagger)


@cache
def _zone(sign: bytes, hours: bytes, minutes: bytes) -> dt.timezone:
    offset = dt.timedelta(hours=int(hours), minutes=int(minutes))
    return dt.timezone(-offset if sign == b"-" else offset)


def _one_tag(root: Path, ref: str) -> TagRecord:
    """One tag, formatted by ``for-each-ref`` (the exact ref name as its pattern)."""
    for chunk in out(root, ["for-each-ref", f"--format={_TAG_FORMAT}", ref]).split("\0\n"):
        if chunk:
            ref_, otype, oid, peeled, date, tagger, contents = chunk.split("\0", 6)
            if ref_ == ref and otype == "tag":
                return TagRecord(ref, oid, peeled, date, contents.removesuffix("\0"), tagger.strip())
    raise OperationFailed(f"git for-each-ref failed: tag {ref} changed while it was read")


def _objects(root: Path, oids: list[str]) -> Iterator[tuple[bytes, bytes] | None]:
    """The type and content of each object (None when missing), in order, from one ``cat-file --batch``
    fed by a thread while this one reads: git never waits on a full pipe, and neither side
    holds more than one object."""
    if not oids:
        return
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                ["git", "cat-file", "--batch", "--buffer"],
                cwd=root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        except OSError:
            out(root, ["cat-file", "--batch"])  # git could not start: run() says why, in one sentence
            raise
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:
            try:
                for i in range(0, len(oids), 1024):
                    stdin.write("".join(f"{o}\n" for o in oids[i : i + 1024]).encode())
                stdin.close()
            except (BrokenPipeError, ValueError, OSError):  # git stopped, or the reader did
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            yield from itertools.islice(_batch_records(stdout), len(oids))
        finally:
            if proc.poll() is None:
                proc.kill()
            stdout.close()
            code = proc.wait()
            writer.join()
        if code not in (0, -9):
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip().splitlines()
            msg = detail[-1] if detail else f"exit {code}"
            raise OperationFailed(f"git cat-file failed: {msg.removeprefix('fatal: ')}")


_BLOCK = 1 << 20


def _batch_records(stdout: IO[bytes]) -> Iterator[tuple[bytes, bytes] | None]:
    """``cat-file --batch`` output, one ``(type, content)`` (None: missing) per object, read
    in blocks of a MiB rather than a read per record; ends at the end of the output or at a
    line it does not know."""
    buf, pos = b"", 0

    def more() -> bool:
        nonlocal buf, pos
        chunk = stdout.read1(_BLOCK)  # type: ignore[attr-defined]
        if not chunk:
            return False
        buf, pos = buf[pos:] + chunk, 0
        return True

    while True:
        end = buf.find(b"\n", pos)
        while end < 0:
            if not more():
                return
            end = buf.find(b"\n", pos)
        head = buf[pos:end].split()
        if len(head) == 2 and head[1] == b"missing":
            pos = end + 1
            yield None
            continue
        if len(head) != 3 or not head[2].isdigit():
            return
        header, size = end + 1 - pos, int(head[2])  # both relative to pos: more() moves it to 0
        while len(buf) - pos < header + size + 1:
            if not more():
                return
        start = pos + header
        yield head[1], buf[start : start + size]
        pos = start + size + 1


def list_ref_objects(root: Path, patterns: Iterable[str]) -> list[tuple[str, str]]:
    """``(ref, object id)`` of refs matching ``patterns``: read from the refs alone, no object
    is opened (cheaper than :func:`list_ref_targets`, which peels each tag)."""
    found = []
    for line in out(root, ["for-each-ref", "--format=%(refname) %(objectname)", *patterns]).splitlines():
        ref, _, oid = line.rpartition(" ")
        found.append((ref, oid))
    return found


def list_refnames(root: Path, patterns: Iterable[str]) -> list[str]:
    """Just the names of refs matching ``patterns`` (no messages: cheapest listing)."""
    return out(root, ["for-each-ref", "--format=%(refname)", *patterns]).splitlines()


@dataclass(frozen=True)
class RefTarget:
    ref: str
    oid: str  # what the ref points to (a tag object for annotated tags)
    commit: str  # the commit it finally points to


def list_ref_targets(root: Path, patterns: Iterable[str]) -> list[RefTarget]:
    """Refs with the object and the peeled commit, no messages (cheap)."""
    fmt = "%(refname)%00%(objectname)%00%(*objectname)"
    found = []
    for line in out(root, ["for-each-ref", f"--format={fmt}", *patterns]).splitlines():
        ref, oid, peeled = line.split("\0")
        found.append(RefTarget(ref, oid, peeled or oid))
    return found
