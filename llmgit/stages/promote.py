"""Stage transitions: promote (direct or as a pull-request branch) and rollback.

Nothing here touches the working tree, the index or the current branch: new commits are
built with plumbing and every local ref moves in one ``update-ref`` transaction, after the
``--push`` (one atomic push) succeeded.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.infra import git, gitremote as remote
from llmgit.core import refs
from llmgit.store import branches as stages
from llmgit.core.config import ARCHIVED
from llmgit.errors import OperationFailed, UnknownReference, UsageError
from llmgit.infra.files import write_atomic
from llmgit.core.model import ModelVersion
from llmgit.store.reconcile import Plan, branch_update, reconcile, with_tip
from llmgit.core.stagefile import Entry, StageFile

if TYPE_CHECKING:
    from llmgit.store.store import Registry

PR_PREFIX = "llmgit/promote/"


@dataclass(frozen=True)
class PromoteRequest:
    reference: str
    stage: str
    reason: str = ""
    mode: str | None = None  # "direct" | "pr" | None (the stage's configured mode)
    skip_previous_stage: bool = False
    push: bool = False
    open_pr: bool = False
    body_file: Path | None = None


@dataclass(frozen=True)
class TransitionResult:
    model: str
    stage: str
    version: str
    previous: str | None
    mode: str  # direct | pr | noop
    commit: str | None  # the transition commit
    branch: str  # the stage branch, or the promotion branch in pr mode
    plan: Plan
    pushed: bool = False
    body_file: Path | None = None
    pr_url: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def noop(self) -> bool:
        return self.mode == "noop"


def _message(action: str, name: str, version: str, stage: str, previous: str | None, reason: str) -> str:
    verb = {"promote": "promote", "rollback": "roll back", "canary-promote": "promote canary"}[action]
    subject = f"{verb} {name} to v{version} in {stage}" if action == "rollback" else (
        f"{verb} {name} v{version} to {stage}")
    trailers = [f"Llmgit-Model: {name}", f"Llmgit-Version: {version}", f"Llmgit-Stage: {stage}"]
    if previous:
        trailers.append(f"Llmgit-Previous: {previous}")
    body = f"\n\n{reason}" if reason else ""
    return f"{subject}{body}\n\n" + "\n".join(trailers) + "\n"


def new_entry(reg: Registry, v: ModelVersion, who: git.Ident, reason: str, action: str) -> Entry:
    from llmgit.store.store import iso_time

    md5 = v.weights.md5 if v.weights else ""
    return Entry(v.version, v.tag, v.commit, md5, iso_time(who), who.who, reason, action)


def _ever_held(reg: Registry, name: str, version: str, stage: str) -> bool:
    return any(e.model == name and e.version == version and e.stage == stage
               and e.action in stages.HOLDER_ACTIONS for e in stages.history(reg.root, reg.settings, name))


def promote(reg: Registry, req: PromoteRequest) -> TransitionResult:
    settings = reg.require_initialized()
    stage = stages.check_stage(settings, req.stage, holding=True)
    reg.require_history()
    v = reg.get(req.reference)
    branches = stages.read_all(reg.root, settings)
    sb = branches[stage]
    current = sb.file.holders.get(v.name)
    if current is not None and current.version == v.version:
        return TransitionResult(v.name, stage, v.version, v.version, "noop", None,
                                sb.branch, Plan())
    running = current.extra.get("canary") if current is not None else None
    if isinstance(running, dict) and running.get("version"):
        raise UsageError(
            f"a canary of {v.name} v{running['version']} is running in {stage}",
            hint=f"finish it first: llmgit ab promote {v.name}, or llmgit ab abort {v.name}",
        )
    if v.version in branches[ARCHIVED].file.versions_of(v.name):
        raise UsageError(
            f"{v.tag} is archived",
            hint=f"to serve it again, roll back to it: llmgit rollback {v.name} --stage {stage} --to {v.version}",
        )
    idx = settings.stages.index(stage)
    if idx > 0 and settings.require_previous_stage and not req.skip_previous_stage:
        before = settings.stages[idx - 1]
        holds = branches[before].file.holders.get(v.name)
        if not (holds and holds.version == v.version) and not _ever_held(reg, v.name, v.version, before):
            raise UsageError(
                f"{v.tag} has never been in {before}",
                hint=f"promote it to {before} first, or pass --skip-{before}",
            )
    mode = req.mode or settings.promotion_mode(stage)
    who = git.ident(reg.root)
    entry = new_entry(reg, v, who, req.reason, "promote")
    previous = current.version if current else None
    message = _message("promote", v.name, v.version, stage, previous, req.reason)
    new_file = sb.file.with_holder(v.name, entry)
    commit = transition_commit(reg, sb, v.name, new_file, message)
    if mode == "pr":
        return _propose(reg, req, v, stage, previous, commit)
    return apply_transition(reg, branches, stage, v, previous, commit, new_file, who, entry.since,
                            push=req.push)


def transition_commit(reg: Registry, sb: stages.StageBranch, name: str, new_file: StageFile,
                      message: str) -> str:
    """The stage-branch commit of a transition; re-renders ``deploy/NAME/`` when the branch
    carries manifests for the model, so Argo CD or Flux deploys the change."""
    from llmgit.store import serving as deploy

    return deploy.commit(reg.root, sb, new_file, deploy.refreshed_files(reg, sb, name, new_file), message)


def apply_transition(reg: Registry, branches: dict[str, stages.StageBranch], stage: str,
                     v: ModelVersion, previous: str | None, commit: str, new_file: object,
                     who: git.Ident, now: str, *, push: bool) -> TransitionResult:
    """Move the stage branch to ``commit`` and reconcile tags and archive, all at once."""
    sb = branches[stage]
    local, spec = branch_update(sb, commit)
    after = {**branches, stage: with_tip(sb, commit, new_file)}  # type: ignore[arg-type]
    plan = Plan((local,), (spec,)) + reconcile(reg.root, reg.settings, after, who, now)
    publish(reg, plan, [v], push=push)
    return TransitionResult(v.name, stage, v.version, previous, "direct", commit, sb.branch, plan,
                            pushed=push)


def publish(reg: Registry, plan: Plan, versions: list[ModelVersion], *, push: bool) -> None:
    """With ``push``: the weights first, then one atomic git push; then the local refs."""
    if push:
        from llmgit.weights import transfer as replication

        for v in versions:
            replication.push_version(reg.root, v)
        seen: dict[str, remote.PushSpec] = {}
        for s in plan.pushes:
            seen.setdefault(s.ref, s)
        remote.push(reg.root, reg.settings.git_remote, list(seen.values()))
    git.update_refs(reg.root, list(plan.updates))


def _propose(reg: Registry, req: PromoteRequest, v: ModelVersion, stage: str,
             previous: str | None, commit: str) -> TransitionResult:
    branch = f"{PR_PREFIX}{v.name}-v{v.version}-to-{stage}"
    ref = refs.HEADS + branch
    if git.rev_parse(reg.root, ref) is not None:
        raise UsageError(
            f"branch '{branch}' already exists: this promotion was already proposed",
            hint=f"merge or close its pull request, or delete it: git branch -D {branch}",
        )
    from llmgit.stages.review import review

    stage_branch = refs.stage_branch(reg.settings.stage_branch_prefix, stage)
    body = review(reg, stage, head=commit).markdown
    body_file = req.body_file or (reg.root / ".git" / "llmgit" / "pr" / f"{branch.replace('/', '-')}.md")
    plan = Plan((git.RefUpdate(ref, commit, git.ZERO),), (remote.PushSpec(ref, commit, ""),))
    if req.open_pr and not req.push:
        raise UsageError("--open needs --push: the pull request's branch must be on the remote")
    if req.open_pr and shutil.which("gh") is None:
        raise UsageError("--open needs the GitHub CLI 'gh' on PATH",
                         hint=f"open the pull request by hand: base {stage_branch}, head {branch}")
    publish(reg, plan, [v], push=req.push)
    body_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(body_file, body.encode())
    url = _open_pr(reg.root, stage_branch, branch, v, stage, body_file) if req.open_pr else None
    return TransitionResult(v.name, stage, v.version, previous, "pr", commit, branch, plan,
                            pushed=req.push, body_file=body_file, pr_url=url)


def _open_pr(root: Path, base: str, head: str, v: ModelVersion, stage: str, body: Path) -> str:
    proc = subprocess.run(
        ["gh", "pr", "create", "--base", base, "--head", head,
         "--title", f"Promote {v.name} v{v.version} to {stage}", "--body-file", str(body)],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )
    if proc.returncode != 0:
        raise OperationFailed(
            f"gh pr create failed: {(proc.stderr.strip().splitlines() or ['unknown error'])[-1]}",
            hint=f"the branch {head} is pushed; open the pull request by hand",
        )
    return proc.stdout.strip()


def rollback(reg: Registry, name: str, *, stage: str, to: str | None, reason: str,
             push: bool) -> TransitionResult:
    settings = reg.require_initialized()
    refs.validate_model_name(name)
    stage = stages.check_stage(settings, stage, holding=True)
    reg.require_history()
    branches = stages.read_all(reg.root, settings)
    sb = branches[stage]
    current = sb.file.holders.get(name)
    if current is None:
        raise UsageError(f"no version of '{name}' holds {stage}, so there is nothing to roll back")
    if to is not None:
        target = reg.get(f"{name}@{to}")
    else:
        target_version = previous_holder(reg, name, stage, current.version)
        if target_version is None:
            raise UsageError(
                f"no earlier version of '{name}' held {stage}",
                hint=f"name one: llmgit rollback {name} --to X.Y.Z",
            )
        target = reg.get(f"{name}@{target_version}")
    if target.version == current.version:
        raise UsageError(f"{target.tag} already holds {stage}")
    who = git.ident(reg.root)
    entry = new_entry(reg, target, who, reason, "rollback")
    new_file = sb.file.with_holder(name, entry)
    commit = transition_commit(reg, sb, name, new_file,
                               _message("rollback", name, target.version, stage, current.version, reason))
    from llmgit.storage.pushpull import archive_warning

    warning = archive_warning(reg, target)
    result = apply_transition(reg, branches, stage, target, current.version, commit, new_file, who,
                              entry.since, push=push)
    return replace(result, warnings=(warning,) if warning else ())


def previous_holder(reg: Registry, name: str, stage: str, current: str) -> str | None:
    """The version that held ``stage`` before ``current`` took it (from the stage history)."""
    events = [e for e in stages.history(reg.root, reg.settings, name)
              if e.stage == stage and e.action in stages.HOLDER_ACTIONS]
    for e in reversed(events):
        if e.version == current and e.previous and e.previous != current:
            return e.previous
    for e in reversed(events):
        if e.version != current:
            return e.version
    return None


def require_known(reg: Registry, name: str) -> None:
    if not reg.versions(name):
        raise UnknownReference(f"model '{name}' has no registered versions")
