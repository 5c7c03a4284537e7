"""A canary as part of a stage: which version holds the stage and which one gets a share of
its traffic, the stage-branch commit that records a change of the canary (``stage.yaml`` and
the re-rendered manifests), and ending a canary (shared by ``ab abort`` and the guard).

A canary lives in the stage holder's ``stage.yaml`` entry (:mod:`llmgit.core.canaryfile`).
"""

from __future__ import annotations

from dataclasses import dataclass

from llmgit.core import canaryfile, refs
from llmgit.core.canaryfile import Canary
from llmgit.core.deployspec import ServingMode, aborted
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan
from llmgit.core.stagefile import Entry, StageFile
from llmgit.errors import UsageError
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


def abort(store: Store, name: str, *, stage: str = "production", reason: str = "", push: bool = False) -> CanaryResult:
    """End the canary: all traffic back to the holder (Knative: percent 0; Standard: no entry)."""
    _, sb, holder, canary = running(store, name, stage)
    stable, candidate = store.get(holder.tag), store.get(canary.tag)
    spec = aborted(serving.spec(store, name, stable, candidate, canary.percent, ServingMode(canary.mode)))
    rendering = serving.render(store, sb.stage, spec)
    new_file = sb.file.with_holder(name, canaryfile.with_canary(holder, None))
    text = message(
        f"abort canary {name} v{canary.version} in {sb.stage}",
        reason,
        name,
        canary.version,
        sb.stage,
        previous=holder.version,
        percent=0,
    )
    commit, plan = record(store, sb, new_file, rendering, text, [], push=push)
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
