"""The one writer: plans of ref changes applied all at once (commits are built by
:mod:`llmgit.store.commits`).

With ``push``, :func:`apply` uploads the versions' weights first, then pushes every ref in
one atomic ``git push``, and only then moves the local refs in one ``update-ref``
transaction: a failure at any step leaves the local refs as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan, PushSpec
from llmgit.infra import git, gitremote
from llmgit.store import ledger
from llmgit.weights.push import push_version


def apply(root: Path, git_remote: str, plan: Plan, versions: Iterable[ModelVersion] = (), *, push: bool) -> None:
    """Apply ``plan``. With ``push``: the weights of ``versions`` first (not those the ledger
    lists as purged: purged stays purged), then one atomic git push of the plan's refs; then
    the local refs."""
    if push:
        versions = list(versions)
        led = ledger.read(root, git_remote) if versions else None
        for v in versions:
            if led is None or not led.purge_state(v.name, v.version):
                push_version(root, v)
        seen: dict[str, PushSpec] = {}
        for s in plan.pushes:
            seen.setdefault(s.ref, s)
        gitremote.push(root, git_remote, list(seen.values()))
    git.update_refs(root, list(plan.updates))
