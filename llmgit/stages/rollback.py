"""``rollback``: a stage back to an earlier version (the previous holder by default); the
version rolled back from is archived unless it holds another stage."""

from __future__ import annotations

from dataclasses import replace

from llmgit.core import refs
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.store.branches import check_stage, read_all
from llmgit.store.store import Store
from llmgit.store.transitions import (
    TransitionResult,
    apply_transition,
    message,
    new_entry,
    previous_holder,
    transition_commit,
)
from llmgit.weights.fetch import archive_warning


def rollback(store: Store, name: str, *, stage: str, to: str | None, reason: str, push: bool) -> TransitionResult:
    settings = store.require_initialized()
    refs.validate_model_name(name)
    stage = check_stage(settings, stage, holding=True)
    store.require_history()
    branches = read_all(store.root, settings)
    sb = branches[stage]
    current = sb.file.holders.get(name)
    if current is None:
        raise UsageError(f"no version of '{name}' holds {stage}, so there is nothing to roll back")
    if to is not None:
        target = store.get(f"{name}@{to}")
    else:
        target_version = previous_holder(store, name, stage, current.version)
        if target_version is None:
            raise UsageError(
                f"no earlier version of '{name}' held {stage}", hint=f"name one: llmgit rollback {name} --to X.Y.Z"
            )
        target = store.get(f"{name}@{target_version}")
    if target.version == current.version:
        raise UsageError(f"{target.tag} already holds {stage}")
    who = git.ident(store.root)
    entry = new_entry(target, who, reason, "rollback")
    new_file = sb.file.with_holder(name, entry)
    text = message(
        f"roll back {name} to v{target.version} in {stage}",
        reason,
        name,
        target.version,
        stage,
        previous=current.version,
    )
    commit = transition_commit(store, sb, name, new_file, text)
    warning = archive_warning(store.root, target)
    result = apply_transition(
        store, branches, stage, target, current.version, commit, new_file, who, entry.since, push=push
    )
    return replace(result, warnings=(warning,) if warning else ())
