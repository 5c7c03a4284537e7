"""``rollback``: a stage back to an earlier version; the version rolled back from is archived
unless it holds another stage. The rules are the invariants of ``docs/stages.md``:

- I2: a version rolled back from (by a person or the guard) is never restored by a rollback
  until a person promotes it again; ``--to`` such a version is refused.
- I3: without ``--to``, the most recent earlier holder that is not excluded; repeating a
  completed rollback changes nothing and says so.
- I4: a running canary ends first, recorded as canary-abort, in the same ref update.
"""

from __future__ import annotations

from dataclasses import replace

from llmgit.core import history, refs
from llmgit.core.plan import Plan
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.store import canaries
from llmgit.store.branches import check_stage, read_all
from llmgit.store.store import Store
from llmgit.store.transitions import TransitionResult, apply_transition, events, message, new_entry, transition_commit
from llmgit.weights.fetch import archive_warning

KINDS = ("rollback", "guard")


def rollback(
    store: Store, name: str, *, stage: str, to: str | None, reason: str, push: bool, kind: str = "rollback"
) -> TransitionResult:
    """Roll ``stage`` back (``kind`` guard: the guard rolls back, recorded as such)."""
    if kind not in KINDS:
        raise UsageError(f"a rollback is recorded as one of {', '.join(KINDS)}, not '{kind}'")
    settings = store.require_initialized()
    refs.validate_model_name(name)
    stage = check_stage(settings, stage, holding=True)
    store.require_history()
    branches = read_all(store.root, settings)
    sb = branches[stage]
    current = sb.file.holders.get(name)
    if current is None:
        raise UsageError(f"no version of '{name}' holds {stage}, so there is nothing to roll back")
    past = events(store, name)

    def unchanged(note: str, hint: str = "") -> TransitionResult:
        return TransitionResult(
            name, stage, current.version, current.version, "noop", None, sb.branch, Plan(), note=note, hint=hint
        )

    if to is not None:
        target = store.get(f"{name}@{to}")
        if target.name != name:
            raise UsageError(f"{target.tag} is not a version of '{name}'")
        if target.version == current.version:
            return unchanged(f"{target.tag} already holds {stage}; nothing changed")
        if target.version in history.excluded(past, stage, name):
            raise UsageError(
                f"{target.tag} was rolled back from in {stage}, so a rollback does not restore it",
                hint=f"to serve it again, promote it explicitly: llmgit promote {target.tag} --to {stage}",
            )
    else:
        came = history.arrival(past, stage, current.version, name)
        if came is not None and came.action in KINDS and kind == "rollback":
            by = "the guard" if came.action == "guard" else "a rollback"
            was = f" from v{came.previous}" if came.previous else ""
            return unchanged(
                f"{current.tag} already holds {stage} after {by}{was} on {came.when[:10]}; nothing changed",
                f"to roll back further, name the version: llmgit rollback {name} --to X.Y.Z",
            )
        target_version = history.rollback_target(past, stage, current.version, name)
        if target_version is None:
            raise UsageError(
                f"no earlier version of '{name}' held {stage} that was not rolled back from",
                hint=f"promote one explicitly: llmgit promote {name}@vX.Y.Z --to {stage}",
            )
        target = store.get(f"{name}@{target_version}")
    who = git.ident(store.root)
    ended = sb.file.holders[name].extra.get("canary")
    base = canaries.end_before(store, sb, name, kind, reason, who)
    entry = new_entry(target, who, reason, kind)
    new_file = base.file.with_holder(name, entry)
    verb = "guard: roll back" if kind == "guard" else "roll back"
    text = message(
        f"{verb} {name} to v{target.version} in {stage}", reason, name, target.version, stage, previous=current.version
    )
    commit = transition_commit(store, base, name, new_file, text)
    warning = archive_warning(store.root, target)
    result = apply_transition(
        store, branches, stage, target, current.version, commit, new_file, who, entry.since, push=push
    )
    canary = str(ended.get("version")) if isinstance(ended, dict) and ended.get("version") else None
    return replace(result, warnings=(warning,) if warning else (), canary_ended=canary)
