"""``push`` and ``pull``: a version's weights to and from the storage remote (uploads verified
on the remote), and its refs to the git remote after the weights (one atomic push).

Versions the ledger marks purged (or being purged) keep their tags but not their weights:
``push`` skips their weights and ``pull`` refuses them; ``push REF --unpurge`` is the one way
to store them again (:mod:`llmgit.storage.purge`)."""

from __future__ import annotations

from dataclasses import dataclass

from llmgit.core import refs
from llmgit.core.ledgerfile import PURGED, PURGING
from llmgit.core.model import ModelVersion
from llmgit.core.plan import Plan, PushSpec
from llmgit.errors import CorruptObject, MissingBucket, OperationFailed, UsageError
from llmgit.infra import git, gitrefs, gitremote
from llmgit.storage import purge
from llmgit.store.purged import refuse_read
from llmgit.store.store import Store
from llmgit.weights import fetch, listing
from llmgit.weights.push import push_version


@dataclass(frozen=True)
class Skipped:
    """A version whose weights ``push`` left alone: ``purged``, or ``purging`` (a purge under way)."""

    tag: str
    state: str
    since: str  # when it was purged, or when the purge started (ISO date-time)


@dataclass(frozen=True)
class PushResult:
    versions: tuple[str, ...]  # versions whose weights were uploaded
    refs: tuple[str, ...]
    git_remote: str | None  # None: the repository has no git remote, only weights moved
    skipped: tuple[Skipped, ...] = ()
    unpurged: tuple[str, ...] = ()  # purged versions brought back (``unpurge``)


_AGAIN = "nothing reached the git remote; run the same command again once the storage is reachable"


def push(
    store: Store, references: list[str], jobs: int | None = None, *, unpurge: bool = False, overwrite: bool = False
) -> PushResult:
    """Weights of the versions first (verified on the remote), then their tags; with no
    references: every version, every stage branch and stage tag, and the ledger. Purged
    versions' weights are skipped; ``unpurge`` uploads those of the named purged versions (from
    this clone's cache, which must hold them all) and records that they are purged no more;
    ``overwrite`` uploads objects the remote already has again (replacing damaged copies)."""
    settings = store.require_initialized()
    if unpurge and not references:
        raise UsageError(
            "--unpurge brings back the versions you name, not every version",
            hint="name them: llmgit push NAME@vX.Y.Z --unpurge",
        )
    versions = [store.get(r) for r in references] if references else store.versions_all()
    led = store.ledger()
    upload: list[ModelVersion] = []
    back: list[ModelVersion] = []
    skipped: list[Skipped] = []
    for v in versions:
        state = led.purge_state(v.name, v.version)
        if state == PURGING and unpurge:
            raise UsageError(
                f"a purge of {v.tag} is under way, so it cannot be brought back yet",
                hint="finish the purge with 'llmgit lifecycle apply', then run this again",
            )
        if state and not unpurge:
            skipped.append(Skipped(v.tag, state, str((led.get(state, v.name, v.version) or {}).get("when", ""))))
            continue
        if state == PURGED:
            purge.require_cached(store, v)  # all of them checked before anything is uploaded
            back.append(v)
        upload.append(v)
    for v in upload:  # every record checked before anything moves
        _require_weights_record(v)
    for v in upload:
        try:
            push_version(store.root, v, jobs=jobs, overwrite=overwrite)
        except CorruptObject:
            raise
        except OperationFailed as e:
            if isinstance(e, MissingBucket):  # trying again cannot help: its hint says what can
                raise MissingBucket(f"uploading the weights of {v.tag} failed: {e.message}", hint=e.hint) from None
            raise OperationFailed(f"uploading the weights of {v.tag} failed: {e.message}", hint=_AGAIN) from None
    record = purge.unpurge_plan(store, back, git.ident(store.root)) if back else Plan()
    uploaded, brought_back = tuple(v.tag for v in upload), tuple(v.tag for v in back)
    if git.remote_url(store.root, settings.git_remote) is None:
        _move(store, record)
        return PushResult(uploaded, (), None, tuple(skipped), brought_back)
    specs = [PushSpec(refs.tag_ref(v.tag), git.rev_parse(store.root, refs.tag_ref(v.tag))) for v in versions]
    if not references:
        specs += _all_registry_refs(store)
    specs += record.pushes  # the unpurge record goes with the tags, in the same atomic push
    gitremote.push(store.root, settings.git_remote, specs)
    _move(store, record)
    return PushResult(uploaded, tuple(s.ref for s in specs), settings.git_remote, tuple(skipped), brought_back)


def _require_weights_record(v: ModelVersion) -> None:
    """:class:`~llmgit.errors.BadRecord` when the version's weights md5 is not one (no other
    text may become an object's path or key)."""
    if v.weights is not None:
        listing.pointer_of(v.weights, v.tag)


def _move(store: Store, record: Plan) -> None:
    if not record.empty:
        git.update_refs(store.root, list(record.updates))


def _all_registry_refs(store: Store) -> list[PushSpec]:
    mirror = {t.ref[len(refs.MIRROR) :]: t.oid for t in gitrefs.list_ref_targets(store.root, [refs.MIRROR])}
    specs = []
    prefix = refs.HEADS + store.settings.stage_branch_prefix
    for t in gitrefs.list_ref_targets(
        store.root, [prefix, refs.HEADS + refs.LEDGER_BRANCH, refs.HEADS + refs.MLFLOW_BRANCH]
    ):
        specs.append(PushSpec(t.ref, t.oid))
    for t in gitrefs.list_ref_targets(store.root, [refs.TAGS]):
        short = refs.short(t.ref)
        if refs.parse_stage_tag(short):
            specs.append(PushSpec(t.ref, t.oid, mirror.get(short, "")))
    return specs


def pull(store: Store, reference: str, jobs: int | None = None) -> ModelVersion:
    """Bring a version's weights into the local cache (restore-aware); a purged version's
    weights are refused with the way to bring them back."""
    v = store.get(reference)
    _require_weights_record(v)
    refuse_read(store.root, store.ledger(), v)
    fetch.require_readable(store.root, v)
    fetch.fetch_version(store.root, v, jobs=jobs)
    return v
