"""Taking a version out of service (MLflow's ``Archived`` and ``None`` stages, I9): the version
leaves every stage it holds, each as a commit on that stage branch, and is archived with the
reason, all in one ref update. A canary running on it as the holder ends first (I4)."""

from __future__ import annotations

from llmgit.core import refs
from llmgit.core.ident import iso_time
from llmgit.core.plan import Change, Plan
from llmgit.core.refs import ARCHIVED
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.store import canaries, writer
from llmgit.store.branches import StageBranch, read_all
from llmgit.store.reconcile import archive, branch_update, reconcile
from llmgit.store.store import Store
from llmgit.store.transitions import message, transition_commit


def retire(store: Store, reference: str, *, reason: str = "", archive_idle: bool = True, push: bool = False) -> Plan:
    """Remove the version from every stage it holds (recorded as archive); with
    ``archive_idle``, a version that holds no stage is archived too. Empty plan: no change."""
    settings = store.require_initialized()
    store.require_history()
    v = store.get(reference)
    name = v.name
    refs.validate_model_name(name)
    branches = read_all(store.root, settings)
    for stage, sb in branches.items():
        running = sb.file.holders[name].extra.get("canary") if name in sb.file.holders else None
        if isinstance(running, dict) and running.get("version") == v.version:
            raise UsageError(
                f"{v.tag} runs as a canary in {stage}",
                hint=f"end the canary first: llmgit ab abort {name} --stage {stage} --reason ...",
            )
    who = git.ident(store.root)
    now = iso_time(who)
    after: dict[str, StageBranch] = dict(branches)
    plan = Plan()
    for stage, sb in branches.items():
        holder = sb.file.holders.get(name)
        if stage == ARCHIVED or holder is None or holder.version != v.version:
            continue
        base = canaries.end_before(store, sb, name, "archive", reason, who)
        new_file = base.file.with_holder(name, None)
        text = message(f"archive {name} v{v.version} from {stage}", reason, name, v.version, stage, previous=v.version)
        commit = transition_commit(store, base, name, new_file, text)
        plan = plan + branch_update(sb, commit)
        after[stage] = sb.with_tip(commit, new_file)
    if plan.updates:
        plan = plan + reconcile(store.root, settings, after, who, now, why=reason)
    elif archive_idle and v.version not in branches[ARCHIVED].file.versions_of(name):
        why = f"archived{f': {reason}' if reason else ''}"
        plan = archive(store.root, branches[ARCHIVED], [Change(name, v.version, ARCHIVED, why)], set(), who, now)
    if plan.updates:
        writer.apply(store.root, settings.git_remote, plan, [], push=push)
    return plan
