"""Retention rules: plan what to archive, tier and purge; apply it idempotently.

Rules (llmgit.yaml ``lifecycle``):
- stale-staging: entered staging more than ``stale_staging_days`` ago, never reached
  production, holds no stage now: archived, and its weights go to the archive class.
- rollback-window: left production more than ``rollback_window_days`` ago and holds no
  stage: weights go to the archive class.
- purge: archived more than ``purge_after_days`` ago (or brought back with ``push --unpurge``
  that long ago): weights deleted from the remote (tag, card and history stay; the ledger lists
  the version as purged). Purging is two ledger commits around the deletion
  (:mod:`llmgit.storage.purge`): a purge cut short is finished by the next ``apply``, and
  objects of a purged version that were uploaded again are deleted again.
Never touched: a stage holder, a canary, a pinned version, or an object any other live
version references. Directory manifests (``.dir``, tiny) always stay, so a version's file
list stays readable.
"""

from __future__ import annotations

from typing import Any

from llmgit.core import history
from llmgit.core.ident import Ident, iso_time, parse_when
from llmgit.core.ledgerfile import PINS, PURGED, UNPURGED, PurgeIntent
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import Entry
from llmgit.infra import git
from llmgit.storage import purge
from llmgit.storage.actions import (
    ARCHIVE,
    FINISH_PURGE,
    PURGE,
    PURGE_KINDS,
    TIER,
    Action,
    ApplyResult,
    LifecyclePlan,
    days,
    inventory,
)
from llmgit.storage.manifests import objects_by_version
from llmgit.store import historycache, ledger, writer
from llmgit.store.reconcile import branch_update, stage_commit
from llmgit.store.store import Store
from llmgit.weights import s3
from llmgit.weights.remote import storage_remote

__all__ = ["Action", "ApplyResult", "LifecyclePlan", "apply", "plan"]


