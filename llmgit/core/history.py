"""Stage history as values: one event per change of a model in a stage, derived by comparing
consecutive ``stage.yaml`` files along a stage branch. Pure: the store reads the commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from llmgit.core.ident import parse_when
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import Entry, StageFile

# actions after which the event's version holds the stage (canary events do not change it)
HOLDER_ACTIONS = ("promote", "rollback", "guard", "canary-promote", "import")
# I2: a version rolled back from by one of these is excluded until one of PROMOTING makes it
# the holder again
ROLLING_BACK = ("rollback", "guard")
PROMOTING = ("promote", "canary-promote")


@dataclass(frozen=True)
class Landed:
    """The stage-branch commit a change landed with."""

    commit: str
    date: str  # committer date, ISO 8601
    committer: str
    subject: str


@dataclass(frozen=True)
class HistoryEvent:
    """One change of one model in one stage."""

    stage: str
    model: str
    action: str  # promote, rollback, canary-promote, archive, unarchive, remove, import, canary-*
    version: str
    previous: str | None
    when: str  # when the change landed on the stage branch (committer date)
    by: str  # who asked for it (from stage.yaml)
    committer: str  # who committed or merged it onto the branch
    reason: str
    commit: str  # the stage-branch commit
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "model": self.model,
            "action": self.action,
            "version": self.version,
            "previous": self.previous,
            "when": self.when,
            "by": self.by,
            "committer": self.committer,
            "reason": self.reason,
            "commit": self.commit,
        }


def _event(stage: str, model: str, action: str, entry: Entry, previous: str | None, c: Landed) -> HistoryEvent:
    return HistoryEvent(
        stage,
        model,
        action,
        entry.version,
        previous,
        c.date,
        entry.by,
        c.committer,
        entry.reason,
        c.commit,
        dict(entry.extra),
    )


def changes(stage: str, old: StageFile, new: StageFile, c: Landed, only: str | None) -> list[HistoryEvent]:
    """The events between two consecutive stage files (of model ``only``, or all)."""
    out: list[HistoryEvent] = []
    if stage == ARCHIVED:
        for model in sorted(set(old.archived) | set(new.archived)):
            if only and model != only:
                continue
            before = {e.version: e for e in old.archived.get(model, ())}
            after = {e.version: e for e in new.archived.get(model, ())}
            for v in after.keys() - before.keys():
                out.append(_event(stage, model, "archive", after[v], None, c))
            for v in before.keys() - after.keys():
                back = replace(before[v], reason="holds a stage again", by=c.committer)
                out.append(_event(stage, model, "unarchive", back, None, c))
        return out
    for model in sorted(set(old.holders) | set(new.holders)):
        if only and model != only:
            continue
        a, b = old.holders.get(model), new.holders.get(model)
        if b is None and a is not None:  # who removed it and why: the removing commit, not the old entry
            gone = replace(a, reason=c.subject, by=c.committer)
            out.append(_event(stage, model, "remove", gone, a.version, c))
        elif b is not None and (a is None or a.version != b.version or a.commit != b.commit):
            out.append(_event(stage, model, b.action, b, a.version if a else None, c))
        elif a is not None and b is not None:
            out.extend(_canary_events(stage, model, a, b, c))
    return out


def _canary_events(stage: str, model: str, a: Entry, b: Entry, c: Landed) -> list[HistoryEvent]:
    """Canary start, share change and abort on an unchanged holder."""
    before, after = a.extra.get("canary"), b.extra.get("canary")
    before = before if isinstance(before, dict) else None
    after = after if isinstance(after, dict) else None
    if before == after:
        return []
    if after is None and before is not None:  # removed while the holder stayed: aborted
        recorded = b.action == "canary-abort"  # who ended it and why, in the entry (I1)
        kind, data, who, why = "canary-abort", before, b.by if recorded else c.committer, b.reason if recorded else ""
    elif after is not None and (before is None or before.get("version") != after.get("version")):
        kind, data, who, why = "canary-start", after, str(after.get("by", "")), str(after.get("reason", ""))
    elif after is not None:
        kind, data, who, why = "canary-percent", after, str(after.get("by", "")), str(after.get("reason", ""))
    else:
        return []
    share = f" at {data.get('percent')}%" if kind != "canary-abort" else ""
    return [
        HistoryEvent(
            stage,
            model,
            kind,
            str(data.get("version", "")),
            a.version,
            c.date,
            who,
            c.committer,
            (why + share).strip() if share else why or c.subject,
            c.commit,
            {"percent": data.get("percent")},
        )
    ]


def holders_at(events: list[HistoryEvent], when: dt.datetime) -> dict[tuple[str, str], HistoryEvent]:
    """(model, stage) -> the event that made the holder current at ``when`` (holding stages)."""
    state: dict[tuple[str, str], HistoryEvent] = {}
    for e in events:
        if e.stage == ARCHIVED or parse_when(e.when) > when:
            continue
        if e.action == "remove":
            state.pop((e.model, e.stage), None)
        elif e.action in HOLDER_ACTIONS:
            state[(e.model, e.stage)] = e
    return state


def holder_at(events: list[HistoryEvent], stage: str, when: dt.datetime, model: str | None = None) -> str | None:
    """The version holding ``stage`` at ``when`` (of ``model``; without it the events are
    one model's), reconstructed from the history alone (I1); None when no version held it."""
    held = holders_at(events, when)
    found = [e for (m, s), e in sorted(held.items()) if s == stage and (model is None or m == model)]
    return found[0].version if found else None


def holder_events(events: list[HistoryEvent], stage: str, model: str | None = None) -> list[HistoryEvent]:
    """The events after which a version held ``stage``, oldest first."""
    return [
        e for e in events if e.stage == stage and e.action in HOLDER_ACTIONS and (model is None or e.model == model)
    ]


def excluded(events: list[HistoryEvent], stage: str, model: str | None = None) -> frozenset[str]:
    """I2: the versions of ``model`` rolled back from in ``stage`` (by a person or the guard)
    after their last explicit promotion there. ``rollback`` and the guard never restore one."""
    out: set[str] = set()
    for e in events:
        if e.stage != stage or (model is not None and e.model != model):
            continue
        if e.action in ROLLING_BACK and e.previous and e.previous != e.version:
            out.add(e.previous)
        elif e.action in PROMOTING:
            out.discard(e.version)
    return frozenset(out)


def rollback_target(events: list[HistoryEvent], stage: str, current: str, model: str | None = None) -> str | None:
    """I3: the most recent earlier holder of ``stage`` that is neither ``current`` nor
    excluded (I2); None when there is none."""
    out = excluded(events, stage, model)
    for e in reversed(holder_events(events, stage, model)):
        if e.version != current and e.version not in out:
            return e.version
    return None


def arrival(events: list[HistoryEvent], stage: str, current: str, model: str | None = None) -> HistoryEvent | None:
    """The event that made ``current`` the holder of ``stage`` (the last holder event)."""
    held = holder_events(events, stage, model)
    return held[-1] if held and held[-1].version == current else None


def previous_holder(events: list[HistoryEvent], stage: str, current: str) -> str | None:
    """The version that held ``stage`` before ``current`` took it."""
    held = holder_events(events, stage)
    for e in reversed(held):
        if e.version == current and e.previous and e.previous != current:
            return e.previous
    for e in reversed(held):
        if e.version != current:
            return e.version
    return None


def ever_held(events: list[HistoryEvent], stage: str, version: str) -> bool:
    return any(e.version == version for e in holder_events(events, stage))


def carry_bad(previous: StageFile, current: StageFile) -> StageFile:
    """``current`` with each model whose entry was left out (malformed) keeping its entry of
    ``previous``: a broken entry is no change, not a removal followed by a return."""
    if not current.bad:
        return current
    holders, archived = dict(current.holders), dict(current.archived)
    for b in current.bad:
        model = b.model if isinstance(b.model, str) else None
        if model is None:
            continue
        if model in previous.holders:
            holders[model] = previous.holders[model]
        kept = archived.get(model, ())  # an archived model's good entries stay; its old ones too
        have = {e.version for e in kept}
        old = tuple(e for e in previous.archived.get(model, ()) if e.version not in have)
        if old:
            archived[model] = (*kept, *old)
    return replace(current, holders=holders, archived=archived)
