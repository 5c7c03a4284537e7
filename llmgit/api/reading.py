"""Reading the registry: models, versions (plain, or with their stages and card), cards,
diffs, search, stages and history; and checking a version out. (Methods of
:class:`~llmgit.api.registry.Registry`.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.api.facade import Facade
from llmgit.core import history as events
from llmgit.core import refs
from llmgit.core.history import HistoryEvent
from llmgit.core.ident import parse_when
from llmgit.core.model import Malformed, ModelSummary, ModelVersion, WeightsInfo
from llmgit.core.refs import ARCHIVED
from llmgit.errors import UnknownReference, UsageError
from llmgit.inspect.query import Query, holding_stage
from llmgit.store.branches import StageBranch, check_stage
from llmgit.store.store import Store

if TYPE_CHECKING:
    from llmgit.core.compare import VersionDiff
    from llmgit.inspect.checkout import CheckoutResult
    from llmgit.inspect.search import Hit


@dataclass(frozen=True)
class VersionDetails:
    """A registered version with the stages it holds and (read on first use) its model card.

    ``stage`` is the most advanced stage the version holds (``"production"`` when it holds
    both staging and production), ``"archived"`` when it is archived, and ``None`` when it
    never held a stage or left them all; ``stages`` lists every stage it holds.
    """

    name: str
    version: str
    tag: str
    commit: str
    weights: WeightsInfo | None
    metrics: Mapping[str, float | int]
    params: Mapping[str, Any]
    author: str
    created: str
    message: str
    stages: tuple[str, ...]
    root: Path = field(repr=False, compare=False)

    @classmethod
    def of(cls, v: ModelVersion, held: Sequence[str], root: Path) -> VersionDetails:
        return cls(
            v.name,
            v.version,
            v.tag,
            v.commit,
            v.weights,
            dict(v.metrics),
            dict(v.params),
            v.author,
            v.created,
            v.message,
            tuple(held),
            root,
        )

    @property
    def stage(self) -> str | None:
        return holding_stage(self.stages)

    @cached_property
    def card(self) -> dict[str, Any]:
        """The model card at the version's tag (read from git, no checkout)."""
        return Store(self.root).card(self.tag)

    @property
    def model_version(self) -> ModelVersion:
        """The plain :class:`~llmgit.core.model.ModelVersion` (what ``Registry.get`` returns)."""
        return ModelVersion(
            self.name,
            self.version,
            self.tag,
            self.commit,
            self.weights,
            self.metrics,
            self.params,
            self.author,
            self.created,
            self.message,
        )

    def to_json(self) -> dict[str, Any]:
        return {**self.model_version.to_json(), "stage": self.stage, "stages": list(self.stages)}


def _with_stages(store: Store, found: Sequence[ModelVersion]) -> list[VersionDetails]:
    from llmgit.inspect.search import stage_map  # noqa: PLC0415 (start-up)

    held = stage_map(store) if found else {}
    return [VersionDetails.of(v, held.get((v.name, v.version), ()), store.root) for v in found]


def models(reg: Facade) -> list[ModelSummary]:
    """Every model with its latest version and how many versions it has."""
    return reg.store.models()


def malformed(reg: Facade) -> list[Malformed]:
    """Every version tag llmgit will not use, with the reason (listings skip them)."""
    return reg.store.scan().malformed


def versions(reg: Facade, name: str) -> list[ModelVersion]:
    """All versions of ``name``, newest (highest SemVer) first."""
    return reg.store.versions(name)


def versions_all(reg: Facade) -> list[ModelVersion]:
    """Every version of every model."""
    return reg.store.versions_all()


def get(reg: Facade, reference: str) -> ModelVersion:
    """Resolve ``NAME``, ``NAME@v1.2.0``, ``NAME@1``, ``NAME#STAGE``, ..."""
    return reg.store.get(reference)


def details(reg: Facade, reference: str) -> VersionDetails:
    """What :func:`get` resolves (``NAME@v1.2.0``, ``NAME@1.2``, ``NAME#production``, ...),
    with the stages the version holds and its model card."""
    return _with_stages(reg.store, [reg.store.get(reference)])[0]


