"""Derive the stage tags and the archive from the stage branches.

``NAME#STAGE`` tags point at each holder's version commit. A version that stops holding
its last stage is archived (with the reason of the change that displaced it); a version
that holds a stage again leaves the archive. Used by direct promotions, rollbacks and
``sync`` (after a promotion pull request merged), so all three behave the same.
"""

from __future__ import annotations

import json
from pathlib import Path

from llmgit.core import refs, stagefile
from llmgit.core.config import Settings
from llmgit.core.ident import Ident
from llmgit.core.plan import ZERO, Change, Plan, PushSpec, RefUpdate
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import Entry, StageFile
from llmgit.core.summary import parse_summary
from llmgit.infra import git, gitrefs
from llmgit.store.branches import StageBranch, stage_blob
from llmgit.store.commits import commit_on


def stage_tag_message(name: str, stage: str, entry: Entry) -> str:
    body = {
        "llmgit": 1,
        "name": name,
        "stage": stage,
        "version": entry.version,
        "tag": entry.tag,
        "action": entry.action,
        "since": entry.since,
        "by": entry.by,
        "reason": entry.reason,
    }
    return f"{name} v{entry.version} holds {stage}\n\n{json.dumps(body, indent=2)}\n"


def branch_update(sb: StageBranch, new_tip: str) -> Plan:
    """Move a stage branch (and its push) to ``new_tip``, built on ``sb.tip``."""
    return Plan.move(sb.branch, new_tip, sb.local_tip)


def stage_commit(
    root: Path, sb: StageBranch, file: StageFile, message: str, files: dict[str, str] | None = None
) -> str:
    """A commit on ``sb``'s tip recording ``file`` as ``stage.yaml`` (and ``files``, path ->
    blob id, beside it)."""
    return commit_on(root, sb.tip, {stagefile.FILE: stage_blob(root, file), **(files or {})}, message)


def reconcile(
    root: Path, settings: Settings, branches: dict[str, StageBranch], who: Ident, now: str, *, why: str = ""
) -> Plan:
    """What must change so tags and archive agree with ``branches`` (maybe not yet applied);
    ``why``: the reason recorded for a version removed from a stage."""
    stage_tags: dict[tuple[str, str], gitrefs.RefTarget] = {}
    for t in gitrefs.list_ref_targets(root, [refs.STAGE_TAGS]):  # stage tags only: cheap at scale
        if (st := refs.parse_stage_tag(t.ref[len(refs.TAGS) :])) is not None:
            stage_tags[st] = t
    holding = {s: b for s, b in branches.items() if s != ARCHIVED}
    held = {(n, e.version) for b in holding.values() for n, e in b.file.holders.items()}
    updates: list[RefUpdate] = []
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
            updates.append(RefUpdate(refs.tag_ref(tag), obj, old.oid if old else ZERO))
            pushes.append(PushSpec(refs.tag_ref(tag), obj, old.oid if old else ""))
            pushes.append(PushSpec(refs.tag_ref(entry.tag), git.rev_parse(root, refs.tag_ref(entry.tag))))
            changed_tags.append(tag)
            prev = _version_at(root, name, old.commit) if old else None
            if prev and (name, prev) not in held:
                rolled = entry.action in ("rollback", "guard")
                verb = "rolled back from" if rolled else f"replaced by v{entry.version} in"
                why = f"{verb} {stage}" + (f": {entry.reason}" if entry.reason else "")
                displaced.append(Change(name, prev, stage, why))
        for (name, stage_name), old in stage_tags.items():
            if stage_name == stage and name not in b.file.holders:
                tag = refs.stage_tag(name, stage)
                updates.append(RefUpdate(refs.tag_ref(tag), None, old.oid))
                pushes.append(PushSpec(refs.tag_ref(tag), None, old.oid))
                changed_tags.append(tag)
                prev = _version_at(root, name, old.commit)
                if prev and (name, prev) not in held:  # left the stage: archived (MLflow's None)
                    displaced.append(Change(name, prev, stage, f"removed from {stage}" + (f": {why}" if why else "")))
    plan = Plan(tuple(updates), tuple(pushes), tags=tuple(changed_tags))
    return plan + _archive(root, branches[ARCHIVED], displaced, held, who, now)


def archive(
    root: Path, ab: StageBranch, versions: list[Change], held: set[tuple[str, str]], who: Ident, now: str
) -> Plan:
    """Archive ``versions`` (each with its reason) that hold no stage; unarchive held ones."""
    return _archive(root, ab, versions, held, who, now)


def _archive(
    root: Path, ab: StageBranch, displaced: list[Change], held: set[tuple[str, str]], who: Ident, now: str
) -> Plan:
    file = ab.file
    archived, unarchived = [], []
    for ch in displaced:
        entries = file.archived.get(ch.model, ())
        if any(e.version == ch.version for e in entries):
            continue
        tag = refs.version_tag(ch.model, ch.version)
        commit = git.rev_parse(root, f"{refs.tag_ref(tag)}^{{commit}}") or ""
        entry = Entry(ch.version, tag, commit, _weights_md5(root, tag), now, who.who, ch.reason, "archive")
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
    move = branch_update(ab, stage_commit(root, ab, file, message))
    return Plan(move.updates, move.pushes, tuple(archived), tuple(unarchived))


def _version_at(root: Path, name: str, commit: str) -> str | None:
    """The version of ``name`` tagged on ``commit`` (one model's tags only)."""
    for t in gitrefs.list_ref_targets(root, [refs.version_tag_pattern(name)]):
        parsed = refs.parse_version_tag(t.ref)
        if parsed is not None and parsed.name == name and t.commit == commit:
            return parsed.version
    return None


def _weights_md5(root: Path, tag: str) -> str:
    contents = git.out(root, ["for-each-ref", "--format=%(contents)", refs.tag_ref(tag)])
    weights = parse_summary(contents).get("weights") or {}
    return str(weights.get("md5") or "") if isinstance(weights, dict) else ""
