"""``stage.yaml``: the content of a stage branch's tip. Pure: parse, validate, dump.

A holding stage (staging, production, ...) maps each model to the one version holding it;
``archived`` maps each model to the list of archived versions.

Whoever can push a stage branch or open a pull request writes this file, so it is read within
bounds: at most :data:`MAX_BYTES` (8 MiB) and 400,000 values (:data:`LIMITS`), counted on
the YAML parser's event stream before any node is built: the node graph, not the text, is what
costs memory (up to 700 bytes a node, so the cap keeps a hostile file near 300 MB), and llmgit
writes about 20 values and 320 bytes per entry (40 and 620 with a running canary), so a stage
of 20,000 entries (10,000 canaries) fits. No aliases. Every value of every entry is checked
(:func:`llmgit.core.stage_entry.entry`); an entry that breaks a rule is a :class:`BadEntry`.
With ``strict`` (the default, for a proposed file under review) the first one is the file's
:class:`StageFileError`; listings pass ``strict=False`` and leave it out
(:attr:`StageFile.bad`, shown as a ``warning:``), and llmgit refuses to rewrite such a file
(:func:`check_writable`), since the rewrite would drop what it could not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from llmgit.core import bounded, refs
from llmgit.core.bounded import KIB, MIB, BoundError, Limits
from llmgit.core.canaryfile import show
from llmgit.core.refs import ARCHIVED
from llmgit.core.stage_entry import Entry as Entry  # re-exported: what a stage file holds
from llmgit.core.stage_entry import entry, model_name
from llmgit.errors import BadRecord, SkippedRecord, StageFileError

FILE = "stage.yaml"
FORMAT = 1
MAX_BYTES = 8 * MIB
LIMITS = Limits(max_bytes=MAX_BYTES, max_depth=16, max_values=400_000, max_string=64 * KIB)
FSCK_HINT = "llmgit fsck lists malformed records"


@dataclass(frozen=True)
class BadEntry:
    """A stage entry left out because it breaks a rule: which file, which entry, why."""

    branch: str  # the branch (or revision) the file was read from
    model: object  # the key as written (a model name, or whatever stood there)
    index: int | None  # the position in an archived model's list; None for the whole entry
    problem: str  # "version '1.x' is not a semantic version"

    @property
    def label(self) -> str:
        return f"{self.branch}:{FILE} entry {show(self.model)}" + ("" if self.index is None else f"[{self.index}]")

    def warning(self) -> SkippedRecord:
        """What a listing shows when it leaves the entry out."""
        return SkippedRecord(f"skipped {self.label}: {self.problem}", hint=FSCK_HINT)

    def error(self) -> BadRecord:
        """What a listing under ``--strict`` raises."""
        return BadRecord(f"{self.label}: {self.problem}", hint=f"{_hint(self.branch)}; {FSCK_HINT}")


@dataclass(frozen=True)
class StageFile:
    stage: str
    holders: Mapping[str, Entry] = field(default_factory=dict)  # holding stages
    archived: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)  # 'archived' only
    bad: tuple[BadEntry, ...] = ()  # entries left out (read with strict=False)

    def with_holder(self, name: str, entry: Entry | None) -> StageFile:
        """The file with ``name``'s entry replaced (a malformed one for ``name`` is gone too)."""
        holders = dict(self.holders)
        if entry is None:
            holders.pop(name, None)
        else:
            holders[name] = entry
        bad = tuple(b for b in self.bad if b.model != name)
        return replace(self, holders=dict(sorted(holders.items())), bad=bad)

    def with_archived(self, name: str, entries: tuple[Entry, ...]) -> StageFile:
        archived = dict(self.archived)
        if entries:
            archived[name] = entries
        else:
            archived.pop(name, None)
        return replace(self, archived=dict(sorted(archived.items())))

    def versions_of(self, name: str) -> list[str]:
        if self.stage == ARCHIVED:
            return [e.version for e in self.archived.get(name, ())]
        entry = self.holders.get(name)
        return [entry.version] if entry else []


def _hint(branch: str) -> str:
    return f"repair it with a commit on '{branch}' (for example 'git revert' of the bad commit)"


def parse(text: bytes | str | None, stage: str, branch: str, *, strict: bool = True) -> StageFile:
    """Parse and validate; errors name the branch and say how to repair it. ``strict``: a
    malformed entry is a :class:`StageFileError`; else it is left out (:attr:`StageFile.bad`)."""
    if text is None:
        raise StageFileError(f"branch '{branch}' has no {FILE}", hint=_hint(branch))
    try:
        doc = bounded.load_yaml(text, LIMITS, f"{branch}:{FILE}")
    except BoundError as e:
        raise StageFileError(str(e), hint=_hint(branch)) from None
    return from_document(doc, stage, branch, strict=strict)


def parse_json(text: bytes, stage: str, branch: str) -> StageFile:
    """The JSON form llmgit caches a parsed stage file in, checked like the YAML (strict)."""
    try:
        doc = bounded.load_json(text, LIMITS, f"{branch}:{FILE}")
    except BoundError as e:
        raise StageFileError(str(e), hint=_hint(branch)) from None
    return from_document(doc, stage, branch)