def plan(reg: Store, found: list[ModelVersion] | None = None) -> LifecyclePlan:
    """What the rules would do now; ``found``: every version, when the caller has read them."""
    found = reg.versions_all() if found is None else found
    settings = reg.require_initialized()
    rules = settings.lifecycle
    who = git.ident(reg.root)
    now_text = iso_time(who)
    now = parse_when(now_text)
    branches = reg.stage_branches()
    events = historycache.read(reg.root, settings)  # parsed once per set of stage-branch tips
    led = reg.ledger()
    purged = led.records(PURGED)
    unfinished = led.purge_intents()
    unpurged = led.records(UNPURGED)
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
    untouchable = holders | canaries | led.versions(PINS) | purged.keys() | unfinished.keys()
    candidates: list[tuple[str, str, str, int, str]] = []  # rule, model, version, age, reason
    for v in found:
        key = (v.name, v.version)
        if key in untouchable:
            continue
        since, why = _purge_clock(archived_since.get(key), unpurged.get(key))
        if since and (age := days(now, since)) > rules.purge_after_days:
            candidates.append(("purge", v.name, v.version, age, f"{why} {age} days ago"))
        elif key in left_production and (age := days(now, left_production[key])) > rules.rollback_window_days:
            candidates.append(("rollback-window", v.name, v.version, age, f"left production {age} days ago"))
        elif (
            key in entered_staging
            and key not in in_production
            and (age := days(now, entered_staging[key])) > rules.stale_staging_days
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
    return _with_objects(reg, found, now_text, candidates, archived_since, purged, unfinished)


def _purge_clock(archived: str | None, unpurged: dict[str, Any] | None) -> tuple[str | None, str]:
    """Since when the purge rule counts, and what happened then: the archiving, or a later
    ``push --unpurge`` (bringing weights back restarts the clock)."""
    back = str((unpurged or {}).get("when") or "")
    if archived and back and parse_when(back) > parse_when(archived):
        return back, "brought back"
    return archived, "archived"


def _with_objects(
    reg: Store,
    found: list[ModelVersion],
    now: str,
    candidates: list[tuple[str, str, str, int, str]],
    archived_since: dict[tuple[str, str], str],
    purged: dict[tuple[str, str], dict[str, Any]],
    unfinished: dict[tuple[str, str], PurgeIntent],
) -> LifecyclePlan:
    r = storage_remote(reg.root)
    stored = inventory(r)
    acting = {(m, v) for _, m, v, _, _ in candidates} | unfinished.keys()
    every = objects_by_version(reg.root, found, r, lenient=purged.keys())
    objects = {k: objs for k, objs in every.items() if k not in purged}
    oids_of = {k: [o for o in objs if not o.manifest] for k, objs in objects.items()}
    keep_readable = {o.oid for k, os in oids_of.items() if k not in acting for o in os}
    keep_stored = keep_readable | {
        o.oid for (rule, m, v, _, _) in candidates if rule != "purge" for o in oids_of.get((m, v), [])
    }
    archive_class = reg.settings.lifecycle.archive_class
    moment = parse_when(now)
    actions = purge.finish_actions(unfinished, keep_stored, stored, archived_since, moment)
    for rule, m, ver, age, reason in candidates:
        objs = oids_of.get((m, ver), [])
        if (m, ver) not in archived_since and rule != "purge":
            actions.append(Action(rule, ARCHIVE, m, ver, age, reason))
        if rule == "purge":
            todo = [o.oid for o in objs if o.oid not in keep_stored and o.oid in stored]
            shared = [o.oid for o in objs if o.oid in keep_stored]
            actions.append(
                Action(rule, PURGE, m, ver, age, reason, tuple(todo), tuple(shared), sum(stored[o][0] for o in todo))
            )
            continue
        todo = [
            o.oid for o in objs if o.oid not in keep_readable and o.oid in stored and stored[o.oid][1] != archive_class
        ]
        shared = [o.oid for o in objs if o.oid in keep_readable]
        blocked = "" if r.is_s3 else "tiering needs an S3 remote"
        if not todo and not blocked:
            continue  # already tiered (or nothing of its own): nothing left to do
        actions.append(
            Action(
                rule,
                TIER,
                m,
                ver,
                age,
                f"{reason}: to {archive_class}",
                tuple(todo),
                tuple(shared),
                sum(stored[o][0] for o in todo),
                blocked,
            )
        )
    gone = {k: objs for k, objs in every.items() if k in purged}
    actions += purge.stored_again(gone, purged, keep_stored, stored, moment)
    return LifecyclePlan(
        now, tuple(actions), {k: s for k, (s, _) in stored.items()}, {k: cls for k, (_, cls) in stored.items()}, objects
    )


def apply(reg: Store, *, push: bool = False) -> ApplyResult:
    """Carry out the plan. Tiering and deleting are idempotent and every ledger change comes
    before or after them, so a run cut short anywhere is finished by running it again: a new
    purge is recorded as ``purging`` before its objects go, and as ``purged`` after."""
    p = plan(reg)
    r = storage_remote(reg.root)
    archive_class = reg.settings.lifecycle.archive_class
    who = git.ident(reg.root)
    runnable = [a for a in p.actions if not a.blocked]
    tiers = [a for a in runnable if a.kind == TIER]
    if tiers:
        c = r.client()
        for a in tiers:
            for oid in a.oids:
                s3.set_class(c, r.location.bucket, r.key(oid), archive_class)
    purges = [a for a in runnable if a.kind in PURGE_KINDS]
    new = [a for a in purges if a.kind == PURGE]
    purge.begin(
        reg,
        [PurgeIntent(a.model, a.version, p.now, who.who, a.rule, a.oids, a.bytes, len(a.shared)) for a in new],
        push=push,
    )
    for a in purges:
        purge.delete_objects(r, a.oids)
    finishing = {(a.model, a.version) for a in purges if a.kind in (PURGE, FINISH_PURGE)}
    intents = [i for k, i in sorted(reg.ledger().purge_intents().items()) if k in finishing]
    _record(reg, [a for a in runnable if a.kind == ARCHIVE], intents, who, p.now, push=push)
    return ApplyResult(tuple(runnable), tuple(a for a in p.actions if a.blocked))


def _record(
    reg: Store, archives: list[Action], intents: list[PurgeIntent], who: Ident, now: str, *, push: bool
) -> None:
    """Archive entries and the ``purged`` records of finished purges, as commits on their
    branches (one transaction)."""
    if not archives and not intents:
        return
    result = Plan()
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
    if intents:
        led, message = purge.finish(reg.ledger(), intents, who, now)
        result = result + ledger.commit(reg.root, led, message)
    writer.apply(reg.root, reg.settings.git_remote, result, push=push)
