"""Replaying GTO events into llmgit stage files, one commit per change (see ``gto_import``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmgit.core import refs, stagefile, versions
from llmgit.core.bounded import escape_control
from llmgit.core.history import HistoryEvent
from llmgit.core.ident import MAX_WHO
from llmgit.core.model import ModelVersion
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import Entry, StageFile
from llmgit.errors import InvalidName
from llmgit.infra import git


@dataclass(frozen=True)
class Event:
    """One GTO tag."""

    tag: str
    kind: str  # register | deregister | assign | unassign | deprecate
    artifact: str
    version: str | None  # as in the tag: v1.2.0
    stage: str | None
    counter: int | None
    commit: str
    stamp: int  # tagger date, seconds since the epoch
    date: str  # tagger date, ISO 8601
    by: str  # tagger "Name <email>"


@dataclass(frozen=True)
class Pending:
    """A stage-branch commit to write: the file after ``event``."""

    stage: str
    file: StageFile
    message: str
    event: Event


@dataclass(frozen=True)
class Problem:
    tag: str
    reason: str
    blocking: bool = False  # --apply refuses while any is blocking

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.tag, "reason": self.reason, "blocking": self.blocking}


def _trailers(model: str, version: str, stage: str, previous: str | None) -> tuple[str, ...]:
    """The trailers llmgit's own stage commits carry (``store.transitions.message``)."""
    found = (f"Llmgit-Model: {model}", f"Llmgit-Version: {version}", f"Llmgit-Stage: {stage}")
    return (*found, f"Llmgit-Previous: {previous}") if previous else found


