"""``llmgit import gto``: stage branches and their history from a GTO repository's tags.

GTO writes ``NAME@vX.Y.Z`` (the same version tags as llmgit), ``NAME#STAGE#N`` (assign),
``NAME#STAGE!#N`` (unassign), ``NAME@vX.Y.Z!`` (deregister) and ``NAME@deprecated``. The
events are replayed in time order (GTO's counter breaks ties) with GTO's own reading: a
stage is held by the version most recently assigned to it and not unassigned, deregistered
or deprecated since. Each change becomes one commit on the stage branch, dated and authored
as the GTO tag; versions that leave their last stage go to ``archived``. Then the
``NAME#STAGE`` pointers are created. No GTO tag is changed. Dry run unless ``apply``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from llmgit.core import refs
from llmgit.core.history import HistoryEvent
from llmgit.core.ident import iso_time
from llmgit.core.plan import ZERO, RefUpdate
from llmgit.core.refs import ARCHIVED
from llmgit.core.summary import parse_summary
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.setup.gto_replay import Event, Problem, Replay
from llmgit.store import history as stage_history
from llmgit.store.branches import branch_ref, check_stage, read_all
from llmgit.store.reconcile import reconcile
from llmgit.store.store import Store

_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9/_-]*[a-zA-Z0-9])?"
_SEMVER = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
TAG_RE = re.compile(
    rf"^(?P<artifact>(?:[a-zA-Z0-9._/-]+=)?{_NAME})"
    rf"(?:(?:#(?P<stage>{_NAME})|@(?P<version>v{_SEMVER}))(?P<cancel>!?)|@(?P<deprecated>deprecated)"
    rf"|@(?P<created>created))(?:#(?P<counter>\d+))?$"
)
_FORMAT = (
    "%(refname)%00%(objecttype)%00%(*objectname)%00%(taggerdate:unix)%00%(taggerdate:iso-strict)"
    "%00%(taggername) %(taggeremail)%00%(contents)%00"
)


@dataclass(frozen=True)
class GtoImport:
    transitions: tuple[HistoryEvent, ...]  # in time order (commit ids empty in a dry run)
    holders: dict[str, dict[str, str]]  # stage -> model -> version, at the end
    archived: dict[str, list[str]]  # model -> archived versions, at the end
    pointers: tuple[str, ...]  # NAME#STAGE tags created (or to create)
    problems: tuple[Problem, ...]
    tags_read: int
    applied: bool = False
    branches: dict[str, str] = field(default_factory=dict)  # branch -> new tip (applied)

    def to_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "tags_read": self.tags_read,
            "transitions": [e.to_json() for e in self.transitions],
            "holders": self.holders,
            "archived": self.archived,
            "pointers": list(self.pointers),
            "problems": [p.to_json() for p in self.problems],
            "branches": self.branches,
        }


def _is_llmgit_pointer(contents: str) -> bool:
    return parse_summary(contents).get("llmgit") == 1


def read_events(reg: Store) -> tuple[list[Event], list[Problem], int]:
    """GTO events from every tag, oldest first; llmgit's own stage pointers are skipped."""
    raw = git.out(reg.root, ["for-each-ref", f"--format={_FORMAT}", refs.TAGS])
    events: list[Event] = []
    problems: list[Problem] = []
    read = 0
    for chunk in raw.split("\0\n"):
        if not chunk:
            continue
        ref, otype, commit, stamp, date, who, contents = chunk.split("\0", 6)
        tag = ref[len(refs.TAGS) :]
        m = TAG_RE.match(tag)
        if m is None or m["created"]:
            continue
        if otype != "tag":
            problems.append(Problem(tag, "a lightweight tag: GTO reads only annotated tags"))
            continue
        if m["stage"] and not m["counter"] and not m["cancel"] and _is_llmgit_pointer(contents):
            continue
        read += 1
        kind = (
            "deprecate"
            if m["deprecated"]
            else ("deregister" if m["cancel"] else "register")
            if m["version"]
            else "unassign"
            if m["cancel"]
            else "assign"
        )
        events.append(
            Event(
                tag=tag,
                kind=kind,
                artifact=m["artifact"],
                version=m["version"],
                stage=m["stage"],
                counter=int(m["counter"]) if m["counter"] else None,
                commit=commit,
                stamp=int(stamp or 0),
                date=date,
                by=who.strip(),
            )
        )
    order = {"register": 0, "assign": 1, "unassign": 1, "deregister": 2, "deprecate": 3}
    events.sort(key=lambda e: (e.stamp, order[e.kind], e.counter or 0, e.tag))
    return events, problems, read


def plan_import(reg: Store, stage_map: dict[str, str] | None = None) -> tuple[GtoImport, Replay]:
    settings = reg.require_initialized()
    existing = [s for s in settings.all_stages if git.rev_parse(reg.root, branch_ref(settings, s))]
    if existing:
        names = ", ".join(refs.stage_branch(settings.stage_branch_prefix, s) for s in existing)
        raise UsageError(
            f"stage branches already exist ({names}): import builds their history from scratch",
            hint="import into a registry that has no stage history yet",
        )
    mapping = dict(stage_map or {})
    for ours in mapping.values():
        check_stage(settings, ours, holding=True)
    events, problems, read = read_events(reg)
    known = {(v.name, v.version): v for v in reg.versions_all()}
    replay = Replay(reg.root, settings.stages, mapping, known)
    for e in events:
        replay.apply(e)
    problems += replay.problems
    holders = {
        s: {m: e.version for m, e in sorted(f.holders.items())} for s, f in replay.files.items() if s != ARCHIVED
    }
    archived = {m: [e.version for e in es] for m, es in sorted(replay.files[ARCHIVED].archived.items())}
    pointers = tuple(refs.stage_tag(m, s) for s, held in holders.items() for m in held)
    for p in pointers:
        if git.rev_parse(reg.root, refs.TAGS + p):
            problems.append(
                Problem(
                    p,
                    "a GTO tag already has the name of llmgit's stage pointer, which "
                    "llmgit moves on every promotion; map the stage to another name",
                    blocking=True,
                )
            )
    result = GtoImport(tuple(replay.events), holders, archived, pointers, tuple(problems), read)
    return result, replay


def import_gto(reg: Store, *, apply: bool = False, stage_map: dict[str, str] | None = None) -> GtoImport:
    """Report what the import would do; with ``apply``, build the branches and pointers."""
    result, replay = plan_import(reg, stage_map)
    if not apply or not replay.commits:
        return result
    blocking = [p for p in result.problems if p.blocking]
    if blocking:
        raise UsageError(
            f"cannot import: {blocking[0].tag}: {blocking[0].reason}",
            hint="fix the problems the dry run lists ('llmgit import gto'), then retry",
        )
    settings = reg.settings
    tips = replay.write_commits(reg.root)
    branches = read_all(reg.root, settings)
    after = {s: b.with_tip(tips[s], replay.files[s]) if s in tips else b for s, b in branches.items()}
    who = git.ident(reg.root)
    plan = reconcile(reg.root, settings, after, who, iso_time(who))
    updates = [RefUpdate(branch_ref(settings, s), tip, ZERO) for s, tip in tips.items()]
    git.update_refs(reg.root, [*updates, *plan.updates])
    events = tuple(stage_history.read(reg.root, settings))
    return GtoImport(
        events,
        result.holders,
        result.archived,
        result.pointers,
        result.problems,
        result.tags_read,
        applied=True,
        branches={refs.stage_branch(settings.stage_branch_prefix, s): t for s, t in tips.items()},
    )
