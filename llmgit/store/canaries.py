"""A canary as part of a stage: which version holds the stage and which one gets a share of
its traffic, the stage-branch commit that records a change of the canary (``stage.yaml`` and
the re-rendered manifests), and ending a canary (shared by ``ab abort`` and the guard).

A canary lives in the stage holder's ``stage.yaml`` entry (:mod:`llmgit.core.canaryfile`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from llmgit.core import canaryfile, refs
from llmgit.core.canaryfile import Canary
from llmgit.core.deployspec import ServingMode, aborted
from llmgit.core.ident import Ident, iso_time
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan
from llmgit.core.stagefile import FILE, Entry, StageFile
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.store import commits, serving, writer
from llmgit.store.branches import StageBranch, check_stage
from llmgit.store.reconcile import branch_update, stage_commit
from llmgit.store.store import Store
from llmgit.store.transitions import TransitionResult, message


@dataclass(frozen=True)
class CanaryState:
    """A model in a stage: the holder (the stable version) and its running canary, if any."""

    model: str
    stage: str
    holder: Entry
    canary: Canary | None


@dataclass(frozen=True)
class CanaryResult:
    model: str
    stage: str
    action: str  # start | percent (a running canary's share changed) | abort | promote | noop
    stable: str  # the version holding the stage before this change
    candidate: str
    percent: int  # the candidate's share after the change (0 after an abort, 100 after a promotion)
    mode: str
    commit: str | None  # the stage-branch commit; None for a no-op
    branch: str
    files: tuple[str, ...]  # manifests written on the stage branch
    plan: Plan
    pushed: bool = False
    transition: TransitionResult | None = None  # for a promotion: tags moved, versions archived
    note: str = ""  # for a no-op: why nothing changed

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "stage": self.stage,
            "action": self.action,
            "stable": self.stable,
            "candidate": self.candidate,
            "percent": self.percent,
            "mode": self.mode,
            "commit": self.commit,
            "branch": refs.short(self.branch),
            "files": list(self.files),
            "pushed": self.pushed,
            "archived": [c.version for c in self.plan.archived],
            "tags": list(self.plan.tags),
        }


def open_stage(store: Store, name: str, stage: str) -> tuple[dict[str, StageBranch], StageBranch]:
    """Every stage branch, and ``stage``'s, after checking the model, the stage and the clone."""
    settings = store.require_initialized()
    refs.validate_model_name(name)
    stage = check_stage(settings, stage, holding=True)
    store.require_history()
    branches = store.stage_branches()
    return branches, branches[stage]


def state(store: Store, name: str, *, stage: str = "production") -> CanaryState:
    """The holder of ``stage`` and its canary (an error when no version holds the stage)."""
    _, sb = open_stage(store, name, stage)
    holder, canary = serving.holder_of(sb, name)
    return CanaryState(name, sb.stage, holder, canary)


def running(store: Store, name: str, stage: str) -> tuple[dict[str, StageBranch], StageBranch, Entry, Canary]:
    """The stage's holder and its canary; an error when no canary runs."""
    branches, sb = open_stage(store, name, stage)
    holder, canary = serving.holder_of(sb, name)
    if canary is None:
        raise UsageError(
            f"no canary of '{name}' runs in {sb.stage}",
            hint=f"start one: llmgit ab start {name} --candidate X.Y.Z --percent 10",
        )
    return branches, sb, holder, canary


def record(
    store: Store,
    sb: StageBranch,
    new_file: StageFile,
    rendering: serving.Rendering,
    text: str,
    weights: list[ModelVersion],
    *,
    push: bool,
) -> tuple[str, Plan]:
    """One stage-branch commit (stage.yaml and the re-rendered manifests), applied."""
    commit = stage_commit(store.root, sb, new_file, text, commits.blobs(store.root, rendering.files))
    plan = branch_update(sb, commit)
    writer.apply(store.root, store.settings.git_remote, plan, weights, push=push)
    return commit, plan


def ended(holder: Entry, who: Ident, reason: str) -> Entry:
    """The holder's entry once its canary ended: the transition is a canary-abort by ``who``
    now, for ``reason`` (I1); the version, tag and commit stay."""
    return replace(
        canaryfile.with_canary(holder, None), action="canary-abort", by=who.who, since=iso_time(who), reason=reason
    )


def _abort_commit(
    store: Store, sb: StageBranch, name: str, holder: Entry, canary: Canary, reason: str, who: Ident
) -> tuple[str, StageFile, serving.Rendering]:
    """The stage-branch commit ending ``canary`` (not applied): stage.yaml and the manifests."""
    stable, candidate = store.get(holder.tag), store.get(canary.tag)
    spec = aborted(serving.spec(store, name, stable, candidate, canary.percent, ServingMode(canary.mode)))
    rendering = serving.render(store, sb.stage, spec)
    new_file = sb.file.with_holder(name, ended(holder, who, reason))
    text = message(
        f"abort canary {name} v{canary.version} in {sb.stage}",
        reason,
        name,
        canary.version,
        sb.stage,
        previous=holder.version,
        percent=0,
    )
    commit = stage_commit(store.root, sb, new_file, text, commits.blobs(store.root, rendering.files))
    return commit, new_file, rendering


def end_before(store: Store, sb: StageBranch, name: str, cause: str, reason: str, who: Ident) -> StageBranch:
    """I4: before ``cause`` (rollback, guard, promote, archive) changes the holder of ``name``,
    the running canary ends: a canary-abort commit (``ended by CAUSE: REASON``) on the branch,
    not yet applied; the holder change is committed on top, and both move in one update.
    ``sb`` unchanged when no canary runs."""
    holder = sb.file.holders.get(name)
    if holder is None:
        return sb
    canary = canaryfile.of(holder, f"{sb.short}:{FILE}: models.{name}")
    if canary is None:
        return sb
    why = f"ended by {cause}" + (f": {reason}" if reason else "")
    commit, new_file, _ = _abort_commit(store, sb, name, holder, canary, why, who)
    return sb.with_tip(commit, new_file)


def abort(store: Store, name: str, *, stage: str = "production", reason: str = "", push: bool = False) -> CanaryResult:
    """End the canary: all traffic back to the holder (Knative: percent 0; Standard: no entry).
    Run again after the abort landed (a retry), it changes nothing and says so (I7)."""
    _, sb = open_stage(store, name, stage)
    entry, current = serving.holder_of(sb, name)
    if current is None and entry.action == "canary-abort":
        note = f"the canary of '{name}' in {sb.stage} was already aborted on {entry.since[:10]}; nothing changed"
        return CanaryResult(name, sb.stage, "noop", entry.version, "", 0, "", None, sb.branch, (), Plan(), note=note)
    _, sb, holder, canary = running(store, name, stage)
    commit, new_file, rendering = _abort_commit(store, sb, name, holder, canary, reason, git.ident(store.root))
    plan = branch_update(sb, commit)
    writer.apply(store.root, store.settings.git_remote, plan, [], push=push)
    return CanaryResult(
        name,
        sb.stage,
        "abort",
        holder.version,
        canary.version,
        0,
        canary.mode,
        commit,
        sb.branch,
        tuple(rendering.files),
        plan,
        pushed=push,
    )
