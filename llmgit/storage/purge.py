"""Purged weights stay purged.

The lifecycle's purge deletes a version's own objects from the storage remote in three steps:
a ledger commit of a ``purging`` record naming the objects, the deletion, and a ledger commit
turning it into a ``purged`` record. A run cut short anywhere leaves either nothing done or a
``purging`` record that the next ``lifecycle apply`` finishes (objects already gone are fine).

``push`` leaves purged versions' weights alone and ``pull`` refuses them: the only way back is
``push REF --unpurge`` from a clone whose cache still holds every object, which uploads them
and records ``unpurged`` in the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from llmgit.core import refs
from llmgit.core.ident import Ident, iso_time
from llmgit.core.ledgerfile import Ledger, PurgeIntent
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan
from llmgit.errors import UsageError
from llmgit.storage.actions import FINISH_PURGE, REPURGE, Action, Inventory, days
from llmgit.store import ledger, writer
from llmgit.store.purged import cache_complete, day
from llmgit.store.store import Store
from llmgit.weights import cache, listing, s3
from llmgit.weights.objects import VersionObject, cached
from llmgit.weights.remote import StorageRemote


def require_cached(store: Store, v: ModelVersion) -> None:
    """``--unpurge`` uploads from this clone's cache, so it must hold every object: a version
    brought back in part would be recorded as no longer purged and still be unreadable."""
    if v.weights is None or cache_complete(store.root, v):
        return
    files, _ = cached(cache.local_dir(store.root), listing.pointer_of(v.weights, v.tag))
    held = sum(1 for f in files if f.path.exists())
    what = f"{held} of {len(files)} file(s)" if files else "not even the file list"
    raise UsageError(
        f"this clone's cache holds {what} of the purged {v.tag}; bringing it back needs every file",
        hint=f"run 'llmgit push {v.tag} --unpurge' in a clone whose cache holds all of them",
    )


def finish_actions(
    unfinished: Mapping[tuple[str, str], PurgeIntent],
    keep: set[str],
    inventory: Inventory,
    archived_since: Mapping[tuple[str, str], str],
    now: dt.datetime,
) -> list[Action]:
    """Purges that were started and did not finish: what is left of the objects they named
    (objects already gone are fine; an object a version not being purged now references stays)."""
    actions = []
    for (m, ver), intent in sorted(unfinished.items()):
        todo = [o for o in intent.oids if o not in keep and o in inventory]
        shared = [o for o in intent.oids if o in keep]
        since = archived_since.get((m, ver))
        actions.append(
            Action(
                intent.rule or "purge",
                FINISH_PURGE,
                m,
                ver,
                days(now, since) if since else 0,
                f"the purge started on {day(intent.when)} did not finish",
                tuple(todo),
                tuple(shared),
                sum(inventory[o][0] for o in todo),
            )
        )
    return actions


def stored_again(
    objects: Mapping[tuple[str, str], Sequence[VersionObject]],
    purged: dict[tuple[str, str], dict[str, Any]],
    keep: set[str],
    inventory: Inventory,
    now: dt.datetime,
) -> list[Action]:
    """Objects of purged versions that are on the remote again (uploaded by a clone that did
    not know of the purge) and that no other version needs: the purge rule deletes them again.
    ``objects``: the purged versions' objects (one whose file list is gone too is absent)."""
    actions = []
    for (m, ver), rec in sorted(purged.items()):
        objs = objects.get((m, ver))
        if objs is None:
            continue  # its file list is gone too: nothing of it can be found
        todo = sorted({o.oid for o in objs if not o.manifest and o.oid not in keep and o.oid in inventory})
        if not todo:
            continue
        when = str(rec.get("when") or "")
        actions.append(
            Action(
                str(rec.get("rule") or "purge"),
                REPURGE,
                m,
                ver,
                days(now, when) if when else 0,
                f"purged on {day(when)}, but {len(todo)} of its object(s) are stored again",
                tuple(todo),
                (),
                sum(inventory[o][0] for o in todo),
            )
        )
    return actions


def unpurge_plan(store: Store, versions: Sequence[ModelVersion], who: Ident) -> Plan:
    """The ledger commit recording that these versions' weights are stored again."""
    led = store.ledger()
    when = iso_time(who)
    for v in versions:
        led = led.with_unpurged(v.name, v.version, who.who, when)
    tags = ", ".join(v.tag for v in versions)
    return ledger.commit(store.root, led, f"unpurge weights: {tags}\n")


def begin(store: Store, intents: Sequence[PurgeIntent], *, push: bool) -> None:
    """Step one: a ``purging`` record per version, committed before any object is deleted."""
    if not intents:
        return
    led = store.ledger()
    for intent in intents:
        led = led.with_intent(intent)
    tags = ", ".join(refs.version_tag(i.name, i.version) for i in intents)
    plan = ledger.commit(store.root, led, f"purging weights: {tags}\n")
    writer.apply(store.root, store.settings.git_remote, plan, push=push)


def delete_objects(r: StorageRemote, oids: Sequence[str]) -> None:
    """Step two: delete the objects from the remote; objects already gone are fine."""
    if r.is_s3:
        s3.delete(r.client(), r.location.bucket, [r.key(o) for o in oids])
        return
    for oid in oids:
        r.path(oid).unlink(missing_ok=True)


def finish(led: Ledger, intents: Sequence[PurgeIntent], who: Ident, now: str) -> tuple[Ledger, str]:
    """Step three, as a change of ``led``: each ``purging`` record becomes ``purged``; and the
    commit message's line."""
    for intent in intents:
        led = led.with_purged(intent, who.who, now)
    return led, "purge weights: " + ", ".join(refs.version_tag(i.name, i.version) for i in intents) + "\n"
