"""``push`` and ``pull``: a version's weights to and from the storage remote (uploads verified
on the remote), and its refs to the git remote after the weights (one atomic push)."""

from __future__ import annotations

from dataclasses import dataclass

from llmgit.core import refs
from llmgit.core.model import ModelVersion
from llmgit.core.plan import PushSpec
from llmgit.errors import OperationFailed
from llmgit.infra import git, gitremote
from llmgit.store.store import Store
from llmgit.weights import fetch
from llmgit.weights.push import push_version


@dataclass(frozen=True)
class PushResult:
    versions: tuple[str, ...]
    refs: tuple[str, ...]
    git_remote: str | None  # None: the repository has no git remote, only weights moved


def push(store: Store, references: list[str], jobs: int | None = None) -> PushResult:
    """Weights of the versions first (verified on the remote), then their tags; with no
    references: every version, every stage branch and stage tag, and the ledger."""
    settings = store.require_initialized()
    versions = [store.get(r) for r in references] if references else store.versions_all()
    for v in versions:
        try:
            push_version(store.root, v, jobs=jobs)
        except OperationFailed as e:
            raise OperationFailed(
                f"uploading the weights of {v.tag} failed: {e.message}",
                hint="nothing reached the git remote; run the same command again once the storage is reachable",
            ) from None
    if git.remote_url(store.root, settings.git_remote) is None:
        return PushResult(tuple(v.tag for v in versions), (), git_remote=None)
    specs = [PushSpec(refs.tag_ref(v.tag), git.rev_parse(store.root, refs.tag_ref(v.tag))) for v in versions]
    if not references:
        specs += _all_registry_refs(store)
    gitremote.push(store.root, settings.git_remote, specs)
    return PushResult(tuple(v.tag for v in versions), tuple(s.ref for s in specs), settings.git_remote)


def _all_registry_refs(store: Store) -> list[PushSpec]:
    mirror = {t.ref[len(refs.MIRROR) :]: t.oid for t in git.list_ref_targets(store.root, [refs.MIRROR])}
    specs = []
    prefix = refs.HEADS + store.settings.stage_branch_prefix
    for t in git.list_ref_targets(store.root, [prefix, refs.HEADS + refs.LEDGER_BRANCH]):
        specs.append(PushSpec(t.ref, t.oid))
    for t in git.list_ref_targets(store.root, [refs.TAGS]):
        short = refs.short(t.ref)
        if refs.parse_stage_tag(short):
            specs.append(PushSpec(t.ref, t.oid, mirror.get(short, "")))
    return specs


def pull(store: Store, reference: str, jobs: int | None = None) -> ModelVersion:
    """Bring a version's weights into the local cache (restore-aware)."""
    v = store.get(reference)
    fetch.require_readable(store.root, v)
    fetch.fetch_version(store.root, v, jobs=jobs)
    return v
