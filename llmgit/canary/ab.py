"""Canary rollouts recorded on a stage branch: start (or change the share), abort, promote.

A canary lives in the stage holder's ``stage.yaml`` entry (see :mod:`llmgit.core.canaryfile`).
Each change is one commit on the stage branch carrying ``stage.yaml`` and the re-rendered
manifests under ``deploy/NAME/``; with ``push``, the candidate's weights go to the DVC remote
first, then one atomic git push, then the local refs (:func:`llmgit.stages.promote.publish`).
Promotion goes through :func:`llmgit.stages.promote.apply_transition`, so the stage tag moves
and the replaced holder is archived exactly as a promotion would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmgit.core import canaryfile, refs
from llmgit.store import serving as deploy, branches as stages
from llmgit.infra import git
from llmgit.core.canaryfile import Canary
from llmgit.core.config import ARCHIVED
from llmgit.errors import UsageError
from llmgit.infra.manifests import ServingMode, aborted, promoted
from llmgit.core.model import ModelVersion
from llmgit.store.reconcile import Plan, branch_update
from llmgit.core.stagefile import Entry, StageFile
from llmgit.store.branches import StageBranch
from llmgit.stages.promote import TransitionResult, apply_transition, new_entry, publish

if TYPE_CHECKING:
    from llmgit.store.store import Registry


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
            "model": self.model, "stage": self.stage, "action": self.action, "stable": self.stable,
            "candidate": self.candidate, "percent": self.percent, "mode": self.mode,
            "commit": self.commit, "branch": self.branch.removeprefix(refs.HEADS),
            "files": list(self.files), "pushed": self.pushed,
            "archived": [c.version for c in self.plan.archived], "tags": list(self.plan.tags),
        }


def _message(subject: str, reason: str, name: str, version: str, stage: str, *,
             previous: str | None = None, percent: int | None = None) -> str:
    trailers = [f"Llmgit-Model: {name}", f"Llmgit-Version: {version}", f"Llmgit-Stage: {stage}"]
    if previous:
        trailers.append(f"Llmgit-Previous: {previous}")
    if percent is not None:
        trailers.append(f"Llmgit-Canary-Percent: {percent}")
    body = f"\n\n{reason}" if reason else ""
    return f"{subject}{body}\n\n" + "\n".join(trailers) + "\n"


def _open(reg: Registry, name: str, stage: str) -> tuple[dict[str, StageBranch], StageBranch]:
    settings = reg.require_initialized()
    refs.validate_model_name(name)
    stage = stages.check_stage(settings, stage, holding=True)
    reg.require_history()
    branches = reg.stage_branches()
    return branches, branches[stage]


def state(reg: Registry, name: str, *, stage: str = "production") -> CanaryState:
    """The holder of ``stage`` and its canary (an error when no version holds the stage)."""
    _, sb = _open(reg, name, stage)
    holder, canary = deploy.holder_of(sb, name)
    return CanaryState(name, sb.stage, holder, canary)


def _running(reg: Registry, name: str, stage: str) -> tuple[dict[str, StageBranch], StageBranch, Entry, Canary]:
    branches, sb = _open(reg, name, stage)
    holder, canary = deploy.holder_of(sb, name)
    if canary is None:
        raise UsageError(
            f"no canary of '{name}' runs in {sb.stage}",
            hint=f"start one: llmgit ab start {name} --candidate X.Y.Z --percent 10",
        )
    return branches, sb, holder, canary


def _check_previous_stage(reg: Registry, branches: dict[str, StageBranch], v: ModelVersion,
                          stage: str) -> None:
    settings = reg.settings
    idx = settings.stages.index(stage)
    if idx == 0 or not settings.require_previous_stage:
        return
    before = settings.stages[idx - 1]
    holds = branches[before].file.holders.get(v.name)
    if holds is not None and holds.version == v.version:
        return
    if any(e.version == v.version and e.stage == before for e in stages.history(reg.root, settings, v.name)):
        return
    raise UsageError(f"{v.tag} has never been in {before}",
                     hint=f"promote it to {before} first, or pass --skip-{before}")


def _candidate(reg: Registry, name: str, candidate: str) -> ModelVersion:
    reference = candidate if "@" in candidate else f"{name}@{candidate}"
    v = reg.get(reference)
    if v.name != name:
        raise UsageError(f"the candidate {v.tag} is not a version of '{name}'")
    return v


def start(reg: Registry, name: str, candidate: str, percent: int, *, stage: str = "production",
          mode: str | None = None, reason: str = "", skip_previous_stage: bool = False,
          push: bool = False) -> CanaryResult:
    """Send ``percent`` of ``stage``'s traffic for ``name`` to ``candidate``.

    The same candidate again with another percent changes its share; another candidate while
    one runs is refused (abort or promote it first).
    """
    canaryfile.check_percent(percent)
    branches, sb = _open(reg, name, stage)
    holder, running = deploy.holder_of(sb, name)
    v = _candidate(reg, name, candidate)
    if v.version == holder.version:
        raise UsageError(f"{v.tag} already holds {sb.stage}; a canary needs another version",
                         hint=f"'llmgit versions {name}' lists the registered versions")
    if running is not None and running.version != v.version:
        raise UsageError(
            f"a canary of '{name}' already runs in {sb.stage}: v{running.version} at {running.percent}%",
            hint=f"end it first: llmgit ab abort {name} --reason ..., or llmgit ab promote {name}",
        )
    if v.version in branches[ARCHIVED].file.versions_of(name):
        raise UsageError(f"{v.tag} is archived",
                         hint=f"to serve it again, roll back to it: llmgit rollback {name} --to {v.version}")
    if running is None and not skip_previous_stage:
        _check_previous_stage(reg, branches, v, sb.stage)
    chosen = deploy.serving_mode(reg, mode, running, sb, name)
    if running is not None and running.percent == percent and running.mode == chosen.value:
        return CanaryResult(name, sb.stage, "noop", holder.version, v.version, percent, chosen.value,
                            None, sb.branch, (), Plan())
    who = git.ident(reg.root)
    from llmgit.store.store import iso_time

    record = Canary(v.version, v.tag, v.commit, v.weights.md5 if v.weights else "", percent,
                    chosen.value, running.since if running else iso_time(who),
                    running.by if running else who.who, reason or (running.reason if running else ""))
    new_file = sb.file.with_holder(name, canaryfile.with_canary(holder, record))
    stable = reg.get(holder.tag)
    rendering = deploy.render(reg, sb.stage, deploy.spec(reg, name, stable, v, percent, chosen))
    action = "percent" if running else "start"
    subject = (f"set canary {name} v{v.version} to {percent}% in {sb.stage}" if running else
               f"start canary {name} v{v.version} at {percent}% in {sb.stage}")
    message = _message(subject, reason, name, v.version, sb.stage, previous=holder.version, percent=percent)
    commit, plan = _record(reg, sb, new_file, rendering, message, [v], push=push)
    return CanaryResult(name, sb.stage, action, holder.version, v.version, percent, chosen.value,
                        commit, sb.branch, tuple(rendering.files), plan, pushed=push)


def _record(reg: Registry, sb: StageBranch, new_file: StageFile, rendering: deploy.Rendering,
            message: str, weights: list[ModelVersion], *, push: bool) -> tuple[str, Plan]:
    """One stage-branch commit (stage.yaml and the re-rendered manifests), published."""
    commit = deploy.commit(reg.root, sb, new_file, rendering.files, message)
    local, spec = branch_update(sb, commit)
    plan = Plan((local,), (spec,))
    publish(reg, plan, weights, push=push)
    return commit, plan


def abort(reg: Registry, name: str, *, stage: str = "production", reason: str = "",
          push: bool = False) -> CanaryResult:
    """End the canary: all traffic back to the holder (Knative: percent 0; Standard: no entry)."""
    _, sb, holder, canary = _running(reg, name, stage)
    stable, candidate = reg.get(holder.tag), reg.get(canary.tag)
    mode = ServingMode(canary.mode)
    spec = aborted(deploy.spec(reg, name, stable, candidate, canary.percent, mode))
    rendering = deploy.render(reg, sb.stage, spec)
    new_file = sb.file.with_holder(name, canaryfile.with_canary(holder, None))
    message = _message(f"abort canary {name} v{canary.version} in {sb.stage}", reason, name,
                       canary.version, sb.stage, previous=holder.version, percent=0)
    commit, plan = _record(reg, sb, new_file, rendering, message, [], push=push)
    return CanaryResult(name, sb.stage, "abort", holder.version, canary.version, 0, canary.mode,
                        commit, sb.branch, tuple(rendering.files), plan, pushed=push)


def promote(reg: Registry, name: str, *, stage: str = "production", reason: str = "",
            push: bool = False) -> CanaryResult:
    """The candidate takes the stage (action ``canary-promote``); the old holder is archived."""
    branches, sb, holder, canary = _running(reg, name, stage)
    stable, candidate = reg.get(holder.tag), reg.get(canary.tag)
    mode = ServingMode(canary.mode)
    spec = promoted(deploy.spec(reg, name, stable, candidate, canary.percent, mode))
    rendering = deploy.render(reg, sb.stage, spec)
    who = git.ident(reg.root)
    entry = new_entry(reg, candidate, who, reason or canary.reason, "canary-promote")
    new_file = sb.file.with_holder(name, entry)
    message = _message(f"promote canary {name} v{candidate.version} to {sb.stage}", reason, name,
                       candidate.version, sb.stage, previous=holder.version, percent=100)
    commit = deploy.commit(reg.root, sb, new_file, rendering.files, message)
    result = apply_transition(reg, branches, sb.stage, candidate, holder.version, commit, new_file,
                              who, entry.since, push=push)
    return CanaryResult(name, sb.stage, "promote", holder.version, candidate.version, 100,
                        canary.mode, commit, sb.branch, tuple(rendering.files), result.plan,
                        pushed=push, transition=result)


def rollback(reg: Registry, name: str, to: str, *, stage: str = "production", reason: str = "",
             push: bool = False) -> TransitionResult:
    """Roll ``stage`` back to ``to`` like ``llmgit rollback`` (which re-renders the manifests on
    the stage branch when it carries them, so a GitOps watcher deploys the rollback too)."""
    from llmgit.stages.promote import rollback as stage_rollback

    return stage_rollback(reg, name, stage=stage, to=to, reason=reason, push=push)
