"""``promote``: a version into a stage, directly (one commit on the stage branch) or proposed
on a promotion branch for a pull request, whose body is the review of the change."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from llmgit.core import refs
from llmgit.core.history import excluded
from llmgit.core.model import ModelVersion
from llmgit.core.plan import ZERO, Plan, PushSpec, RefUpdate
from llmgit.core.refs import ARCHIVED
from llmgit.errors import OperationFailed, UsageError
from llmgit.infra import git
from llmgit.infra.files import write_atomic
from llmgit.stages.requests import PromoteRequest
from llmgit.stages.review import review
from llmgit.store import canaries, writer
from llmgit.store.branches import check_stage, read_all
from llmgit.store.store import Store
from llmgit.store.transitions import (
    TransitionResult,
    apply_transition,
    events,
    ever_held,
    message,
    new_entry,
    transition_commit,
)


def promote(store: Store, req: PromoteRequest) -> TransitionResult:
    settings = store.require_initialized()
    stage = check_stage(settings, req.stage, holding=True)
    store.require_history()
    v = store.get(req.reference)
    branches = read_all(store.root, settings)
    sb = branches[stage]
    current = sb.file.holders.get(v.name)
    if current is not None and current.version == v.version:
        return TransitionResult(v.name, stage, v.version, v.version, "noop", None, sb.branch, Plan())
    if (
        not req.revive
        and v.version in branches[ARCHIVED].file.versions_of(v.name)
        and v.version not in excluded(events(store, v.name), stage, v.name)
    ):
        raise UsageError(
            f"{v.tag} is archived",
            hint=f"to serve it again, roll back to it: llmgit rollback {v.name} --stage {stage} --to {v.version}",
        )
    idx = settings.stages.index(stage)
    if idx > 0 and settings.require_previous_stage and not req.skip_previous_stage:
        before = settings.stages[idx - 1]
        holds = branches[before].file.holders.get(v.name)
        if not (holds and holds.version == v.version) and not ever_held(store, v.name, v.version, before):
            raise UsageError(
                f"{v.tag} has never been in {before}", hint=f"promote it to {before} first, or pass --skip-{before}"
            )
    mode = req.mode or settings.promotion_mode(stage)
    who = git.ident(store.root)
    entry = new_entry(v, who, req.reason, "promote")
    previous = current.version if current else None
    text = message(f"promote {v.name} v{v.version} to {stage}", req.reason, v.name, v.version, stage, previous=previous)
    base = canaries.end_before(store, sb, v.name, "promote", req.reason, who)  # I4
    new_file = base.file.with_holder(v.name, entry)
    commit = transition_commit(store, base, v.name, new_file, text)
    running = current.extra.get("canary") if current is not None else None
    ended = str(running["version"]) if isinstance(running, dict) and running.get("version") else None
    if mode == "pr":
        return replace(_propose(store, req, v, stage, previous, commit), canary_ended=ended)
    done = apply_transition(store, branches, stage, v, previous, commit, new_file, who, entry.since, push=req.push)
    return replace(done, canary_ended=ended)


def _propose(
    store: Store, req: PromoteRequest, v: ModelVersion, stage: str, previous: str | None, commit: str
) -> TransitionResult:
    branch = refs.promotion_branch(v.name, v.version, stage)
    ref = refs.HEADS + branch
    if git.rev_parse(store.root, ref) is not None:
        raise UsageError(
            f"branch '{branch}' already exists: this promotion was already proposed",
            hint=f"merge or close its pull request, or delete it: git branch -D {branch}",
        )
    stage_branch = refs.stage_branch(store.settings.stage_branch_prefix, stage)
    body = review(store, stage, head=commit).markdown
    body_file = req.body_file or (git.common_dir(store.root) / "llmgit" / "pr" / f"{branch.replace('/', '-')}.md")
    plan = Plan((RefUpdate(ref, commit, ZERO),), (PushSpec(ref, commit, ""),))
    if req.open_pr and not req.push:
        raise UsageError("--open needs --push: the pull request's branch must be on the remote")
    if req.open_pr and shutil.which("gh") is None:
        raise UsageError(
            "--open needs the GitHub CLI 'gh' on PATH",
            hint=f"open the pull request by hand: base {stage_branch}, head {branch}",
        )
    writer.apply(store.root, store.settings.git_remote, plan, [v], push=req.push)
    body_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(body_file, body.encode())
    url = _open_pr(store.root, stage_branch, branch, v, stage, body_file) if req.open_pr else None
    return TransitionResult(
        v.name, stage, v.version, previous, "pr", commit, branch, plan, pushed=req.push, body_file=body_file, pr_url=url
    )


def _open_pr(root: Path, base: str, head: str, v: ModelVersion, stage: str, body: Path) -> str:
    proc = subprocess.run(
        [
            "gh",
            "pr",
            "create",
            "--base",
            base,
            "--head",
            head,
            "--title",
            f"Promote {v.name} v{v.version} to {stage}",
            "--body-file",
            str(body),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise OperationFailed(
            f"gh pr create failed: {(proc.stderr.strip().splitlines() or ['unknown error'])[-1]}",
            hint=f"the branch {head} is pushed; open the pull request by hand",
        )
    return proc.stdout.strip()
