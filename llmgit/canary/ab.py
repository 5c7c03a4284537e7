"""Canary rollouts recorded on a stage branch: start (or change the share), promote, abort.

Each change is one commit on the stage branch carrying ``stage.yaml`` and the re-rendered
manifests under ``deploy/NAME/``; with ``push``, the candidate's weights go to the storage
remote first, then one atomic git push, then the local refs. Promotion goes through the
stage engine (:mod:`llmgit.store.transitions`), so the stage tag moves and the replaced
holder is archived exactly as a promotion would.
"""

from __future__ import annotations

from llmgit.core import canaryfile
from llmgit.core.canaryfile import Canary
from llmgit.core.deployspec import ServingMode, promoted
from llmgit.core.ident import iso_time
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan
from llmgit.core.refs import ARCHIVED
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.store import canaries, serving
from llmgit.store.branches import StageBranch
from llmgit.store.canaries import CanaryResult
from llmgit.store.commits import blobs
from llmgit.store.reconcile import stage_commit
from llmgit.store.store import Store
from llmgit.store.transitions import apply_transition, ever_held, message, new_entry


def check_previous_stage(store: Store, branches: dict[str, StageBranch], v: ModelVersion, stage: str) -> None:
    """A version enters a stage only after the one before it (unless the settings say not)."""
    settings = store.settings
    idx = settings.stages.index(stage)
    if idx == 0 or not settings.require_previous_stage:
        return
    before = settings.stages[idx - 1]
    holds = branches[before].file.holders.get(v.name)
    if (holds is not None and holds.version == v.version) or ever_held(store, v.name, v.version, before):
        return
    raise UsageError(
        f"{v.tag} has never been in {before}", hint=f"promote it to {before} first, or pass --skip-{before}"
    )


def _candidate(store: Store, name: str, candidate: str) -> ModelVersion:
    reference = candidate if "@" in candidate else f"{name}@{candidate}"
    v = store.get(reference)
    if v.name != name:
        raise UsageError(f"the candidate {v.tag} is not a version of '{name}'")
    return v


def start(
    store: Store,
    name: str,
    candidate: str,
    percent: int,
    *,
    stage: str = "production",
    mode: str | None = None,
    reason: str = "",
    skip_previous_stage: bool = False,
    push: bool = False,
) -> CanaryResult:
    """Send ``percent`` of ``stage``'s traffic for ``name`` to ``candidate``.

    The same candidate again with another percent changes its share; another candidate while
    one runs is refused (abort or promote it first).
    """
    canaryfile.check_percent(percent)
    branches, sb = canaries.open_stage(store, name, stage)
    holder, running = serving.holder_of(sb, name)
    v = _candidate(store, name, candidate)
    if v.version == holder.version:
        raise UsageError(
            f"{v.tag} already holds {sb.stage}; a canary needs another version",
            hint=f"'llmgit versions {name}' lists the registered versions",
        )
    if running is not None and running.version != v.version:
        raise UsageError(
            f"a canary of '{name}' already runs in {sb.stage}: v{running.version} at {running.percent}%",
            hint=f"end it first: llmgit ab abort {name} --reason ..., or llmgit ab promote {name}",
        )
    if v.version in branches[ARCHIVED].file.versions_of(name):
        raise UsageError(
            f"{v.tag} is archived", hint=f"to serve it again, roll back to it: llmgit rollback {name} --to {v.version}"
        )
    if running is None and not skip_previous_stage:
        check_previous_stage(store, branches, v, sb.stage)
    chosen = serving.serving_mode(store, mode, running, sb, name)
    if running is not None and running.percent == percent and running.mode == chosen.value:
        return CanaryResult(
            name, sb.stage, "noop", holder.version, v.version, percent, chosen.value, None, sb.branch, (), Plan()
        )
    who = git.ident(store.root)
    entry = Canary(
        v.version,
        v.tag,
        v.commit,
        v.weights.md5 if v.weights else "",
        percent,
        chosen.value,
        running.since if running else iso_time(who),
        running.by if running else who.who,
        reason or (running.reason if running else ""),
    )
    new_file = sb.file.with_holder(name, canaryfile.with_canary(holder, entry))
    stable = store.get(holder.tag)
    rendering = serving.render(store, sb.stage, serving.spec(store, name, stable, v, percent, chosen))
    serving.warn_unpublished(store, stable, v)
    subject = (
        f"set canary {name} v{v.version} to {percent}% in {sb.stage}"
        if running
        else f"start canary {name} v{v.version} at {percent}% in {sb.stage}"
    )
    text = message(subject, reason, name, v.version, sb.stage, previous=holder.version, percent=percent)
    commit, plan = canaries.record(store, sb, new_file, rendering, text, [v], push=push)
    return CanaryResult(
        name,
        sb.stage,
        "percent" if running else "start",
        holder.version,
        v.version,
        percent,
        chosen.value,
        commit,
        sb.branch,
        tuple(rendering.files),
        plan,
        pushed=push,
    )


def promote(
    store: Store, name: str, *, stage: str = "production", reason: str = "", push: bool = False
) -> CanaryResult:
    """The candidate takes the stage (action ``canary-promote``); the old holder is archived."""
    branches, sb, holder, canary = canaries.running(store, name, stage)
    stable, candidate = store.get(holder.tag), store.get(canary.tag)
    spec = promoted(serving.spec(store, name, stable, candidate, canary.percent, ServingMode(canary.mode)))
    rendering = serving.render(store, sb.stage, spec)
    who = git.ident(store.root)
    entry = new_entry(candidate, who, reason or canary.reason, "canary-promote")
    new_file = sb.file.with_holder(name, entry)
    text = message(
        f"promote canary {name} v{candidate.version} to {sb.stage}",
        reason,
        name,
        candidate.version,
        sb.stage,
        previous=holder.version,
        percent=100,
    )
    commit = stage_commit(store.root, sb, new_file, text, blobs(store.root, rendering.files))
    result = apply_transition(
        store, branches, sb.stage, candidate, holder.version, commit, new_file, who, entry.since, push=push
    )
    return CanaryResult(
        name,
        sb.stage,
        "promote",
        holder.version,
        candidate.version,
        100,
        canary.mode,
        commit,
        sb.branch,
        tuple(rendering.files),
        result.plan,
        pushed=push,
        transition=result,
    )
