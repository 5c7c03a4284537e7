"""The summary a version tag carries, and the one parser of it: a tag message is a subject
line, a blank line, then a YAML document (written in JSON-compatible flow style, so listing
parses it with ``json`` at C speed and falls back to YAML for hand-written tags).

Anyone who can push a tag writes this text, so it is read within bounds (:mod:`bounded`: 1 MiB
for the whole message, no YAML aliases, depth, value and string caps) and every field is
checked into a typed :class:`ModelVersion`; a tag that breaks a rule is :class:`Malformed`
(its :class:`BadRecord` names the tag and the field). A tag whose message holds no summary (a
tag written by another tool, prose that is not a YAML mapping) is a version without weights,
as it always was.

Author and message are free text: control characters in them are kept and shown escaped by
the CLI's output (they are never part of a ref, a path or a table key). Everything that is
used as a key, a path or a number (metric and param names, ``weights.*``, ``created``) must
be free of control characters, or the record is malformed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llmgit.core import bounded, summary_fields, yamlio
from llmgit.core.bounded import KIB, MIB, BoundError, Limits
from llmgit.core.model import Malformed as Malformed  # re-exported: what this parser returns for a bad tag
from llmgit.core.model import ModelVersion
from llmgit.errors import InputError

SUMMARY_FORMAT = 1
# What register accepts (core.inputs) is what a tag may hold, so every version llmgit writes reads back.
LIMITS = Limits(max_bytes=MIB, max_string=summary_fields.MAX_STRING)  # the whole message; each text value
MAX_YAML = 64 * KIB  # hand-written summaries; llmgit writes JSON, read at C speed up to the 1 MiB cap
TOO_BIG_HINT = "record fewer or shorter metrics and params, and a shorter message"
_SIGNATURE = re.compile(r"^-----BEGIN [A-Z0-9 ]+-----$", re.MULTILINE)  # a signed tag's signature block


def tag_message(v: ModelVersion) -> str:
    """The annotated tag message for a new version; :class:`InputError` when it would not read
    back (larger than a tag message may be, a message too long: every listing would skip it)."""
    body = v.to_json()
    del body["commit"], body["tag"]
    body = {"llmgit": SUMMARY_FORMAT, **body}
    subject = f"{v.name} v{v.version}" + (f": {v.message.splitlines()[0]}" if v.message else "")
    message = f"{subject}\n\n{json.dumps(body, indent=2, sort_keys=False)}\n"
    back = read_tag(v.name, v.version, v.tag, v.commit, message, v.created, v.author)
    if isinstance(back, Malformed):  # what llmgit writes, it reads back: never a tag every listing skips
        raise InputError(f"version {v.tag} cannot be recorded: {back.reason}", hint=TOO_BIG_HINT)
    return message


def parse_summary(contents: str) -> dict[str, Any]:
    """The summary mapping from a tag message, bounded; empty when the tag has none or it
    cannot be read (for callers that only peek at one field; listings use :func:`read_tag`)."""
    try:
        return _summary(contents) or {}
    except BoundError:
        return {}


def version_from_tag(
    name: str, version: str, tag: str, commit: str, contents: str, tag_date: str, tagger: str = ""
) -> ModelVersion:
    """The :class:`ModelVersion` a tag describes, or :class:`BadRecord` naming the tag and the
    field; tolerant of tags llmgit did not write (no summary: no weights, the tagger's name)."""
    found = read_tag(name, version, tag, commit, contents, tag_date, tagger)
    if isinstance(found, Malformed):
        raise found.error()
    return found


def read_tag(
    name: str, version: str, tag: str, commit: str, contents: str, tag_date: str, tagger: str = ""
) -> ModelVersion | Malformed:
    """Like :func:`version_from_tag`, but a malformed tag is returned (listings skip it)."""
    try:
        s = _summary(contents) or {}
        return _version(
            name, version, tag, commit, contents, tag_date, tagger, s, summary_fields.metrics(s.get("metrics"))
        )
    except BoundError as e:
        return Malformed(tag, str(e), commit)


@dataclass(frozen=True)
class Peeked:
    """A tag summary read as far as a filter on metrics needs: the document parsed once and
    its metrics checked; the other fields are checked by :func:`read_peeked`."""

    summary: dict[str, Any]
    metrics: dict[str, float | int]


def peek(tag: str, commit: str, contents: str) -> Peeked | Malformed:
    """The summary of a tag message with its metrics checked (a search on metrics filters on
    them, then reads the hits in full); :class:`Malformed` when either breaks a rule."""
    try:
        s = _summary(contents) or {}
        return Peeked(s, summary_fields.metrics(s.get("metrics")))
    except BoundError as e:
        return Malformed(tag, str(e), commit)


def read_peeked(
    name: str, version: str, tag: str, commit: str, contents: str, tag_date: str, tagger: str, peeked: Peeked
) -> ModelVersion | Malformed:
    """:func:`read_tag` of a message already :func:`peek`-ed (the same checks, the same result)."""
    try:
        return _version(name, version, tag, commit, contents, tag_date, tagger, peeked.summary, peeked.metrics)
    except BoundError as e:
        return Malformed(tag, str(e), commit)


def _version(
    name: str,
    version: str,
    tag: str,
    commit: str,
    contents: str,
    tag_date: str,
    tagger: str,
    s: dict[str, Any],
    metrics: dict[str, float | int],
) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=version,
        tag=tag,
        commit=commit,
        weights=summary_fields.weights(s.get("weights")),
        metrics=metrics,
        params=summary_fields.params(s.get("params")),
        author=summary_fields.text(s.get("author"), "its summary's author", summary_fields.MAX_AUTHOR)
        or summary_fields.text(tagger, "its tagger", summary_fields.MAX_AUTHOR),
        created=summary_fields.created(s.get("created")) or tag_date,
        message=summary_fields.message(s, contents),
    )


# -- the document ----------------------------------------------------------------------------


def _summary(contents: str) -> dict[str, Any] | None:
    """The summary mapping, None when the message holds none; :class:`BoundError` when it
    breaks a cap or is a summary that does not parse."""
    if len(contents) > LIMITS.max_bytes // 4:  # shorter: within the cap however it encodes
        bounded.check_size(contents, LIMITS, "its tag message")
    _, _, body = contents.partition("\n\n")
    signature = _SIGNATURE.search(body) if "-----BEGIN " in body else None
    body = (body[: signature.start()] if signature else body).strip()
    if not body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (ints of 4,300+ digits included): hand-written YAML, or prose
        data = _yaml(body)
    # No walk over the whole document: the fields llmgit uses are checked one by one
    # (:mod:`summary_fields`: numbers finite and bounded, strings and lists short, names
    # clean), the rest is dropped.
    return data if isinstance(data, dict) else None


def _yaml(body: str) -> Any:
    if len(body) > MAX_YAML:  # the pure-Python YAML loader takes seconds per MiB
        raise BoundError(f"its summary is not JSON, and a YAML summary is limited to {MAX_YAML // KIB} KiB")
    try:
        return yamlio.load(body)
    except yamlio.YAMLError as e:
        # Prose from another tool often is not YAML: no summary, as before. A document that
        # meant to be one (JSON-like) or that YAML refused (aliases, nesting, values) is malformed.
        if body[:1] in "{[" or isinstance(e, yamlio.YAMLRefused):
            raise BoundError(f"its summary is not valid JSON or YAML: {_first_line(str(e))}") from None
        return None


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else "unreadable"
