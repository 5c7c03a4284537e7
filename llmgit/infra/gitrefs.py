"""Listing refs: names, targets and annotated tags, each listing one ``git for-each-ref``.

The registry is its refs (version tags, stage tags, stage branches), so listings read them in
bulk: one process for every ref under a prefix, NUL-separated, rather than one per ref. This is
what keeps listings fast on registries of ten thousand versions. Single refs are resolved by
:func:`llmgit.infra.git.rev_parse`; refs are moved by :func:`llmgit.infra.git.update_refs`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from llmgit.infra.git import out


@dataclass(frozen=True)
class TagRecord:
    """One annotated tag as read by ``for-each-ref``."""

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
    raw = out(root, ["for-each-ref", f"--format={_TAG_FORMAT}", *patterns])
    records: list[TagRecord] = []
    for chunk in raw.split("\0\n"):
        if not chunk:
            continue
        ref, otype, oid, peeled, date, tagger, contents = chunk.split("\0", 6)
        contents = contents.removesuffix("\0")
        if otype == "tag":
            records.append(TagRecord(ref, oid, peeled, date, contents, tagger.strip()))
        else:
            records.append(TagRecord(ref, "", oid, "", ""))
    return records


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
