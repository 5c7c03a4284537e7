"""Retention rules: plan what to archive, tier and purge; apply it idempotently.

Rules (llmgit.yaml ``lifecycle``):
- stale-staging: entered staging more than ``stale_staging_days`` ago, never reached
  production, holds no stage now: archived, and its weights go to the archive class.
- rollback-window: left production more than ``rollback_window_days`` ago and holds no
  stage: weights go to the archive class.
- purge: archived more than ``purge_after_days`` ago: weights deleted from the remote
  (tag, card and history stay; the ledger lists the version as purged).
Never touched: a stage holder, a canary, a pinned version, or an object any other live
version references. Directory manifests (``.dir``, tiny) always stay, so a version's file
list stays readable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmgit.core import history, refs
from llmgit.core.ident import Ident, iso_time, parse_when
from llmgit.core.plan import Plan
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import Entry
from llmgit.infra import git
from llmgit.store import history as stage_history
from llmgit.store import ledger, writer
from llmgit.store.reconcile import branch_update, stage_commit
from llmgit.store.store import Store
from llmgit.weights import listing, s3
from llmgit.weights.remote import StorageRemote, storage_remote


@dataclass(frozen=True)
class Action:
    rule: str  # stale-staging | rollback-window | purge
    kind: str  # archive | tier | purge
    model: str
    version: str
    age_days: int
    reason: str
    oids: tuple[str, ...] = ()  # objects to act on
    shared: tuple[str, ...] = ()  # objects skipped: a live version references them
    bytes: int = 0
    blocked: str = ""  # why it cannot run here (e.g. tiering needs S3)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "action": self.kind,
            "model": self.model,
            "version": self.version,
            "age_days": self.age_days,
            "reason": self.reason,
            "objects": len(self.oids),
            "shared_skipped": len(self.shared),
            "bytes": self.bytes,
            "blocked": self.blocked,
        }


@dataclass(frozen=True)
class LifecyclePlan:
    now: str
    actions: tuple[Action, ...]
    sizes: dict[str, int] = field(default_factory=dict)  # oid -> bytes
    classes: dict[str, str] = field(default_factory=dict)  # oid -> storage class


def _when(text: str) -> dt.datetime:
    return parse_when(text)


def _days(now: dt.datetime, since: str) -> int:
    return (now - _when(since)).days


def plan(reg: Store) -> LifecyclePlan:
    settings = reg.require_initialized()
    rules = settings.lifecycle
    who = git.ident(reg.root)
    now_text = iso_time(who)
    now = _when(now_text)
    branches = reg.stage_branches()
    events = stage_history.read(reg.root, settings)
    led = reg.ledger()
    purged = led.versions("purged")
    archived_since = {(n, e.version): e.since for n, es in branches[ARCHIVED].file.archived.items() for e in es}
    entered_staging: dict[tuple[str, str], str] = {}
    in_production: set[tuple[str, str]] = set()
    left_production: dict[tuple[str, str], str] = {}
    for e in events:
        key = (e.model, e.version)
        if e.stage == "staging" and e.action in history.HOLDER_ACTIONS:
            entered_staging.setdefault(key, e.when)
        if e.stage == "production" and e.action in history.HOLDER_ACTIONS:
            in_production.add(key)
            if e.previous:
                left_production[(e.model, e.previous)] = e.when
    holders = {(n, e.version) for s, b in branches.items() if s != ARCHIVED for n, e in b.file.holders.items()}
    canaries = {
        (n, str(e.extra["canary"]["version"]))
        for s, b in branches.items()
        if s != ARCHIVED
        for n, e in b.file.holders.items()
        if isinstance(e.extra.get("canary"), dict) and e.extra["canary"].get("version")
    }
    untouchable = holders | canaries | led.versions("pins") | purged
    candidates: list[tuple[str, str, str, int, str]] = []  # rule, model, version, age, reason
    for v in reg.versions_all():
        key = (v.name, v.version)
        if key in untouchable:
            continue
        if key in archived_since and (age := _days(now, archived_since[key])) > rules.purge_after_days:
            candidates.append(("purge", v.name, v.version, age, f"archived {age} days ago"))
        elif key in left_production and (age := _days(now, left_production[key])) > rules.rollback_window_days:
            candidates.append(("rollback-window", v.name, v.version, age, f"left production {age} days ago"))
        elif (
            key in entered_staging
            and key not in in_production
            and (age := _days(now, entered_staging[key])) > rules.stale_staging_days
        ):
            candidates.append(
                (
                    "stale-staging",
                    v.name,
                    v.version,
                    age,
                    f"entered staging {age} days ago and never reached production",
                )
            )
    return _with_objects(reg, now_text, candidates, archived_since, purged)


def _with_objects(
    reg: Store,
    now: str,
    candidates: list[tuple[str, str, str, int, str]],
    archived_since: dict[tuple[str, str], str],
    purged: set[tuple[str, str]],
) -> LifecyclePlan:
    r = storage_remote(reg.root)
    inventory = _inventory(r)
    by_version = {(v.name, v.version): v for v in reg.versions_all()}
    acting = {(m, v) for _, m, v, _, _ in candidates}
    oids_of = {
        k: [o for o in listing.objects_of(reg.root, v, r) if not o.manifest]
        for k, v in by_version.items()
        if k not in purged
    }
    keep_readable = {o.oid for k, os in oids_of.items() if k not in acting for o in os}
    keep_stored = keep_readable | {
        o.oid for (rule, m, v, _, _) in candidates if rule != "purge" for o in oids_of.get((m, v), [])
    }
    archive_class = reg.settings.lifecycle.archive_class
    actions: list[Action] = []
    for rule, m, ver, age, reason in candidates:
        objs = oids_of.get((m, ver), [])
        if (m, ver) not in archived_since and rule != "purge":
            actions.append(Action(rule, "archive", m, ver, age, reason))
        if rule == "purge":
            todo = [o.oid for o in objs if o.oid not in keep_stored and o.oid in inventory]
            shared = [o.oid for o in objs if o.oid in keep_stored]
            actions.append(
                Action(
                    rule, "purge", m, ver, age, reason, tuple(todo), tuple(shared), sum(inventory[o][0] for o in todo)
                )
            )
            continue
        todo = [
            o.oid
            for o in objs
            if o.oid not in keep_readable and o.oid in inventory and inventory[o.oid][1] != archive_class
        ]
        shared = [o.oid for o in objs if o.oid in keep_readable]
        blocked = "" if r.is_s3 else "tiering needs an S3 remote"
        if not todo and not blocked:
            continue  # already tiered (or nothing of its own): nothing left to do
        actions.append(
            Action(
                rule,
                "tier",
                m,
                ver,
                age,
                f"{reason}: to {archive_class}",
                tuple(todo),
                tuple(shared),
                sum(inventory[o][0] for o in todo),
                blocked,
            )
        )
    return LifecyclePlan(
        now, tuple(actions), {k: s for k, (s, _) in inventory.items()}, {k: cls for k, (_, cls) in inventory.items()}
    )


def _inventory(r: StorageRemote) -> dict[str, tuple[int, str]]:
    """oid -> (bytes, storage class) of every object on the remote (one listing)."""
    found: dict[str, tuple[int, str]] = {}
    if r.is_s3:
        base = r.location.key("files", "md5") + "/"
        for st in s3.list_objects(r.client(), r.location, "files/md5"):
            rest = st.key[len(base) :].replace("/", "")
            found[rest] = (st.size, st.storage_class)
        return found
    root = Path(r.url) / "files" / "md5"
    if root.is_dir():
        for p in root.glob("*/*"):
            found[p.parent.name + p.name] = (p.stat().st_size, "LOCAL")
    return found


@dataclass(frozen=True)
class ApplyResult:
    done: tuple[Action, ...]
    skipped: tuple[Action, ...]


def apply(reg: Store, *, push: bool = False) -> ApplyResult:
    p = plan(reg)
    r = storage_remote(reg.root)
    c = r.client() if r.is_s3 else None
    archive_class = reg.settings.lifecycle.archive_class
    done, skipped = [], []
    who = git.ident(reg.root)
    for a in p.actions:
        if a.blocked:
            skipped.append(a)
            continue
        if a.kind == "tier":
            for oid in a.oids:
                s3.set_class(c, r.location.bucket, r.key(oid), archive_class)
        elif a.kind == "purge":
            if r.is_s3:
                s3.delete(c, r.location.bucket, [r.key(o) for o in a.oids])
            else:
                for oid in a.oids:
                    r.path(oid).unlink(missing_ok=True)
        done.append(a)
    _record(reg, [a for a in done if a.kind in ("archive", "purge")], who, p.now, push=push)
    return ApplyResult(tuple(done), tuple(skipped))


def _record(reg: Store, actions: list[Action], who: Ident, now: str, *, push: bool) -> None:
    """Archive entries and purge records, as commits on their branches (one transaction)."""
    if not actions:
        return
    result = Plan()
    archives = [a for a in actions if a.kind == "archive"]
    if archives:
        ab = reg.stage_branches()[ARCHIVED]
        file = ab.file
        for a in archives:
            v = reg.get(f"{a.model}@{a.version}")
            entry = Entry(
                v.version,
                v.tag,
                v.commit,
                v.weights.md5 if v.weights else "",
                now,
                who.who,
                f"lifecycle {a.rule}: {a.reason}",
                "archive",
            )
            file = file.with_archived(a.model, (*file.archived.get(a.model, ()), entry))
        lines = [f"archive {a.model} v{a.version}: lifecycle {a.rule}" for a in archives]
        tip = stage_commit(
            reg.root,
            ab,
            file,
            (lines[0] if len(lines) == 1 else f"archive: {len(lines)} versions (lifecycle)")
            + "\n\n"
            + "\n".join(lines)
            + "\n",
        )
        result = result + branch_update(ab, tip)
    purges = [a for a in actions if a.kind == "purge"]
    if purges:
        led = reg.ledger()
        for a in purges:
            led = led.with_record(
                "purged",
                a.model,
                a.version,
                {
                    "by": who.who,
                    "when": now,
                    "rule": a.rule,
                    "objects": len(a.oids),
                    "bytes": a.bytes,
                    "shared_kept": len(a.shared),
                },
            )
        result = result + ledger.commit(
            reg.root, led, "purge weights: " + ", ".join(refs.version_tag(a.model, a.version) for a in purges) + "\n"
        )
    writer.apply(reg.root, reg.settings.git_remote, result, push=push)
