"""``sync``: rebuild the stage tags and the archive from the stage branches (after a promotion
pull request merged on the server), and fast-forward local stage branches behind their
remote-tracking branches."""

from __future__ import annotations

from dataclasses import dataclass

from llmgit.core.ident import iso_time
from llmgit.core.plan import ZERO, Plan, RefUpdate
from llmgit.infra import git
from llmgit.store import writer
from llmgit.store.reconcile import reconcile
from llmgit.store.store import Store


@dataclass(frozen=True)
class SyncResult:
    plan: Plan
    pushed: bool

    @property
    def changed(self) -> bool:
        return not self.plan.empty


def sync(store: Store, *, push: bool) -> SyncResult:
    settings = store.require_initialized()
    store.require_history()
    branches = store.stage_branches()
    who = git.ident(store.root)
    plan = reconcile(store.root, settings, branches, who, iso_time(who))
    checked_out = git.current_branch(store.root)
    catch_up = tuple(  # local stage branches behind their remote-tracking branch
        RefUpdate(b.branch, b.tip, b.local_tip or ZERO)
        for b in branches.values()
        if b.tip
        and b.tip != b.local_tip
        and b.branch != checked_out
        and not any(u.ref == b.branch for u in plan.updates)
    )
    plan = Plan(catch_up) + plan
    if plan.empty:
        return SyncResult(plan, False)
    moved = [
        store.get(b.file.holders[n].tag)
        for b in branches.values()
        for n in b.file.holders
        if f"{n}#{b.stage}" in plan.tags
    ]
    writer.apply(store.root, settings.git_remote, plan, moved, push=push)
    return SyncResult(plan, push)
