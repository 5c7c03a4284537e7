"""``lifecycle.yaml``, the ledger's one file: pins, purges and published copies per version.
Pure: parse, change, dump.

A purge writes two records, each in its own commit: ``purging`` (the intent: which objects go)
before any object is deleted, then ``purged`` once they are gone; so a purge cut short shows as
``purging`` without ``purged`` and can be finished. ``push --unpurge`` replaces the ``purged``
record by an ``unpurged`` one. A version carries at most one of the three; the branch's history
keeps every earlier one.

Whoever can push the branch writes this file, so it is read within bounds (8 MiB, like a stage
file: a purge of a version of 10,000 files records 10,000 object ids, about 400 KiB) and every
record is checked: a model name, a SemVer version, md5 object ids, bounded text and counts. A
malformed record is left out (:attr:`Ledger.bad`, a ``warning:`` for the reader), except a
``purging`` one: it is the record of a deletion in progress, so it stays and whatever acts on
purges refuses it (:meth:`Ledger.purge_intents`). A ledger read with records left out is not
rewritten (:func:`check_writable`): the rewrite would drop them. Each record is checked by
:mod:`llmgit.core.ledger_records`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmgit.core import bounded, ledger_records, refs, stage_entry, yamlio
from llmgit.core.bounded import KIB, MIB, BoundError, Limits
from llmgit.core.canaryfile import show
from llmgit.errors import BadRecord, SkippedRecord, UsageError

FILE = "lifecycle.yaml"
PINS, PURGING, PURGED, UNPURGED, PUBLISHED = "pins", "purging", "purged", "unpurged", "published"
SECTIONS = (PINS, PURGING, PURGED, UNPURGED, PUBLISHED)
PURGE_SECTIONS = (PURGING, PURGED, UNPURGED)
HEADER = "# llmgit lifecycle ledger: pins, purges and published copies. Written by llmgit.\n"
MAX_BYTES = 8 * MIB
LIMITS = Limits(max_bytes=MAX_BYTES, max_depth=8, max_values=400_000, max_string=64 * KIB)
WHERE = f"{refs.LEDGER_BRANCH}:{FILE}"
HINT = "repair it with a commit on that branch (for example 'git revert')"
FSCK_HINT = "llmgit fsck lists malformed records"
_REQUIRED = {PUBLISHED: ("uri",)}


@dataclass(frozen=True)
class BadLedgerEntry:
    """A ledger record left out because it breaks a rule."""

    section: str
    name: object  # the keys as written
    version: object  # None when the model's whole mapping is unusable
    problem: str

    @property
    def label(self) -> str:
        version = "" if self.version is None else f" version {show(self.version)}"
        return f"{WHERE} {self.section} entry {show(self.name)}{version}"

    def warning(self) -> SkippedRecord:
        return SkippedRecord(f"skipped {self.label}: {self.problem}", hint=FSCK_HINT)

    def error(self) -> BadRecord:
        return BadRecord(f"{self.label}: {self.problem}", hint=f"{HINT}; {FSCK_HINT}")


@dataclass(frozen=True)
class PurgeIntent:
    """A purge that was started and has not finished: the objects it deletes, as recorded
    before the first of them was deleted."""

    name: str
    version: str
    when: str
    by: str
    rule: str
    oids: tuple[str, ...]
    bytes: int
    shared_kept: int


@dataclass(frozen=True)
class Ledger:
    tip: str | None
    local_tip: str | None
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    bad: tuple[BadLedgerEntry, ...] = ()  # records left out (see :func:`check_writable`)

    def get(self, section: str, name: str, version: str) -> dict[str, Any] | None:
        return self.data.get(section, {}).get(name, {}).get(version)

    def versions(self, section: str) -> set[tuple[str, str]]:
        return {(n, v) for n, vs in self.data.get(section, {}).items() for v in vs}

    def records(self, section: str) -> dict[tuple[str, str], dict[str, Any]]:
        return {(n, v): rec for n, vs in self.data.get(section, {}).items() for v, rec in vs.items()}

    def with_record(self, section: str, name: str, version: str, record: dict[str, Any] | None) -> Ledger:
        data = {s: {n: dict(vs) for n, vs in self.data.get(s, {}).items()} for s in SECTIONS}
        models = data[section]
        if record is None:
            models.get(name, {}).pop(version, None)
            if name in models and not models[name]:
                del models[name]
        else:
            models.setdefault(name, {})[version] = record
        bad = tuple(b for b in self.bad if (b.section, b.name, b.version) != (section, name, version))
        return Ledger(self.tip, self.local_tip, data, bad)

    def purge_state(self, name: str, version: str) -> str:
        """``purged``, ``purging`` (started, not finished) or '' (weights kept, or brought back)."""
        if self.get(PURGED, name, version) is not None:
            return PURGED
        return PURGING if self.get(PURGING, name, version) is not None else ""

    def with_purge_state(self, state: str, name: str, version: str, record: dict[str, Any]) -> Ledger:
        """The version's purge record replaced by ``record`` in section ``state`` (one of
        :data:`PURGE_SECTIONS`); the others are dropped, so a version is in one of them at most."""
        led = self
        for section in PURGE_SECTIONS:
            led = led.with_record(section, name, version, record if section == state else None)
        return led

    def with_intent(self, intent: PurgeIntent) -> Ledger:
        """Step one of a purge: the ``purging`` record, written before any object is deleted."""
        record = {
            "by": intent.by,
            "when": intent.when,
            "rule": intent.rule,
            "oids": list(intent.oids),
            "objects": len(intent.oids),
            "bytes": intent.bytes,
            "shared_kept": intent.shared_kept,
        }
        return self.with_purge_state(PURGING, intent.name, intent.version, record)

    def with_purged(self, intent: PurgeIntent, by: str, when: str) -> Ledger:
        """The last step of a purge: its objects are gone; the ``purging`` record becomes ``purged``."""
        record = {
            "by": by,
            "when": when,
            "started": intent.when,
            "rule": intent.rule,
            "objects": len(intent.oids),
            "bytes": intent.bytes,
            "shared_kept": intent.shared_kept,
        }
        return self.with_purge_state(PURGED, intent.name, intent.version, record)

    def with_unpurged(self, name: str, version: str, by: str, when: str) -> Ledger:
        """A purged version whose weights were uploaded again (``push --unpurge``)."""
        old = self.get(PURGED, name, version) or {}
        record = {"by": by, "when": when, "purged": str(old.get("when", "")), "rule": str(old.get("rule", ""))}
        return self.with_purge_state(UNPURGED, name, version, record)

    def purge_intents(self) -> dict[tuple[str, str], PurgeIntent]:
        """The purges that were started and not finished, by (name, version)."""
        found = {}
        for (name, version), rec in self.records(PURGING).items():
            if self.get(PURGED, name, version) is None:
                found[(name, version)] = _intent(name, version, rec)
        return found


def _intent(name: str, version: str, rec: Any) -> PurgeIntent:
    oids = rec.get("oids") if isinstance(rec, dict) else None
    where = f"{WHERE}: the purging record of {refs.version_tag(name, version)}"
    if not ledger_records.is_oids(oids):
        raise UsageError(f"{where} does not list its objects", hint=HINT)
    try:
        ledger_records.record(rec)
    except BoundError as e:
        raise UsageError(f"{where} is malformed: {e}", hint=HINT) from None

    def number(key: str) -> int:
        value = rec.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return PurgeIntent(
        name,
        version,
        str(rec.get("when", "")),
        str(rec.get("by", "")),
        str(rec.get("rule", "")),
        tuple(oids),
        number("bytes"),
        number("shared_kept"),
    )


def intent_problems(ledger: Ledger) -> list[str]:
    """One line per malformed ``purging`` record (kept, and refused where purges are used)."""
    found = []
    for (name, version), rec in sorted(ledger.records(PURGING).items()):
        try:
            _intent(name, version, rec)
        except UsageError as e:
            found.append(e.message)
    return found


def empty(tip: str | None = None, local_tip: str | None = None) -> Ledger:
    return Ledger(tip, local_tip, {s: {} for s in SECTIONS})


def parse(text: bytes | None, tip: str | None, local_tip: str | None, *, strict: bool = False) -> Ledger:
    """The ledger; a malformed record is left out (:attr:`Ledger.bad`; ``strict``: the first
    one is a :class:`BadRecord`); a file that is not a ledger is a :class:`UsageError`."""
    try:
        doc = bounded.load_yaml(text or b"", LIMITS, WHERE) or {}
    except BoundError as e:
        raise UsageError(str(e), hint=HINT) from None
    if not isinstance(doc, dict) or not all(isinstance(doc.get(s) or {}, dict) for s in SECTIONS):
        raise UsageError(f"{WHERE} is not valid: it is not a mapping of {', '.join(SECTIONS)}", hint=HINT)
    data: dict[str, dict[str, dict[str, Any]]] = {}
    bad: list[BadLedgerEntry] = []
    for section in SECTIONS:
        data[section] = _section(section, doc.get(section) or {}, bad)
    if strict and bad:
        raise bad[0].error()
    return Ledger(tip, local_tip, data, tuple(bad))


def _section(section: str, models: dict[Any, Any], bad: list[BadLedgerEntry]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, records in models.items():
        try:
            stage_entry.model_name(name)
            if not isinstance(records, dict):
                raise BoundError(f"it is not a mapping of versions ({show(records)})")
        except BoundError as e:
            bad.append(BadLedgerEntry(section, name, None, str(e)))
            continue
        for version, rec in records.items():
            try:
                key = ledger_records.version_key(version)
                if key in found.get(name, {}):
                    raise BoundError(f"version {show(version)} is recorded twice")
                found.setdefault(name, {})[key] = (
                    _purging(rec) if section == PURGING else ledger_records.record(rec, _REQUIRED.get(section, ()))
                )
            except BoundError as e:
                bad.append(BadLedgerEntry(section, name, version, str(e)))
    return found


def _purging(rec: object) -> dict[str, Any]:
    """A purging record is a deletion in progress: it stays whatever its fields (so it is not
    forgotten), and :meth:`Ledger.purge_intents` refuses a malformed one where it is used."""
    if not isinstance(rec, dict):
        raise BoundError(f"it is not a mapping ({show(rec)})")
    return rec


def check_writable(ledger: Ledger) -> None:
    """:class:`BadRecord` when ``ledger`` was read with records left out: writing it back would
    drop them, so the ledger is only rewritten once it reads in full."""
    if ledger.bad:
        b = ledger.bad[0]
        raise BadRecord(f"{b.label} is malformed ({b.problem}): llmgit will not rewrite {FILE} and drop it", hint=HINT)


def dump(ledger: Ledger) -> str:
    return HEADER + yamlio.dump({"llmgit": 1, **ledger.data}, sort_keys=True, allow_unicode=True)
