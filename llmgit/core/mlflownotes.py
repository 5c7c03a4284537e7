"""What MLflow's registry can change about a model and llmgit's tags cannot hold: descriptions,
tags, aliases, run ids, sources, deletions, and the integer version numbers MLflow clients use.
Pure: parse, change, dump.

They live on branch ``llmgit/mlflow``, one file per model, ``models/NAME.yaml``, one commit
per change (so ``git log`` is their audit trail)::

    name: chat
    created: 1764676800000            # ms since the epoch, as MLflow counts
    updated: 1764677000000
    description: Support chat model
    tags: {team: nlp}
    aliases: {champion: 2}            # alias -> version number
    versions:
      1: {semver: 1.0.0, run_id: 4f9c..., source: models:/m-1a2b..., updated: 1764676900000}
      2: {semver: 1.1.0, description: LoRA r=16, tags: {reviewed: "yes"}}
      3: {semver: 1.1.1, deleted: true}

A version's number is its place in registration order within the model, fixed once recorded
here (:func:`number`); a version tag that has no number yet gets the next ones, in the order
of its ``created`` time. Whoever can push the branch writes these files, so each is read
within bounds and every value is checked; a bad record is left out (:attr:`ModelNotes.bad`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from llmgit.core import bounded, refs, versions, yamlio
from llmgit.core.bounded import KIB, MIB, BoundError, Limits

BRANCH = refs.MLFLOW_BRANCH
DIR = "models"
MAX_BYTES = 4 * MIB
LIMITS = Limits(max_bytes=MAX_BYTES, max_depth=6, max_values=200_000, max_string=64 * KIB)
MAX_KEY = 250  # MLflow's limit for a tag key
MAX_VALUE = 8000  # MLflow's limit for a model-version tag value (a registered model's: 5000)
MAX_DESCRIPTION = 64 * KIB
MAX_TEXT = 1000  # run ids, sources, run links
MAX_NUMBER = 10_000_000
HEADER = "# llmgit: what MLflow's registry records beside the version tags. Written by llmgit.\n"


def path(name: str) -> str:
    """The file of model ``name`` on the branch."""
    return f"{DIR}/{refs.validate_model_name(name)}.yaml"


def name_of(file_path: str) -> str | None:
    """The model a file on the branch belongs to, or None for any other file."""
    folder, _, base = file_path.partition("/")
    if folder != DIR or not base.endswith(".yaml") or "/" in base:
        return None
    name = base[: -len(".yaml")]
    return name if refs.parse_version_tag(f"{name}@v1.0.0") is not None else None


@dataclass(frozen=True)
class VersionNote:
    number: int
    semver: str
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    run_id: str | None = None
    source: str | None = None
    run_link: str | None = None
    created: int | None = None  # ms, when registered through MLflow (a tag's own time has whole seconds)
    updated: int | None = None
    deleted: bool = False
    unstaged: bool = False  # MLflow's stage "None" asked for: shown as None, not Archived


@dataclass(frozen=True)
class ModelNotes:
    name: str
    created: int | None = None  # None: no file yet (or none of these fields in it)
    updated: int | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, int] = field(default_factory=dict)
    deleted: bool = False
    versions: Mapping[int, VersionNote] = field(default_factory=dict)
    bad: tuple[str, ...] = ()  # one line per record left out

    @property
    def exists(self) -> bool:
        """Recorded here as a model MLflow can see (created, not deleted since)."""
        return self.created is not None and not self.deleted

    def by_semver(self) -> dict[str, VersionNote]:
        return {n.semver: n for n in self.versions.values()}

    def with_version(self, note: VersionNote) -> ModelNotes:
        return dataclasses.replace(self, versions={**self.versions, note.number: note})


def empty(name: str) -> ModelNotes:
    return ModelNotes(refs.validate_model_name(name))


def number(notes: ModelNotes, found: Iterable[tuple[str, str]]) -> ModelNotes:
    """``notes`` with a number for every version in ``found`` ((semver, created ISO time),
    any order) that has none yet: the next numbers, in order of creation (then SemVer)."""
    known = notes.by_semver()
    first: dict[str, str] = {}
    for semver, created in found:
        if semver not in known:
            first[semver] = min(created, first.get(semver, created))
    new = sorted(
        ((created, versions.parse(semver), semver) for semver, created in first.items()), key=lambda t: (t[0], t[1])
    )
    if not new:
        return notes
    top = max(notes.versions, default=0)
    added = {top + i: VersionNote(top + i, semver) for i, (_, _, semver) in enumerate(new, start=1)}
    return dataclasses.replace(notes, versions={**notes.versions, **added})


def parse(name: str, text: str | bytes | None) -> ModelNotes:
    """The notes of model ``name`` from its file (None: no file). A file that cannot be read
    at all is one bad record; each other bad record is left out with its reason."""
    notes = empty(name)
    if text is None:
        return notes
    where = f"{BRANCH}:{path(name)}"
    try:
        data = bounded.load_yaml(text, LIMITS, where)
    except BoundError as e:
        return dataclasses.replace(notes, bad=(str(e),))
    if not isinstance(data, dict):
        return dataclasses.replace(notes, bad=(f"{where} is not a mapping",))
    bad: list[str] = []

    def take(key: str, check: Any, default: Any) -> Any:
        if key not in data or data[key] is None:
            return default
        try:
            return check(data[key], f"{where} {key}")
        except BoundError as e:
            bad.append(str(e))
            return default

    found_versions: dict[int, VersionNote] = {}
    raw = data.get("versions") or {}
    if not isinstance(raw, dict):
        bad.append(f"{where} versions is not a mapping")
        raw = {}
    seen: set[str] = set()
    for key, value in raw.items():
        try:
            note = _version(key, value, f"{where} version {bounded.escape_control(str(key))[:40]}")
        except BoundError as e:
            bad.append(str(e))
            continue
        if note.semver in seen:
            bad.append(f"{where} version {note.number}: v{note.semver} has another number too")
            continue
        seen.add(note.semver)
        found_versions[note.number] = note
    aliases = _entries(data.get("aliases"), f"{where} aliases", alias_name, _number, bad)
    return ModelNotes(
        name,
        created=take("created", _millis, None),
        updated=take("updated", _millis, None),
        description=take("description", _description, None),
        tags=_entries(data.get("tags"), f"{where} tags", tag_key, tag_value, bad),
        aliases={a: n for a, n in aliases.items() if n in found_versions},
        deleted=take("deleted", _flag, False),
        versions=found_versions,
        bad=tuple(bad),
    )


def dump(notes: ModelNotes) -> str:
    data: dict[str, Any] = {"name": notes.name}
    for key in ("created", "updated", "description"):
        if getattr(notes, key) is not None:
            data[key] = getattr(notes, key)
    if notes.deleted:
        data["deleted"] = True
    if notes.tags:
        data["tags"] = dict(sorted(notes.tags.items()))
    if notes.aliases:
        data["aliases"] = dict(sorted(notes.aliases.items()))
    data["versions"] = {n.number: _version_data(n) for n in sorted(notes.versions.values(), key=lambda n: n.number)}
    return HEADER + yamlio.dump(data, sort_keys=False, allow_unicode=True, width=1000)


def _version_data(n: VersionNote) -> dict[str, Any]:
    out: dict[str, Any] = {"semver": n.semver}
    for key in ("description", "run_id", "source", "run_link", "created", "updated"):
        if getattr(n, key) is not None:
            out[key] = getattr(n, key)
    if n.tags:
        out["tags"] = dict(sorted(n.tags.items()))
    for key in ("deleted", "unstaged"):
        if getattr(n, key):
            out[key] = True
    return out


# -- checks: each value from the file, and each value a client sends ---------------------------
def _version(key: object, value: object, what: str) -> VersionNote:
    num = _number(key, what)
    if not isinstance(value, dict):
        raise BoundError(f"{what} is not a mapping")
    semver = value.get("semver")
    if not isinstance(semver, str) or not versions.is_valid(semver):
        raise BoundError(f"{what} semver is not a SemVer version")
    return VersionNote(
        num,
        versions.normalize(semver),
        description=_opt(value, "description", _description, what),
        tags=_opt(value, "tags", _tags, what) or {},
        run_id=_opt(value, "run_id", text, what),
        source=_opt(value, "source", text, what),
        run_link=_opt(value, "run_link", text, what),
        created=_opt(value, "created", _millis, what),
        updated=_opt(value, "updated", _millis, what),
        deleted=bool(_opt(value, "deleted", _flag, what)),
        unstaged=bool(_opt(value, "unstaged", _flag, what)),
    )


def _opt(data: Mapping[str, Any], key: str, check: Any, what: str) -> Any:
    return None if data.get(key) is None else check(data[key], f"{what} {key}")


def _number(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_NUMBER:
        raise BoundError(f"{what}: a version number is a whole number from 1 to {MAX_NUMBER}")
    return value


def _millis(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= bounded.MAX_INT:
        raise BoundError(f"{what} is not a time in milliseconds")
    return value


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise BoundError(f"{what} is not true or false")
    return value


def _description(value: object, what: str) -> str:
    return bounded.bounded_text(value, MAX_DESCRIPTION, what, lines=True)


def text(value: object, what: str) -> str:
    """A run id, source or run link: one line of bounded text."""
    return bounded.bounded_text(value, MAX_TEXT, what)


def tag_key(value: object, what: str) -> str:
    key = bounded.bounded_text(value, MAX_KEY, what)
    if not key.strip():
        raise BoundError(f"{what} is empty")
    return key


def tag_value(value: object, what: str) -> str:
    return bounded.bounded_text(value, MAX_VALUE, what, lines=True)


def _entries(value: object, what: str, key: Any, check: Any, bad: list[str]) -> dict[Any, Any]:
    """A mapping's entries that pass ``key`` and ``check``; each other one is left out with its
    reason in ``bad``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        bad.append(f"{what} is not a mapping")
        return {}
    out = {}
    for k, v in value.items():
        try:
            out[key(k, f"{what} key")] = check(v, f"{what} {bounded.escape_control(str(k))[:40]!r}")
        except BoundError as e:
            bad.append(str(e))
    return out


def _tags(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise BoundError(f"{what} is not a mapping")
    return {tag_key(k, f"{what} key"): tag_value(v, f"{what} value") for k, v in value.items()}


def alias_name(value: object, what: str) -> str:
    alias = bounded.bounded_text(value, 255, what)
    if not alias or not all(c.isalnum() or c in "_-" for c in alias):
        raise BoundError(f"{what} may hold only letters, digits, '_' and '-'")
    return alias