def from_document(doc: object, stage: str, branch: str, *, strict: bool = True) -> StageFile:
    """Validate a loaded stage document (see :func:`parse` for ``strict``)."""
    hint = _hint(branch)
    if not isinstance(doc, dict) or doc.get("llmgit") != FORMAT or doc.get("stage") != stage:
        raise StageFileError(f"{branch}:{FILE} is not an llmgit stage file for '{stage}'", hint=hint)
    models = doc.get("models") or {}
    if not isinstance(models, dict):
        raise StageFileError(f"{branch}:{FILE}: 'models' must be a mapping", hint=hint)
    holders: dict[str, Entry] = {}
    archived: dict[str, tuple[Entry, ...]] = {}
    bad: list[BadEntry] = []
    for key, value in models.items():
        try:
            name = model_name(key)
            if stage == ARCHIVED and not isinstance(value, list):
                raise BoundError("expected a list of archived versions")
            if stage != ARCHIVED:
                holders[name] = entry(name, value)
                continue
        except BoundError as e:
            bad.append(BadEntry(branch, key, None, str(e)))
            continue
        good = []
        for i, item in enumerate(value):
            try:
                good.append(entry(name, item))
            except BoundError as e:
                bad.append(BadEntry(branch, key, i, str(e)))
        if good:
            archived[name] = tuple(good)
    if strict and bad:
        b = bad[0]
        where = f"models.{b.model}" + ("" if b.index is None else f"[{b.index}]")
        raise StageFileError(f"{branch}:{FILE}: {where}: {b.problem}", hint=hint)
    return StageFile(stage, holders, archived, tuple(bad))


def check_writable(sf: StageFile) -> None:
    """:class:`BadRecord` when ``sf`` was read with entries left out: writing it back would
    drop them, so a stage file is only rewritten once it reads in full."""
    if not sf.bad:
        return
    b = sf.bad[0]
    replace_it = ""
    if sf.stage != ARCHIVED and isinstance(b.model, str) and refs.MAX_NAME >= len(b.model) > 0:
        replace_it = f", or replace the entry: llmgit promote {b.model}@vX.Y.Z --to {sf.stage}"
    raise BadRecord(
        f"{b.label} is malformed ({b.problem}): llmgit will not rewrite {FILE} and drop it",
        hint=_hint(b.branch) + replace_it,
    )


def to_document(sf: StageFile) -> dict[str, Any]:
    if sf.stage == ARCHIVED:
        models: dict[str, Any] = {n: [e.to_yaml() for e in es] for n, es in sorted(sf.archived.items())}
    else:
        models = {n: e.to_yaml() for n, e in sorted(sf.holders.items())}
    return {"llmgit": FORMAT, "stage": sf.stage, "models": models}


def parse_model(text: bytes | None, stage: str, branch: str, name: str, *, strict: bool = True) -> StageFile:
    """Like :func:`parse`, but only ``name``'s entry: history reads one stage file per stage
    commit, and slicing out one model's block keeps that cheap for big registries (the size
    cap holds for the whole file)."""
    if text is not None and len(text) > LIMITS.max_bytes:
        return parse(text, stage, branch, strict=strict)  # refused for its size
    if text is None or name.encode() not in text:
        return parse(text, stage, branch, strict=strict) if text is None else StageFile(stage)
    head, sep, body = text.partition(b"\nmodels:\n")
    if sep:
        for key in (f"  {name}:".encode(), f"  '{name}':".encode(), f"  {json.dumps(name)}:".encode()):
            start = body.find(key + b"\n") if body.startswith(key) else body.find(b"\n" + key + b"\n")
            if start < 0:
                continue
            start = 0 if body.startswith(key) else start + 1
            end = start + len(key) + 1
            while end < len(body) and (body[end : end + 3] == b"   " or body[end : end + 3] == b"  -"):
                nl = body.find(b"\n", end)
                end = len(body) if nl < 0 else nl + 1
            return parse(head + sep + body[start:end], stage, branch, strict=strict)
    return _only(parse(text, stage, branch, strict=strict), name)  # not llmgit's layout: parse it all


def _only(sf: StageFile, name: str) -> StageFile:
    holders = {name: sf.holders[name]} if name in sf.holders else {}
    archived = {name: sf.archived[name]} if name in sf.archived else {}
    return StageFile(sf.stage, holders, archived, tuple(b for b in sf.bad if b.model == name))


_PLAIN_KEY = re.compile(r"[a-z][a-z0-9._-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _key(name: str) -> str:
    """A model name as a YAML key: plain when YAML reads it back as the same string."""
    return name if _PLAIN_KEY.fullmatch(name) and name not in _YAML_WORDS else json.dumps(name)


# characters JSON leaves as they are but YAML reads as line breaks or refuses (outside its
# printable set); inside a double-quoted scalar both read "\uXXXX" back as the character
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _value(value: Any) -> str:
    """A YAML value: JSON scalars and flow collections are valid YAML and fast to write
    (escaping the characters YAML, unlike JSON, would not read back as written)."""
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def dump(sf: StageFile) -> str:
    """The stage file as YAML, written directly (the YAML library's representer takes a
    noticeable fraction of a second for a thousand models); ``parse`` reads it back."""
    lines = [
        f"# Stage '{sf.stage}' of this llmgit registry. Written by llmgit; each commit on this",
        "# branch is one reviewed transition, so 'git log' is the audit trail.",
        f"llmgit: {FORMAT}",
        f"stage: {_value(sf.stage)}",
    ]
    doc = to_document(sf)["models"]
    if not doc:
        lines.append("models: {}")
    else:
        lines.append("models:")
    for name, value in doc.items():
        lines.append(f"  {_key(name)}:")
        for item in value if isinstance(value, list) else [value]:
            prefix = "  - " if isinstance(value, list) else "    "
            for i, (k, v) in enumerate(item.items()):
                lines.append(f"{prefix if i == 0 else '    '}{k}: {_value(v)}")
    return "\n".join(lines) + "\n"
