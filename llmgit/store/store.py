"""The Store: the read side of a registry that every feature takes. It knows the repository
root, the settings, the versions (one ``for-each-ref`` per listing), references, model cards,
the stage branches, the stage history and the ledger. Writing goes through
:mod:`llmgit.store.writer`; the Python API composes the features (:mod:`llmgit.api`).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from llmgit.core import config, refs, versions
from llmgit.core.config import Settings
from llmgit.core.history import HistoryEvent
from llmgit.core.ledgerfile import Ledger
from llmgit.core.model import ModelSummary, ModelVersion
from llmgit.core.summary import version_from_tag
from llmgit.errors import NotInitialized, UnknownReference, UsageError
from llmgit.infra import git
from llmgit.store import branches, cards, history, ledger
from llmgit.store.branches import StageBranch


def load_settings(root: Path) -> Settings:
    """``llmgit.yaml`` from the repository root."""
    try:
        text = (root / config.CONFIG_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotInitialized(f"'{root}' has no llmgit registry yet", hint="run 'llmgit init' first") from None
    return config.parse_text(text)


class Store:
    """A model registry in the git repository containing ``path``."""

    def __init__(self, path: str | Path = ".") -> None:
        self.cwd = Path(path).resolve()
        self.root = git.toplevel(self.cwd)

    # -- settings and preconditions ----------------------------------------------------
    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.root)

    def require_initialized(self) -> Settings:
        if not (self.root / config.CONFIG_FILE).is_file():
            raise NotInitialized(f"'{self.root}' has no llmgit registry yet", hint="run 'llmgit init' first")
        return self.settings

    def require_history(self) -> None:
        """Stage commands need full history and tags: refuse a shallow or tag-less clone."""
        if git.is_shallow(self.root):
            raise UsageError(
                "this is a shallow clone: stage history and versions are incomplete",
                hint="run 'git fetch --unshallow --tags' (in CI: actions/checkout with fetch-depth: 0)",
            )

    # -- versions -----------------------------------------------------------------------
    def _version_tags(self, name: str | None) -> list[ModelVersion]:
        found = []
        for rec in git.list_tags(self.root, [refs.version_tag_pattern(name)]):
            parsed = refs.parse_version_tag(rec.ref)
            if parsed is None or (name is not None and parsed.name != name):
                continue
            found.append(
                version_from_tag(
                    parsed.name,
                    versions.normalize(parsed.version),
                    refs.short(rec.ref),
                    rec.commit,
                    rec.contents,
                    rec.date,
                    rec.tagger,
                )
            )
        return found

    def versions_all(self) -> list[ModelVersion]:
        """Every version of every model (one ``for-each-ref``)."""
        self.require_initialized()
        return self._version_tags(None)

    def models(self) -> list[ModelSummary]:
        """Every model with its latest version and version count (tag names only)."""
        self.require_initialized()
        by_name: dict[str, list[str]] = {}
        for ref in git.list_refnames(self.root, [refs.TAGS]):
            parsed = refs.parse_version_tag(ref)
            if parsed:
                by_name.setdefault(parsed.name, []).append(parsed.version)
        return [
            ModelSummary(name, versions.normalize(versions.highest(vs) or ""), len(vs))
            for name, vs in sorted(by_name.items())
        ]

    def versions(self, name: str) -> list[ModelVersion]:
        """All versions of ``name``, newest (highest SemVer) first."""
        self.require_initialized()
        refs.validate_model_name(name)
        return sorted(self._version_tags(name), key=lambda v: versions.parse(v.version), reverse=True)

    def get(self, reference: str) -> ModelVersion:
        """Resolve a user reference (``NAME``, ``NAME@v1.2.0``, ``NAME@1``, ``NAME#STAGE``, ...)."""
        self.require_initialized()
        ref = refs.parse_reference(reference)
        candidates = self.versions(ref.name)
        if not candidates:
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
            return self._resolve_stage(ref, candidates)
        raise UnknownReference(
            f"'{reference}' names no registered version", hint=f"'llmgit versions {ref.name}' lists them"
        )

    def _resolve_stage(self, ref: refs.Reference, candidates: list[ModelVersion]) -> ModelVersion:
        stage = ref.stage or ""
        if stage not in self.settings.all_stages:
            raise UnknownReference(f"unknown stage '{stage}'", hint=f"stages: {', '.join(self.settings.all_stages)}")
        commit = git.rev_parse(self.root, f"{refs.tag_ref(refs.stage_tag(ref.name, stage))}^{{commit}}")
        if commit is None:
            raise UnknownReference(f"no version of '{ref.name}' holds stage '{stage}'")
        for v in candidates:
            if v.commit == commit:
                return v
        raise UnknownReference(f"tag '{ref}' points at a commit with no version of '{ref.name}'")

    def card(self, reference: str) -> dict[str, Any]:
        """The model card of a version, read from its tag (no checkout)."""
        v = self.get(reference)
        blob = git.read_blob(self.root, v.commit, refs.card_path(v.name))
        if blob is None:
            raise UnknownReference(f"version {v.tag} has no model card at {refs.card_path(v.name)}")
        return cards.parse(blob, f"{v.tag}:{refs.card_path(v.name)}")

    # -- stages -------------------------------------------------------------------------
    def stage_branches(self) -> dict[str, StageBranch]:
        """Every stage branch's state, after checking this clone has the tags they name."""
        found = branches.read_all(self.root, self.require_initialized())
        self._require_tags(found, None)
        return found

    def _require_tags(self, found: dict[str, StageBranch], name: str | None) -> None:
        """A clone without tags (the default CI checkout) is an error, not an empty registry."""
        have = set(git.list_refnames(self.root, [refs.version_tag_pattern(name)]))
        for b in found.values():
            entries = [*b.file.holders.values(), *(e for es in b.file.archived.values() for e in es)]
            for e in entries:
                if refs.tag_ref(e.tag) not in have and (name is None or e.tag.startswith(f"{name}@")):
                    raise UsageError(
                        f"{b.short} names {e.tag}, but this clone has no such tag",
                        hint=f"fetch the tags: git fetch --force --tags {self.settings.git_remote} "
                        "(CI checkouts fetch no tags by default)",
                    )

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
