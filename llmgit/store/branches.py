"""Reading stages: the stage branches' ``stage.yaml`` and the history along each branch.

The stage branches are the source of truth. History is derived from how ``stage.yaml``
changed along each branch's first-parent line, so a promotion merged as a merge commit,
squashed or rebased reads the same.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from llmgit.infra import git
from llmgit.core import refs, stagefile
from llmgit.core.config import ARCHIVED, Settings
from llmgit.errors import UnknownReference, UsageError
from llmgit.infra.files import write_atomic
from llmgit.core.stagefile import Entry, StageFile


@dataclass(frozen=True)
class StageBranch:
    stage: str
    branch: str  # refs/heads/<prefix><stage>
    tip: str | None  # None when the stage has no branch yet
    file: StageFile
    local_tip: str | None = None  # what the local branch points to (may lag the remote)


@dataclass(frozen=True)
class HistoryEvent:
    """One change of one model in one stage."""

    stage: str
    model: str
    action: str  # promote, rollback, canary-promote, archive, unarchive, remove, import
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
            "stage": self.stage, "model": self.model, "action": self.action,
            "version": self.version, "previous": self.previous, "when": self.when,
            "by": self.by, "committer": self.committer, "reason": self.reason,
            "commit": self.commit,
        }


# actions after which the event's version holds the stage (canary events do not change it)
HOLDER_ACTIONS = ("promote", "rollback", "canary-promote", "import")


def branch_ref(settings: Settings, stage: str) -> str:
    return refs.HEADS + refs.stage_branch(settings.stage_branch_prefix, stage)


def check_stage(settings: Settings, stage: str, *, holding: bool) -> str:
    if stage == ARCHIVED and holding:
        raise UsageError(
            f"'{ARCHIVED}' is terminal: versions are archived when they leave their last stage",
            hint=f"promote to one of: {', '.join(settings.stages)}",
        )
    if stage not in settings.all_stages:
        raise UnknownReference(
            f"unknown stage '{stage}'", hint=f"stages in llmgit.yaml: {', '.join(settings.all_stages)}"
        )
    return stage


def tip_of(root: Path, settings: Settings, stage: str) -> tuple[str | None, str | None]:
    """(tip to build on, local tip). A remote-tracking branch ahead of the local one wins."""
    local = git.rev_parse(root, branch_ref(settings, stage))
    remote_ref = f"refs/remotes/{settings.git_remote}/{refs.stage_branch(settings.stage_branch_prefix, stage)}"
    remote = git.rev_parse(root, remote_ref)
    if remote and (local is None or (local != remote and git.is_ancestor(root, local, remote))):
        return remote, local
    return local, local


def read(root: Path, settings: Settings, stage: str) -> StageBranch:
    tip, local = tip_of(root, settings, stage)
    branch = branch_ref(settings, stage)
    if tip is None:
        return StageBranch(stage, branch, None, StageFile(stage), None)
    return StageBranch(stage, branch, tip, _parsed(root, tip, stage, branch[len(refs.HEADS):]), local)


def _cache_file(root: Path, blob: str) -> Path:
    return git.common_dir(root) / "llmgit" / "cache" / "stage-files" / f"{blob}.json"


def _remember(root: Path, blob: str, sf: StageFile) -> None:
    try:
        path = _cache_file(root, blob)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(stagefile.to_document(sf)).encode())
    except OSError:
        pass  # a read-only repository: no cache, same answers


def _parsed(root: Path, tip: str, stage: str, branch: str) -> StageFile:
    """The stage file at ``tip``, parsed once per blob: YAML of a thousand models takes a
    noticeable fraction of a second, so the parsed form is cached as JSON under the git
    directory, keyed by the blob id (content-addressed: never stale)."""
    blob = git.rev_parse(root, f"{tip}:{stagefile.FILE}")
    if blob is None:
        return stagefile.parse(None, stage, branch)
    try:
        doc = json.loads(_cache_file(root, blob).read_text(encoding="utf-8"))
        return stagefile.from_document(doc, stage, branch, trusted=True)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    parsed = stagefile.parse(git.read_blobs(root, [blob])[blob], stage, branch)
    _remember(root, blob, parsed)
    return parsed


def stage_blob(root: Path, sf: StageFile) -> str:
    """Write ``sf`` as a blob (for a new stage commit) and remember it parsed."""
    blob = git.hash_object(root, stagefile.dump(sf).encode())
    _remember(root, blob, sf)
    return blob


def read_all(root: Path, settings: Settings) -> dict[str, StageBranch]:
    return {s: read(root, settings, s) for s in settings.all_stages}


def stages_of(branches: dict[str, StageBranch], name: str, version: str) -> list[str]:
    """The holding stages where ``version`` of ``name`` is the holder."""
    return [
        s for s, b in branches.items()
        if s != ARCHIVED and (e := b.file.holders.get(name)) is not None and e.version == version
    ]


def history(root: Path, settings: Settings, name: str | None = None) -> list[HistoryEvent]:
    """Every stage change (of one model, or all), oldest first."""
    events: list[HistoryEvent] = []
    for stage in settings.all_stages:
        tip, _ = tip_of(root, settings, stage)
        if tip is None:
            continue
        commits = list(reversed(git.first_parent_log(root, tip)))
        blobs = git.read_blobs(root, [f"{c.commit}:{stagefile.FILE}" for c in commits])
        previous = StageFile(stage)
        branch = refs.stage_branch(settings.stage_branch_prefix, stage)
        for c in commits:
            blob = blobs[f"{c.commit}:{stagefile.FILE}"]
            try:
                current = (stagefile.parse_model(blob, stage, branch, name) if name
                           else stagefile.parse(blob, stage, branch))
            except UsageError:
                continue  # a broken intermediate state: compare the next good one with the last
            events.extend(_diff(stage, previous, current, c, name))
            previous = current
    events.sort(key=lambda e: e.when)
    return events


def _event(stage: str, model: str, action: str, entry: Entry, previous: str | None,
           c: git.CommitInfo) -> HistoryEvent:
    return HistoryEvent(stage, model, action, entry.version, previous, c.date, entry.by,
                        c.committer, entry.reason, c.commit, dict(entry.extra))


def _diff(stage: str, old: StageFile, new: StageFile, c: git.CommitInfo,
          only: str | None) -> list[HistoryEvent]:
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
        if b is None and a is not None:
            out.append(_event(stage, model, "remove", a, a.version, c))
        elif b is not None and (a is None or a.version != b.version or a.commit != b.commit):
            out.append(_event(stage, model, b.action, b, a.version if a else None, c))
        elif a is not None and b is not None:
            out.extend(_canary_events(stage, model, a, b, c))
    return out


def _canary_events(stage: str, model: str, a: Entry, b: Entry, c: git.CommitInfo) -> list[HistoryEvent]:
    """Canary start, share change and abort on an unchanged holder."""
    before, after = a.extra.get("canary"), b.extra.get("canary")
    before = before if isinstance(before, dict) else None
    after = after if isinstance(after, dict) else None
    if before == after:
        return []
    if after is None and before is not None:  # removed while the holder stayed: aborted
        kind, data, who, why = "canary-abort", before, c.committer, ""
    elif after is not None and (before is None or before.get("version") != after.get("version")):
        kind, data, who, why = "canary-start", after, str(after.get("by", "")), str(after.get("reason", ""))
    elif after is not None:
        kind, data, who, why = "canary-percent", after, str(after.get("by", "")), str(after.get("reason", ""))
    else:
        return []
    share = f" at {data.get('percent')}%" if kind != "canary-abort" else ""
    return [HistoryEvent(stage, model, kind, str(data.get("version", "")), a.version, c.date, who,
                         c.committer, (why + share).strip() if share else why or c.subject, c.commit,
                         {"percent": data.get("percent")})]


def parse_when(text: str) -> dt.datetime:
    """An ISO date (meaning the end of that day, UTC) or date-time (naive means UTC)."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"'{text}' is not an ISO date or date-time",
                         hint="write 2026-10-01 or 2026-10-01T12:00:00+02:00") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def holders_at(events: list[HistoryEvent], when: dt.datetime) -> dict[tuple[str, str], HistoryEvent]:
    """(model, stage) -> the event that made the holder current at ``when`` (holding stages)."""
    state: dict[tuple[str, str], HistoryEvent] = {}
    for e in events:
        if e.stage == ARCHIVED or parse_when(e.when) > when:
            continue
        if e.action == "remove":
            state.pop((e.model, e.stage), None)
        else:
            state[(e.model, e.stage)] = e
    return state