@dataclass
class Replay:
    root: Path
    stages: Sequence[str]  # llmgit's holding stages
    mapping: Mapping[str, str]  # GTO stage -> llmgit stage
    known: Mapping[tuple[str, str], ModelVersion]  # (model, version) -> llmgit's view of the tag
    files: dict[str, StageFile] = field(default_factory=dict)
    events: list[HistoryEvent] = field(default_factory=list)
    commits: list[Pending] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _assigned: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    _dropped: set[tuple[str, str]] = field(default_factory=set)  # deregistered versions
    _deprecated: set[str] = field(default_factory=set)
    _bad_names: set[str] = field(default_factory=set)
    _seq: int = 0

    def __post_init__(self) -> None:
        self.files = {s: StageFile(s) for s in (*self.stages, ARCHIVED)}
        self._by_commit: dict[tuple[str, str], list[str]] = {}
        for (name, version), v in self.known.items():
            self._by_commit.setdefault((name, v.commit), []).append(version)

    def _problem(self, e: Event, reason: str) -> None:
        self.problems.append(Problem(e.tag, reason))

    def _model(self, e: Event) -> str | None:
        try:
            return refs.validate_model_name(e.artifact)
        except InvalidName:
            if e.artifact not in self._bad_names:
                self._bad_names.add(e.artifact)
                self._problem(e, f"'{e.artifact}' is not a valid llmgit model name: its tags are skipped")
            return None

    def _stage(self, e: Event) -> str | None:
        gto = e.stage or ""
        ours = self.mapping.get(gto, gto if gto in self.stages else None)
        if ours is None:
            self._problem(
                e,
                f"GTO stage '{gto}' is not a stage in llmgit.yaml "
                f"(map it with --stage {gto}=STAGE or add it to 'stages')",
            )
        return ours

    def _version_at(self, e: Event, model: str) -> str | None:
        found = self._by_commit.get((model, e.commit), [])
        if not found:
            self._problem(e, f"no version tag of '{model}' points at its commit {e.commit[:10]}")
            return None
        return max(found, key=versions.parse)

    def apply(self, e: Event) -> None:
        model = self._model(e)
        if model is None:
            return
        if e.kind == "register":
            self._dropped.discard((model, versions.normalize(e.version or "")))
            return
        before = self._holders(model)
        if e.kind in ("assign", "unassign"):
            stage = self._stage(e)
            version = self._version_at(e, model) if stage else None
            if stage is None or version is None:
                return
            slots = self._assigned.setdefault((model, stage), {})
            if e.kind == "assign":
                self._seq += 1
                slots[version] = self._seq
            else:
                slots.pop(version, None)
        elif e.kind == "deregister":
            self._dropped.add((model, versions.normalize(e.version or "")))
        elif e.kind == "deprecate":
            self._deprecated.add(model)
        self._record(e, model, before, self._holders(model))

    def _holders(self, model: str) -> dict[str, str]:
        if model in self._deprecated:
            return {}
        held = {}
        for stage in self.stages:
            live = {v: n for v, n in self._assigned.get((model, stage), {}).items() if (model, v) not in self._dropped}
            if live:
                held[stage] = max(live, key=lambda v: live[v])
        return held

    def _entry(self, model: str, version: str, e: Event, reason: str, action: str) -> Entry:
        v = self.known[(model, version)]
        md5 = v.weights.md5 if v.weights else ""
        by = escape_control(e.by)[:MAX_WHO]  # a GTO tagger, as llmgit records its own
        return Entry(version, v.tag, v.commit, md5, e.date, by, reason, action, {"gto_tag": e.tag})

    def _record(self, e: Event, model: str, before: dict[str, str], after: dict[str, str]) -> None:
        reason = f"imported from GTO tag {e.tag}"
        for stage in self.stages:
            old, new = before.get(stage), after.get(stage)
            if old == new:
                continue
            entry = self._entry(model, new, e, reason, "import") if new else None
            self.files[stage] = self.files[stage].with_holder(model, entry)
            # the subject names the version, as llmgit's own stage commits do; the GTO tag follows
            subject = f"import {model} v{new} to {stage}" if new else f"import: remove {model} v{old} from {stage}"
            trailers = _trailers(model, new or old or "", stage, old)
            self._commit(stage, f"{subject} (GTO tag {e.tag})", e, trailers=trailers)
            self.events.append(
                HistoryEvent(
                    stage, model, "import" if new else "remove", new or old or "", old, e.date, e.by, "", reason, ""
                )
            )
        self._archive(e, model, before, after)

    def _archive(self, e: Event, model: str, before: dict[str, str], after: dict[str, str]) -> None:
        archive = self.files[ARCHIVED]
        entries = list(archive.archived.get(model, ()))
        held = set(after.values())
        leaving = [v for v in dict.fromkeys(before.values()) if v not in held]
        if e.kind == "deregister":
            leaving.append(versions.normalize(e.version or ""))
        if e.kind == "deprecate":
            leaving += [v for (m, v) in self.known if m == model]
        changed = []
        for v in dict.fromkeys(leaving):
            if (model, v) in self.known and not any(x.version == v for x in entries):
                why = {
                    "deregister": f"deregistered in GTO ({e.tag})",
                    "deprecate": f"model deprecated in GTO ({e.tag})",
                }.get(e.kind, f"left its last stage (GTO tag {e.tag})")
                entries.append(self._entry(model, v, e, why, "archive"))
                changed.append(f"archive {model} v{v}: {why}")
        keep = [x for x in entries if x.version not in held]
        changed += [f"unarchive {model} v{x.version}: holds a stage again" for x in entries if x.version in held]
        if changed:
            self.files[ARCHIVED] = archive.with_archived(model, tuple(keep))
            self._commit(
                ARCHIVED,
                changed[0] if len(changed) == 1 else f"archive: {len(changed)} changes",
                e,
                "\n".join(changed) if len(changed) > 1 else "",
            )

    def _commit(self, stage: str, subject: str, e: Event, body: str = "", trailers: tuple[str, ...] = ()) -> None:
        tail = "".join(f"{t}\n" for t in (*trailers, f"Llmgit-Gto-Tag: {e.tag}"))
        message = f"{subject}\n\n" + (f"{body}\n\n" if body else "") + tail
        self.commits.append(Pending(stage, self.files[stage], message, e))

    def write_commits(self, root: Path) -> dict[str, str]:
        """Write every pending commit (dated and authored as its GTO tag); stage -> new tip."""
        tips: dict[str, str] = {}
        for p in self.commits:
            blob = git.hash_object(root, stagefile.dump(p.file).encode())
            tree = git.tree_with(root, None, {stagefile.FILE: blob})
            name, _, email = p.event.by.partition(" <")
            env = {
                "GIT_AUTHOR_NAME": name or "gto",
                "GIT_AUTHOR_EMAIL": email.rstrip(">"),
                "GIT_AUTHOR_DATE": p.event.date,
                "GIT_COMMITTER_DATE": p.event.date,
            }
            args = ["commit-tree", tree] + (["-p", tips[p.stage]] if p.stage in tips else [])
            tips[p.stage] = git.out(root, args, input=p.message.encode(), env=env).strip()
        return tips
