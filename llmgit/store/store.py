"""The Store: the read side of a registry that every feature takes. It knows the repository
root, the settings, the versions (one ``for-each-ref`` per listing), references, model cards,
the stage branches, the stage history and the ledger. Writing goes through
:mod:`llmgit.store.writer`; the Python API composes the features (:mod:`llmgit.api`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from llmgit.core import config, refs, versions
from llmgit.core.config import Settings
from llmgit.core.history import HistoryEvent
from llmgit.core.ledgerfile import Ledger
from llmgit.core.model import Malformed, ModelSummary, ModelVersion
from llmgit.core.summary import read_tag
from llmgit.errors import InputError, LlmgitWarning, NotInitialized, UnknownReference, UsageError
from llmgit.infra import git, gitrefs, lock
from llmgit.store import branches, cards, history, ledger, tagreads
from llmgit.store.branches import StageBranch


def load_settings(root: Path) -> Settings:
    """``llmgit.yaml`` from the repository root."""
    try:
        text = (root / config.CONFIG_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotInitialized(f"'{root}' has no llmgit registry yet", hint="run 'llmgit init' first") from None
    return config.parse_text(text)


T = TypeVar("T")


@dataclass(frozen=True)
class Scan:
    """The version tags of a listing: the versions llmgit uses and the tags it will not."""

    versions: list[ModelVersion]
    malformed: list[Malformed]


UNSHALLOW = "run 'git fetch --unshallow --tags' (in CI: actions/checkout with fetch-depth: 0)"


def _shallow_error() -> UsageError:
    return UsageError("this is a shallow clone: stage history and versions are incomplete", hint=UNSHALLOW)


def semver_ranks(texts: Iterable[str]) -> dict[str, int]:
    """Each distinct version string -> its place in SemVer order (equal precedence, equal
    place): sorting by it is sorting by SemVer, with one parse per distinct string instead of
    a SemVer comparison per pair (the versions of many models share a few dozen strings)."""
    ranks: dict[str, int] = {}
    rank, previous = -1, None
    for parsed, text in sorted(((versions.parse(t), t) for t in set(texts)), key=lambda p: p[0]):
        if previous is None or parsed != previous:
            rank, previous = rank + 1, parsed
        ranks[text] = rank
    return ranks


def newest_first(found: list[ModelVersion]) -> list[ModelVersion]:
    """Highest SemVer first; versions of equal precedence keep their order."""
    ranks = semver_ranks(v.version for v in found)
    return sorted(found, key=lambda v: ranks[v.version], reverse=True)


class Store:
    """A model registry in the git repository containing ``path``.

    Listings leave out a malformed version tag with one ``warning:`` (:class:`SkippedRecord`)
    and list everything else; a ``strict`` store raises its :class:`~llmgit.errors.BadRecord`
    instead. Resolving a reference to exactly that tag is always the error."""

    def __init__(self, path: str | Path = ".", *, strict: bool = False) -> None:
        self.cwd = Path(path).resolve()
        self.root = git.toplevel(self.cwd)
        self.strict = strict
        self._warned: set[str] = set()  # one warning per tag and store, however often it is read
        self._packed_checked = False

    # -- settings and preconditions ----------------------------------------------------
    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.root)

    def require_initialized(self) -> Settings:
        if not (self.root / config.CONFIG_FILE).is_file():
            raise NotInitialized(f"'{self.root}' has no llmgit registry yet", hint="run 'llmgit init' first")
        return self.settings

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the repository's writer lock (I6, :mod:`llmgit.infra.lock`): every writing
        command runs inside it, one at a time per repository."""
        with lock.held(git.common_dir(self.root) / "llmgit" / "lock"):
            yield

    def require_history(self) -> None:
        """Stage commands need full history and tags: refuse a shallow or tag-less clone."""
        if self._shallow:
            raise _shallow_error()

    @cached_property
    def _shallow(self) -> bool:
        return git.is_shallow(self.root)

    # -- versions -----------------------------------------------------------------------
    def scan(self, name: str | None = None) -> Scan:
        """Every version tag (of ``name``, or of all models), read in one ``for-each-ref``:
        the versions and the malformed tags, without warnings (``fsck`` lists the latter)."""
        found: list[ModelVersion] = []
        bad: list[Malformed] = []
        for v in self.iter_scan(name):
            if isinstance(v, Malformed):
                bad.append(v)
            else:
                found.append(v)
        return Scan(found, bad)

    def iter_scan(self, name: str | None = None) -> Iterator[ModelVersion | Malformed]:
        """:meth:`scan` one tag at a time, in ref order, read while git lists them: a listing
        holds only what its answer keeps, not every tag of the registry."""
        for parsed_name, version, rec in self.iter_tag_records(name):
            yield read_tag(parsed_name, version, refs.short(rec.ref), rec.commit, rec.contents, rec.date, rec.tagger)

    def iter_tag_records(self, name: str | None = None) -> Iterator[tuple[str, str, gitrefs.TagRecord]]:
        """The version tags (of ``name``, or of all models) as git lists them, unread: model
        name, normalised version and the tag's record, for a reader that checks what it uses
        (:meth:`iter_read`)."""
        listed = self._listed_tags(name)
        records = gitrefs.read_tags(self.root, [(ref, oid) for _, _, ref, oid in listed])
        for (model, version, _, _), rec in zip(listed, records, strict=True):
            yield model, version, rec

    def _listed_tags(self, name: str | None) -> list[tuple[str, str, str, str]]:
        """The version tags' (model, normalised version, ref, object id), from the refs alone."""
        self.require_initialized()
        self._pack_loose_refs()
        normal: dict[str, str] = {}  # each distinct version string is parsed once
        listed = []
        for ref, oid in gitrefs.list_ref_objects(self.root, [refs.version_tag_pattern(name)]):
            parsed = refs.parse_version_tag(ref)
            if parsed is None or (name is not None and parsed.name != name):
                continue
            version = normal.get(parsed.version)
            if version is None:
                version = normal[parsed.version] = versions.normalize(parsed.version)
            listed.append((parsed.name, version, ref, oid))
        return listed

    def iter_read(
        self, name: str | None, read: Callable[[str, str, gitrefs.TagRecord], T | Malformed | None]
    ) -> Iterator[T]:
        """The version tags (of ``name``, or of all models), each read by ``read`` (model name,
        version, record): what it returns is yielded, ``None`` (read and well-formed, not
        wanted) is passed over, a :class:`Malformed` is skipped with its warning (strict: its
        error). As :meth:`iter_versions` (a reader that reads every tag in full), with the
        same check that a listing which found no version says why."""
        self.require_initialized()
        if name is not None:
            refs.validate_model_name(name)
        seen = False
        listed = self._listed_tags(name)
        for found in tagreads.read_each(self.root, listed, read):
            if isinstance(found, Malformed):
                self._skip(found)
                continue
            seen = True
            if found is not None:
                yield found
        self._check_complete(seen, name)

    def _pack_loose_refs(self) -> None:
        """Pack the tags when more than a thousand are loose files (fast-import, many single
        registrations, a fetch): every listing after this one reads one file, not thousands.
        Checked once per store (one directory read of at most a thousand entries)."""
        if not self._packed_checked:
            self._packed_checked = True
            git.pack_refs_if_loose(self.root)

    def _skip(self, m: Malformed) -> None:
        """One warning per malformed tag and store (strict: its error)."""
        if self.strict:
            raise m.error()
        if m.tag not in self._warned:
            self._warned.add(m.tag)
            warnings.warn(m.warning(), stacklevel=4)

    def _usable(self, scan: Scan) -> list[ModelVersion]:
        """The scan's versions, after a warning per malformed tag (strict: its error)."""
        for m in scan.malformed:
            self._skip(m)
        return scan.versions

    def iter_versions(self, name: str | None = None) -> Iterator[ModelVersion]:
        """Every version (of ``name``, or of all models) one at a time, in ref order, with what
        :meth:`versions_all` checks: a malformed tag is a warning when reached (strict: its
        error), and a listing that found none says why (a clone without tags)."""
        return self.iter_read(name, self._read_record)

    def versions_all(self) -> list[ModelVersion]:
        """Every version of every model (one ``for-each-ref``)."""
        return list(self.iter_versions())

    def models(self) -> list[ModelSummary]:
        """Every model with its latest version and version count.

        The names, versions and counts come from the tag names alone (no tag is opened); the
        tag of each model's latest version is read and checked, as every record a listing
        shows is: a malformed one is skipped with its warning (strict: its error) and the next
        highest is read instead. The count is of the model's version tags; ``llmgit fsck``
        checks every one of them."""
        self.require_initialized()
        self._pack_loose_refs()
        by_name: dict[str, list[tuple[str, str, str]]] = {}  # name -> (version, ref, object id)
        for ref, oid in gitrefs.list_ref_objects(self.root, [refs.version_tag_pattern(None)]):
            parsed = refs.parse_version_tag(ref)
            if parsed is not None:
                by_name.setdefault(parsed.name, []).append((parsed.version, ref, oid))
        ranks = semver_ranks(v for vs in by_name.values() for v, _, _ in vs)
        queue = {  # highest first; equal precedence keeps ref order, as versions.highest picks
            name: sorted(vs, key=lambda t: ranks[t[0]], reverse=True) for name, vs in by_name.items()
        }
        latest: dict[str, str] = {}
        turn = 0
        while pending := [name for name, vs in queue.items() if name not in latest and turn < len(vs)]:
            wanted = [(queue[name][turn][1], queue[name][turn][2]) for name in pending]
            for name, rec in zip(pending, gitrefs.read_tags(self.root, wanted), strict=True):
                found = self._read_record(name, versions.normalize(queue[name][turn][0]), rec)
                if isinstance(found, Malformed):
                    self._skip(found)
                else:
                    latest[name] = found.version
            turn += 1
        self._check_complete(bool(latest), None)
        return [ModelSummary(name, latest[name], len(queue[name])) for name in sorted(latest)]

    @staticmethod
    def _read_record(name: str, version: str, rec: gitrefs.TagRecord) -> ModelVersion | Malformed:
        return read_tag(name, version, refs.short(rec.ref), rec.commit, rec.contents, rec.date, rec.tagger)

    def versions(self, name: str) -> list[ModelVersion]:
        """All versions of ``name``, newest (highest SemVer) first."""
        return newest_first(list(self.iter_versions(name)))

    def _check_complete(self, found: bool, name: str | None) -> None:
        """An empty listing in a clone that lacks the tags is an error that says so, not "no
        models yet"; a shallow clone's listing may miss versions, and says that too."""
        if found:
            if self._shallow and "shallow" not in self._warned:
                self._warned.add("shallow")
                warnings.warn(
                    LlmgitWarning(
                        "this is a shallow clone: versions whose tags were not fetched are missing", hint=UNSHALLOW
                    ),
                    stacklevel=4,
                )
            return
        if self._shallow:
            raise _shallow_error()
        self._require_tags(branches.read_all(self.root, self.settings), name)
        cards = git.tracked_files(self.root, [refs.card_path(name or "*")])
        if cards:
            raise UsageError(
                f"this clone has no version tags{f' of {name!r}' if name else ''}, but {cards[0]} is committed: "
                "its tags were not fetched",
                hint=self._fetch_hint(),
            )

    def get(self, reference: str) -> ModelVersion:
        """Resolve a user reference (``NAME``, ``NAME@v1.2.0``, ``NAME@1``, ``NAME#STAGE``, ...);
        a reference to exactly a malformed tag is its :class:`~llmgit.errors.BadRecord`."""
        self.require_initialized()
        ref = refs.parse_reference(reference)
        scan = self.scan(ref.name)
        if ref.kind is refs.RefKind.exact:
            wanted = refs.version_tag(ref.name, ref.version or "")
            for m in scan.malformed:
                if m.tag == wanted:
                    raise m.error()
        candidates = newest_first(self._usable(scan))
        if not candidates:
            self._check_complete(False, ref.name)
            if scan.malformed:  # every version is malformed: they were named in the warnings
                raise scan.malformed[0].error()
            raise UnknownReference(
                f"model '{ref.name}' has no registered versions", hint="see 'llmgit models' for registered models"
            )
        if ref.kind is refs.RefKind.latest:
            return candidates[0]
        if ref.kind is refs.RefKind.exact:
            for v in candidates:
                if v.version == ref.version:
                    return v
        elif ref.kind is refs.RefKind.partial:
            for v in candidates:
                if refs.partial_matches(ref.version or "", v.version):
                    return v
        elif ref.kind is refs.RefKind.stage:
            return self._resolve_stage(ref, candidates, scan.malformed)
        raise UnknownReference(
            f"'{reference}' names no registered version", hint=f"'llmgit versions {ref.name}' lists them"
        )

    def _resolve_stage(
        self, ref: refs.Reference, candidates: list[ModelVersion], malformed: list[Malformed]
    ) -> ModelVersion:
        stage = ref.stage or ""
        if stage not in self.settings.all_stages:
            raise UnknownReference(f"unknown stage '{stage}'", hint=f"stages: {', '.join(self.settings.all_stages)}")
        commit = git.rev_parse(self.root, f"{refs.tag_ref(refs.stage_tag(ref.name, stage))}^{{commit}}")
        if commit is None:
            raise UnknownReference(f"no version of '{ref.name}' holds stage '{stage}'")
        for v in candidates:
            if v.commit == commit:
                return v
        for m in malformed:
            if m.commit == commit:
                raise m.error()
        raise UnknownReference(f"tag '{ref}' points at a commit with no version of '{ref.name}'")

    def card(self, reference: str) -> dict[str, Any]:
        """The model card of a version, read from its tag (no checkout)."""
        return self.card_of(self.get(reference))

    def card_of(self, v: ModelVersion) -> dict[str, Any]:
        """The model card of a version already resolved (two ``cat-file`` calls, no listing)."""
        where = f"{v.tag}:{refs.card_path(v.name)}"
        limit = self.settings.limits.card_bytes
        found = git.blob_sizes(self.root, [f"{v.commit}:{refs.card_path(v.name)}"])
        size = next(iter(found.values()))
        if size is not None and size[1] > limit:  # refused before it is read
            raise InputError(
                f"{where} is {size[1]} bytes, above the limit of {limit}",
                hint="the cap is a setting: limits.card_bytes in llmgit.yaml",
            )
        blob = git.read_blob(self.root, v.commit, refs.card_path(v.name)) if size is not None else None
        if blob is None and v.weights is None:  # a tag llmgit did not write (GTO's): no card was ever committed
            return cards.synthesised(self.root, v)
        if blob is None:
            raise UnknownReference(f"version {v.tag} has no model card at {refs.card_path(v.name)}")
        return cards.parse(blob, where, replace(cards.LIMITS, max_bytes=limit))

    # -- stages -------------------------------------------------------------------------
    def stage_branches(self) -> dict[str, StageBranch]:
        """Every stage branch's state, after checking this clone has the tags they name."""
        found = branches.read_all(self.root, self.require_initialized())
        self._require_tags(found, None)
        return found

    def _require_tags(self, found: dict[str, StageBranch], name: str | None) -> None:
        """A clone without tags (the default CI checkout) is an error, not an empty registry."""
        self._pack_loose_refs()
        have = set(gitrefs.list_refnames(self.root, [refs.version_tag_pattern(name)]))
        for b in found.values():
            entries = [*b.file.holders.values(), *(e for es in b.file.archived.values() for e in es)]
            for e in entries:
                if refs.tag_ref(e.tag) not in have and (name is None or e.tag.startswith(f"{name}@")):
                    raise UsageError(
                        f"{b.short} names {e.tag}, but this clone has no such tag", hint=self._fetch_hint()
                    )

    def _fetch_hint(self) -> str:
        return f"fetch the tags: git fetch --force --tags {self.settings.git_remote} (CI checkouts fetch no tags by default)"

    def stages(self) -> dict[str, dict[str, list[str]]]:
        """model -> stage -> versions holding it (archived may hold several)."""
        self.require_history()
        table: dict[str, dict[str, list[str]]] = {}
        for stage, b in self.stage_branches().items():
            for name in [*b.file.holders, *b.file.archived]:
                table.setdefault(name, {})[stage] = b.file.versions_of(name)
        return dict(sorted(table.items()))

    def history(self, name: str | None = None) -> list[HistoryEvent]:
        """Every stage change (of one model, or of all), oldest first."""
        self.require_initialized()
        if name is not None:
            refs.validate_model_name(name)
        self.require_history()
        self._require_tags(branches.read_all(self.root, self.settings), name)
        return history.read(self.root, self.settings, name)

    def ledger(self) -> Ledger:
        """Pins, purges and published copies (the ``llmgit/lifecycle`` branch)."""
        return ledger.read(self.root, self.require_initialized().git_remote)
