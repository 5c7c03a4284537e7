"""Derive the stage tags and the archive from the stage branches.

``NAME#STAGE`` tags point at each holder's version commit. A version that stops holding
its last stage is archived (with the reason of the change that displaced it); a version
that holds a stage again leaves the archive. Used by direct promotions, rollbacks and
``sync`` (after a promotion pull request merged), so all three behave the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from llmgit.infra import git
from llmgit.core import refs, stagefile
from llmgit.core.config import ARCHIVED, Settings
from llmgit.infra.gitremote import PushSpec
from llmgit.core.stagefile import Entry
from llmgit.store.branches import StageBranch, stage_blob


@dataclass(frozen=True)
class Change:
    model: str
    version: str
    stage: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """Local ref updates (one transaction) and the matching pushes."""

    updates: tuple[git.RefUpdate, ...] = ()
    pushes: tuple[PushSpec, ...] = ()
    archived: tuple[Change, ...] = ()
    unarchived: tuple[Change, ...] = ()
    tags: tuple[str, ...] = ()  # stage tags created, moved or deleted

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.updates + other.updates, self.pushes + other.pushes,
                    self.archived + other.archived, self.unarchived + other.unarchived,
                    self.tags + other.tags)

    @property
    def empty(self) -> bool:
        return not self.updates


def stage_tag_message(name: str, stage: str, entry: Entry) -> str:
    body = {"llmgit": 1, "name": name, "stage": stage, "version": entry.version, "tag": entry.tag,
            "action": entry.action, "since": entry.since, "by": entry.by, "reason": entry.reason}
    return f"{name} v{entry.version} holds {stage}\n\n{json.dumps(body, indent=2)}\n"


def branch_update(sb: StageBranch, new_tip: str) -> tuple[git.RefUpdate, PushSpec]:
    """Move a stage branch (and its push) to ``new_tip``, built on ``sb.tip``."""
    local = git.RefUpdate(sb.branch, new_tip, sb.local_tip or git.ZERO)
    return local, PushSpec(sb.branch, new_tip)


def stage_commit(root: Path, sb: StageBranch, file: stagefile.StageFile, message: str) -> str:
    tree = git.tree_with(root, sb.tip, {stagefile.FILE: stage_blob(root, file)})
    return git.commit_tree(root, tree, [sb.tip] if sb.tip else [], message)


def reconcile(root: Path, settings: Settings, branches: dict[str, StageBranch],
              who: git.Ident, now: str) -> Plan:
    """What must change so tags and archive agree with ``branches`` (maybe not yet applied)."""
    stage_tags: dict[tuple[str, str], git.RefTarget] = {}
    for t in git.list_ref_targets(root, [f"{refs.TAGS}*#*"]):  # stage tags only: cheap at scale
        if (st := refs.parse_stage_tag(t.ref[len(refs.TAGS):])) is not None:
            stage_tags[st] = t
    holding = {s: b for s, b in branches.items() if s != ARCHIVED}
    held = {(n, e.version) for b in holding.values() for n, e in b.file.holders.items()}
    updates: list[git.RefUpdate] = []
    pushes: list[PushSpec] = []
    changed_tags: list[str] = []
    displaced: list[Change] = []
    for stage, b in holding.items():
        for name, entry in b.file.holders.items():
            old = stage_tags.get((name, stage))
            if old is not None and old.commit == entry.commit:
                continue
            tag = refs.stage_tag(name, stage)
            obj = git.make_tag(root, entry.commit, tag, stage_tag_message(name, stage, entry), who)
            updates.append(git.RefUpdate(refs.TAGS + tag, obj, old.oid if old else git.ZERO))
            pushes.append(PushSpec(refs.TAGS + tag, obj, old.oid if old else ""))
            pushes.append(PushSpec(refs.TAGS + entry.tag, git.rev_parse(root, refs.TAGS + entry.tag)))
            changed_tags.append(tag)
            prev = _version_at(root, name, old.commit) if old else None
            if prev and (name, prev) not in held:
                verb = "rolled back from" if entry.action == "rollback" else f"replaced by v{entry.version} in"
                why = f"{verb} {stage}" + (f": {entry.reason}" if entry.reason else "")
                displaced.append(Change(name, prev, stage, why))
        for (name, stage_name), old in stage_tags.items():
            if stage_name == stage and name not in b.file.holders:
                tag = refs.stage_tag(name, stage)
                updates.append(git.RefUpdate(refs.TAGS + tag, None, old.oid))
                pushes.append(PushSpec(refs.TAGS + tag, None, old.oid))
                changed_tags.append(tag)
    plan = Plan(tuple(updates), tuple(pushes), tags=tuple(changed_tags))
    return plan + _archive(root, branches[ARCHIVED], displaced, held, who, now)


def _archive(root: Path, ab: StageBranch, displaced: list[Change], held: set[tuple[str, str]],
             who: git.Ident, now: str) -> Plan:
    file = ab.file
    archived, unarchived = [], []
    for ch in displaced:
        entries = file.archived.get(ch.model, ())
        if any(e.version == ch.version for e in entries):
            continue
        tag = refs.version_tag(ch.model, ch.version)
        commit = git.rev_parse(root, f"{refs.TAGS}{tag}^{{commit}}") or ""
        md5 = _weights_md5(root, tag)
        entry = Entry(ch.version, tag, commit, md5, now, who.who, ch.reason, "archive")
        file = file.with_archived(ch.model, (*entries, entry))
        archived.append(ch)
    for name, entries in list(file.archived.items()):
        keep = tuple(e for e in entries if (name, e.version) not in held)
        if len(keep) != len(entries):
            for e in entries:
                if (name, e.version) in held:
                    unarchived.append(Change(name, e.version, ARCHIVED, "holds a stage again"))
            file = file.with_archived(name, keep)
    if not archived and not unarchived:
        return Plan()
    lines = [f"archive {c.model} v{c.version}: {c.reason}" for c in archived]
    lines += [f"unarchive {c.model} v{c.version}: {c.reason}" for c in unarchived]
    subject = lines[0] if len(lines) == 1 else f"archive: {len(lines)} changes"
    message = subject + ("\n\n" + "\n".join(lines) if len(lines) > 1 else "") + "\n"
    new_tip = stage_commit(root, ab, file, message)
    local, push = branch_update(ab, new_tip)
    return Plan((local,), (push,), tuple(archived), tuple(unarchived))


def _version_at(root: Path, name: str, commit: str) -> str | None:
    """The version of ``name`` tagged on ``commit`` (one model's tags only)."""
    for t in git.list_ref_targets(root, [refs.version_tag_pattern(name)]):
        parsed = refs.parse_version_tag(t.ref)
        if parsed is not None and parsed.name == name and t.commit == commit:
            return parsed.version
    return None


def _weights_md5(root: Path, tag: str) -> str:
    from llmgit.core.model import parse_summary

    contents = git.out(root, ["for-each-ref", "--format=%(contents)", refs.TAGS + tag])
    weights = parse_summary(contents).get("weights") or {}
    return str(weights.get("md5") or "") if isinstance(weights, dict) else ""


def with_tip(sb: StageBranch, tip: str, file: stagefile.StageFile) -> StageBranch:
    return replace(sb, tip=tip, file=file)