def holders(reg: Facade, name: str, *, stage: str | None = None) -> dict[str, VersionDetails]:
    """stage -> the version holding it now, in promotion order (of one stage, in any case);
    stages nobody holds are left out (``holders_at`` answers for a past moment)."""
    settings = reg.store.require_initialized()
    refs.validate_model_name(name)
    wanted = [check_stage(settings, stage, holding=False)] if stage is not None else list(settings.stages)
    if ARCHIVED in wanted:
        raise UsageError(
            f"'{ARCHIVED}' holds many versions, not one",
            hint=f"search_details(\"name = '{name}' and stage = '{ARCHIVED}'\") lists them",
        )
    found = _with_stages(reg.store, reg.store.versions(name))
    if not found:
        raise UnknownReference(
            f"model '{name}' has no registered versions", hint="see 'llmgit models' for registered models"
        )
    held = {s: d for d in reversed(found) for s in d.stages}  # one holder per stage
    return {s: held[s] for s in wanted if s in held}


def card(reg: Facade, reference: str) -> dict[str, Any]:
    """A version's model card, read from its tag (no checkout)."""
    return reg.store.card(reference)


def card_markdown(reg: Facade, reference: str) -> str:
    """A version's model card as Hugging Face README Markdown."""
    from llmgit.inspect import cards  # noqa: PLC0415 (start-up)

    return cards.markdown(reg.store, reference)


def validate_card(reg: Facade, reference: str | None = None, file: Path | None = None) -> list[str]:
    """Schema problems of a card: a file, a bare NAME's working-tree card, or a version's."""
    from llmgit.inspect import cards  # noqa: PLC0415 (start-up)

    return cards.validate(reg.store, reference, file)


def diff(reg: Facade, old: str, new: str) -> VersionDiff:
    """Metrics, params, card and weights (file by file) of two references."""
    from llmgit.store.diffs import diff  # noqa: PLC0415 (start-up)

    return diff(reg.store, old, new)


def search(reg: Facade, query: Query | str) -> list[Hit]:
    """Versions matching a filter expression (``docs/filter-grammar.md``), ordered and limited;
    a string is a :class:`~llmgit.inspect.query.Query` with only that filter."""
    from llmgit.inspect.search import search  # noqa: PLC0415 (start-up)

    return search(reg.store, Query(filter=query) if isinstance(query, str) else query)


def search_details(reg: Facade, query: Query | str) -> list[VersionDetails]:
    """:func:`search` with each version's stages and (read on first use) model card."""
    asked = Query(filter=query) if isinstance(query, str) else query
    hits = search(reg, dataclasses.replace(asked, with_stages=True))
    return [VersionDetails.of(h.version, h.stages, reg.store.root) for h in hits]


def checkout(
    reg: Facade, reference: str, to: Path | str | None = None, force: bool = False, link: bool = False
) -> CheckoutResult:
    """A version's card and weights back in the working tree, or its weights into ``to``
    (files of their own; ``link``: read-only hard links to the cache, for serving)."""
    from llmgit.inspect.checkout import checkout  # noqa: PLC0415 (start-up)

    return checkout(reg.store, reference, Path(to) if to is not None else None, force=force, link=link)


def same_weights(reg: Facade, reference: str) -> list[ModelVersion]:
    """The other versions of the same model whose weights are byte for byte the same (newest first)."""
    v = reg.store.get(reference)
    if v.weights is None:
        return []
    return [o for o in reg.store.versions(v.name) if o.tag != v.tag and o.weights and o.weights.md5 == v.weights.md5]


def stage_branches(reg: Facade) -> dict[str, StageBranch]:
    """Every stage branch: its tip and its ``stage.yaml``."""
    return reg.store.stage_branches()


def stages(reg: Facade) -> dict[str, dict[str, list[str]]]:
    """model -> stage -> versions holding it (archived may hold several)."""
    return reg.store.stages()


def history(reg: Facade, name: str | None = None, *, stage: str | None = None) -> list[HistoryEvent]:
    """Stage changes, oldest first (of one model; of one stage)."""
    found = reg.store.history(name)
    if stage is not None:
        stage = check_stage(reg.store.settings, stage, holding=False)  # case-insensitive (I9)
        found = [e for e in found if e.stage == stage]
    return found


def holders_at(reg: Facade, name: str, when: str, *, stage: str | None = None) -> dict[str, HistoryEvent]:
    """stage -> the event that made its holder current at ``when`` (an ISO date or date-time)."""
    held = events.holders_at(history(reg, name, stage=stage), parse_when(when))
    return {s: e for (_, s), e in sorted(held.items())}
