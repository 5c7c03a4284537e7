"""The stage engine every change of a stage goes through (promotions, rollbacks, canaries,
the guard, lifecycle archiving): the new ``stage.yaml`` entry, the stage-branch commit (with
re-rendered manifests when the branch carries them), and the plan that moves the branch,
the stage tags and the archive at once.

Nothing here touches the working tree, the index or the current branch: commits are built
with plumbing and every local ref moves in one ``update-ref`` transaction, after the
``--push`` (one atomic push) succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmgit.core import history
from llmgit.core.bounded import BoundError, bounded_text
from llmgit.core.canaryfile import MAX_REASON
from llmgit.core.ident import Ident, iso_time
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan
from llmgit.core.stagefile import Entry, StageFile
from llmgit.errors import UsageError
from llmgit.store import commits, serving, writer
from llmgit.store import history as stage_history
from llmgit.store.branches import StageBranch
from llmgit.store.reconcile import branch_update, reconcile, stage_commit
from llmgit.store.store import Store


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
    note: str = ""  # for a no-op: why nothing changed
    hint: str = ""  # for a no-op: what to run instead
    canary_ended: str | None = None  # the canary version a holder change ended first (I4)

    @property
    def noop(self) -> bool:
        return self.mode == "noop"


def message(
    subject: str,
    reason: str,
    name: str,
    version: str,
    stage: str,
    *,
    previous: str | None = None,
    percent: int | None = None,
) -> str:
    """A stage-branch commit message: the subject, the reason, and trailers naming the change."""
    trailers = [f"Llmgit-Model: {name}", f"Llmgit-Version: {version}", f"Llmgit-Stage: {stage}"]
    if previous:
        trailers.append(f"Llmgit-Previous: {previous}")
    if percent is not None:
        trailers.append(f"Llmgit-Canary-Percent: {percent}")
    body = f"\n\n{reason}" if reason else ""
    return f"{subject}{body}\n\n" + "\n".join(trailers) + "\n"


def new_entry(v: ModelVersion, who: Ident, reason: str, action: str) -> Entry:
    """``v``'s entry in a stage file, recorded now by ``who``: only what the stage-file parser
    reads back (a reason within bounds; :attr:`Ident.who` is bounded and escaped)."""
    try:
        bounded_text(reason, MAX_REASON, "the reason", lines=True)
    except BoundError as e:
        raise UsageError(str(e), hint="give a reason of plain text") from None
    md5 = v.weights.md5 if v.weights else ""
    return Entry(v.version, v.tag, v.commit, md5, iso_time(who), who.who, reason, action)


def transition_commit(store: Store, sb: StageBranch, name: str, new_file: StageFile, text: str) -> str:
    """The stage-branch commit of a transition; re-renders ``deploy/NAME/`` when the branch
    carries manifests for the model, so Argo CD or Flux deploys the change."""
    files = commits.blobs(store.root, serving.refreshed_files(store, sb, name, new_file))
    return stage_commit(store.root, sb, new_file, text, files)


def apply_transition(
    store: Store,
    branches: dict[str, StageBranch],
    stage: str,
    v: ModelVersion,
    previous: str | None,
    commit: str,
    new_file: StageFile,
    who: Ident,
    now: str,
    *,
    push: bool,
) -> TransitionResult:
    """Move the stage branch to ``commit`` and reconcile tags and archive, all at once."""
    sb = branches[stage]
    after = {**branches, stage: sb.with_tip(commit, new_file)}
    plan = branch_update(sb, commit) + reconcile(store.root, store.settings, after, who, now)
    writer.apply(store.root, store.settings.git_remote, plan, [v], push=push)
    return TransitionResult(v.name, stage, v.version, previous, "direct", commit, sb.branch, plan, pushed=push)


def events(store: Store, name: str) -> list[history.HistoryEvent]:
    """The stage history of ``name``, oldest first."""
    return stage_history.read(store.root, store.settings, name)


def previous_holder(store: Store, name: str, stage: str, current: str) -> str | None:
    """The version that held ``stage`` before ``current`` took it (from the stage history)."""
    return history.previous_holder(events(store, name), stage, current)


def ever_held(store: Store, name: str, version: str, stage: str) -> bool:
    return history.ever_held(events(store, name), stage, version)
