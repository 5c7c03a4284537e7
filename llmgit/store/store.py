"""The registry: reads state from refs (one ``for-each-ref`` per listing) and resolves
references. Writing operations live in their own modules and are reached through
:class:`Registry`, the Python API the CLI itself uses.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.store import cards, branches as stages
from llmgit.core import config, refs, versions
from llmgit.infra import git
from llmgit.api.canary_mixin import CanaryApi
from llmgit.api.storage_mixin import StorageApi
from llmgit.errors import NotInitialized, UnknownReference, UsageError
from llmgit.api.mlflow_style import MlflowStyle
from llmgit.core.model import ModelSummary, ModelVersion, version_from_tag
from llmgit.store.branches import HistoryEvent, StageBranch

if TYPE_CHECKING:
    from llmgit.inspect.checkout import CheckoutResult
    from llmgit.setup.ci import CiFiles
    from llmgit.store.diffs import VersionDiff
    from llmgit.setup.gto_import import GtoImport
    from llmgit.setup.init import InitResult
    from llmgit.register.plan import RegisterPlan
    from llmgit.register.register import RegisterRequest
    from llmgit.infra.gitremote import FetchResult
    from llmgit.stages.review import Review
    from llmgit.inspect.search import Hit, Query
    from llmgit.stages.sync import GuardResult, SyncResult
    from llmgit.stages.promote import PromoteRequest, TransitionResult


class Registry(MlflowStyle, StorageApi, CanaryApi):
    """A model registry in the git repository containing ``path``.

    MLflow-named methods (``get_model_version``, ``search_model_versions``, ...) come from
    :class:`~llmgit.api.mlflow_style.MlflowStyle`.
    """

    def __init__(self, path: str | Path = ".") -> None:
        self.cwd = Path(path).resolve()
        self.root = git.toplevel(self.cwd)

    # -- settings ---------------------------------------------------------------------
    @cached_property
    def settings(self) -> config.Settings:
        return config.load(self.root)

    def require_initialized(self) -> config.Settings:
        if not (self.root / config.CONFIG_FILE).is_file():
            raise NotInitialized(
                f"'{self.root}' has no llmgit registry yet", hint="run 'llmgit init' first"
            )
        return self.settings

    def require_history(self) -> None:
        """Stage commands need full history and tags: refuse a shallow or tag-less clone."""
        if git.is_shallow(self.root):
            raise UsageError(
                "this is a shallow clone: stage history and versions are incomplete",
                hint="run 'git fetch --unshallow --tags' (in CI: actions/checkout with fetch-depth: 0)",
            )

    # -- reading ----------------------------------------------------------------------
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
                    rec.ref[len(refs.TAGS) :],
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
        found = self._version_tags(name)
        return sorted(found, key=lambda v: versions.parse(v.version), reverse=True)

    def get(self, reference: str) -> ModelVersion:
        """Resolve a user reference (``NAME``, ``NAME@v1.2.0``, ``NAME@1``, ...)."""
        self.require_initialized()
        ref = refs.parse_reference(reference)
        candidates = self.versions(ref.name)
        if not candidates:
            raise UnknownReference(
                f"model '{ref.name}' has no registered versions",
                hint="see 'llmgit models' for registered models",
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
            f"'{reference}' names no registered version",
            hint=f"'llmgit versions {ref.name}' lists them",
        )

    def _resolve_stage(self, ref: refs.Reference, candidates: list[ModelVersion]) -> ModelVersion:
        settings = self.settings
        stage = ref.stage or ""
        if stage not in settings.all_stages:
            raise UnknownReference(
                f"unknown stage '{stage}'", hint=f"stages: {', '.join(settings.all_stages)}"
            )
        commit = git.rev_parse(self.root, f"refs/tags/{refs.stage_tag(ref.name, stage)}^{{commit}}")
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

    def diff(self, old: str, new: str) -> VersionDiff:
        """Metrics, params, card and weights (file by file) of two references."""
        from llmgit.store.diffs import diff

        return diff(self, old, new)

    def search(self, query: Query) -> list[Hit]:
        """Versions matching a filter expression (``docs/filter-grammar.md``), ordered and limited."""
        from llmgit.inspect.search import search

        return search(self, query)

    def card_markdown(self, reference: str) -> str:
        return cards.render_markdown(self.card(reference), self.root)

    def validate_card(self, reference: str | None = None, file: Path | None = None) -> list[str]:
        """Schema problems of a card: a file, a bare NAME's working-tree card, or a version's."""
        if file is None and reference is not None and "@" not in reference and "#" not in reference:
            self.require_initialized()
            working = self.root / refs.card_path(refs.validate_model_name(reference))
            if working.is_file():
                file = working
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as e:
                raise UnknownReference(f"cannot read card '{file}': {e.strerror}") from None
            return cards.validate(cards.parse(text, str(file)))
        if reference is None:
            raise UnknownReference("give a model reference or --file")
        return cards.validate(self.card(reference))

    # -- stages -------------------------------------------------------------------------
    def stage_branches(self) -> dict[str, StageBranch]:
        """Every stage branch's state, after checking this clone has the tags they name."""
        branches = stages.read_all(self.root, self.require_initialized())
        self._require_tags(branches, None)
        return branches

    def _require_tags(self, branches: dict[str, StageBranch], name: str | None) -> None:
        """A clone without tags (the default CI checkout) is an error, not an empty registry."""
        have = set(git.list_refnames(self.root, [refs.version_tag_pattern(name)]))
        for b in branches.values():
            entries = [*b.file.holders.values(), *(e for es in b.file.archived.values() for e in es)]
            for e in entries:
                if refs.TAGS + e.tag not in have and (name is None or e.tag.startswith(f"{name}@")):
                    raise UsageError(
                        f"{b.branch.removeprefix(refs.HEADS)} names {e.tag}, but this clone has no such tag",
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
        self.require_initialized()
        if name is not None:
            refs.validate_model_name(name)
        self.require_history()
        self._require_tags(stages.read_all(self.root, self.settings), name)
        return stages.history(self.root, self.settings, name)

    def promote(self, request: PromoteRequest) -> TransitionResult:
        from llmgit.stages.promote import promote

        return promote(self, request)

    def rollback(self, name: str, *, stage: str = "production", to: str | None = None,
                 reason: str = "", push: bool = False) -> TransitionResult:
        from llmgit.stages.promote import rollback

        return rollback(self, name, stage=stage, to=to, reason=reason, push=push)

    def sync(self, push: bool = False) -> SyncResult:
        from llmgit.stages.sync import sync

        return sync(self, push=push)

    def guard(self, name: str, *, metric: str, threshold: float, relative: bool = False,
              stage: str = "production", metrics_file: Path | None = None, apply: bool = False,
              push: bool = False) -> GuardResult:
        from llmgit.stages.sync import guard, load_observed

        observed = load_observed(metrics_file) if metrics_file is not None else None
        return guard(self, name, metric=metric, threshold=threshold, relative=relative, stage=stage,
                     observed=observed, apply=apply, push=push)

    def review(self, stage: str, head: str | None = None) -> Review:
        from llmgit.stages.review import review

        return review(self, stage, head)

    def fetch(self) -> FetchResult:
        from llmgit.infra.gitremote import fetch

        settings = self.require_initialized()
        return fetch(self.root, settings.git_remote, settings.stage_branch_prefix)

    def ci_init(self, *, install: str | None = None, deploy_command: str | None = None,
                force: bool = False) -> CiFiles:
        from llmgit.setup.ci import init_github

        return init_github(self, install=install, deploy_command=deploy_command, force=force)

    # -- writing (delegated) ---------------------------------------------------------
    def init(self, remote: str | None = None, endpoint_url: str | None = None) -> InitResult:
        from llmgit.setup.init import init

        return init(self, remote=remote, endpoint_url=endpoint_url)

    def register(self, request: RegisterRequest) -> ModelVersion:
        """Register a version; with ``request.push``, publish it: weights first, then its tag."""
        from llmgit.register.register import register

        v = register(self, request)
        if request.push:
            from llmgit.errors import OperationFailed

            try:
                self.push(v.tag)
            except OperationFailed as e:
                raise OperationFailed(f"{v.tag} is registered here but not published: {e.message}",
                                      hint=f"finish it with: llmgit push {v.tag}") from None
        return v

    def plan_register(self, request: RegisterRequest) -> RegisterPlan:
        """What ``register`` would do (the version, and with ``bump="auto"`` why); changes nothing."""
        from llmgit.register.plan import plan

        return plan(self, request)

    def import_gto(self, *, apply: bool = False, stage_map: dict[str, str] | None = None) -> GtoImport:
        """Stage branches and pointers from GTO's tags; a report only unless ``apply``."""
        from llmgit.setup.gto_import import import_gto

        return import_gto(self, apply=apply, stage_map=stage_map)

    def checkout(
        self, reference: str, to: Path | str | None = None, force: bool = False
    ) -> CheckoutResult:
        from llmgit.inspect.checkout import checkout

        return checkout(self, reference, Path(to) if to is not None else None, force=force)


def iso_time(ident: git.Ident) -> str:
    """ISO 8601 with offset from a git ident's timestamp and zone."""
    sign = -1 if ident.tz.startswith("-") else 1
    hours, minutes = int(ident.tz[1:3]), int(ident.tz[3:5])
    zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return dt.datetime.fromtimestamp(ident.timestamp, zone).isoformat()
